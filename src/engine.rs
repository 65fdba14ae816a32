//! Runs a closure end to end: open each LOCATION, load the repositories in
//! parallel, build one pool, run the closure, and load filelists only if a
//! file dependency is still unresolved.
//!
//! This is the only place that walks the stages in order (fetch → repodata
//! → pool → closure); each stage below stays ignorant of the others.

use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::closure::{self, ClosureOptions, ClosureResult, FilelistsRequest, Outcome};
use crate::core::ids::StrId;
use crate::core::ms_since;
use crate::fetch::{self, RepoSpec, Source};
use crate::pool::{Pool, SharedInterner};
use crate::repodata::{self, FilelistsError, LoadOptions, RepoData};

/// Anything that stops a run before it has findings; the CLI exits 2.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A repository could not be loaded.
    #[error(transparent)]
    Load(#[from] repodata::LoadError),
    /// A LOCATION is unusable.
    #[error("repo '{repo}': {source}")]
    Location {
        /// The repository.
        repo: String,
        /// What is wrong.
        source: fetch::FetchError,
    },
    /// The closure options are wrong.
    #[error(transparent)]
    Closure(#[from] closure::ClosureError),
    /// Two repositories share a name, or a filter is bad.
    #[error("{0}")]
    Invalid(String),
}

/// Time spent in each stage.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    /// Loading (reading, verifying, decompressing, parsing) all repositories, wall clock.
    pub load_ms: f64,
    /// Building the pool and its indexes.
    pub pool_ms: f64,
    /// Scanning filelists on demand; in a closure, with the checking of
    /// the packages that do not wait on them, which runs beside the scan.
    pub filelists_ms: f64,
    /// The closure itself (the rest of it, when filelists were scanned).
    pub closure_ms: f64,
}

/// What was loaded, for reports (a matrix's [`RepoReport`](crate::matrix::RepoReport)
/// holds one too, also for a repository that failed to load).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LoadedRepo {
    /// Name.
    pub name: String,
    /// Location.
    pub location: String,
    /// repomd.xml revision.
    pub revision: Option<String>,
    /// sha256 of repomd.xml (`None` when it could not be read).
    pub repomd_sha256: Option<String>,
    /// Packages in primary.xml.
    pub packages: usize,
    /// Whether filelists had to be read.
    pub filelists_loaded: bool,
}

impl LoadedRepo {
    /// A repository that could not be loaded: its name and location only.
    pub fn unloaded(name: &str, location: &str) -> LoadedRepo {
        LoadedRepo {
            name: name.to_owned(),
            location: location.to_owned(),
            revision: None,
            repomd_sha256: None,
            packages: 0,
            filelists_loaded: false,
        }
    }
}

/// Loaded repositories in one pool, ready for any number of closures.
pub struct Loaded {
    /// The pool.
    pub pool: Pool,
    /// The parsed repositories (kept for on-demand filelists).
    pub repos: Vec<RepoData>,
    /// Load timings.
    pub timings: Timings,
    /// Per repository: whether its filelists were read successfully.
    filelists_loaded: Vec<bool>,
    /// Per repository: why its filelists could not be read (never retried).
    filelists_failed: Vec<Option<FilelistsError>>,
}

/// The filelists of one repository to read, for these paths (see
/// [`Loaded::filelists_scans`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilelistsScan {
    /// The repository, an index into [`Loaded::repos`] and the pool's repos.
    pub repo: u32,
    /// The paths to look for, in the order they were asked.
    pub paths: Vec<StrId>,
}

/// Everything that governs loading: how to fetch, how to read.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Reading and decompressing metadata.
    pub load: LoadOptions,
    /// Downloading and caching remote repositories.
    pub fetch: fetch::FetchOptions,
}

/// Opens and loads the repositories in parallel and builds the pool.
pub fn load(specs: &[RepoSpec], options: &Options) -> Result<Loaded, EngineError> {
    let (loaded, mut failed) = load_partial(specs, options)?;
    match failed.is_empty() {
        true => Ok(loaded),
        false => Err(failed.swap_remove(0).1),
    }
}

