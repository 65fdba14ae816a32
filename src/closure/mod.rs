//! Repoclosure with `dnf repoclosure`'s rules: which packages are checked,
//! which may provide, and which Requires nothing satisfies.
//!
//! Works on a finished [`Pool`]. File requires that primary's short file
//! lists cannot answer are returned as [`Outcome::NeedFilelists`]; whoever
//! owns the repositories loads filelists for exactly those paths and asks
//! again. This module knows nothing of output formats.
//!
//! [`select`](mod@select) decides what one closure checks and what may provide (a
//! [`Selection`]); `judge` decides whether one Requires is satisfied on it;
//! this file runs the checks (in parallel, resumable after filelists) and
//! orders the problems as dnf prints them.

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::core::dep::{self, Dep, DepKind};
use crate::core::evr::Op;
use crate::core::ids::{PkgId, StrId};
use crate::pool::{NameKind, Pool};

mod judge;
pub mod nearest;
pub mod select;

use judge::{Judge, MEMO_CAPACITY, Verdict};
pub use nearest::{Candidate, nearest_candidates};
pub use select::selection;

/// How rich (boolean) dependencies are judged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum RichMode {
    /// As dnf repoclosure (libsolv's whatprovides): `and`/`or`/`if`/`unless`
    /// are the union of their branches' providers (conditions ignored, `else`
    /// counts), `with` the intersection, `without` the difference.
    #[default]
    Dnf,
    /// Boolean logic as dnf5 5.4 evaluates it, every available package
    /// counting as installed; the report says which part fails.
    Strict,
}

/// What to check and against what, as `dnf repoclosure`'s options.
#[derive(Clone, Debug, Default)]
pub struct ClosureOptions {
    /// Repositories whose packages are checked (`--check`); empty = all.
    pub check: Vec<String>,
    /// Only check packages of these architectures (`--arch`, exact match).
    pub arches: Vec<String>,
    /// Only the newest packages of each repository (`--newest`).
    pub newest: bool,
    /// Only the newest of each name.arch across all repositories provide (`--best`).
    pub best: bool,
    /// Only check these packages (`--pkg`: a name, a glob, or a NEVRA).
    pub pkgs: Vec<String>,
    /// The machine's architecture; decides which packages can provide.
    pub basearch: String,
    /// How rich dependencies are judged.
    pub rich: RichMode,
    /// Never read filelists: file requires that primary's file lists cannot
    /// answer are unresolved. This is what dnf reports for a repository
    /// whose repomd.xml has no filelists entry.
    pub no_filelists: bool,
    /// Only packages of these repositories exist for this closure (neither
    /// checked nor providing), as if only they were enabled; empty = all.
    /// Lets many closures share one pool (matrix cells).
    pub providers_from: Vec<String>,
    /// Name the nearest candidates of each unresolved Requires
    /// ([`Problem::nearest`]): for reports that show them (JSON, matrix
    /// runs); dnf's text format never does, so it is not asked there.
    pub nearest: bool,
}

/// One package with unresolved dependencies.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// The package's NEVRA (epoch shown when not zero).
    pub nevra: String,
    /// Its name (stable across versions; JUnit test names use it).
    pub name: String,
    /// Its architecture.
    pub arch: String,
    /// The repository it came from.
    pub repo: String,
    /// The unresolved dependencies, sorted, as libsolv prints them.
    pub unresolved: Vec<String>,
    /// For `--rich=strict`, which part of each failing rich dependency failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<String>,
    /// For each unresolved dependency that the enabled repositories have in
    /// another version: `wanted DEP; REPO has NEVRA (PROVIDES)`, the nearest
    /// in rpm order first ([`nearest_candidates`]). Never in dnf's text format.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nearest: Vec<String>,
}

/// How many other versions a [`Problem::nearest`] hint names at most.
const NEAREST: usize = 3;

/// The [`Problem::nearest`] hints for `unresolved`.
fn nearest_hints(pool: &Pool, available: &[bool], unresolved: &[String]) -> Vec<String> {
    unresolved
        .iter()
        .filter_map(|dep| {
            let found = nearest_candidates(pool, available, dep, NEAREST);
            (!found.is_empty()).then(|| {
                let has: Vec<String> = found
                    .iter()
                    .map(|c| format!("{} has {} ({})", c.repo, c.nevra, c.provides))
                    .collect();
                format!("wanted {dep}; {}", has.join(", "))
            })
        })
        .collect()
}

