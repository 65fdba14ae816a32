//! A small conflict-driven clause-learning SAT solver (two watched
//! literals, first-UIP learning, activity-ordered decisions, `false` first),
//! for the few packages whose greedy pick meets a conflict. Package problems
//! are small (the packages reachable from one package) and mostly Horn-like;
//! deciding "not installed" first leaves the last provider of each Requires
//! to be propagated, as libsolv's solver does.
//!
//! An unsatisfiable problem comes back with the original clauses its proof
//! used (every learnt clause remembers the clauses it was resolved from), so
//! that the explanation names the conflicts that matter and no others.

/// A literal over the solver's own variables: `var << 1 | negated`.
pub type SatLit = u32;

const NONE: u32 = u32::MAX;

/// The answer.
pub enum Answer {
    /// A model: the value of every variable.
    Sat(Vec<bool>),
    /// Unsatisfiable: the indexes of the original clauses the proof used.
    Unsat(Vec<u32>),
}

/// The solver: [`reset`](Self::reset) to a number of variables, filled with
/// [`add`](Self::add), run once with [`solve`](Self::solve); then reset
/// again for the next problem. The clauses live in one array and every
/// buffer keeps its capacity from problem to problem, so that a worker
/// solving many small problems hardly allocates.
#[derive(Default)]
pub struct Cdcl {
    /// The literals of every clause, one after another.
    lits: Vec<SatLit>,
    /// Clause `c` is `lits[start[c]..start[c + 1]]`.
    start: Vec<u32>,
    original: usize,
    /// For each learnt clause (index − `original`), the clauses it was
    /// resolved from: `antecedents[ante_start[i]..ante_start[i + 1]]`.
    antecedents: Vec<u32>,
    ante_start: Vec<u32>,
    /// Per literal, the clauses watching it (only the first `2 × vars`
    /// lists are in use; the others wait, empty, for a larger problem).
    watches: Vec<Vec<u32>>,
    /// Per variable: 0 unassigned, 1 true, -1 false.
    value: Vec<i8>,
    level: Vec<u32>,
    reason: Vec<u32>,
    trail: Vec<SatLit>,
    trail_lim: Vec<usize>,
    qhead: usize,
    activity: Vec<f64>,
    increment: f64,
    heap: Heap,
    seen: Vec<bool>,
    units: Vec<u32>,
    empty: Option<u32>,
}

impl Cdcl {
    /// A solver over `vars` variables (a new one; [`reset`](Self::reset)
    /// reuses one).
    pub fn new(vars: usize) -> Cdcl {
        let mut sat = Cdcl::default();
        sat.reset(vars);
        sat
    }

    /// Empties the solver for a problem over `vars` variables.
    pub fn reset(&mut self, vars: usize) {
        self.lits.clear();
        self.start.clear();
        self.start.push(0);
        self.original = 0;
        self.antecedents.clear();
        self.ante_start.clear();
        self.ante_start.push(0);
        if self.watches.len() < vars * 2 {
            self.watches.resize_with(vars * 2, Vec::new);
        }
        for w in &mut self.watches[..vars * 2] {
            w.clear();
        }
        self.value.clear();
        self.value.resize(vars, 0);
        self.level.clear();
        self.level.resize(vars, 0);
        self.reason.clear();
        self.reason.resize(vars, NONE);
        self.trail.clear();
        self.trail_lim.clear();
        self.qhead = 0;
        self.activity.clear();
        self.activity.resize(vars, 0.0);
        self.increment = 1.0;
        self.heap.reset(vars);
        self.seen.clear();
        self.seen.resize(vars, false);
        self.units.clear();
        self.empty = None;
    }

    fn clause(&self, c: u32) -> std::ops::Range<usize> {
        self.start[c as usize] as usize..self.start[c as usize + 1] as usize
    }

    fn clauses(&self) -> usize {
        self.start.len() - 1
    }

