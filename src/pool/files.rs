//! The file index: the owners of each path, from the files primary.xml
//! lists (indexed once by [`Pool::finish`]) and from what filelists.xml
//! scans found since (added per repository, for the paths asked of it).

use rustc_hash::FxHashMap;

use super::{Pool, group_of};
use crate::core::dep::RichDep;
use crate::core::ids::{PkgId, StrId};

impl Pool {
    /// Packages owning file or directory `path`: those primary lists it for,
    /// then those found in filelists so far.
    pub fn file_owners(&self, path: StrId) -> impl Iterator<Item = PkgId> + '_ {
        let from_filelists = self.filelists_owners.get(&path).map_or(&[][..], |v| v.as_slice());
        group_of(&self.file_start, &self.file_list, path)
            .iter()
            .chain(from_filelists)
            .copied()
    }

    /// Whether the filelists of repository `repo` (index into
    /// [`repos`](Self::repos)) were already consulted for `path`.
    pub fn filelists_scanned(&self, repo: u32, path: StrId) -> bool {
        self.filelists_paths
            .get(repo as usize)
            .is_some_and(|paths| paths.contains(&path))
    }

    /// Records what scanning the filelists of `repo` for the paths `asked`
    /// found: (`pkgid`, path) pairs, each making that package of `repo` an
    /// owner of the path. Afterwards [`filelists_scanned`](Self::filelists_scanned)
    /// is true for `repo` and every path of `asked`.
    pub fn add_file_owners(&mut self, repo: u32, found: &[(String, String)], asked: &[StrId]) {
        let Some(range) = self.repos.get(repo as usize).map(|r| r.packages.clone()) else {
            return;
        };
        if !found.is_empty() {
            let by_pkgid: FxHashMap<&str, PkgId> = range.map(|i| (self.pkgid(i), i)).collect();
            let mut adds = Vec::new();
            for (pkgid, path) in found {
                if let (Some(&pkg), Some(path_id)) = (by_pkgid.get(pkgid.as_str()), self.strings.lookup(path)) {
                    adds.push((path_id, pkg));
                }
            }
            for (path, pkg) in adds {
                if group_of(&self.file_start, &self.file_list, path).contains(&pkg) {
                    continue;
                }
                let owners = self.filelists_owners.entry(path).or_default();
                if !owners.contains(&pkg) {
                    owners.push(pkg);
                }
            }
        }
        if let Some(paths) = self.filelists_paths.get_mut(repo as usize) {
            paths.extend(asked.iter().copied());
        }
    }
}

/// The file paths inside a rich dependency, at any depth.
pub(super) fn paths_inside(rich: &RichDep) -> Vec<String> {
    let mut paths = Vec::new();
    rich.for_each_leaf(&mut |leaf| {
        if leaf.name.starts_with('/') {
            paths.push(leaf.name.clone());
        }
    });
    paths
}

#[cfg(test)]
mod tests {
    use super::paths_inside;
    use crate::core::dep::parse_rich;

    #[test]
    fn paths_inside_rich_dependencies_are_found_at_any_depth() {
        let paths = |text: &str| {
            parse_rich(text)
                .map(|r| paths_inside(&r))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            paths("(foo if (bar or /usr/share/x/y.txt) else /usr/bin/z)"),
            ["/usr/share/x/y.txt", "/usr/bin/z"]
        );
        assert_eq!(paths("(foo >= 1.0/2 with bar)"), Vec::<String>::new());
    }
}
