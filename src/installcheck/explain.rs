//! Why a package cannot be installed, as a short chain from it down to the
//! root cause: the capability nothing provides, the conflicting pair, the
//! obsoleting package, the two versions of one name, or an arch the machine
//! cannot install.
//!
//! Deaths found by propagation point at the Requires whose providers all
//! died earlier; following the provider that died first always ends (each
//! step goes to an earlier death) at a missing capability or at a package
//! the SAT search proved uninstallable, whose proof (the original clauses
//! its refutation used) names the exclusions that matter.

use rustc_hash::FxHashMap;

use super::rules::{Exclusion, Rules, is_neg, pkg_of};
use super::{Problem, ProblemKind};
use crate::core::dep::{Dep, DepKind};
use crate::core::ids::PkgId;
use crate::pool::Pool;

/// What a SAT refutation used, beside the checked package's own unit.
#[derive(Clone, Debug)]
pub enum ProofStep {
    /// A clause of [`Rules::clauses`] (a Requires, or a rich Conflicts).
    Clause(u32),
    /// An exclusion between two packages.
    Exclusion(PkgId, PkgId, Exclusion),
}

/// Why a package died.
#[derive(Clone, Debug)]
pub enum Death {
    /// It may not be installed at all (its arch, `--best`, or hidden).
    NotAvailable,
    /// This clause of it has no provider left that can be installed.
    Clause(u32),
    /// The SAT search refuted it; the steps its proof used.
    Proof(Vec<ProofStep>),
}

/// Longest chain of Requires shown before the root cause.
const MAX_CHAIN: usize = 32;
/// Most exclusions of one proof listed as problems.
const MAX_EXCLUSIONS: usize = 8;

/// Renders explanations for one search.
pub struct Explainer<'a> {
    pub(super) pool: &'a Pool,
    pub(super) rules: &'a Rules,
    /// Per package: when it died (`u32::MAX`: it did not).
    pub(super) order: &'a [u32],
    pub(super) deaths: &'a FxHashMap<PkgId, Death>,
    pub(super) basearch: &'a str,
}

