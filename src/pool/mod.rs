//! One pool for all loaded repositories, after libsolv's design: every string
//! and every EVR interned once as a `u32`, packages in one `Vec` addressed by
//! index, each repository a range of it, dependencies as small `Copy` structs
//! (kept in the arrays the parser threads filled, one per chunk of
//! primary.xml), and the providers index (a counting sort over the dense name
//! ids, as libsolv's whatprovides) and file index built once.
//!
//! The pool also applies what hides packages before anyone looks at them:
//! includepkgs/excludepkgs and modular filtering. It knows nothing of where
//! the bytes came from or of reports.
//!
//! This file holds the pool, its packages and repositories and the
//! counting-sort index both lookups share; `whatprovides` the providers
//! index and name kinds, `files` the file index (primary's files and
//! filelists scans), `modular` modular filtering, `intern` the interners.

use std::ops::Range;

use rustc_hash::{FxHashMap, FxHashSet};

mod files;
mod intern;
mod modular;
mod whatprovides;

use files::paths_inside;
pub use intern::{EvrParts, Interner, SharedInterner};
use modular::StreamGroup;

use crate::core::dep::{Dep, DepKind, RichDep, RichParseError};
use crate::core::evr::{self, Evr, EvrRef};
use crate::core::ids::{EvrId, NO_EVR, NO_STR, PkgId, StrId};
use crate::fetch::PackageFilter;
use crate::repodata::{ModuleIndex, RepoData};

/// A package of the pool.
#[derive(Clone, Debug)]
pub struct Package {
    /// Name.
    pub name: StrId,
    /// Architecture (`x86_64`, `noarch`, `src`...).
    pub arch: StrId,
    /// Its EVR.
    pub evr: EvrId,
    /// Index into [`Pool::repos`].
    pub repo: u32,
    /// `sourcerpm` file name, or [`NO_STR`] (source packages have none).
    pub sourcerpm: StrId,
    /// Which segment (parsed chunk of primary.xml) holds this package's
    /// dependencies and pkgid (see [`Pool::deps`], [`Pool::pkgid`]).
    pub segment: u32,
    /// The pkgid (checksum) that links filelists entries to it: a range of
    /// its segment's pkgid text.
    pub pkgid: Range<u32>,
    /// Its dependencies: a range of its segment's.
    pub deps: Range<u32>,
    /// Range of [`Pool::files`] (primary's file list).
    pub files: Range<u32>,
    /// Hidden by excludepkgs/includepkgs or by modular filtering: neither
    /// checked nor a provider, as in dnf.
    pub hidden: bool,
}

/// A repository in the pool.
#[derive(Clone, Debug)]
pub struct Repo {
    /// Its name.
    pub name: String,
    /// Its location.
    pub location: String,
    /// repomd.xml `<revision>`.
    pub revision: Option<String>,
    /// sha256 of repomd.xml.
    pub repomd_sha256: String,
    /// Its packages in [`Pool::packages`].
    pub packages: Range<PkgId>,
    /// dnf's `module_hotfixes`: modular filtering does not apply.
    pub module_hotfixes: bool,
}