/// As [`load`], but a repository that cannot be loaded does not stop the
/// others: the pool holds the repositories that loaded, and the failures
/// come back as (repo name, error), in the order of `specs`. Used by matrix
/// runs, where a broken repository is an infrastructure error of the cells
/// using it only.
pub fn load_partial(
    specs: &[RepoSpec],
    options: &Options,
) -> Result<(Loaded, Vec<(String, EngineError)>), EngineError> {
    crate::core::arch::check_basearch(&options.fetch.basearch).map_err(|e| EngineError::Invalid(e.to_string()))?;
    let mut names = std::collections::BTreeSet::new();
    for s in specs {
        if !names.insert(&s.name) {
            return Err(EngineError::Invalid(format!("repo name '{}' is given twice", s.name)));
        }
    }
    let started = Instant::now();
    let strings = SharedInterner::new();
    let session = fetch::Session::new(options.fetch.clone());
    let loaded: Vec<Result<RepoData, EngineError>> =
        specs
            .par_iter()
            .map(|spec| {
                let source: Arc<dyn Source> = Arc::from(session.open(&spec.name, &spec.location).map_err(
                    |source| EngineError::Location {
                        repo: spec.name.clone(),
                        source,
                    },
                )?);
                let data = repodata::load(&spec.name, source.clone(), &options.load, &strings);
                source.done();
                Ok(data?)
            })
            .collect();
    let mut repos = Vec::new();
    let mut kept = Vec::new();
    let mut failed = Vec::new();
    for (spec, r) in specs.iter().zip(loaded) {
        match r {
            Ok(data) => {
                repos.push(data);
                kept.push(spec);
            }
            Err(e) => failed.push((spec.name.clone(), e)),
        }
    }
    let load_ms = ms_since(started);
    return_freed_pages();

    let started = Instant::now();
    let mut pool = Pool::with_strings(strings.freeze());
    for (spec, data) in kept.iter().zip(repos.iter_mut()) {
        if let Err(e) = pool.add_repo(data, &spec.filter, spec.module_hotfixes) {
            return Err(EngineError::Invalid(format!("repo '{}': {e}", spec.name)));
        }
    }
    pool.finish();
    let pool_ms = ms_since(started);
    return_freed_pages();
    let n = repos.len();
    Ok((
        Loaded {
            pool,
            repos,
            timings: Timings {
                load_ms,
                pool_ms,
                ..Timings::default()
            },
            filelists_loaded: vec![false; n],
            filelists_failed: vec![None; n],
        },
        failed,
    ))
}

impl Loaded {
    /// Runs one closure, reading filelists only if some file dependency
    /// needs them, and then only those of the repositories that can provide
    /// in this closure.
    pub fn closure(&mut self, opts: &ClosureOptions) -> Result<(ClosureResult, Timings), EngineError> {
        let mut timings = self.timings.clone();
        let started = Instant::now();
        let mut selection = closure::selection(&self.pool, opts)?;
        let mut closure_ms = ms_since(started);
        loop {
            let started = Instant::now();
            let outcome = closure::check_selected(&self.pool, opts, &mut selection)?;
            closure_ms += ms_since(started);
            match outcome {
                Outcome::Done(result) => {
                    timings.closure_ms = closure_ms;
                    return Ok((result, timings));
                }
                Outcome::NeedFilelists(request) => {
                    let started = Instant::now();
                    let scans = self.filelists_scans(std::slice::from_ref(&request));
                    if scans.is_empty() {
                        return Err(EngineError::Invalid(
                            "filelists did not settle the file dependencies".to_owned(),
                        ));
                    }
                    // The files are read on a thread of their own while the
                    // packages that do not wait on them are checked. That
                    // thread reads them itself: a rayon worker it woke would
                    // be queued on the CPU of the thread that woke it, and on
                    // a 2-vCPU VM took turns with the checking thread there
                    // while the other CPU idled.
                    let this = &*self;
                    let (read, ahead) =
                        closure::check_ahead(&this.pool, opts, &mut selection, || this.read_filelists(&scans, false));
                    if let Some((repo, e)) = self.record_filelists(&scans, read).into_iter().next() {
                        let why = self.first_unscanned(repo, &request.paths).unwrap_or_default();
                        return Err(EngineError::Load(e.needed_by(&why)));
                    }
                    ahead?;
                    timings.filelists_ms += ms_since(started);
                }
            }
        }
    }

    /// Runs an installability check ([`crate::installcheck`]) on the
    /// selection `opts` describes: first reads the filelists of the enabled
    /// repositories for every path the rules ask about (as libsolv's
    /// `addfileprovides` knows all owners), unless `opts.no_filelists`.
    /// The check's own time is `closure_ms` of the timings.
    pub fn installcheck(
        &mut self,
        opts: &ClosureOptions,
    ) -> Result<(crate::installcheck::InstallcheckResult, Timings), EngineError> {
        let mut timings = self.timings.clone();
        let selection = closure::selection(&self.pool, opts)?;
        if !opts.no_filelists {
            let started = Instant::now();
            let request = FilelistsRequest {
                paths: crate::installcheck::paths_needed(&self.pool, selection.available()),
                repos: selection.repos().to_vec(),
            };
            let scans = self.filelists_scans(std::slice::from_ref(&request));
            if let Some((repo, e)) = self.scan_filelists(&scans).into_iter().next() {
                let why = self.first_unscanned(repo, &request.paths).unwrap_or_default();
                return Err(EngineError::Load(e.needed_by(&why)));
            }
            timings.filelists_ms = ms_since(started);
        }
        let started = Instant::now();
        let result =
            crate::installcheck::check_selection(&self.pool, &selection, &opts.basearch).map_err(|e| match e {
                crate::installcheck::InstallcheckError::Selection(e) => EngineError::Closure(e),
                other => EngineError::Invalid(other.to_string()),
            })?;
        timings.closure_ms = ms_since(started);
        Ok((result, timings))
    }

