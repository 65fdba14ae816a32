//! The rules of installability as clauses over package literals, built once
//! per pool and selection, the way libsolv's `src/rules.c` builds its
//! package rules:
//!
//! * a Requires of A is `¬A ∨ B1 ∨ … ∨ Bn` over its installable providers
//!   (a rich Requires becomes the clauses of its boolean formula, each with
//!   `¬A`);
//! * a Conflicts of A with the installable packages B providing it is
//!   `¬A ∨ ¬B` (A's own provide does not count: libsolv ignores
//!   self-conflicts with rpm);
//! * an Obsoletes of A matches package *names* (and their EVR), never
//!   provides: `¬A ∨ ¬B`;
//! * two packages of one name exclude each other unless their arch colors
//!   differ (`POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS`: x86_64 beside i686).
//!
//! The binary exclusions are kept per package, in both directions, so that
//! each member of a candidate set can check its own; the Requires clauses
//! are kept per package with the owner's `¬A` implicit.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::core::arch;
use crate::core::dep::{Dep, DepKind, RichDep, RichOp, SimpleDep};
use crate::core::evr::{self, Op};
use crate::core::ids::{NO_EVR, PkgId, StrId};
use crate::pool::{NameKind, Pool};

/// A literal: a package id shifted left once, the low bit set when negated.
pub type Lit = u32;

/// The literal "`pkg` is installed".
pub fn pos(pkg: PkgId) -> Lit {
    pkg << 1
}

/// The literal "`pkg` is not installed".
pub fn neg(pkg: PkgId) -> Lit {
    (pkg << 1) | 1
}

/// The package of a literal.
pub fn pkg_of(lit: Lit) -> PkgId {
    lit >> 1
}

/// Whether a literal is negated.
pub fn is_neg(lit: Lit) -> bool {
    lit & 1 == 1
}

/// A clause of a package: `¬owner ∨ lits`, from one of its dependencies.
#[derive(Clone, Copy, Debug)]
pub struct Clause {
    /// Its literals (beside `¬owner`): a range of [`Rules::lits`].
    pub start: u32,
    /// End of the range.
    pub end: u32,
    /// The dependency it comes from (a Requires, or a rich Conflicts).
    pub dep: Dep,
}

/// Why two packages cannot be installed together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exclusion {
    /// This package conflicts with `dep`, which the other provides.
    Conflicts(Dep),
    /// The other package conflicts with `dep`, which this one provides.
    ConflictedBy(Dep),
    /// This package obsoletes the other (by name).
    Obsoletes(Dep),
    /// The other package obsoletes this one.
    ObsoletedBy(Dep),
    /// Two versions of one name (of matching arch colors).
    SameName,
}

/// The rules over one pool and selection.
pub struct Rules {
    /// Per package of the pool: may it be installed (the selection's
    /// providers: visible, enabled, of an arch the machine installs).
    pub available: Vec<bool>,
    /// Per package, where its clauses begin in `clauses` (they end where the
    /// next package's begin).
    pub clause_start: Vec<u32>,
    /// All clauses, package after package.
    pub clauses: Vec<Clause>,
    /// The literals of all clauses.
    pub lits: Vec<Lit>,
    /// Per package, where its exclusions begin in `exclusions`.
    pub excl_start: Vec<u32>,
    /// (other package, why) for every exclusion, grouped by package.
    pub exclusions: Vec<(PkgId, Exclusion)>,
    /// Per clause index, its owner.
    pub owner: Vec<PkgId>,
}

/// A rich dependency that is too large to turn into clauses.
#[derive(Debug, Clone)]
pub struct TooLarge(pub Dep, pub PkgId);

/// Most clauses one rich dependency may turn into (distributing `or` over
/// `and` multiplies them); real ones make a handful.
const MAX_RICH_CLAUSES: usize = 4096;