/// All loaded repositories and their packages.
#[derive(Default)]
pub struct Pool {
    /// The interned strings.
    pub strings: Interner,
    /// All packages, repository after repository.
    pub packages: Vec<Package>,
    /// All dependencies.
    ///
    /// Kept in segments, one per parsed chunk of primary.xml, not in one
    /// array: each segment is the array its parser thread filled, taken
    /// over as it is, where one array of all dependencies would be a copy the
    /// size of all records, resident beside them at the peak (BENCHMARKS.md,
    /// "Memory").
    dep_segments: Vec<Vec<Dep>>,
    /// The pkgids of each segment's packages, back to back (taken over from
    /// the parsers as the dependencies are).
    pkgid_segments: Vec<String>,
    /// File paths from primary.
    pub files: Vec<StrId>,
    /// Repositories in the order they were added.
    pub repos: Vec<Repo>,
    /// All (package, index into its dependency segment or [`SELF_PROVIDE`])
    /// provides, grouped by name.
    provide_list: Vec<(PkgId, u32)>,
    /// name id → where its providers begin in `provide_list` (they end where
    /// the next id's begin).
    provide_start: Vec<u32>,
    /// path id → where its owners among primary's files begin in
    /// `file_list` (as `provide_start`).
    file_start: Vec<u32>,
    /// Owners of primary's file paths, grouped by path.
    file_list: Vec<PkgId>,
    /// name id → what kind of name it is (ids interned after
    /// [`finish`](Self::finish) read as plain).
    name_kinds: Vec<NameKind>,
    /// Every rich dependency name, parsed once by [`finish`](Self::finish)
    /// (libsolv parses dependencies once, at load), or why it cannot be.
    rich_deps: FxHashMap<StrId, Result<RichDep, RichParseError>>,
    /// path → further owners found in filelists, read on demand.
    filelists_owners: FxHashMap<StrId, Vec<PkgId>>,
    /// Per repository (index into `repos`), the paths its filelists were
    /// scanned for: their owners in it are in `file_owners`.
    filelists_paths: Vec<FxHashSet<StrId>>,
    pending_modules: PendingModules,
    /// The module streams of all repositories, merged (empty without
    /// modules.yaml).
    module_streams: Vec<StreamGroup>,
    /// Per package, hidden by includepkgs/excludepkgs alone: what `hidden`
    /// was before modular filtering (empty without modules.yaml).
    filtered_out: Vec<bool>,
    /// Every (package, name) where the package provides the name of a
    /// package some module stream lists: the packages modular filtering
    /// may hide for what they provide (found once, at finish).
    artifact_name_providers: Vec<(PkgId, StrId)>,
    /// Per package, taken out by a proposed change (source replacement,
    /// untagging): neither checked nor a provider until put back. Empty
    /// when nothing is.
    withdrawn: Vec<bool>,
}

/// What a capability name is, as the closure asks of every require: known
/// for every name once, so that no require needs its string read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NameKind {
    /// A plain capability (`libc.so.6()(64bit)`, `python3 >= 3.9`).
    #[default]
    Plain,
    /// A file path (`/usr/bin/sh`): file owners provide it too.
    Path,
    /// A rich dependency (`(a or b)`).
    Rich,
    /// `rpmlib(...)` or `solvable:...`, which repoclosure never checks.
    Ignored,
}

impl NameKind {
    fn of(name: &str) -> NameKind {
        match name.as_bytes().first() {
            Some(b'/') => NameKind::Path,
            Some(b'(') => NameKind::Rich,
            _ if name.starts_with("rpmlib(") || name.starts_with("solvable:") => NameKind::Ignored,
            _ => NameKind::Plain,
        }
    }
}

/// Marks the implicit `name = E:V-R` provide every package has.
pub const SELF_PROVIDE: u32 = u32::MAX;

impl Pool {
    /// An empty pool.
    pub fn new() -> Pool {
        Pool::default()
    }

    /// A pool over strings already interned while parsing.
    pub fn with_strings(strings: Interner) -> Pool {
        Pool {
            strings,
            ..Pool::default()
        }
    }

    /// The parts of an interned EVR.
    pub fn evr_parts(&self, id: EvrId) -> EvrParts {
        self.strings.evr(id)
    }

    /// An EVR as the owned form the comparison functions take.
    pub fn evr(&self, id: EvrId) -> Evr {
        if id == NO_EVR {
            return Evr::default();
        }
        let p = self.strings.evr(id);
        Evr {
            epoch: (p.epoch != NO_STR).then(|| self.strings.get(p.epoch).to_owned()),
            version: self.strings.get(p.version).to_owned(),
            release: (p.release != NO_STR).then(|| self.strings.get(p.release).to_owned()),
        }
    }