/// The findings of a closure run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClosureResult {
    /// Packages checked.
    pub checked: usize,
    /// Packages that could provide.
    pub providers: usize,
    /// Every package that was checked (for JUnit's passing cases), as ids
    /// into the pool the closure ran on: most runs never name them, so no
    /// strings are made for them here.
    #[serde(skip)]
    pub checked_packages: Vec<PkgId>,
    /// Packages with unresolved dependencies, sorted as dnf sorts them.
    pub problems: Vec<Problem>,
}

impl ClosureResult {
    /// Total unresolved dependencies across packages.
    pub fn unresolved_count(&self) -> usize {
        self.problems.iter().map(|p| p.unresolved.len()).sum()
    }
}

/// Either the answer, or the file paths whose owners must first be looked up
/// in filelists.
#[derive(Debug)]
pub enum Outcome {
    /// The findings.
    Done(ClosureResult),
    /// Some required paths are not provided by anything primary lists, and
    /// the filelists of some repositories that could provide them have not
    /// been consulted for them yet.
    NeedFilelists(FilelistsRequest),
}

/// Which filelists a closure needs read before it can answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilelistsRequest {
    /// The required paths, sorted by their text.
    pub paths: Vec<StrId>,
    /// The repositories (indexes into [`Pool::repos`]) whose packages can
    /// provide in this closure ([`ClosureOptions::providers_from`], all when
    /// empty), in pool order. Only their filelists matter; for each, only the
    /// paths it has not been scanned for yet
    /// ([`Pool::filelists_scanned`]) need reading.
    pub repos: Vec<u32>,
}

/// Errors in what the user asked for.
#[derive(Debug, thiserror::Error)]
pub enum ClosureError {
    /// `--check` names a repository that is not loaded.
    #[error("--check {0}: no such repository (loaded: {1})")]
    UnknownRepo(String, String),
    /// `--pkg` matched nothing.
    #[error("no package matched: {0}")]
    NoPackageMatched(String),
    /// A rich dependency in the metadata is malformed.
    #[error("package {package} from {repo}: {source}")]
    MalformedRich {
        /// The package's NEVRA.
        package: String,
        /// Its repository.
        repo: String,
        /// The parse error.
        source: dep::RichParseError,
    },
    /// A bad glob in `--pkg`.
    #[error("--pkg {0}: {1}")]
    BadPattern(String, String),
}

/// Runs the closure.
pub fn check(pool: &Pool, opts: &ClosureOptions) -> Result<Outcome, ClosureError> {
    check_selected(pool, opts, &mut selection(pool, opts)?)
}

/// The packages one closure checks and those that may provide, decided once:
/// a closure that needed filelists resumes with it instead of deciding
/// again and asking its path requires again (1–2 ms for CentOS Stream 9).
pub struct Selection {
    to_check: Vec<PkgId>,
    available: Vec<bool>,
    repos: Vec<u32>,
    /// The plain path requires were asked, and those primary could not
    /// answer were returned in a [`FilelistsRequest`].
    paths_asked: bool,
    /// The packages still to check (in the order of `to_check`); `None`
    /// before any was checked.
    pending: Option<Vec<PkgId>>,
    /// The problems of the packages checked and settled so far, in dnf's
    /// order of packages ([`package_order`]): reported as they are.
    settled: Vec<(PkgId, Problem)>,
}

impl Selection {
    /// The packages this closure checks, in pool order.
    pub fn checked(&self) -> &[PkgId] {
        &self.to_check
    }

    /// Per package of the pool: whether it may provide (and be installed).
    pub fn available(&self) -> &[bool] {
        &self.available
    }

    /// The enabled repositories (indexes into [`Pool::repos`]).
    pub fn repos(&self) -> &[u32] {
        &self.repos
    }
}

