//! Installability: can each checked package be installed, together with
//! everything it pulls in, without a Conflicts, an Obsoletes or two versions
//! of one name getting in the way? The answer libsolv's solver gives (rpm
//! semantics, `POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS` as dnf sets it), one
//! package at a time, and the root cause of each failure.
//!
//! The search, cheapest first:
//!
//! 1. [`rules`]: the clauses over the pool, built once.
//! 2. Propagation: a package one of whose Requires has no provider left
//!    that can be installed cannot be installed; repeated to a fixpoint
//!    (this settles the missing-capability failures, most of them).
//! 3. [`greedy`]: join a growing set of packages installable together
//!    (most packages do, walking only what the set lacks); else one
//!    provider per Requires, retried with the choice behind a clash banned;
//!    a pick that breaks no rule proves every package in it installable.
//!    Spread over rayon's workers, a set each.
//! 4. [`cdcl`]: an exact SAT search for the packages left, on the workers
//!    too; a model proves its packages installable, a refutation kills the
//!    package (and propagation runs again from it), in checked order, so
//!    that the deaths explanations are built on do not depend on the
//!    number of workers.
//!
//! [`explain`] turns a death into a chain down to its root cause.
//!
//! Library API (what `rpmatrix change --mode install` and the matrix call):
//! [`check`] takes a [`Pool`] (filelists already read for the paths
//! [`paths_needed`] names; [`crate::engine::Loaded::installcheck`] does both)
//! and the same [`ClosureOptions`] selection as a closure, and returns an
//! [`InstallcheckResult`]: per uninstallable package its problems and root
//! cause, and the root causes grouped. [`verdicts`] answers for any list of
//! packages on a given set of installable packages, without strings.

pub mod cdcl;
pub mod explain;
pub mod greedy;
pub mod rules;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::closure::{self, ClosureError, ClosureOptions};
use crate::core::dep::DepKind;
use crate::core::ids::{PkgId, StrId};
use crate::core::ms_since;
use crate::pool::{NameKind, Pool};
use explain::{Death, Explainer, ProofStep};
use rules::{Rules, is_neg, pkg_of};

/// What kind of obstacle a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// A step of the chain: a Requires none of whose providers can be installed.
    Requires,
    /// Nothing provides a required capability.
    NothingProvides,
    /// A Conflicts between two packages the installation needs.
    Conflicts,
    /// An Obsoletes of one needed package names another.
    Obsoletes,
    /// Two versions of one name would both be needed.
    SameName,
    /// The package itself cannot be installed on this machine (its arch).
    Arch,
}

/// One obstacle.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// What kind.
    pub kind: ProblemKind,
    /// A sentence.
    pub text: String,
    /// The packages involved (NEVRAs), the one the sentence starts with first.
    pub packages: Vec<String>,
}

/// A package that cannot be installed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Uninstallable {
    /// Its NEVRA (epoch shown when not zero).
    pub nevra: String,
    /// Its name.
    pub name: String,
    /// Its arch.
    pub arch: String,
    /// Its repository.
    pub repo: String,
    /// The chain from it down to the root cause, the root cause last (for
    /// a conflict found by the SAT search: the conflicts its proof used).
    pub problems: Vec<Problem>,
    /// The root cause, shared word for word by every package it sinks.
    pub root_cause: String,
}

/// A root cause and the packages it makes uninstallable.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RootCause {
    /// The cause.
    pub text: String,
    /// How many checked packages it sinks.
    pub count: usize,
    /// Their NEVRAs, sorted.
    pub packages: Vec<String>,
}

/// How the answers were found (for the timings and benchmarks).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SearchStats {
    /// Packages that joined a growing installable set
    /// ([`greedy::Universes`]).
    pub universe: usize,
    /// Greedy picks tried (for the packages that could not join it).
    pub greedy_picks: usize,
    /// Greedy picks that failed (each then searched).
    pub greedy_failed: usize,
    /// SAT searches that found the package installable.
    pub sat_installable: usize,
    /// SAT searches that refuted the package.
    pub sat_refuted: usize,
    /// Packages found uninstallable by propagation alone.
    pub propagated: usize,
}