    /// A borrowed view of an interned EVR (no allocation).
    pub fn evr_ref(&self, id: EvrId) -> EvrRef<'_> {
        if id == NO_EVR {
            return EvrRef {
                epoch: None,
                version: "",
                release: None,
            };
        }
        let p = self.strings.evr(id);
        EvrRef {
            epoch: (p.epoch != NO_STR).then(|| self.strings.get(p.epoch)),
            version: self.strings.get(p.version),
            release: (p.release != NO_STR).then(|| self.strings.get(p.release)),
        }
    }

    /// The id of an EVR if the pool has it.
    pub fn find_evr(&self, e: &Evr) -> Option<EvrId> {
        let lookup = |s: &Option<String>| match s {
            Some(x) => self.strings.lookup(x),
            None => Some(NO_STR),
        };
        let parts = EvrParts {
            epoch: lookup(&e.epoch)?,
            version: self.strings.lookup(&e.version)?,
            release: lookup(&e.release)?,
        };
        self.strings.lookup_evr(&parts)
    }

    /// Compares two interned EVRs in rpm order.
    pub fn evr_cmp(&self, a: EvrId, b: EvrId) -> std::cmp::Ordering {
        if a == b {
            return std::cmp::Ordering::Equal;
        }
        evr::compare_ref(self.evr_ref(a), self.evr_ref(b))
    }

    /// The string of an id.
    pub fn str(&self, id: StrId) -> &str {
        self.strings.get(id)
    }

    /// Adds a loaded repository's packages, keeping those `filter` lets
    /// through. Takes its parsed records (`data.batches` is left empty) and
    /// its module metadata (`data.modules` too), freeing each batch as soon
    /// as it is copied, so the records and the pool never both hold a whole
    /// repository.
    pub fn add_repo(
        &mut self,
        data: &mut RepoData,
        filter: &PackageFilter,
        module_hotfixes: bool,
    ) -> Result<(), String> {
        let include = globs(&filter.include)?;
        let exclude = globs(&filter.exclude)?;
        let start = self.packages.len() as PkgId;
        let repo_index = self.repos.len() as u32;
        let batches = std::mem::take(&mut data.batches);
        // Without filters no name is matched: two glob matches per package,
        // even against empty sets, were most of this loop's time.
        let filtered = !filter.include.is_empty() || !filter.exclude.is_empty();
        // Exact sizes up front: growing by doubling would copy the largest
        // arrays of the program several times and leave slack behind.
        self.packages.reserve(batches.iter().map(|b| b.packages.len()).sum());
        self.files.reserve(batches.iter().map(|b| b.files.len()).sum());
        for batch in batches {
            let crate::repodata::Batch {
                packages: records,
                deps: dep_records,
                files,
                pkgids,
            } = batch;
            // The chunk's records are already in their final form: the
            // segment is those very arrays, with every record of the chunk,
            // kept or not, so that package ranges stay those of the chunk.
            let segment = self.dep_segments.len() as u32;
            self.dep_segments.push(dep_records);
            self.pkgid_segments.push(pkgids);
            for rec in &records {
                if filtered {
                    let name = self.strings.get(rec.name);
                    let keep = (filter.include.is_empty() || include.is_match(name)) && !exclude.is_match(name);
                    if !keep {
                        continue;
                    }
                }
                let files_start = self.files.len() as u32;
                self.files
                    .extend_from_slice(&files[rec.files.start as usize..rec.files.end as usize]);
                let pkg = Package {
                    name: rec.name,
                    arch: rec.arch,
                    evr: rec.evr,
                    repo: repo_index,
                    sourcerpm: rec.sourcerpm,
                    segment,
                    pkgid: rec.pkgid.clone(),
                    deps: rec.deps.clone(),
                    files: files_start..self.files.len() as u32,
                    hidden: false,
                };
                self.packages.push(pkg);
            }
        }
        self.repos.push(Repo {
            name: data.name.clone(),
            location: data.location.clone(),
            revision: data.repomd.revision.clone(),
            repomd_sha256: data.repomd_sha256.clone(),
            packages: start..self.packages.len() as PkgId,
            module_hotfixes,
        });
        self.filelists_paths.push(FxHashSet::default());
        if let Some(modules) = data.modules.take() {
            self.pending_modules.push((repo_index, modules));
        }
        Ok(())
    }

    /// The dependencies of a package of one kind.
    pub fn deps_of(&self, pkg: PkgId, kind: DepKind) -> impl Iterator<Item = &Dep> {
        self.deps(pkg).iter().filter(move |d| d.kind == kind)
    }

    /// All dependencies of a package, in primary.xml's order.
    pub fn deps(&self, pkg: PkgId) -> &[Dep] {
        let p = &self.packages[pkg as usize];
        self.dep_segments
            .get(p.segment as usize)
            .and_then(|segment| segment.get(p.deps.start as usize..p.deps.end as usize))
            .unwrap_or(&[])
    }

    /// The pkgid of a package (empty for an unknown package).
    pub fn pkgid(&self, pkg: PkgId) -> &str {
        self.packages
            .get(pkg as usize)
            .and_then(|p| {
                self.pkgid_segments
                    .get(p.segment as usize)?
                    .get(p.pkgid.start as usize..p.pkgid.end as usize)
            })
            .unwrap_or("")
    }

    /// `name-[epoch:]version-release.arch`, epoch shown only when not zero (as dnf prints it).
    pub fn nevra(&self, pkg: PkgId) -> String {
        let p = &self.packages[pkg as usize];
        format!("{}-{}.{}", self.str(p.name), self.evr(p.evr), self.str(p.arch))
    }

    /// A dependency as libsolv prints it: `name`, `name OP [E:]V[-R]`, or a
    /// rich dependency in libsolv's spelling (which may differ from the
    /// metadata's).
    pub fn dep_text(&self, d: &Dep) -> String {
        let name = self.str(d.name);
        if let Some(parsed) = self.rich_dep(d.name) {
            return parsed.as_ref().map_or_else(|_| name.to_owned(), |r| r.to_string());
        }
        match d.op {
            Some(op) if d.evr != NO_EVR => format!("{} {} {}", name, op.symbol(), self.evr(d.evr)),
            _ => name.to_owned(),
        }
    }

    /// The repository name of a package.
    pub fn repo_name(&self, pkg: PkgId) -> &str {
        &self.repos[self.packages[pkg as usize].repo as usize].name
    }

    /// Builds the providers and file indexes; call once after the last
    /// [`add_repo`](Self::add_repo).
    pub fn finish(&mut self) {
        // Both indexes are a counting sort over the dense string ids
        // (libsolv's whatprovides has the same shape): counting twice is
        // cheaper than sorting all provides (6-14 ms for CS9) or hashing
        // every path, and a lookup is an array access.
        let bound = self.strings.id_bound() as usize;
        let this = &*self;
        let provides = || group_by_id(bound, |f| this.each_provide(|name, pkg, di| f(name, (pkg, di))));
        let files_and_kinds = || {
            let files = group_by_id(bound, |f| {
                for (i, p) in this.packages.iter().enumerate() {
                    for &path in &this.files[p.files.start as usize..p.files.end as usize] {
                        f(path, i as PkgId);
                    }
                }
            });
            let mut kinds = vec![NameKind::Plain; bound];
            let mut rich_deps = FxHashMap::default();
            this.strings.for_each(|id, name| {
                let kind = NameKind::of(name);
                if kind == NameKind::Rich {
                    rich_deps.insert(id, crate::core::dep::parse_rich(name));
                }
                if let Some(k) = kinds.get_mut(id as usize) {
                    *k = kind;
                }
            });
            (files, kinds, rich_deps)
        };
        // The two halves read the pool and write nothing of it: one runs on
        // a spawned thread (placed on the idlest CPU) while this one does
        // the other.
        let slot = std::sync::Mutex::new(None);
        let ((provide_start, provide_list), ((file_start, file_list), mut kinds, rich_deps)) =
            std::thread::scope(|scope| {
                let other = crate::threads::spawn_or_defer(scope, &slot, files_and_kinds);
                let provides = provides();
                let other = other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (provides, other)
            });
        self.provide_start = provide_start;
        self.provide_list = provide_list;
        self.file_start = file_start;
        self.file_list = file_list;
        // The paths inside rich dependencies (`(foo if /usr/share/bar)`) get
        // ids: the metadata names them only as part of the whole rich text,
        // and the closure asks filelists for a path by its id, as for a
        // plain file require. A new id may fall below the indexes' bound
        // (ids are dense per shard, not overall): its slots there are
        // empty, provided by nothing, but its kind must be set.
        let rich_paths: Vec<String> = rich_deps.values().flatten().flat_map(paths_inside).collect();
        self.rich_deps = rich_deps;
        for path in rich_paths {
            let id = self.strings.intern(&path);
            if let Some(k) = kinds.get_mut(id as usize) {
                *k = NameKind::Path;
            }
        }
        self.name_kinds = kinds;
        // Last: modular filtering asks the providers index who provides the
        // modules' package names (the indexes hold hidden packages too).
        self.apply_modules();
    }

    /// Takes exactly `pkgs` out of every closure from now on (a change's
    /// after-state on the pool its before-state was computed on); an empty
    /// slice puts every package back.
    pub fn set_withdrawn(&mut self, pkgs: &[PkgId]) {
        self.withdrawn.clear();
        if !pkgs.is_empty() {
            self.withdrawn.resize(self.packages.len(), false);
            for &p in pkgs {
                if let Some(w) = self.withdrawn.get_mut(p as usize) {
                    *w = true;
                }
            }
        }
    }

    /// Whether a proposed change took `pkg` out ([`set_withdrawn`](Self::set_withdrawn)).
    pub fn is_withdrawn(&self, pkg: PkgId) -> bool {
        self.withdrawn.get(pkg as usize).copied().unwrap_or(false)
    }
}

