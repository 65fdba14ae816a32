//! The packages a change adds and takes out, and the closure options of its
//! before- and after-states on one shared pool.

use rustc_hash::FxHashMap;

use super::{ChangeError, ChangeRequest};
use crate::closure::ClosureOptions;
use crate::core::arch;
use crate::core::ids::{NO_STR, PkgId};
use crate::pool::Pool;

/// What one change does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// A proposed build is tagged in.
    Build,
    /// A source package is untagged (`--remove-source`).
    Untag,
}

/// One build tagged in, or one source package untagged.
#[derive(Clone, Debug)]
pub struct Change {
    /// Build or untag.
    pub kind: ChangeKind,
    /// The build's source NVR (`name-version-release`), or the untagged
    /// source package's name.
    pub label: String,
    /// The source package name (what replacement matches on).
    pub source: String,
    /// The binary packages the build brings (none for an untag).
    pub packages: Vec<PkgId>,
    /// The target packages it takes out: every package built from the same
    /// source package.
    pub replaces: Vec<PkgId>,
}

/// The changes proposed together, on the pool that holds the targets and
/// the proposed builds.
#[derive(Clone, Debug)]
pub struct ChangeSet {
    /// Builds first (in source NVR order), then untags.
    pub changes: Vec<Change>,
    /// The target repositories.
    pub targets: Vec<String>,
    /// The repositories the proposed builds were loaded as.
    pub adds: Vec<String>,
    /// Packages of those repositories that are not proposed (not picked by
    /// `--nvr`/`--source`, or source packages): never part of any state.
    pub unproposed: Vec<PkgId>,
    /// Index of the change that brings each proposed package.
    pub change_of: FxHashMap<PkgId, usize>,
}

/// The source package's name and NVR of a `sourcerpm` file name
/// (`foo-1.0-1.el9.src.rpm` → (`foo`, `foo-1.0-1.el9`)).
pub fn source_of(sourcerpm: &str) -> Option<(&str, &str)> {
    let nvr = sourcerpm
        .strip_suffix(".src.rpm")
        .or_else(|| sourcerpm.strip_suffix(".nosrc.rpm"))?;
    let (nv, _release) = nvr.rsplit_once('-')?;
    let (name, _version) = nv.rsplit_once('-')?;
    (!name.is_empty()).then_some((name, nvr))
}

/// The source package name a pool package was built from (its own name for
/// a source package).
pub fn source_name(pool: &Pool, pkg: PkgId) -> Option<&str> {
    let p = &pool.packages[pkg as usize];
    if p.sourcerpm == NO_STR {
        return arch::is_source(pool.str(p.arch)).then(|| pool.str(p.name));
    }
    source_of(pool.str(p.sourcerpm)).map(|(name, _)| name)
}