impl std::ops::AddAssign for SearchStats {
    fn add_assign(&mut self, other: SearchStats) {
        self.universe += other.universe;
        self.greedy_picks += other.greedy_picks;
        self.greedy_failed += other.greedy_failed;
        self.sat_installable += other.sat_installable;
        self.sat_refuted += other.sat_refuted;
        self.propagated += other.propagated;
    }
}

/// The findings of an installability check.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InstallcheckResult {
    /// Packages checked.
    pub checked: usize,
    /// The packages checked, as pool ids (for reports listing passes).
    #[serde(skip)]
    pub checked_packages: Vec<PkgId>,
    /// The uninstallable ones, sorted by name, EVR, arch, repository.
    pub uninstallable: Vec<Uninstallable>,
    /// Root causes, the one sinking most packages first.
    pub root_causes: Vec<RootCause>,
    /// How the answers were found.
    #[serde(skip)]
    pub stats: SearchStats,
    /// How long each phase took.
    #[serde(skip)]
    pub phases: CheckPhases,
}

/// Wall-clock time of the phases of one check, in milliseconds. Any two
/// compare equal: two checks that found the same are equal results however
/// long they took.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckPhases {
    /// Building the rules and their indexes.
    pub rules_ms: f64,
    /// Propagation, greedy picks and SAT searches.
    pub search_ms: f64,
    /// Explaining and grouping the uninstallable packages.
    pub explain_ms: f64,
}

impl PartialEq for CheckPhases {
    fn eq(&self, _: &CheckPhases) -> bool {
        true
    }
}

impl Eq for CheckPhases {}