impl Rules {
    /// Builds the rules over the packages `available` marks.
    pub fn build(pool: &Pool, available: &[bool]) -> Result<Rules, TooLarge> {
        let n = pool.packages.len();
        let ids: Vec<PkgId> = (0..n as PkgId).filter(|&p| available[p as usize]).collect();
        let by_name = names_index(pool, available);
        let parts: Vec<Result<PackageRules, TooLarge>> = ids
            .par_chunks(512)
            .map_init(
                || Matcher::new(pool, available),
                |m, chunk| {
                    let mut out = PackageRules::default();
                    for &p in chunk {
                        m.package(p, &by_name, &mut out)?;
                    }
                    Ok(out)
                },
            )
            .collect();
        // The first too-large dependency in package order, whichever
        // worker met one first.
        let parts = parts.into_iter().collect::<Result<Vec<PackageRules>, TooLarge>>()?;
        // Each part's literal ranges are its own: moved past the parts
        // before it as the arrays are joined.
        let total = |f: fn(&PackageRules) -> usize| parts.iter().map(f).sum::<usize>();
        let mut clauses = Vec::with_capacity(total(|p| p.clauses.len()));
        let mut owner = Vec::with_capacity(clauses.capacity());
        let mut lits = Vec::with_capacity(total(|p| p.lits.len()));
        let mut forward: Vec<(PkgId, PkgId, Exclusion)> = Vec::with_capacity(total(|p| p.exclusions.len()));
        for part in &parts {
            let base = lits.len() as u32;
            clauses.extend(part.clauses.iter().map(|c| Clause {
                start: c.start + base,
                end: c.end + base,
                dep: c.dep,
            }));
            owner.extend_from_slice(&part.owner);
            lits.extend_from_slice(&part.lits);
            forward.extend_from_slice(&part.exclusions);
        }
        drop(parts);
        // Owners come in package order: each package's clauses start where
        // the first clause of a later package would.
        let mut clause_start = vec![0u32; n + 1];
        let mut next = 0usize;
        for (c, &p) in owner.iter().enumerate() {
            while next <= p as usize {
                clause_start[next] = c as u32;
                next += 1;
            }
        }
        while next <= n {
            clause_start[next] = clauses.len() as u32;
            next += 1;
        }
        // Same-name exclusions: every pair of one name whose colors meet.
        for group in by_name.values() {
            for (i, &a) in group.iter().enumerate() {
                for &b in &group[i + 1..] {
                    if colors_meet(pool, a, b) {
                        forward.push((a, b, Exclusion::SameName));
                    }
                }
            }
        }
        let mut both: Vec<(PkgId, PkgId, Exclusion)> = Vec::with_capacity(forward.len() * 2);
        for &(a, b, why) in &forward {
            both.push((a, b, why));
            let back = match why {
                Exclusion::Conflicts(d) => Exclusion::ConflictedBy(d),
                Exclusion::Obsoletes(d) => Exclusion::ObsoletedBy(d),
                other => other,
            };
            both.push((b, a, back));
        }
        both.sort_unstable_by_key(|&(a, b, _)| (a, b));
        let mut excl_start = vec![0u32; n + 1];
        for &(a, _, _) in &both {
            excl_start[a as usize + 1] += 1;
        }
        for i in 1..=n {
            excl_start[i] += excl_start[i - 1];
        }
        let exclusions = both.into_iter().map(|(_, b, why)| (b, why)).collect();
        Ok(Rules {
            available: available.to_vec(),
            clause_start,
            clauses,
            lits,
            excl_start,
            exclusions,
            owner,
        })
    }