    /// Adds an original clause; returns its index (the one
    /// [`Answer::Unsat`] names). Call before [`solve`](Self::solve).
    pub fn add(&mut self, lits: &[SatLit]) -> u32 {
        let idx = self.clauses() as u32;
        let from = self.lits.len();
        self.lits.extend_from_slice(lits);
        self.lits[from..].sort_unstable();
        let mut kept = from;
        for r in from..self.lits.len() {
            if kept == from || self.lits[r] != self.lits[kept - 1] {
                self.lits[kept] = self.lits[r];
                kept += 1;
            }
        }
        self.lits.truncate(kept);
        self.original += 1;
        if self.lits[from..].windows(2).any(|w| w[0] ^ 1 == w[1]) {
            // A tautology constrains nothing; kept empty-handed for numbering.
            self.lits.truncate(from);
            self.start.push(from as u32);
            return idx;
        }
        match kept - from {
            0 => {
                self.empty.get_or_insert(idx);
            }
            1 => self.units.push(idx),
            _ => {
                self.watches[(self.lits[from] ^ 1) as usize].push(idx);
                self.watches[(self.lits[from + 1] ^ 1) as usize].push(idx);
            }
        }
        self.start.push(kept as u32);
        idx
    }

    fn lit_value(&self, l: SatLit) -> i8 {
        let v = self.value[(l >> 1) as usize];
        if l & 1 == 1 { -v } else { v }
    }

    fn assign(&mut self, l: SatLit, reason: u32) {
        let v = (l >> 1) as usize;
        self.value[v] = if l & 1 == 1 { -1 } else { 1 };
        self.level[v] = self.trail_lim.len() as u32;
        self.reason[v] = reason;
        self.trail.push(l);
    }

    /// Runs the search to the end: exact, no limit.
    pub fn solve(&mut self) -> Answer {
        if let Some(c) = self.empty {
            return Answer::Unsat(vec![c]);
        }
        // Tautologies were kept empty: they must not look like empty clauses.
        for i in 0..self.units.len() {
            let c = self.units[i];
            let l = self.lits[self.clause(c).start];
            match self.lit_value(l) {
                1 => {}
                0 => self.assign(l, c),
                _ => return Answer::Unsat(self.core(c)),
            }
        }
        loop {
            let conflict = self.propagate();
            if conflict != NONE {
                if self.trail_lim.is_empty() {
                    return Answer::Unsat(self.core(conflict));
                }
                let (learnt, back_to, antecedents) = self.analyze(conflict);
                self.backtrack(back_to);
                let idx = self.clauses() as u32;
                if learnt.len() > 1 {
                    self.watches[(learnt[0] ^ 1) as usize].push(idx);
                    self.watches[(learnt[1] ^ 1) as usize].push(idx);
                }
                let first = learnt[0];
                self.lits.extend_from_slice(&learnt);
                self.start.push(self.lits.len() as u32);
                self.antecedents.extend_from_slice(&antecedents);
                self.ante_start.push(self.antecedents.len() as u32);
                self.assign(first, idx);
                self.increment *= 1.0 / 0.95;
                continue;
            }
            let Some(var) = self.next_decision() else {
                return Answer::Sat(self.value.iter().map(|&v| v == 1).collect());
            };
            self.trail_lim.push(self.trail.len());
            self.assign(((var as u32) << 1) | 1, NONE);
        }
    }

    fn next_decision(&mut self) -> Option<usize> {
        while let Some(v) = self.heap.pop(&self.activity) {
            if self.value[v] == 0 {
                return Some(v);
            }
        }
        None
    }

    /// Unit propagation; returns a falsified clause or `NONE`.
    fn propagate(&mut self) -> u32 {
        while self.qhead < self.trail.len() {
            let l = self.trail[self.qhead];
            self.qhead += 1;
            // Clauses watching ¬l are listed under l (it became true).
            let falsified = l ^ 1;
            let mut ws = std::mem::take(&mut self.watches[l as usize]);
            let mut i = 0;
            let mut j = 0;
            let mut conflict = NONE;
            while i < ws.len() {
                let c = ws[i];
                i += 1;
                let range = self.clause(c);
                let cl = &mut self.lits[range];
                if cl[0] == falsified {
                    cl.swap(0, 1);
                }
                let first = cl[0];
                let first_value = {
                    let v = self.value[(first >> 1) as usize];
                    if first & 1 == 1 { -v } else { v }
                };
                if first_value == 1 {
                    ws[j] = c;
                    j += 1;
                    continue;
                }
                let mut moved = false;
                for k in 2..cl.len() {
                    let lk = cl[k];
                    let v = self.value[(lk >> 1) as usize];
                    let vk = if lk & 1 == 1 { -v } else { v };
                    if vk != -1 {
                        cl.swap(1, k);
                        self.watches[(lk ^ 1) as usize].push(c);
                        moved = true;
                        break;
                    }
                }
                if moved {
                    continue;
                }
                ws[j] = c;
                j += 1;
                if first_value == -1 {
                    conflict = c;
                    while i < ws.len() {
                        ws[j] = ws[i];
                        i += 1;
                        j += 1;
                    }
                    break;
                }
                self.assign(first, c);
            }
            ws.truncate(j);
            // Clauses that moved their watch onto l's list meanwhile stay.
            let added = std::mem::replace(&mut self.watches[l as usize], ws);
            self.watches[l as usize].extend(added);
            if conflict != NONE {
                return conflict;
            }
        }
        NONE
    }