/// Errors of an installability check.
#[derive(Debug, thiserror::Error)]
pub enum InstallcheckError {
    /// The selection is wrong (as for a closure).
    #[error(transparent)]
    Selection(#[from] ClosureError),
    /// A rich dependency too large to reason about.
    #[error("package {package} from {repo}: rich dependency {dep} is too large to check")]
    TooLarge {
        /// The package.
        package: String,
        /// Its repository.
        repo: String,
        /// The dependency.
        dep: String,
    },
}

/// Every file path the rules over `available` packages ask about (in their
/// Requires and Conflicts, rich ones included): their owners in filelists
/// must be known before [`check`], as libsolv's `addfileprovides` knows them.
pub fn paths_needed(pool: &Pool, available: &[bool]) -> Vec<StrId> {
    let mut seen: FxHashSet<StrId> = FxHashSet::default();
    for (i, _) in available.iter().enumerate().filter(|(_, a)| **a) {
        for d in pool.deps(i as PkgId) {
            if d.kind != DepKind::Requires && d.kind != DepKind::Conflicts {
                continue;
            }
            match pool.name_kind(d.name) {
                NameKind::Path => {
                    seen.insert(d.name);
                }
                NameKind::Rich => {
                    if let Some(Ok(rich)) = pool.rich_dep(d.name) {
                        rich.for_each_leaf(&mut |leaf| {
                            if leaf.name.starts_with('/')
                                && let Some(id) = pool.strings.lookup(&leaf.name)
                            {
                                seen.insert(id);
                            }
                        });
                    }
                }
                _ => {}
            }
        }
    }
    let mut out: Vec<StrId> = seen.into_iter().collect();
    out.sort_by(|a, b| pool.str(*a).cmp(pool.str(*b)));
    out
}

/// Checks the packages the closure options `opts` select (source packages
/// skipped) against the packages they let provide.
pub fn check(pool: &Pool, opts: &ClosureOptions) -> Result<InstallcheckResult, InstallcheckError> {
    let selection = closure::selection(pool, opts)?;
    check_selection(pool, &selection, &opts.basearch)
}

/// As [`check`], on a selection already made.
pub fn check_selection(
    pool: &Pool,
    selection: &closure::Selection,
    basearch: &str,
) -> Result<InstallcheckResult, InstallcheckError> {
    let to_check: Vec<PkgId> = selection
        .checked()
        .iter()
        .copied()
        .filter(|&p| !crate::core::arch::is_source(pool.str(pool.packages[p as usize].arch)))
        .collect();
    let started = Instant::now();
    let rules =
        Rules::build(pool, selection.available()).map_err(|rules::TooLarge(dep, pkg)| InstallcheckError::TooLarge {
            package: pool.nevra(pkg),
            repo: pool.repo_name(pkg).to_owned(),
            dep: pool.dep_text(&dep),
        })?;
    let mut search = Search::new(pool, &rules);
    let rules_ms = ms_since(started);
    let started = Instant::now();
    search.run(&to_check);
    let search_ms = ms_since(started);
    let started = Instant::now();
    let mut result = search.result(&to_check, basearch);
    result.phases = CheckPhases {
        rules_ms,
        search_ms,
        explain_ms: ms_since(started),
    };
    Ok(result)
}

/// Per package of `to_check`: installable or not, on `rules` (no
/// explanations; the cheapest form, for callers that only count).
pub fn verdicts(pool: &Pool, rules: &Rules, to_check: &[PkgId]) -> Vec<bool> {
    let mut search = Search::new(pool, rules);
    search.run(to_check);
    to_check
        .iter()
        .map(|&p| rules.available[p as usize] && search.order[p as usize] == u32::MAX)
        .collect()
}

/// The state of one check.
struct Search<'a> {
    pool: &'a Pool,
    rules: &'a Rules,
    /// Known installable.
    installable: Vec<bool>,
    /// Known uninstallable (never picked, never a SAT variable).
    dead: Vec<bool>,
    /// When each package died (`u32::MAX`: it did not).
    order: Vec<u32>,
    deaths: FxHashMap<PkgId, Death>,
    clock: u32,
    /// Per clause: providers still alive (negative literals count as many).
    support: Vec<u32>,
    /// Per package, the clauses it appears in positively.
    occurs: rules::Occurrences,
    rank: Vec<u32>,
    /// Per package, the clauses it appears in negatively.
    negs: rules::Occurrences,
    stats: SearchStats,
}

/// Support of a clause with a negative literal: it can always be satisfied
/// by leaving that package out, so propagation never empties it.
const ALWAYS: u32 = u32::MAX / 2;

