//! Whether one Requires is satisfied on a selection: providers at the
//! right version among the available packages, file owners (asking for
//! filelists when primary cannot tell), rich dependencies as dnf judges them
//! (or strictly, with `--rich strict`), with a memo per job.

use rustc_hash::FxHashMap;

use super::{ClosureOptions, RichMode, Selection};
use crate::core::dep::{self, Dep, RichDep, RichOp, SimpleDep};
use crate::core::evr::{self, Op};
use crate::core::ids::{NO_EVR, PkgId, StrId};
use crate::pool::{NameKind, Pool};

#[derive(Clone)]
pub(super) enum Verdict {
    Yes,
    No(Option<String>),
    NeedFiles(Vec<StrId>),
}

/// Starting size of a job's memo of simple requires: a job of CS9 ends
/// with a few thousand. Allocated once instead of grown by rehashing: each
/// growth takes a malloc arena's lock (`limit_malloc_arenas` in main.rs).
pub(super) const MEMO_CAPACITY: usize = 4096;

pub(super) struct Judge<'a> {
    pub(super) pool: &'a Pool,
    available: &'a [bool],
    /// The enabled repositories: their filelists answer file requires.
    repos: &'a [u32],
    memo: FxHashMap<(StrId, Option<Op>, u32), bool>,
    /// Verdicts on rich dependencies: like a simple require's, they do not
    /// depend on which package asks.
    rich: FxHashMap<StrId, Verdict>,
    mode: RichMode,
    no_filelists: bool,
}

impl Selection {
    /// A judge of requires for this selection, its memo sized for
    /// `memo_capacity` answers.
    pub(super) fn judge<'a>(&'a self, pool: &'a Pool, opts: &ClosureOptions, memo_capacity: usize) -> Judge<'a> {
        Judge {
            pool,
            available: &self.available,
            repos: &self.repos,
            memo: FxHashMap::with_capacity_and_hasher(memo_capacity, Default::default()),
            rich: FxHashMap::default(),
            mode: opts.rich,
            no_filelists: opts.no_filelists,
        }
    }
}