impl ChangeSet {
    /// Finds the proposed builds in the add repositories and what each
    /// change replaces in the targets.
    pub fn new(pool: &Pool, request: &ChangeRequest) -> Result<ChangeSet, ChangeError> {
        let targets: Vec<String> = request.targets.iter().map(|s| s.name.clone()).collect();
        let adds: Vec<String> = request.adds.iter().map(|a| a.name.clone()).collect();
        let repo_of = |name: &str| pool.repos.iter().position(|r| r.name == name);
        let mut builds: std::collections::BTreeMap<String, (String, Vec<PkgId>)> = Default::default();
        let mut unproposed = Vec::new();
        let mut nvr_seen = vec![false; request.nvrs.len()];
        let mut source_seen = vec![false; request.sources.len()];
        for add in &adds {
            let Some(r) = repo_of(add) else { continue };
            for pkg in pool.repos[r].packages.clone() {
                let p = &pool.packages[pkg as usize];
                let source = match p.sourcerpm {
                    NO_STR => None,
                    s => source_of(pool.str(s)),
                };
                let Some((name, nvr)) = source.filter(|_| !p.hidden && !arch::is_source(pool.str(p.arch))) else {
                    unproposed.push(pkg);
                    continue;
                };
                let by_nvr = request.nvrs.iter().position(|n| n == nvr);
                let by_source = request.sources.iter().position(|s| s == name);
                if let Some(i) = by_nvr {
                    nvr_seen[i] = true;
                }
                if let Some(i) = by_source {
                    source_seen[i] = true;
                }
                let picked =
                    (request.nvrs.is_empty() && request.sources.is_empty()) || by_nvr.is_some() || by_source.is_some();
                if !picked {
                    unproposed.push(pkg);
                    continue;
                }
                builds
                    .entry(nvr.to_owned())
                    .or_insert_with(|| (name.to_owned(), Vec::new()))
                    .1
                    .push(pkg);
            }
        }
        let add_list = adds.join(", ");
        if let Some(i) = nvr_seen.iter().position(|seen| !seen) {
            return Err(ChangeError::Invalid(format!(
                "--nvr {}: no build of that source NVR in {add_list}",
                request.nvrs[i]
            )));
        }
        if let Some(i) = source_seen.iter().position(|seen| !seen) {
            return Err(ChangeError::Invalid(format!(
                "--source {}: no build of that source package in {add_list}",
                request.sources[i]
            )));
        }
        // Which packages of the repositories the change is made to each
        // source package name built: the checked targets (all of them
        // without --check); a lookaside keeps its packages.
        let changed = match request.closure.check.is_empty() {
            true => &targets,
            false => &request.closure.check,
        };
        let mut by_source: FxHashMap<&str, Vec<PkgId>> = FxHashMap::default();
        for target in changed {
            let Some(r) = repo_of(target) else { continue };
            for pkg in pool.repos[r].packages.clone() {
                if let Some(name) = source_name(pool, pkg) {
                    by_source.entry(name).or_default().push(pkg);
                }
            }
        }
        let mut changes = Vec::new();
        for (nvr, (source, packages)) in builds {
            let replaces = by_source.get(source.as_str()).cloned().unwrap_or_default();
            changes.push(Change {
                kind: ChangeKind::Build,
                label: nvr,
                source,
                packages,
                replaces,
            });
        }
        for source in &request.remove_sources {
            let Some(replaces) = by_source.get(source.as_str()).cloned() else {
                return Err(ChangeError::Invalid(format!(
                    "--remove-source {source}: no package of {} was built from it",
                    targets.join(", ")
                )));
            };
            changes.push(Change {
                kind: ChangeKind::Untag,
                label: source.clone(),
                source: source.clone(),
                packages: Vec::new(),
                replaces,
            });
        }
        if changes.is_empty() {
            return Err(ChangeError::Invalid(
                "nothing is proposed: --add found no binary package and no --remove-source was given".to_owned(),
            ));
        }
        let change_of = changes
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.packages.iter().map(move |&p| (p, i)))
            .collect();
        Ok(ChangeSet {
            changes,
            targets,
            adds,
            unproposed,
            change_of,
        })
    }

    /// The packages out of the after-state of applying only the changes
    /// `only` (all when `None`): what they replace, and every proposed
    /// package of the changes not applied.
    pub fn withdrawn(&self, only: Option<&[usize]>) -> Vec<PkgId> {
        let applied = |i: usize| only.is_none_or(|o| o.contains(&i));
        let mut out = self.unproposed.clone();
        for (i, c) in self.changes.iter().enumerate() {
            match applied(i) {
                true => out.extend(&c.replaces),
                false => out.extend(&c.packages),
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The closure of the before-state: the targets alone.
    pub fn before_options(&self, base: &ClosureOptions) -> ClosureOptions {
        ClosureOptions {
            check: self.checked(base, false),
            providers_from: self.targets.clone(),
            ..base.clone()
        }
    }

    /// The closure of an after-state: targets and proposed builds, with
    /// [`withdrawn`](Self::withdrawn) set on the pool.
    pub fn after_options(&self, base: &ClosureOptions) -> ClosureOptions {
        ClosureOptions {
            check: self.checked(base, true),
            providers_from: self.targets.iter().chain(&self.adds).cloned().collect(),
            ..base.clone()
        }
    }

    fn checked(&self, base: &ClosureOptions, after: bool) -> Vec<String> {
        let mut check = match base.check.is_empty() {
            true => self.targets.clone(),
            false => base.check.clone(),
        };
        if after {
            check.extend(self.adds.iter().cloned());
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sourcerpm_names() {
        assert_eq!(source_of("foo-1.0-1.el9.src.rpm"), Some(("foo", "foo-1.0-1.el9")));
        assert_eq!(
            source_of("python-foo-bar-2-3.nosrc.rpm"),
            Some(("python-foo-bar", "python-foo-bar-2-3"))
        );
        assert_eq!(source_of("foo.src.rpm"), None);
        assert_eq!(source_of("foo-1.0-1.noarch.rpm"), None);
    }
}