impl<'a> Search<'a> {
    fn new(pool: &'a Pool, rules: &'a Rules) -> Search<'a> {
        let n = pool.packages.len();
        // The preference order among providers does not depend on the
        // clauses: sorted while they are indexed.
        let (rank, ((support, occurs), negs)) = rayon::join(
            || provider_rank(pool, &rules.available),
            || {
                rayon::join(
                    || (support(rules), rules.occurrences(false)),
                    || rules.occurrences(true),
                )
            },
        );
        Search {
            pool,
            rules,
            installable: vec![false; n],
            dead: vec![false; n],
            order: vec![u32::MAX; n],
            deaths: FxHashMap::default(),
            clock: 0,
            support,
            occurs,
            rank,
            negs,
            stats: SearchStats::default(),
        }
    }

    fn kill(&mut self, p: PkgId, why: Death, queue: &mut Vec<PkgId>) {
        if self.dead[p as usize] {
            return;
        }
        debug_assert!(!self.installable[p as usize], "a package proven installable died");
        self.dead[p as usize] = true;
        self.order[p as usize] = self.clock;
        self.clock += 1;
        self.deaths.insert(p, why);
        queue.push(p);
    }

    /// Kills the owners of emptied clauses, transitively, from `queue`.
    fn propagate(&mut self, mut queue: Vec<PkgId>) {
        while let Some(q) = queue.pop() {
            for k in 0..self.occurs.of(q).len() {
                let c = self.occurs.of(q)[k];
                let s = &mut self.support[c as usize];
                if *s >= ALWAYS {
                    continue;
                }
                *s -= 1;
                if *s == 0 {
                    let owner = self.rules.owner[c as usize];
                    if !self.dead[owner as usize] {
                        self.stats.propagated += 1;
                        self.kill(owner, Death::Clause(c), &mut queue);
                    }
                }
            }
        }
    }

    fn run(&mut self, to_check: &[PkgId]) {
        let n = self.pool.packages.len();
        // Not available: dead from the start (they are never providers).
        for p in 0..n as PkgId {
            if !self.rules.available[p as usize] {
                self.dead[p as usize] = true;
            }
        }
        let mut queue = Vec::new();
        for c in 0..self.rules.clauses.len() as u32 {
            if self.support[c as usize] == 0 {
                let owner = self.rules.owner[c as usize];
                if !self.dead[owner as usize] {
                    self.stats.propagated += 1;
                    self.kill(owner, Death::Clause(c), &mut queue);
                }
            }
        }
        self.propagate(queue);
        let left: Vec<PkgId> = to_check.iter().copied().filter(|&p| !self.dead[p as usize]).collect();
        let (installable, hard, stats) = greedy_phase(self.rules, &self.negs, &left, &self.dead, &self.rank);
        self.installable = installable;
        self.stats += stats;
        // The exact search for what is left, on rayon's workers against the
        // deaths known now. A model is a proof whatever dies later; a
        // refutation is kept only while nothing else has died since (else
        // it is searched again), so deaths, and the explanations built on
        // them, come out as a search one package at a time in checked order
        // would make them, whatever the number of workers.
        let before = self.clock;
        let outcomes: Vec<Outcome> = hard
            .par_iter()
            .map_init(|| Workspace::new(n), |ws, &p| search(self.rules, &self.dead, p, ws))
            .collect();
        let mut ws = Workspace::new(n);
        for (p, outcome) in hard.into_iter().zip(outcomes) {
            if self.dead[p as usize] || self.installable[p as usize] {
                continue;
            }
            let outcome = match outcome {
                Outcome::Refuted(_) if self.clock != before => search(self.rules, &self.dead, p, &mut ws),
                outcome => outcome,
            };
            match outcome {
                Outcome::Installable(model) => {
                    self.stats.sat_installable += 1;
                    for q in model {
                        self.installable[q as usize] = true;
                    }
                }
                Outcome::Refuted(steps) => {
                    self.stats.sat_refuted += 1;
                    let mut queue = Vec::new();
                    self.kill(p, Death::Proof(steps), &mut queue);
                    self.propagate(queue);
                }
            }
        }
    }

    fn result(&self, to_check: &[PkgId], basearch: &str) -> InstallcheckResult {
        let pool = self.pool;
        let explainer = Explainer {
            pool,
            rules: self.rules,
            order: &self.order,
            deaths: &self.deaths,
            basearch,
        };
        let mut failed: Vec<PkgId> = to_check
            .iter()
            .copied()
            .filter(|&p| !self.rules.available[p as usize] || self.dead[p as usize])
            .collect();
        failed.sort_by(|&a, &b| closure::package_order(pool, a, b).then(a.cmp(&b)));
        let uninstallable: Vec<Uninstallable> = failed
            .par_iter()
            .map(|&p| {
                let (problems, root_cause) = explainer.explain(p);
                let pk = &pool.packages[p as usize];
                Uninstallable {
                    nevra: pool.nevra(p),
                    name: pool.str(pk.name).to_owned(),
                    arch: pool.str(pk.arch).to_owned(),
                    repo: pool.repo_name(p).to_owned(),
                    problems,
                    root_cause,
                }
            })
            .collect();
        InstallcheckResult {
            checked: to_check.len(),
            checked_packages: to_check.to_vec(),
            root_causes: group_root_causes(&uninstallable),
            uninstallable,
            stats: self.stats,
            phases: CheckPhases::default(),
        }
    }
}