/// Runs `beside` (the reading of [`Outcome::NeedFilelists`]'s files) on a
/// thread of its own while this one checks the packages of `selection`
/// still pending against what the pool knows now; once `beside` is done,
/// its thread helps check. The verdict on every package settled is kept;
/// a package with a require that waits on filelists not yet read stays
/// pending, for the [`check_selected`] that follows.
pub fn check_ahead<R: Send>(
    pool: &Pool,
    opts: &ClosureOptions,
    selection: &mut Selection,
    beside: impl FnOnce() -> R + Send,
) -> (R, Result<(), ClosureError>) {
    let mut out = None;
    let checked = check_pending(pool, opts, selection, Some(Box::new(|| out = Some(beside()))));
    match out {
        Some(r) => (r, checked.map(|_| ())),
        // check_in_parallel always runs `beside` (or re-raises its panic).
        None => unreachable!("check_in_parallel returned without running its `beside`"),
    }
}

/// Checks the pending packages (all, the first time) in parallel, `beside`
/// done first by the helper thread. The problems of the packages settled
/// join `selection.settled`; the others stay pending. Returns the paths
/// whose filelists the others wait on.
fn check_pending(
    pool: &Pool,
    opts: &ClosureOptions,
    selection: &mut Selection,
    beside: Option<Beside<'_>>,
) -> Result<FxHashSet<StrId>, ClosureError> {
    let sel = &*selection;
    let pkgs = sel.pending.as_deref().unwrap_or(&sel.to_check);
    let parts = check_in_parallel(pkgs, || sel.judge(pool, opts, MEMO_CAPACITY), beside);
    let mut need_files: FxHashSet<StrId> = FxHashSet::default();
    let mut waiting = Vec::new();
    let mut failed = Vec::new();
    for part in parts {
        let part = part?;
        need_files.extend(part.need_files);
        waiting.extend(part.waiting);
        failed.extend(part.failed);
    }
    selection.pending = Some(waiting);
    let available = &selection.available;
    let settled = &mut selection.settled;
    // Settled problems are final: they are put in report form and order
    // now, while filelists may still be read on the other CPU. Packages
    // dnf's order ties (the same NEVRA in the same repository) stay in pool
    // order, whichever pass settled them.
    let order = |a: PkgId, b: PkgId| package_order(pool, a, b).then(a.cmp(&b));
    let mut problems = problems_of(pool, failed);
    problems.sort_by(|a, b| order(a.0, b.0));
    let problems = problems.into_iter().map(|(pkg, unresolved, explanations)| {
        let p = &pool.packages[pkg as usize];
        let problem = Problem {
            nevra: pool.nevra(pkg),
            name: pool.str(p.name).to_owned(),
            arch: pool.str(p.arch).to_owned(),
            repo: pool.repo_name(pkg).to_owned(),
            nearest: if opts.nearest {
                nearest_hints(pool, available, &unresolved)
            } else {
                Vec::new()
            },
            unresolved,
            explanations,
        };
        (pkg, problem)
    });
    let merge = !settled.is_empty();
    settled.extend(problems);
    if merge {
        // Two sorted runs: the stable sort merges them in one pass.
        settled.sort_by(|a, b| order(a.0, b.0));
    }
    Ok(need_files)
}

