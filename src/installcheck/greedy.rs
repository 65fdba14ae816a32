//! The fast path: pick one provider for every Requires, breadth first from
//! the checked package, preferring a provider already picked, then one that
//! nothing picked excludes, then the best arch and the newest version; then
//! check the whole pick against every rule. A pick that passes is a proof
//! that every package in it is installable (it is a set that contains each
//! of them and breaks no rule), so one pick settles many packages at once.
//! A pick that fails is made again with the package picked by choice that
//! led to the clash banned (a few times); a pick that still fails proves
//! nothing: the SAT search decides.
//!
//! Before any of that, [`Universes`] tries to add the package to a growing
//! installable set, walking only what is new to it.

use super::rules::{Occurrences, Rules, is_neg, pkg_of};
use crate::core::ids::PkgId;

/// Scratch space of one worker: a stamp per package marks the current
/// pick, another the packages banned for the current checked package.
pub struct Scratch {
    mark: Vec<u32>,
    stamp: u32,
    ban: Vec<u32>,
    ban_stamp: u32,
    /// The current pick, in the order it was made.
    pub picked: Vec<PkgId>,
    /// Per entry of `picked`: whether it was the only provider left for the
    /// clause that picked it (or the checked package itself).
    forced: Vec<bool>,
    /// Per entry of `picked`: the index of the entry whose clause picked it.
    parent: Vec<u32>,
}

impl Scratch {
    /// Scratch space for a pool of `n` packages.
    pub fn new(n: usize) -> Scratch {
        Scratch {
            mark: vec![0; n],
            stamp: 0,
            ban: vec![0; n],
            ban_stamp: 0,
            picked: Vec::new(),
            forced: Vec::new(),
            parent: Vec::new(),
        }
    }

    fn begin(&mut self) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.mark.fill(0);
            self.stamp = 1;
        }
        self.picked.clear();
        self.forced.clear();
        self.parent.clear();
    }

    fn begin_bans(&mut self) {
        self.ban_stamp = self.ban_stamp.wrapping_add(1);
        if self.ban_stamp == 0 {
            self.ban.fill(0);
            self.ban_stamp = 1;
        }
    }

    fn has(&self, p: PkgId) -> bool {
        self.mark[p as usize] == self.stamp
    }

    fn banned(&self, p: PkgId) -> bool {
        self.ban[p as usize] == self.ban_stamp
    }

    fn add(&mut self, p: PkgId, forced: bool, parent: usize) {
        self.mark[p as usize] = self.stamp;
        self.picked.push(p);
        self.forced.push(forced);
        self.parent.push(parent as u32);
    }

    /// The nearest entry at or above entry `i` (following the entries whose
    /// clauses picked them) that was picked by choice.
    fn chosen_above(&self, mut i: usize) -> Option<usize> {
        // Parents come before their children: the walk ends.
        while self.forced[i] {
            if i == 0 {
                return None;
            }
            i = self.parent[i] as usize;
        }
        Some(i)
    }
}

/// Picks tried per checked package: after a pick that breaks a rule, the
/// package that was picked by choice (a newer version for a Requires that
/// any version met, where another Requires insists on an older one) is
/// banned and the pick made again. Most failed picks in real repositories
/// are such two versions of one name, settled by one or two retries.
const TRIES: usize = 32;

/// Picks greedily from `pkg`; true when the pick breaks no rule (it is then
/// in `scratch.picked`). `dead` marks packages known uninstallable (never
/// picked); `rank` orders providers (lower first).
pub fn pick(rules: &Rules, pkg: PkgId, dead: &[bool], rank: &[u32], scratch: &mut Scratch) -> bool {
    scratch.begin_bans();
    for _ in 0..TRIES {
        match attempt(rules, pkg, dead, rank, scratch) {
            Attempt::Consistent => return true,
            Attempt::Ban(q) => scratch.ban[q as usize] = scratch.ban_stamp,
            Attempt::GiveUp => return false,
        }
    }
    false
}

enum Attempt {
    /// The pick breaks no rule.
    Consistent,
    /// The pick breaks a rule; banning this package may help.
    Ban(PkgId),
    /// No retry can be told to help: the SAT search decides.
    GiveUp,
}