impl Explainer<'_> {
    /// The problems of dead package `pkg`, the chain first and the root
    /// cause last, and the root cause's text (shared by every package it
    /// sinks, for grouping).
    pub fn explain(&self, pkg: PkgId) -> (Vec<Problem>, String) {
        let mut problems = Vec::new();
        let mut at = pkg;
        for _ in 0..MAX_CHAIN {
            match self.deaths.get(&at) {
                None | Some(Death::NotAvailable) => {
                    let arch = self.pool.str(self.pool.packages[at as usize].arch);
                    let text = format!(
                        "{} cannot be installed on {}: its arch ({arch}) is not installable there, or it is hidden",
                        self.nevra(at),
                        self.basearch
                    );
                    problems.push(self.problem(ProblemKind::Arch, text, vec![at]));
                    let root = format!("{arch} packages are not installable on {}", self.basearch);
                    return (problems, root);
                }
                Some(Death::Clause(c)) => {
                    let dep = self.rules.clauses[*c as usize].dep;
                    let providers: Vec<PkgId> = self
                        .rules
                        .lits_of(*c)
                        .iter()
                        .filter(|&&l| !is_neg(l))
                        .map(|&l| pkg_of(l))
                        .collect();
                    let Some(&next) = providers.iter().min_by_key(|&&q| self.order[q as usize]) else {
                        let text = format!("nothing provides {} needed by {}", self.dep(&dep), self.nevra(at));
                        problems.push(self.problem(ProblemKind::NothingProvides, text, vec![at]));
                        return (problems, format!("nothing provides {}", self.dep(&dep)));
                    };
                    let shown: Vec<String> = providers.iter().take(3).map(|&q| self.nevra(q)).collect();
                    let more = if providers.len() > 3 {
                        format!(" and {} more", providers.len() - 3)
                    } else {
                        String::new()
                    };
                    let text = format!(
                        "{} requires {}, but none of its providers can be installed ({}{more})",
                        self.nevra(at),
                        self.dep(&dep),
                        shown.join(", ")
                    );
                    let mut pkgs = vec![at];
                    pkgs.extend(&providers);
                    problems.push(self.problem(ProblemKind::Requires, text, pkgs));
                    at = next;
                }
                Some(Death::Proof(steps)) => {
                    let (more, root) = self.explain_proof(at, steps);
                    problems.extend(more);
                    return (problems, root);
                }
            }
        }
        let root = problems.last().map(|p| p.text.clone()).unwrap_or_default();
        (problems, root)
    }

    /// The chain from `pkg` to the nearest exclusion its proof used, then
    /// the exclusions (nearest first).
    fn explain_proof(&self, pkg: PkgId, steps: &[ProofStep]) -> (Vec<Problem>, String) {
        // Distances from pkg along the proof's Requires.
        let mut edges: FxHashMap<PkgId, Vec<(PkgId, u32)>> = FxHashMap::default();
        let mut others = Vec::new();
        for s in steps {
            match s {
                ProofStep::Clause(c) => {
                    let owner = self.rules.owner[*c as usize];
                    let cl = &self.rules.clauses[*c as usize];
                    if cl.dep.kind == DepKind::Requires {
                        for &l in self.rules.lits_of(*c) {
                            if !is_neg(l) {
                                edges.entry(owner).or_default().push((pkg_of(l), *c));
                            }
                        }
                    } else {
                        others.push(s.clone());
                    }
                }
                ProofStep::Exclusion(..) => others.push(s.clone()),
            }
        }
        let mut parent: FxHashMap<PkgId, (PkgId, u32)> = FxHashMap::default();
        let mut dist: FxHashMap<PkgId, usize> = FxHashMap::default();
        dist.insert(pkg, 0);
        let mut queue = std::collections::VecDeque::from([pkg]);
        while let Some(a) = queue.pop_front() {
            let d = dist[&a];
            for &(b, c) in edges.get(&a).map_or(&[][..], |v| v.as_slice()) {
                if let std::collections::hash_map::Entry::Vacant(e) = dist.entry(b) {
                    e.insert(d + 1);
                    parent.insert(b, (a, c));
                    queue.push_back(b);
                }
            }
        }
        let near = |s: &ProofStep| -> (usize, PkgId) {
            let (a, b) = match s {
                ProofStep::Exclusion(a, b, _) => (*a, *b),
                ProofStep::Clause(c) => {
                    let o = self.rules.owner[*c as usize];
                    (o, o)
                }
            };
            let da = dist.get(&a).copied().unwrap_or(usize::MAX);
            let db = dist.get(&b).copied().unwrap_or(usize::MAX);
            if da <= db { (da, a) } else { (db, b) }
        };
        others.sort_by_key(|s| near(s).0);
        let mut problems = Vec::new();
        let Some(first) = others.first() else {
            let text = format!("{} cannot be installed (no single conflict found)", self.nevra(pkg));
            return (vec![self.problem(ProblemKind::Requires, text.clone(), vec![pkg])], text);
        };
        // The chain down to the first exclusion's nearer end.
        let mut chain = Vec::new();
        let mut at = near(first).1;
        while let Some(&(from, c)) = parent.get(&at) {
            chain.push((from, c, at));
            at = from;
            if chain.len() > MAX_CHAIN {
                break;
            }
        }
        chain.reverse();
        for (from, c, to) in chain {
            let dep = self.rules.clauses[c as usize].dep;
            let text = format!(
                "{} requires {}, provided by {}",
                self.nevra(from),
                self.dep(&dep),
                self.nevra(to)
            );
            problems.push(self.problem(ProblemKind::Requires, text, vec![from, to]));
        }
        let mut root = String::new();
        for s in others.iter().take(MAX_EXCLUSIONS) {
            let (kind, text, pkgs) = match s {
                ProofStep::Exclusion(a, b, why) => self.exclusion(*a, *b, *why),
                ProofStep::Clause(c) => {
                    let owner = self.rules.owner[*c as usize];
                    let dep = self.rules.clauses[*c as usize].dep;
                    let mut pkgs = vec![owner];
                    pkgs.extend(self.rules.lits_of(*c).iter().map(|&l| pkg_of(l)));
                    let text = format!("{} conflicts with {}", self.nevra(owner), self.dep(&dep));
                    (ProblemKind::Conflicts, text, pkgs)
                }
            };
            if root.is_empty() {
                root = text.clone();
            }
            problems.push(self.problem(kind, text, pkgs));
        }
        (problems, root)
    }

    fn exclusion(&self, a: PkgId, b: PkgId, why: Exclusion) -> (ProblemKind, String, Vec<PkgId>) {
        let (na, nb) = (self.nevra(a), self.nevra(b));
        match why {
            Exclusion::Conflicts(d) => (
                ProblemKind::Conflicts,
                format!("{na} conflicts with {} provided by {nb}", self.dep(&d)),
                vec![a, b],
            ),
            Exclusion::ConflictedBy(d) => (
                ProblemKind::Conflicts,
                format!("{nb} conflicts with {} provided by {na}", self.dep(&d)),
                vec![b, a],
            ),
            Exclusion::Obsoletes(d) => (
                ProblemKind::Obsoletes,
                format!("{na} obsoletes {} provided by {nb}", self.dep(&d)),
                vec![a, b],
            ),
            Exclusion::ObsoletedBy(d) => (
                ProblemKind::Obsoletes,
                format!("{nb} obsoletes {} provided by {na}", self.dep(&d)),
                vec![b, a],
            ),
            Exclusion::SameName => {
                let (x, y) = if na <= nb { (a, b) } else { (b, a) };
                (
                    ProblemKind::SameName,
                    format!(
                        "both {} and {} are needed, but only one version of a name can be installed",
                        self.nevra(x),
                        self.nevra(y)
                    ),
                    vec![x, y],
                )
            }
        }
    }

    fn problem(&self, kind: ProblemKind, text: String, pkgs: Vec<PkgId>) -> Problem {
        Problem {
            kind,
            text,
            packages: pkgs.into_iter().map(|p| self.nevra(p)).collect(),
        }
    }

    fn nevra(&self, p: PkgId) -> String {
        self.pool.nevra(p)
    }

    /// A dependency as libsolv prints it.
    fn dep(&self, d: &Dep) -> String {
        self.pool.dep_text(d)
    }
}
