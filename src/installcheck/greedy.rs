//! The fast path: pick one provider for every Requires, breadth first from
//! the checked package, preferring a provider already picked, then one that
//! nothing picked excludes, then the best arch and the newest version; then
//! check the whole pick against every rule. A pick that passes is a proof
//! that every package in it is installable (it is a set that contains each
//! of them and breaks no rule), so one pick settles many packages at once.
//! A pick that fails proves nothing: the SAT search decides.

use super::rules::{Rules, is_neg, pkg_of};
use crate::core::ids::PkgId;

/// Scratch space of one worker: a stamp per package marks the current pick.
pub struct Scratch {
    mark: Vec<u32>,
    stamp: u32,
    /// The current pick, in the order it was made.
    pub picked: Vec<PkgId>,
}

impl Scratch {
    /// Scratch space for a pool of `n` packages.
    pub fn new(n: usize) -> Scratch {
        Scratch {
            mark: vec![0; n],
            stamp: 0,
            picked: Vec::new(),
        }
    }

    fn begin(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.fill(0);
            self.stamp = 1;
        }
        self.picked.clear();
    }

    fn has(&self, p: PkgId) -> bool {
        self.mark[p as usize] == self.stamp
    }

    fn add(&mut self, p: PkgId) {
        self.mark[p as usize] = self.stamp;
        self.picked.push(p);
    }
}

/// Picks greedily from `pkg`; true when the pick breaks no rule (it is then
/// in `scratch.picked`). `dead` marks packages known uninstallable (never
/// picked); `rank` orders providers (lower first).
pub fn pick(rules: &Rules, pkg: PkgId, dead: &[bool], rank: &[u32], scratch: &mut Scratch) -> bool {
    scratch.begin();
    scratch.add(pkg);
    let mut i = 0;
    while i < scratch.picked.len() {
        let a = scratch.picked[i];
        i += 1;
        for c in rules.clauses_of(a) {
            let lits = rules.lits_of(c);
            let satisfied = lits.iter().any(|&l| {
                let q = pkg_of(l);
                // A negative literal holds while its package is not picked;
                // the final check catches one picked later.
                if is_neg(l) { !scratch.has(q) } else { scratch.has(q) }
            });
            if satisfied {
                continue;
            }
            let mut best: Option<(bool, u32, PkgId)> = None;
            for &l in lits {
                if is_neg(l) {
                    continue;
                }
                let q = pkg_of(l);
                if dead[q as usize] {
                    continue;
                }
                let clash = rules.exclusions_of(q).iter().any(|&(r, _)| scratch.has(r));
                let key = (clash, rank[q as usize], q);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
            match best {
                Some((_, _, q)) => scratch.add(q),
                None => return false,
            }
        }
    }
    consistent(rules, scratch)
}

/// Whether the current pick breaks no rule.
fn consistent(rules: &Rules, scratch: &Scratch) -> bool {
    scratch.picked.iter().all(|&a| {
        rules.clauses_of(a).all(|c| {
            rules.lits_of(c).iter().any(|&l| {
                let q = pkg_of(l);
                if is_neg(l) { !scratch.has(q) } else { scratch.has(q) }
            })
        }) && rules.exclusions_of(a).iter().all(|&(r, _)| !scratch.has(r))
    })
}