/// Runs the closure on a [`selection`]. After [`Outcome::NeedFilelists`],
/// call it again with the same selection once the filelists the request
/// names were scanned for all its paths: the paths primary answered stay
/// answered, so they are not asked again. [`Outcome::Done`] takes the
/// packages checked out of the selection: it is spent.
pub fn check_selected(pool: &Pool, opts: &ClosureOptions, selection: &mut Selection) -> Result<Outcome, ClosureError> {
    // File requires first: if any needs filelists, say so before checking
    // anything, so that the files can be read while the rest is checked
    // ([`check_ahead`]).
    if !opts.no_filelists && !selection.paths_asked {
        selection.paths_asked = true;
        // Only `has_provider` is asked here: no memo to fill.
        let judge = selection.judge(pool, opts, 0);
        let mut need: Vec<StrId> = Vec::new();
        // Most path requires (/bin/sh, /usr/bin/python3...) repeat across
        // thousands of packages: each is asked once.
        let mut asked: FxHashSet<(StrId, Option<Op>, u32)> = FxHashSet::default();
        for &pkg in &selection.to_check {
            for d in pool.deps_of(pkg, DepKind::Requires) {
                if pool.name_kind(d.name) == NameKind::Path
                    && asked.insert((d.name, d.op, d.evr))
                    && !need.contains(&d.name)
                    && !judge.filelists_scanned(d.name)
                    && !judge.has_provider(d.name, d.op, d.evr)
                {
                    need.push(d.name);
                }
            }
        }
        if !need.is_empty() {
            need.sort_by(|a, b| pool.str(*a).cmp(pool.str(*b)));
            return Ok(Outcome::NeedFilelists(FilelistsRequest {
                paths: need,
                repos: selection.repos.clone(),
            }));
        }
    }

    let need_files = check_pending(pool, opts, selection, None)?;
    if !need_files.is_empty() {
        let mut v: Vec<StrId> = need_files.into_iter().collect();
        v.sort_by(|a, b| pool.str(*a).cmp(pool.str(*b)));
        return Ok(Outcome::NeedFilelists(FilelistsRequest {
            paths: v,
            repos: selection.repos.clone(),
        }));
    }
    let Selection {
        to_check,
        available,
        settled,
        ..
    } = selection;
    let providers = available.iter().filter(|a| **a).count();
    Ok(Outcome::Done(ClosureResult {
        checked: to_check.len(),
        providers,
        // Every package handed to the checking threads is checked, in order.
        checked_packages: std::mem::take(to_check),
        problems: std::mem::take(settled)
            .into_iter()
            .map(|(_, problem)| problem)
            .collect(),
    }))
}

/// The unresolved requires of each package, as dnf prints them, sorted and
/// without repeats (a require listed twice, `Requires(pre): x` and
/// `Requires: x`, is one to dnf), with the explanations of `--rich strict`.
/// `failed` holds each package's failures together, in order.
fn problems_of(pool: &Pool, failed: Vec<Failure>) -> Vec<(PkgId, Vec<String>, Vec<String>)> {
    let mut problems: Vec<(PkgId, Vec<String>, Vec<String>)> = Vec::new();
    for (pkg, dep, why) in failed {
        if problems.last().is_none_or(|(last, ..)| *last != pkg) {
            problems.push((pkg, Vec::new(), Vec::new()));
        }
        if let Some((_, unresolved, explanations)) = problems.last_mut() {
            unresolved.push(pool.dep_text(&dep));
            explanations.extend(why);
        }
    }
    for (_, unresolved, explanations) in &mut problems {
        unresolved.sort();
        unresolved.dedup();
        explanations.sort();
        explanations.dedup();
    }
    problems
}

/// Packages per unit of work handed to a checking thread.
const CHECK_CHUNK: usize = 256;

/// Checks `to_check` on every CPU, in chunks taken in turn; results in the
/// order of `to_check`. Each thread keeps one judge, so its memo outlives
/// the chunks it takes: most requires (libc, python3, ...) are answered
/// once per thread.
///
/// Called from outside rayon (one closure), the threads are this one and
/// freshly spawned ones, not rayon's sleeping workers: a worker woken by
/// this thread is queued on this thread's CPU, and on the 2-vCPU VM of
/// BENCHMARKS.md the two workers then took turns on one CPU for the whole
/// pass (7-8 ms, as fast as one thread) while the other CPU idled. A new
/// thread is placed on the idlest CPU, and this one keeps working. Inside a
/// rayon job (a matrix checks its cells in parallel) rayon's workers are
/// busy with the other cells, so the chunks go to rayon too.
///
/// `beside` is work for the helper thread to do before it joins in (the
/// reading of filelists, [`check_ahead`]): this thread checks alone until
/// then, and the two CPUs stay busy until the end whichever takes longer.
fn check_in_parallel<'p>(
    to_check: &[PkgId],
    new_judge: impl Fn() -> Judge<'p> + Sync,
    beside: Option<Beside<'_>>,
) -> Vec<Result<Checked, ClosureError>> {
    if beside.is_none() && rayon::current_thread_index().is_some() {
        return to_check
            .par_chunks(CHECK_CHUNK)
            .map_init(&new_judge, |judge, chunk| check_packages(judge, chunk))
            .collect();
    }
    let chunks: Vec<&[PkgId]> = to_check.chunks(CHECK_CHUNK).collect();
    let threads = rayon::current_num_threads().clamp(1, chunks.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut judge = new_judge();
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(chunk) = chunks.get(i) else {
                return done;
            };
            done.push((i, check_packages(&mut judge, chunk)));
        }
    };
    type Work<'w, T> = Box<dyn FnOnce() -> T + Send + 'w>;
    let slots: Vec<std::sync::Mutex<Option<Work<'_, _>>>> = (1..threads.max(2)).map(|_| Default::default()).collect();
    let mut parts = std::thread::scope(|scope| {
        let mut helpers = Vec::new();
        let mut slots = slots.iter();
        if let Some(job) = beside
            && let Some(slot) = slots.next()
        {
            let work = &work;
            let both: Work<'_, _> = Box::new(move || {
                job();
                work()
            });
            helpers.push(crate::threads::spawn_or_defer(scope, slot, both));
        }
        while helpers.len() + 1 < threads
            && let Some(slot) = slots.next()
        {
            helpers.push(crate::threads::spawn_or_defer(
                scope,
                slot,
                Box::new(work) as Work<'_, _>,
            ));
        }
        let mut parts = work();
        for helper in helpers {
            match helper.join() {
                Ok(more) => parts.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        parts
    });
    parts.sort_unstable_by_key(|&(i, _)| i);
    parts.into_iter().map(|(_, part)| part).collect()
}