/// Groups items by a dense string id with a counting sort. `each(f)` calls
/// `f(id, item)` for every item, in the same order both times it is called.
/// Returns, for every id below `bound`, where its items begin in the list
/// (they end where the next id's begin), and the list, each id's items in
/// the order `each` gave them.
pub(super) fn group_by_id<T: Copy + Default>(
    bound: usize,
    each: impl Fn(&mut dyn FnMut(StrId, T)),
) -> (Vec<u32>, Vec<T>) {
    let mut start = vec![0u32; bound + 2];
    each(&mut |id, _| {
        if let Some(count) = start.get_mut(id as usize + 2) {
            *count += 1;
        }
    });
    for i in 1..start.len() {
        start[i] += start[i - 1];
    }
    // start[id + 1] is now where id's items begin; filling advances it to
    // their end, which leaves start[id] as the beginning.
    let mut list = vec![T::default(); start[bound + 1] as usize];
    each(&mut |id, item| {
        if let Some(at) = start.get_mut(id as usize + 1)
            && let Some(slot) = list.get_mut(*at as usize)
        {
            *slot = item;
            *at += 1;
        }
    });
    start.truncate(bound + 1);
    (start, list)
}

/// The items of `id` in a [`group_by_id`] index (none for an id it has not
/// seen).
pub(super) fn group_of<'a, T>(start: &[u32], list: &'a [T], id: StrId) -> &'a [T] {
    match (start.get(id as usize), start.get(id as usize + 1)) {
        (Some(&begin), Some(&end)) => list.get(begin as usize..end as usize).unwrap_or(&[]),
        _ => &[],
    }
}

fn globs(patterns: &[String]) -> Result<globset::GlobSet, String> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        b.add(globset::Glob::new(p).map_err(|e| format!("bad package glob {p:?}: {e}"))?);
    }
    b.build().map_err(|e| e.to_string())
}

/// Keeps module metadata until [`Pool::finish`] can apply it across all repos.
pub type PendingModules = Vec<(u32, ModuleIndex)>;