fn attempt(rules: &Rules, pkg: PkgId, dead: &[bool], rank: &[u32], scratch: &mut Scratch) -> Attempt {
    scratch.begin();
    scratch.add(pkg, true, 0);
    let mut i = 0;
    while i < scratch.picked.len() {
        let a = scratch.picked[i];
        i += 1;
        for c in rules.clauses_of(a) {
            // A negative literal holds while its package is not picked;
            // the final check catches one picked later.
            if rules.holds(c, |q| scratch.has(q)) {
                continue;
            }
            let lits = rules.lits_of(c);
            let mut best: Option<(bool, u32, PkgId)> = None;
            let mut live = 0;
            for &l in lits {
                if is_neg(l) {
                    continue;
                }
                let q = pkg_of(l);
                if dead[q as usize] || scratch.banned(q) {
                    continue;
                }
                live += 1;
                let clash = rules.exclusions_of(q).iter().any(|&(r, _)| scratch.has(r));
                let key = (clash, rank[q as usize], q);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
            match best {
                Some((_, _, q)) => scratch.add(q, live == 1, i - 1),
                None => return Attempt::GiveUp,
            }
        }
    }
    violation(rules, scratch)
}

/// Whether the current pick breaks no rule; if it does, which package to
/// ban for the next try: of a pair that excludes each other, the nearest
/// package picked by choice that led to the one picked first, else to the
/// other.
fn violation(rules: &Rules, scratch: &Scratch) -> Attempt {
    for (i, &a) in scratch.picked.iter().enumerate() {
        let broken = rules.clauses_of(a).any(|c| !rules.holds(c, |q| scratch.has(q)));
        if broken {
            return Attempt::GiveUp;
        }
        for &(r, _) in rules.exclusions_of(a) {
            if !scratch.has(r) {
                continue;
            }
            // `r` was picked after `a` (each pair is met first from the
            // member picked first).
            let j = scratch.picked[i + 1..].iter().position(|&q| q == r).map(|k| i + 1 + k);
            return match scratch
                .chosen_above(i)
                .or_else(|| j.and_then(|j| scratch.chosen_above(j)))
            {
                Some(k) => Attempt::Ban(scratch.picked[k]),
                None => Attempt::GiveUp,
            };
        }
    }
    Attempt::Consistent
}

/// Sets of packages that can be installed together, grown package by
/// package: every member's Requires are met inside its set and no two
/// members exclude each other, so a set proves every member installable at
/// once. A checked package joins a set when a greedy pick from it, taking
/// members before anything else, adds packages that break no rule with the
/// set; the pick then walks only what is new, so most of a repository costs
/// one walk over it instead of one walk per package. Several sets live side
/// by side because repositories keep older builds whose subpackages require
/// each other at their exact version: each generation of such a family
/// grows a set of its own beside the newest one.
pub struct Universes<'a> {
    sets: Vec<Vec<bool>>,
    /// Indexes into `sets`, the one a package joined last first.
    order: Vec<usize>,
    /// Per package, the clauses it appears in negatively (a rich Requires
    /// or Conflicts a new member of a set may break).
    negs: &'a Occurrences,
}

/// Most sets kept; past it the one joined longest ago starts over.
const SETS: usize = 32;

impl<'a> Universes<'a> {
    /// No set yet, over the packages of the rules `negs` indexes
    /// ([`Rules::occurrences`]`(true)`).
    pub fn new(negs: &'a Occurrences) -> Universes<'a> {
        Universes {
            sets: Vec::new(),
            order: Vec::new(),
            negs,
        }
    }

    /// Adds `pkg` (and what it needs) to a set, a new one if it joins none;
    /// true when it joined (the packages that came with it are in
    /// `scratch.picked`).
    pub fn join(&mut self, rules: &Rules, pkg: PkgId, dead: &[bool], rank: &[u32], scratch: &mut Scratch) -> bool {
        for k in 0..self.order.len() {
            let set = self.order[k];
            if self.extend(set, rules, pkg, dead, rank, scratch) {
                self.order[..=k].rotate_right(1);
                return true;
            }
        }
        let set = match self.sets.len() < SETS {
            true => {
                self.sets.push(vec![false; rules.available.len()]);
                self.order.insert(0, self.sets.len() - 1);
                self.sets.len() - 1
            }
            false => {
                self.order.rotate_right(1);
                let set = self.order[0];
                self.sets[set].fill(false);
                set
            }
        };
        self.extend(set, rules, pkg, dead, rank, scratch)
    }

    /// Tries to add `pkg` and what it needs to set `set`.
    fn extend(
        &mut self,
        set: usize,
        rules: &Rules,
        pkg: PkgId,
        dead: &[bool],
        rank: &[u32],
        scratch: &mut Scratch,
    ) -> bool {
        let member = &self.sets[set];
        scratch.begin();
        scratch.add(pkg, true, 0);
        let inside = |s: &Scratch, q: PkgId| member[q as usize] || s.has(q);
        let mut i = 0;
        while i < scratch.picked.len() {
            let a = scratch.picked[i];
            i += 1;
            for c in rules.clauses_of(a) {
                if rules.holds(c, |q| inside(scratch, q)) {
                    continue;
                }
                let lits = rules.lits_of(c);
                let mut best: Option<(u32, PkgId)> = None;
                for &l in lits {
                    if is_neg(l) {
                        continue;
                    }
                    let q = pkg_of(l);
                    // A provider the set (or this pick) excludes would fail
                    // the check below: never taken.
                    if dead[q as usize] || rules.exclusions_of(q).iter().any(|&(r, _)| inside(scratch, r)) {
                        continue;
                    }
                    if best.is_none_or(|b| (rank[q as usize], q) < b) {
                        best = Some((rank[q as usize], q));
                    }
                }
                match best {
                    Some((_, q)) => scratch.add(q, false, i - 1),
                    None => return false,
                }
            }
        }
        // Every clause of the new packages was met when it was walked; a
        // negative literal may have been broken by a later pick, and a
        // pick may exclude another or break a member's negative literal.
        let holds = |c: u32| rules.holds(c, |q| inside(scratch, q));
        for &a in &scratch.picked {
            if !rules.clauses_of(a).all(holds) || rules.exclusions_of(a).iter().any(|&(r, _)| inside(scratch, r)) {
                return false;
            }
            if self
                .negs
                .of(a)
                .iter()
                .any(|&c| inside(scratch, rules.owner[c as usize]) && !holds(c))
            {
                return false;
            }
        }
        let member = &mut self.sets[set];
        for &a in &scratch.picked {
            member[a as usize] = true;
        }
        true
    }
}