    /// First-UIP learning: the learnt clause (asserting literal first, the
    /// literal of the level to go back to second), that level, and the
    /// clauses resolved.
    fn analyze(&mut self, conflict: u32) -> (Vec<SatLit>, usize, Vec<u32>) {
        let current = self.trail_lim.len() as u32;
        let mut learnt: Vec<SatLit> = vec![0];
        let mut antecedents = Vec::new();
        let mut pending = 0usize;
        let mut index = self.trail.len();
        let mut clause = conflict;
        let mut resolved: Option<SatLit> = None;
        loop {
            antecedents.push(clause);
            for k in self.clause(clause) {
                let q = self.lits[k];
                if Some(q) == resolved {
                    continue;
                }
                let v = (q >> 1) as usize;
                if self.seen[v] {
                    continue;
                }
                if self.level[v] == 0 {
                    if self.reason[v] != NONE {
                        antecedents.push(self.reason[v]);
                    }
                    continue;
                }
                self.seen[v] = true;
                self.bump(v);
                if self.level[v] == current {
                    pending += 1;
                } else {
                    learnt.push(q);
                }
            }
            loop {
                index -= 1;
                if self.seen[(self.trail[index] >> 1) as usize] {
                    break;
                }
            }
            let p = self.trail[index];
            let v = (p >> 1) as usize;
            self.seen[v] = false;
            pending -= 1;
            if pending == 0 {
                learnt[0] = p ^ 1;
                break;
            }
            clause = self.reason[v];
            resolved = Some(p);
        }
        for &q in &learnt[1..] {
            self.seen[(q >> 1) as usize] = false;
        }
        let mut back_to = 0usize;
        if learnt.len() > 1 {
            let mut best = 1;
            for k in 2..learnt.len() {
                if self.level[(learnt[k] >> 1) as usize] > self.level[(learnt[best] >> 1) as usize] {
                    best = k;
                }
            }
            learnt.swap(1, best);
            back_to = self.level[(learnt[1] >> 1) as usize] as usize;
        }
        (learnt, back_to, antecedents)
    }

    fn bump(&mut self, v: usize) {
        self.activity[v] += self.increment;
        if self.activity[v] > 1e100 {
            for a in &mut self.activity {
                *a *= 1e-100;
            }
            self.increment *= 1e-100;
        }
        self.heap.raise(v, &self.activity);
    }

    fn backtrack(&mut self, level: usize) {
        if self.trail_lim.len() <= level {
            return;
        }
        let keep = self.trail_lim[level];
        for i in (keep..self.trail.len()).rev() {
            let v = (self.trail[i] >> 1) as usize;
            self.value[v] = 0;
            self.reason[v] = NONE;
            self.heap.insert(v, &self.activity);
        }
        self.trail.truncate(keep);
        self.trail_lim.truncate(level);
        self.qhead = keep;
    }

    /// The original clauses behind a conflict at level 0: the conflict, the
    /// reasons of its (level 0) literals, and for learnt clauses what they
    /// were resolved from, transitively.
    fn core(&self, conflict: u32) -> Vec<u32> {
        let mut done = vec![false; self.clauses()];
        let mut stack = vec![conflict];
        let mut core = Vec::new();
        while let Some(c) = stack.pop() {
            if std::mem::replace(&mut done[c as usize], true) {
                continue;
            }
            for &l in &self.lits[self.clause(c)] {
                let r = self.reason[(l >> 1) as usize];
                if r != NONE && r != c {
                    stack.push(r);
                }
            }
            if (c as usize) < self.original {
                core.push(c);
            } else {
                let i = c as usize - self.original;
                stack.extend(&self.antecedents[self.ante_start[i] as usize..self.ante_start[i + 1] as usize]);
            }
        }
        core.sort_unstable();
        core
    }
}