/// Root causes, the one sinking most packages first (ties by text).
pub fn group_root_causes(uninstallable: &[Uninstallable]) -> Vec<RootCause> {
    let mut by_text: FxHashMap<&str, Vec<String>> = FxHashMap::default();
    for u in uninstallable {
        by_text.entry(&u.root_cause).or_default().push(u.nevra.clone());
    }
    let mut causes: Vec<RootCause> = by_text
        .into_iter()
        .map(|(text, mut packages)| {
            packages.sort();
            packages.dedup();
            RootCause {
                text: text.to_owned(),
                count: packages.len(),
                packages,
            }
        })
        .collect();
    causes.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.text.cmp(&b.text)));
    causes
}

/// What the exact search found for one package.
enum Outcome {
    /// A set that contains it and breaks no rule.
    Installable(Vec<PkgId>),
    /// No such set: the steps of the refutation.
    Refuted(Vec<ProofStep>),
}

/// What one worker reuses from one exact search to the next.
struct Workspace {
    /// Per package, its variable in the current problem (`u32::MAX`: none).
    var_of: Vec<u32>,
    /// The current problem's variables: packages, the checked one first.
    vars: Vec<PkgId>,
    /// Per clause added to the solver, the rule it stands for.
    origin: Vec<Option<ProofStep>>,
    lits: Vec<cdcl::SatLit>,
    sat: cdcl::Cdcl,
}

impl Workspace {
    fn new(n: usize) -> Workspace {
        Workspace {
            var_of: vec![u32::MAX; n],
            vars: Vec::new(),
            origin: Vec::new(),
            lits: Vec::new(),
            sat: cdcl::Cdcl::default(),
        }
    }
}

/// The exact search for `p`, over the live packages (not `dead`) it can
/// reach through Requires.
fn search(rules: &Rules, dead: &[bool], p: PkgId, ws: &mut Workspace) -> Outcome {
    // Variables: the live packages reachable from p through Requires.
    let Workspace {
        var_of,
        vars,
        origin,
        lits,
        sat,
    } = ws;
    vars.clear();
    vars.push(p);
    var_of[p as usize] = 0;
    let mut i = 0;
    while i < vars.len() {
        let a = vars[i];
        i += 1;
        for c in rules.clauses_of(a) {
            for &l in rules.lits_of(c) {
                let q = pkg_of(l);
                if !is_neg(l) && !dead[q as usize] && var_of[q as usize] == u32::MAX {
                    var_of[q as usize] = vars.len() as u32;
                    vars.push(q);
                }
            }
        }
    }
    sat.reset(vars.len());
    origin.clear();
    sat.add(&[0]);
    origin.push(None);
    for (va, &a) in vars.iter().enumerate() {
        'clauses: for c in rules.clauses_of(a) {
            lits.clear();
            lits.push(((va as u32) << 1) | 1);
            for &l in rules.lits_of(c) {
                match var_of[pkg_of(l) as usize] {
                    // A package outside the problem is never installed:
                    // its negative literal holds.
                    u32::MAX if is_neg(l) => continue 'clauses,
                    u32::MAX => {}
                    v => lits.push((v << 1) | (l & 1)),
                }
            }
            sat.add(lits);
            origin.push(Some(ProofStep::Clause(c)));
        }
        for &(b, why) in rules.exclusions_of(a) {
            let vb = var_of[b as usize];
            if vb != u32::MAX && (va as u32) < vb {
                sat.add(&[((va as u32) << 1) | 1, (vb << 1) | 1]);
                origin.push(Some(ProofStep::Exclusion(a, b, why)));
            }
        }
    }
    let outcome = match sat.solve() {
        cdcl::Answer::Sat(model) => Outcome::Installable(
            model
                .iter()
                .zip(vars.iter())
                .filter_map(|(&on, &q)| on.then_some(q))
                .collect(),
        ),
        cdcl::Answer::Unsat(core) => Outcome::Refuted(
            core.into_iter()
                .filter_map(|c| origin.get(c as usize).cloned().flatten())
                .collect(),
        ),
    };
    for &q in vars.iter() {
        var_of[q as usize] = u32::MAX;
    }
    outcome
}