    /// The clauses of a package, as indexes into [`clauses`](Self::clauses).
    pub fn clauses_of(&self, pkg: PkgId) -> std::ops::Range<u32> {
        let p = pkg as usize;
        match (self.clause_start.get(p), self.clause_start.get(p + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    /// The literals of clause `c` (beside its owner's `¬owner`).
    pub fn lits_of(&self, c: u32) -> &[Lit] {
        let cl = &self.clauses[c as usize];
        &self.lits[cl.start as usize..cl.end as usize]
    }

    /// Whether clause `c` holds (its owner aside) when the packages
    /// `installed` names, and only they, are installed.
    pub fn holds(&self, c: u32, installed: impl Fn(PkgId) -> bool) -> bool {
        self.lits_of(c).iter().any(|&l| installed(pkg_of(l)) != is_neg(l))
    }

    /// Per package, the clauses it appears in negated (`true`: in a rich
    /// Requires or Conflicts) or not (`false`: as a provider).
    pub fn occurrences(&self, negated: bool) -> Occurrences {
        let n = self.available.len();
        let mut start = vec![0u32; n + 1];
        for &l in &self.lits {
            if is_neg(l) == negated {
                start[pkg_of(l) as usize + 1] += 1;
            }
        }
        for i in 1..=n {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut clauses = vec![0u32; start[n] as usize];
        for c in 0..self.clauses.len() as u32 {
            for &l in self.lits_of(c) {
                if is_neg(l) == negated {
                    let at = &mut fill[pkg_of(l) as usize];
                    clauses[*at as usize] = c;
                    *at += 1;
                }
            }
        }
        Occurrences { start, clauses }
    }

    /// The packages `pkg` cannot be installed with, and why.
    pub fn exclusions_of(&self, pkg: PkgId) -> &[(PkgId, Exclusion)] {
        let p = pkg as usize;
        match (self.excl_start.get(p), self.excl_start.get(p + 1)) {
            (Some(&a), Some(&b)) => &self.exclusions[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// Per package, the clauses it appears in with one sign
/// ([`Rules::occurrences`]).
pub struct Occurrences {
    start: Vec<u32>,
    clauses: Vec<u32>,
}

impl Occurrences {
    /// The clauses package `p` appears in.
    pub fn of(&self, p: PkgId) -> &[u32] {
        match (self.start.get(p as usize), self.start.get(p as usize + 1)) {
            (Some(&a), Some(&b)) => &self.clauses[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// Whether two packages of one name exclude each other: libsolv's
/// `pool_colormatch` (the same arch, or colors that share a bit: noarch
/// meets every arch, an arch naming "64" (or s390x) is 64-bit, any other
/// 32-bit).
pub fn colors_meet(pool: &Pool, a: PkgId, b: PkgId) -> bool {
    let (aa, ba) = (pool.packages[a as usize].arch, pool.packages[b as usize].arch);
    aa == ba || color(pool.str(aa)) & color(pool.str(ba)) != 0
}

fn color(arch: &str) -> u8 {
    match arch {
        "noarch" | "all" | "any" => 0xff,
        a if a == "s390x" || a.contains("64") => 2,
        _ => 1,
    }
}

/// The available packages of each name.
fn names_index(pool: &Pool, available: &[bool]) -> FxHashMap<StrId, Vec<PkgId>> {
    let mut by_name: FxHashMap<StrId, Vec<PkgId>> = FxHashMap::default();
    for (i, p) in pool.packages.iter().enumerate() {
        if available[i] {
            by_name.entry(p.name).or_default().push(i as PkgId);
        }
    }
    by_name
}

/// What one worker built: clauses (literals range in `lits`), their
/// owners, and forward exclusions.
#[derive(Default)]
struct PackageRules {
    clauses: Vec<Clause>,
    owner: Vec<PkgId>,
    lits: Vec<Lit>,
    exclusions: Vec<(PkgId, PkgId, Exclusion)>,
}

/// Answers "which available packages provide this", memoised per worker.
struct Matcher<'a> {
    pool: &'a Pool,
    available: &'a [bool],
    memo: FxHashMap<(StrId, Option<Op>, u32), Vec<PkgId>>,
}

impl<'a> Matcher<'a> {
    fn new(pool: &'a Pool, available: &'a [bool]) -> Matcher<'a> {
        Matcher {
            pool,
            available,
            memo: FxHashMap::default(),
        }
    }

    /// The available providers of `name [op evr]`, sorted, without repeats:
    /// provides whose range overlaps, and for a path, its owners.
    fn providers(&mut self, name: StrId, op: Option<Op>, evr: u32) -> &[PkgId] {
        let key = (name, op, evr);
        if !self.memo.contains_key(&key) {
            let want = op.filter(|_| evr != NO_EVR).map(|o| (o, self.pool.evr_ref(evr)));
            let found = self.matching(name, want);
            self.memo.insert(key, found);
        }
        self.memo.get(&key).map_or(&[], |v| v.as_slice())
    }

    fn matching(&self, name: StrId, want: Option<(Op, evr::EvrRef<'_>)>) -> Vec<PkgId> {
        let pool = self.pool;
        let mut out: Vec<PkgId> = Vec::new();
        for &(pkg, di) in pool.providers_of(name) {
            if !self.available[pkg as usize] {
                continue;
            }
            let ok = match want {
                Some((req_op, req_evr)) => match pool.provide_constraint(pkg, di) {
                    (None, _) => true,
                    (Some(_), e) if e == NO_EVR => true,
                    (Some(pop), pevr) => evr::ranges_overlap_ref(pop, pool.evr_ref(pevr), req_op, req_evr),
                },
                None => true,
            };
            if ok {
                out.push(pkg);
            }
        }
        if want.is_none() && pool.name_kind(name) == NameKind::Path {
            out.extend(pool.file_owners(name).filter(|&p| self.available[p as usize]));
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The providers of a simple dependency inside a rich one.
    fn leaf(&mut self, s: &SimpleDep) -> Vec<PkgId> {
        let Some(name) = self.pool.strings.lookup(&s.name) else {
            return Vec::new();
        };
        match &s.constraint {
            Some((op, e)) => {
                let want = Some((*op, e.as_ref()));
                self.matching(name, want)
            }
            None => self.providers(name, None, NO_EVR).to_vec(),
        }
    }

    /// The packages that provide what `rich` asks of one package (`with`,
    /// `without`, and the union of the branches elsewhere, as libsolv's
    /// whatprovides).
    fn rich_set(&mut self, rich: &RichDep) -> Vec<PkgId> {
        match rich {
            RichDep::Simple(s) => self.leaf(s),
            RichDep::Binary(op, l, r) => {
                let a = self.rich_set(l);
                let b = self.rich_set(r);
                let mut out: Vec<PkgId> = match op {
                    RichOp::With => a.into_iter().filter(|p| b.binary_search(p).is_ok()).collect(),
                    RichOp::Without => a.into_iter().filter(|p| b.binary_search(p).is_err()).collect(),
                    RichOp::If | RichOp::Unless => a,
                    RichOp::And | RichOp::Or => a.into_iter().chain(b).collect(),
                };
                out.sort_unstable();
                out.dedup();
                out
            }
            RichDep::Else { then, otherwise, .. } => {
                let mut out = self.rich_set(then);
                out.extend(self.rich_set(otherwise));
                out.sort_unstable();
                out.dedup();
                out
            }
        }
    }

    /// The clauses of `rich` (when `positive`) or of its negation, in
    /// conjunctive normal form; `None` when there are too many.
    fn cnf(&mut self, rich: &RichDep, positive: bool) -> Option<Vec<Vec<Lit>>> {
        let leaf = |set: Vec<PkgId>, positive: bool| -> Vec<Vec<Lit>> {
            if positive {
                vec![set.into_iter().map(pos).collect()]
            } else {
                set.into_iter().map(|p| vec![neg(p)]).collect()
            }
        };
        Some(match rich {
            RichDep::Simple(s) => leaf(self.leaf(s), positive),
            RichDep::Binary(op, l, r) => match (op, positive) {
                (RichOp::With | RichOp::Without, _) => leaf(self.rich_set(rich), positive),
                (RichOp::And, true) | (RichOp::Or, false) => and(self.cnf(l, positive)?, self.cnf(r, positive)?),
                (RichOp::Or, true) | (RichOp::And, false) => or(self.cnf(l, positive)?, self.cnf(r, positive)?)?,
                // `a if b` is `a ∨ ¬b`; its negation `¬a ∧ b`.
                (RichOp::If, true) => or(self.cnf(l, true)?, self.cnf(r, false)?)?,
                (RichOp::If, false) => and(self.cnf(l, false)?, self.cnf(r, true)?),
                // libsolv reads `a unless b` as `a ∧ ¬b` (cplxdeps.c); its
                // negation is `¬a ∨ b`.
                (RichOp::Unless, true) => and(self.cnf(l, true)?, self.cnf(r, false)?),
                (RichOp::Unless, false) => or(self.cnf(l, false)?, self.cnf(r, true)?)?,
            },
            RichDep::Else {
                op,
                then: a,
                cond: b,
                otherwise: c,
            } => match (op, positive) {
                // `a unless b else c` is `(a ∧ ¬b) ∨ (c ∧ b)`; its negation
                // `(¬a ∨ b) ∧ (¬c ∨ ¬b)`.
                (RichOp::Unless, false) => and(
                    or(self.cnf(a, false)?, self.cnf(b, true)?)?,
                    or(self.cnf(c, false)?, self.cnf(b, false)?)?,
                ),
                (RichOp::Unless, true) => or(
                    and(self.cnf(a, true)?, self.cnf(b, false)?),
                    and(self.cnf(c, true)?, self.cnf(b, true)?),
                )?,
                // `a if b else c` is `(a ∨ ¬b) ∧ (c ∨ b)`.
                (_, true) => and(
                    or(self.cnf(a, true)?, self.cnf(b, false)?)?,
                    or(self.cnf(c, true)?, self.cnf(b, true)?)?,
                ),
                (_, false) => or(
                    and(self.cnf(a, false)?, self.cnf(b, true)?),
                    and(self.cnf(c, false)?, self.cnf(b, false)?),
                )?,
            },
        })
    }

    /// Adds the clauses and exclusions of package `p`.
    fn package(
        &mut self,
        p: PkgId,
        by_name: &FxHashMap<StrId, Vec<PkgId>>,
        out: &mut PackageRules,
    ) -> Result<(), TooLarge> {
        let pool = self.pool;
        for d in pool.deps(p) {
            match d.kind {
                DepKind::Requires => {
                    let kind = pool.name_kind(d.name);
                    if kind == NameKind::Ignored {
                        continue;
                    }
                    if kind == NameKind::Rich {
                        let Some(Ok(rich)) = pool.rich_dep(d.name) else {
                            // A malformed rich require: libsolv cannot parse it
                            // either and leaves it unsatisfiable.
                            push_clause(out, p, *d, &[]);
                            continue;
                        };
                        let clauses = self.cnf(rich, true).ok_or(TooLarge(*d, p))?;
                        for c in clauses {
                            if c.contains(&pos(p)) {
                                continue;
                            }
                            push_clause(out, p, *d, &c);
                        }
                        continue;
                    }
                    let providers = self.providers(d.name, d.op, d.evr);
                    if providers.binary_search(&p).is_ok() {
                        continue;
                    }
                    let lits: Vec<Lit> = providers.iter().map(|&q| pos(q)).collect();
                    push_clause(out, p, *d, &lits);
                }
                DepKind::Conflicts => {
                    let kind = pool.name_kind(d.name);
                    if kind == NameKind::Ignored {
                        continue;
                    }
                    if kind == NameKind::Rich {
                        let Some(Ok(rich)) = pool.rich_dep(d.name) else {
                            continue;
                        };
                        let clauses = self.cnf(rich, false).ok_or(TooLarge(*d, p))?;
                        for c in clauses {
                            if c.contains(&pos(p)) {
                                continue;
                            }
                            // `¬p` repeats the owner's implicit literal.
                            let c: Vec<Lit> = c.into_iter().filter(|&l| l != neg(p)).collect();
                            if c.len() == 1 && is_neg(c[0]) {
                                out.exclusions.push((p, pkg_of(c[0]), Exclusion::Conflicts(*d)));
                            } else {
                                push_clause(out, p, *d, &c);
                            }
                        }
                        continue;
                    }
                    let providers = self.providers(d.name, d.op, d.evr).to_vec();
                    for q in providers {
                        if q != p {
                            out.exclusions.push((p, q, Exclusion::Conflicts(*d)));
                        }
                    }
                }
                DepKind::Obsoletes => {
                    let Some(named) = by_name.get(&d.name) else {
                        continue;
                    };
                    let want = d.op.filter(|_| d.evr != NO_EVR).map(|o| (o, pool.evr_ref(d.evr)));
                    for &q in named {
                        if q == p {
                            continue;
                        }
                        let matches = match want {
                            None => true,
                            Some((op, e)) => {
                                evr::ranges_overlap_ref(Op::EQ, pool.evr_ref(pool.packages[q as usize].evr), op, e)
                            }
                        };
                        if matches {
                            out.exclusions.push((p, q, Exclusion::Obsoletes(*d)));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn push_clause(out: &mut PackageRules, p: PkgId, dep: Dep, lits: &[Lit]) {
    let start = out.lits.len() as u32;
    out.lits.extend_from_slice(lits);
    out.owner.push(p);
    out.clauses.push(Clause {
        start,
        end: out.lits.len() as u32,
        dep,
    });
}

fn and(mut a: Vec<Vec<Lit>>, b: Vec<Vec<Lit>>) -> Vec<Vec<Lit>> {
    a.extend(b);
    a
}

/// `a ∨ b` of two formulas in CNF: every clause of one joined with every
/// clause of the other (tautologies dropped).
fn or(a: Vec<Vec<Lit>>, b: Vec<Vec<Lit>>) -> Option<Vec<Vec<Lit>>> {
    if a.len().saturating_mul(b.len()) > MAX_RICH_CLAUSES {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in &a {
        'next: for y in &b {
            let mut c = x.clone();
            for &l in y {
                if c.contains(&(l ^ 1)) {
                    continue 'next;
                }
                if !c.contains(&l) {
                    c.push(l);
                }
            }
            out.push(c);
        }
    }
    Some(out)
}

/// Whether `arch` is one the machine `basearch` can install.
pub fn installable_arch(basearch: &str, arch: &str) -> bool {
    !arch::is_source(arch) && arch::compatible(basearch).contains(&arch)
}