impl Judge<'_> {
    /// Whether the filelists of every enabled repository were consulted for `path`.
    pub(super) fn filelists_scanned(&self, path: StrId) -> bool {
        self.repos.iter().all(|&r| self.pool.filelists_scanned(r, path))
    }

    pub(super) fn satisfied(&mut self, d: &Dep) -> Result<Verdict, dep::RichParseError> {
        let kind = self.pool.name_kind(d.name);
        if kind == NameKind::Rich {
            if let Some(verdict) = self.rich.get(&d.name) {
                return Ok(verdict.clone());
            }
            let verdict = self.rich_verdict(d.name)?;
            self.rich.insert(d.name, verdict.clone());
            return Ok(verdict);
        }
        let key = (d.name, d.op, d.evr);
        if let Some(&ok) = self.memo.get(&key) {
            return Ok(if ok { Verdict::Yes } else { Verdict::No(None) });
        }
        if self.has_provider(d.name, d.op, d.evr) {
            self.memo.insert(key, true);
            return Ok(Verdict::Yes);
        }
        if kind == NameKind::Path && !self.no_filelists && !self.filelists_scanned(d.name) {
            return Ok(Verdict::NeedFiles(vec![d.name]));
        }
        self.memo.insert(key, false);
        Ok(Verdict::No(None))
    }

    /// The verdict on rich dependency `name` (not yet in the memo).
    fn rich_verdict(&mut self, name: StrId) -> Result<Verdict, dep::RichParseError> {
        let pool = self.pool;
        let rich = match pool.rich_dep(name) {
            Some(parsed) => parsed.as_ref().map_err(Clone::clone)?,
            None => &dep::parse_rich(pool.str(name))?,
        };
        Ok(match self.mode {
            RichMode::Dnf => {
                let mut need = Vec::new();
                let mut unsettled = false;
                let providers = self.rich_providers(rich, &mut need, &mut unsettled);
                // Owners still in unread filelists can only add
                // providers, so a non-empty answer stands, unless they
                // would be taken away (`without`).
                if unsettled || (providers.is_empty() && !need.is_empty()) {
                    Verdict::NeedFiles(need)
                } else if !providers.is_empty() {
                    Verdict::Yes
                } else {
                    Verdict::No(None)
                }
            }
            RichMode::Strict => {
                let mut need = Vec::new();
                let verdict = self.strict(rich, &mut need);
                // Boolean logic is not monotone (a condition met once
                // filelists name an owner asks for more), so any path
                // still unread defers the answer.
                if !need.is_empty() {
                    Verdict::NeedFiles(need)
                } else {
                    match verdict {
                        Ok(()) => Verdict::Yes,
                        Err(why) => Verdict::No(Some(format!("{rich}: {why}"))),
                    }
                }
            }
        })
    }

    /// Whether any available package provides `name [op evr]` (file paths
    /// included). The question most requires ask: it stops at the first
    /// provider instead of collecting them all.
    pub(super) fn has_provider(&self, name: StrId, op: Option<Op>, evr: u32) -> bool {
        let pool = self.pool;
        let want = op.filter(|_| evr != NO_EVR).map(|o| (o, pool.evr_ref(evr)));
        self.matching_providers(name, want).next().is_some()
    }

    /// Available packages providing `name`, restricted to a range when given.
    fn providers_matching(&self, name: StrId, want: Option<(Op, evr::EvrRef<'_>)>) -> Vec<PkgId> {
        let mut out = Vec::new();
        for pkg in self.matching_providers(name, want) {
            if !out.contains(&pkg) {
                out.push(pkg);
            }
        }
        out
    }

    /// Available packages providing `name`, restricted to a range when given,
    /// in pool order, then the owners of the path `name` (a package may come
    /// more than once).
    fn matching_providers<'s>(
        &'s self,
        name: StrId,
        want: Option<(Op, evr::EvrRef<'s>)>,
    ) -> impl Iterator<Item = PkgId> + 's {
        let pool = self.pool;
        let provides = pool.providers_of(name).iter().filter_map(move |&(pkg, di)| {
            if !self.available[pkg as usize] {
                return None;
            }
            let ok = match want {
                Some((req_op, req_evr)) => {
                    let (pop, pevr) = pool.provide_constraint(pkg, di);
                    match pop {
                        None => true,
                        Some(_) if pevr == NO_EVR => true,
                        Some(pop) => evr::ranges_overlap_ref(pop, pool.evr_ref(pevr), req_op, req_evr),
                    }
                }
                None => true,
            };
            ok.then_some(pkg)
        });
        // A path is also provided by the packages that own it.
        let owners = (want.is_none() && pool.name_kind(name) == NameKind::Path).then(|| pool.file_owners(name));
        provides.chain(
            owners
                .into_iter()
                .flatten()
                .filter(move |&pkg| self.available[pkg as usize]),
        )
    }

    fn leaf(&mut self, s: &SimpleDep, need: &mut Vec<StrId>) -> Vec<PkgId> {
        let Some(name) = self.pool.strings.lookup(&s.name) else {
            return Vec::new();
        };
        let out = match &s.constraint {
            Some((op, e)) => self.providers_matching(name, Some((*op, e.as_ref()))),
            None => self.providers_matching(name, None),
        };
        // Unread filelists may name more owners of a path, even one that
        // already has some (a file primary.xml does not list).
        if s.name.starts_with('/') && !self.no_filelists && !self.filelists_scanned(name) {
            need.push(name);
        }
        out
    }

    /// libsolv's whatprovides for rich dependencies. Paths whose filelists
    /// are still unread go to `need`; `unsettled` is set when owners they
    /// may add would remove providers from the answer (the right side of
    /// `without`), so that only reading them settles it.
    fn rich_providers(&mut self, rich: &RichDep, need: &mut Vec<StrId>, unsettled: &mut bool) -> Vec<PkgId> {
        match rich {
            RichDep::Simple(s) => self.leaf(s, need),
            RichDep::Binary(op, l, r) => match op {
                RichOp::And | RichOp::Or => union(
                    self.rich_providers(l, need, unsettled),
                    self.rich_providers(r, need, unsettled),
                ),
                RichOp::If | RichOp::Unless => self.rich_providers(l, need, unsettled),
                RichOp::With => {
                    let a = self.rich_providers(l, need, unsettled);
                    let b = self.rich_providers(r, need, unsettled);
                    a.into_iter().filter(|p| b.contains(p)).collect()
                }
                RichOp::Without => {
                    let a = self.rich_providers(l, need, unsettled);
                    let mut pending = Vec::new();
                    let b = self.rich_providers(r, &mut pending, unsettled);
                    *unsettled |= !pending.is_empty() && !a.is_empty();
                    need.extend(pending);
                    a.into_iter().filter(|p| !b.contains(p)).collect()
                }
            },
            RichDep::Else { then, otherwise, .. } => union(
                self.rich_providers(then, need, unsettled),
                self.rich_providers(otherwise, need, unsettled),
            ),
        }
    }

    /// Boolean evaluation (`--rich=strict`): Ok when satisfiable, else which part fails.
    fn strict(&mut self, rich: &RichDep, need: &mut Vec<StrId>) -> Result<(), String> {
        let mut holds = |j: &mut Self, d: &RichDep| j.strict(d, need).is_ok();
        match rich {
            RichDep::Simple(s) => {
                if self.leaf(s, need).is_empty() {
                    Err(format!("nothing provides {s}"))
                } else {
                    Ok(())
                }
            }
            RichDep::Binary(op, l, r) => match op {
                RichOp::And => {
                    let mut fails = Vec::new();
                    for part in [l, r] {
                        let mut sub = Vec::new();
                        if let Err(e) = self.strict(part, &mut sub) {
                            fails.push(e);
                        }
                        need.extend(sub);
                    }
                    if fails.is_empty() {
                        Ok(())
                    } else {
                        Err(fails.join("; "))
                    }
                }
                RichOp::Or => {
                    if holds(self, l) || holds(self, r) {
                        Ok(())
                    } else {
                        Err(format!("neither {l} nor {r} is satisfiable"))
                    }
                }
                RichOp::If => {
                    if !holds(self, r) || holds(self, l) {
                        Ok(())
                    } else {
                        Err(format!("{r} is available but {l} is not satisfiable"))
                    }
                }
                RichOp::Unless => {
                    if holds(self, r) || holds(self, l) {
                        Ok(())
                    } else {
                        Err(format!("{r} is not available and {l} is not satisfiable"))
                    }
                }
                RichOp::With | RichOp::Without => {
                    if self.rich_providers(rich, need, &mut false).is_empty() {
                        Err(format!("no single package satisfies {rich}"))
                    } else {
                        Ok(())
                    }
                }
            },
            RichDep::Else {
                op,
                then,
                cond,
                otherwise,
            } => {
                let c = holds(self, cond);
                let branch = match (op, c) {
                    (RichOp::If, true) | (RichOp::Unless, false) => then,
                    _ => otherwise,
                };
                self.strict(branch, need)
                    .map_err(|e| format!("{e} (condition {cond} is {})", if c { "met" } else { "not met" }))
            }
        }
    }
}

fn union(mut a: Vec<PkgId>, b: Vec<PkgId>) -> Vec<PkgId> {
    for p in b {
        if !a.contains(&p) {
            a.push(p);
        }
    }
    a
}