/// Work a checking helper thread does first (see [`check_in_parallel`]).
type Beside<'b> = Box<dyn FnOnce() + Send + 'b>;

/// An unresolved require: the package, the require, and why (`--rich strict`).
type Failure = (PkgId, Dep, Option<String>);

/// What one thread found in its share of the packages. Strings are made
/// only once all threads are done: formatting thousands of unresolved
/// requires on the workers made them wait on malloc's locks in turn when
/// they shared one arena (`limit_malloc_arenas` in main.rs).
struct Checked {
    /// The unresolved requires of the packages settled, grouped by package.
    failed: Vec<Failure>,
    /// The packages with a require that waits on unread filelists.
    waiting: Vec<PkgId>,
    /// The paths they wait on.
    need_files: FxHashSet<StrId>,
}

fn check_packages(judge: &mut Judge<'_>, pkgs: &[PkgId]) -> Result<Checked, ClosureError> {
    let pool = judge.pool;
    let mut out = Checked {
        failed: Vec::new(),
        waiting: Vec::new(),
        need_files: FxHashSet::default(),
    };
    for &pkg in pkgs {
        let failed_before = out.failed.len();
        let mut waits = false;
        for d in pool.deps_of(pkg, DepKind::Requires) {
            if pool.name_kind(d.name) == NameKind::Ignored {
                continue;
            }
            // A require listed twice is judged twice, the second time from
            // the memo; `problems_of` reports it once.
            match judge.satisfied(d).map_err(|source| ClosureError::MalformedRich {
                package: pool.nevra(pkg),
                repo: pool.repo_name(pkg).to_owned(),
                source,
            })? {
                Verdict::Yes => {}
                Verdict::NeedFiles(paths) => {
                    waits = true;
                    out.need_files.extend(paths);
                }
                Verdict::No(why) => out.failed.push((pkg, *d, why)),
            }
        }
        // A package is settled whole or not at all: checked again once
        // its filelists are read, it is reported from that check alone.
        if waits {
            out.failed.truncate(failed_before);
            out.waiting.push(pkg);
        }
    }
    Ok(out)
}

/// dnf's order of packages: name, then EVR, then arch, then the order the
/// repositories were given in.
pub fn package_order(pool: &Pool, a: PkgId, b: PkgId) -> std::cmp::Ordering {
    let pa = &pool.packages[a as usize];
    let pb = &pool.packages[b as usize];
    pool.str(pa.name)
        .cmp(pool.str(pb.name))
        .then_with(|| pool.evr_cmp(pa.evr, pb.evr))
        .then_with(|| pool.str(pa.arch).cmp(pool.str(pb.arch)))
        .then_with(|| pa.repo.cmp(&pb.repo))
}