/// Packages a parallel worker takes at a time: large enough that its
/// growing installable sets pay off, small enough to keep both cores busy
/// to the end.
const GREEDY_CHUNK: usize = 1024;

/// The greedy step over `left` on rayon's workers, each with its own
/// growing sets: which packages are proven installable, and which of
/// `left` (in order) neither joined a set nor got a consistent pick. A
/// consistent pick is a proof whatever dies later, so reading only the
/// deaths known before (`dead`) loses nothing but a few easier picks.
fn greedy_phase(
    rules: &Rules,
    negs: &rules::Occurrences,
    left: &[PkgId],
    dead: &[bool],
    rank: &[u32],
) -> (Vec<bool>, Vec<PkgId>, SearchStats) {
    let n = dead.len();
    // Shared, so that a worker skips what the other has proven; which
    // worker proves a package does not matter, a proof is a proof.
    let installable: Vec<AtomicBool> = (0..n).map(|_| AtomicBool::new(false)).collect();
    let parts: Vec<(Vec<PkgId>, SearchStats)> = left
        .par_chunks(GREEDY_CHUNK)
        .map_init(
            // One worker's sets and scratch serve all the chunks it takes.
            || (greedy::Scratch::new(n), greedy::Universes::new(negs)),
            |(scratch, universe), part| {
                let mut hard = Vec::new();
                let mut stats = SearchStats::default();
                for &p in part {
                    if installable[p as usize].load(Ordering::Relaxed) {
                        continue;
                    }
                    let proven = if universe.join(rules, p, dead, rank, scratch) {
                        stats.universe += 1;
                        true
                    } else {
                        stats.greedy_picks += 1;
                        greedy::pick(rules, p, dead, rank, scratch)
                    };
                    if proven {
                        for &q in &scratch.picked {
                            installable[q as usize].store(true, Ordering::Relaxed);
                        }
                    } else {
                        stats.greedy_failed += 1;
                        hard.push(p);
                    }
                }
                (hard, stats)
            },
        )
        .collect();
    let mut hard = Vec::new();
    let mut stats = SearchStats::default();
    for (part_hard, part_stats) in parts {
        hard.extend(part_hard);
        stats += part_stats;
    }
    let installable = installable.into_iter().map(AtomicBool::into_inner).collect();
    (installable, hard, stats)
}

/// Per clause, how many providers it has ([`ALWAYS`] with a negated
/// literal: leaving that package out satisfies it).
fn support(rules: &Rules) -> Vec<u32> {
    (0..rules.clauses.len() as u32)
        .map(|c| {
            let lits = rules.lits_of(c);
            match lits.iter().any(|&l| is_neg(l)) {
                true => ALWAYS,
                false => lits.len() as u32,
            }
        })
        .collect()
}

/// An order of preference among providers: the machine's best arch first
/// (x86_64 before i686, noarch last), then the newest version of a name.
fn provider_rank(pool: &Pool, available: &[bool]) -> Vec<u32> {
    let mut ids: Vec<PkgId> = (0..pool.packages.len() as PkgId)
        .filter(|&p| available[p as usize])
        .collect();
    let arch_score = |p: PkgId| -> u32 {
        let arch = pool.str(pool.packages[p as usize].arch);
        match arch {
            "noarch" => 1,
            a if a.contains("64") => 0,
            _ => 2,
        }
    };
    ids.par_sort_by(|&a, &b| {
        let (pa, pb) = (&pool.packages[a as usize], &pool.packages[b as usize]);
        arch_score(a)
            .cmp(&arch_score(b))
            .then_with(|| pa.name.cmp(&pb.name))
            .then_with(|| pool.evr_cmp(pb.evr, pa.evr))
            .then(a.cmp(&b))
    });
    let mut rank = vec![u32::MAX; pool.packages.len()];
    for (r, p) in ids.into_iter().enumerate() {
        rank[p as usize] = r as u32;
    }
    rank
}