/// A binary max-heap of variables by activity (ties: lower variable first,
/// which is the order the problem was built in: nearest the checked package).
#[derive(Default)]
struct Heap {
    items: Vec<usize>,
    /// Position of each variable in `items`, or `usize::MAX`.
    at: Vec<usize>,
}

impl Heap {
    fn reset(&mut self, vars: usize) {
        self.items.clear();
        self.items.extend(0..vars);
        self.at.clear();
        self.at.extend(0..vars);
    }

    fn before(a: usize, b: usize, act: &[f64]) -> bool {
        act[a] > act[b] || (act[a] == act[b] && a < b)
    }

    fn up(&mut self, mut i: usize, act: &[f64]) {
        while i > 0 {
            let parent = (i - 1) / 2;
            if !Self::before(self.items[i], self.items[parent], act) {
                break;
            }
            self.items.swap(i, parent);
            self.at[self.items[i]] = i;
            self.at[self.items[parent]] = parent;
            i = parent;
        }
    }

    fn down(&mut self, mut i: usize, act: &[f64]) {
        loop {
            let l = 2 * i + 1;
            let r = l + 1;
            let mut best = i;
            if l < self.items.len() && Self::before(self.items[l], self.items[best], act) {
                best = l;
            }
            if r < self.items.len() && Self::before(self.items[r], self.items[best], act) {
                best = r;
            }
            if best == i {
                break;
            }
            self.items.swap(i, best);
            self.at[self.items[i]] = i;
            self.at[self.items[best]] = best;
            i = best;
        }
    }

    fn raise(&mut self, v: usize, act: &[f64]) {
        let i = self.at[v];
        if i != usize::MAX {
            self.up(i, act);
        }
    }

    fn insert(&mut self, v: usize, act: &[f64]) {
        if self.at[v] != usize::MAX {
            return;
        }
        self.items.push(v);
        let i = self.items.len() - 1;
        self.at[v] = i;
        self.up(i, act);
    }

    fn pop(&mut self, act: &[f64]) -> Option<usize> {
        let top = *self.items.first()?;
        let last = self.items.pop()?;
        self.at[top] = usize::MAX;
        if !self.items.is_empty() {
            self.items[0] = last;
            self.at[last] = 0;
            self.down(0, act);
        }
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::{Answer, Cdcl};

    fn p(v: u32) -> u32 {
        v << 1
    }
    fn n(v: u32) -> u32 {
        (v << 1) | 1
    }

    #[test]
    fn finds_the_one_way_through_alternatives() {
        // 0 needs 1 or 2; 1 conflicts with 3; 0 needs 3; 2 needs 4 or 5; 4 and 5 conflict with 0.
        let mut s = Cdcl::new(6);
        s.add(&[p(0)]);
        s.add(&[n(0), p(1), p(2)]);
        s.add(&[n(1), n(3)]);
        s.add(&[n(0), p(3)]);
        s.add(&[n(2), p(4), p(5)]);
        s.add(&[n(4), n(0)]);
        s.add(&[n(5), n(1)]);
        match s.solve() {
            Answer::Sat(m) => assert!(m[0] && m[2] && m[3] && m[5] && !m[1] && !m[4]),
            Answer::Unsat(_) => panic!("satisfiable"),
        }
    }

    #[test]
    fn unsat_core_names_the_conflict_and_leaves_the_rest_out() {
        let mut s = Cdcl::new(5);
        s.add(&[p(0)]); // 0
        s.add(&[n(0), p(1), p(2)]); // 1
        s.add(&[n(1), p(3)]); // 2
        s.add(&[n(2), p(3)]); // 3
        s.add(&[n(0), n(3)]); // 4: the conflict
        s.add(&[n(4), p(0)]); // 5: unrelated
        match s.solve() {
            Answer::Unsat(core) => assert_eq!(core, vec![0, 1, 2, 3, 4]),
            Answer::Sat(_) => panic!("unsatisfiable"),
        }
    }
}