    /// What must be read to answer these requests: per repository one of
    /// them names (in pool order), the paths they ask for that its filelists
    /// were not scanned for yet. Repositories with nothing new are left out.
    /// Callers running many closures on one pool pass all their requests at
    /// once, so that each filelists file is read once.
    pub fn filelists_scans(&self, requests: &[FilelistsRequest]) -> Vec<FilelistsScan> {
        let mut per_repo: Vec<Vec<StrId>> = vec![Vec::new(); self.repos.len()];
        for request in requests {
            for &repo in &request.repos {
                let Some(paths) = per_repo.get_mut(repo as usize) else {
                    continue;
                };
                for &p in &request.paths {
                    if !self.pool.filelists_scanned(repo, p) && !paths.contains(&p) {
                        paths.push(p);
                    }
                }
            }
        }
        per_repo
            .into_iter()
            .enumerate()
            .filter(|(_, paths)| !paths.is_empty())
            .map(|(repo, paths)| FilelistsScan {
                repo: repo as u32,
                paths,
            })
            .collect()
    }

    /// Reads the filelists of each scan's repository (in parallel) for
    /// exactly its paths and records the owners found. A repository whose
    /// filelists cannot be read does not stop the others: its error comes
    /// back (in the order of `scans`), is remembered, and is returned again
    /// without a new attempt if it is asked for again.
    pub fn scan_filelists(&mut self, scans: &[FilelistsScan]) -> Vec<(u32, FilelistsError)> {
        let read = self.read_filelists(scans, true);
        self.record_filelists(scans, read)
    }

    /// The owners each scan's filelists name for its paths (pkgid, path),
    /// read in parallel on rayon's workers, or one file after another on
    /// this thread; the pool is not changed until
    /// [`record_filelists`](Self::record_filelists).
    fn read_filelists(
        &self,
        scans: &[FilelistsScan],
        parallel: bool,
    ) -> Vec<Result<Vec<(String, String)>, FilelistsError>> {
        let read = |scan: &FilelistsScan| {
            let i = scan.repo as usize;
            if let Some(e) = self.filelists_failed.get(i).cloned().flatten() {
                return Err(e);
            }
            let Some(repo) = self.repos.get(i) else {
                return Ok(Vec::new());
            };
            let wanted: Vec<&str> = scan.paths.iter().map(|&p| self.pool.str(p)).collect();
            let found = repo.scan_filelists(&wanted);
            repo.source().done();
            found
        };
        match parallel {
            true => scans.par_iter().map(read).collect(),
            false => scans.iter().map(read).collect(),
        }
    }

    /// Records what [`read_filelists`](Self::read_filelists) read for
    /// `scans`; returns the errors, remembered for the next time.
    fn record_filelists(
        &mut self,
        scans: &[FilelistsScan],
        results: Vec<Result<Vec<(String, String)>, FilelistsError>>,
    ) -> Vec<(u32, FilelistsError)> {
        let mut failed = Vec::new();
        for (scan, result) in scans.iter().zip(results) {
            let i = scan.repo as usize;
            match result {
                Ok(found) => {
                    self.pool.add_file_owners(scan.repo, &found, &scan.paths);
                    if let Some(flag) = self.filelists_loaded.get_mut(i) {
                        *flag = true;
                    }
                }
                Err(e) => {
                    if let Some(slot) = self.filelists_failed.get_mut(i) {
                        *slot = Some(e.clone());
                    }
                    failed.push((scan.repo, e));
                }
            }
        }
        failed
    }

    /// The first of `paths` the filelists of `repo` were not scanned for:
    /// the dependency to name when they cannot be read. `None` when all were.
    pub fn first_unscanned(&self, repo: u32, paths: &[StrId]) -> Option<String> {
        paths
            .iter()
            .find(|&&p| !self.pool.filelists_scanned(repo, p))
            .map(|&p| self.pool.str(p).to_owned())
    }

    /// What was loaded, for reports.
    pub fn loaded_repos(&self) -> Vec<LoadedRepo> {
        self.repos
            .iter()
            .enumerate()
            .map(|(i, r)| LoadedRepo {
                name: r.name.clone(),
                location: r.location.clone(),
                revision: r.repomd.revision.clone(),
                repomd_sha256: Some(r.repomd_sha256.clone()),
                packages: r.package_count(),
                filelists_loaded: self.filelists_loaded[i],
            })
            .collect()
    }
}

/// Gives back to the system the free pages inside malloc's heap, between
/// stages. What a stage frees (chunk buffers, parser caches, the parsed
/// batches once the pool holds them) leaves holes that the next stage's
/// differently sized arrays do not fill; the holes stayed resident, and the
/// peak RSS of the CS9 closure was 40–42 MB where the live data is ≈ 30 MB.
/// Trimming after loading and after the pool build brings it to 35–36 MB for
/// ≈ 3 ms (BENCHMARKS.md, "Memory").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_pages() {
    // SAFETY: malloc_trim takes no pointer and touches only memory malloc
    // itself holds as free; glibc allows it from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_pages() {}
