//! Before and after compared: new, fixed and still-broken findings, each new
//! one attributed to the change(s) responsible, a verdict per change, and
//! the builds that only work together. In closure mode a finding is one
//! unresolved Requires of one package; in install mode one package that
//! cannot be installed (whatever its root cause), so that a package broken
//! before and after for another reason is still broken, not new and fixed.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use super::state::{ChangeKind, ChangeSet};
use super::{ChangeError, ChangeRequest, Mode, SCHEMA};
use crate::closure::{ClosureOptions, ClosureResult};
use crate::core::dep::DepKind;
use crate::core::evr;
use crate::core::ids::{EvrId, NO_EVR, PkgId, StrId};
use crate::engine::Loaded;
use crate::installcheck::{InstallcheckResult, Problem};
use crate::pool::{NameKind, Pool};

/// Accept or reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Nothing new breaks because of it.
    Accept,
    /// It causes (alone or with others) at least one new problem.
    Reject,
}

/// One unresolved Requires of one package (closure mode), or one package
/// that cannot be installed (install mode).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// The broken package's NEVRA.
    pub nevra: String,
    /// Its name.
    pub name: String,
    /// Its architecture.
    pub arch: String,
    /// Its repository (a target, or the repository of the proposed builds).
    pub repo: String,
    /// The capability nothing provides, as dnf prints it (closure mode;
    /// empty and left out of the JSON in install mode).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub requires: String,
    /// Why the package cannot be installed (install mode): installcheck's
    /// root cause, shared word for word by every package it sinks.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub root_cause: String,
    /// The chain from the package down to its root cause (install mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// For a new problem, the changes responsible (build NVRs, untagged
    /// source names); for a fixed one, the changes that fixed it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blame: Vec<String>,
    /// How the change causes (or fixes) it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
    /// For a still-broken finding of a proposed package: the NEVRA of the
    /// package it replaces, which was missing the same capability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
}

impl Finding {
    /// The finding as one line: `NEVRA requires CAP` (closure mode), or
    /// `NEVRA cannot be installed: ROOT CAUSE` (install mode).
    pub fn describe(&self) -> String {
        match self.requires.is_empty() {
            true => format!("{} cannot be installed: {}", self.nevra, self.root_cause),
            false => format!("{} requires {}", self.nevra, self.requires),
        }
    }

    fn key(&self) -> Key {
        (self.nevra.clone(), self.repo.clone(), self.requires.clone())
    }
}

/// A change's verdict.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ChangeVerdict {
    /// `build` or `untag`.
    pub kind: ChangeKind,
    /// The build's source NVR, or the untagged source package's name.
    pub nvr: String,
    /// The source package name.
    pub source: String,
    /// Accept or reject.
    pub verdict: Verdict,
    /// The binary packages it brings (NEVRAs).
    pub packages: Vec<String>,
    /// The target packages it takes out (NEVRAs).
    pub replaces: Vec<String>,
    /// The new problems laid at its door, as text ("app-b-1.0-1.noarch
    /// requires libb < 2.0", or in install mode "app-c-1.0-1.noarch cannot
    /// be installed: ...").
    pub problems: Vec<String>,
    /// Other proposed builds it needs (it works only together with them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<String>,
}

impl ChangeVerdict {
    /// How reports name the change: the build's NVR, or `untag NAME`.
    pub fn name(&self) -> String {
        match self.kind {
            ChangeKind::Build => self.nvr.clone(),
            ChangeKind::Untag => format!("untag {}", self.nvr),
        }
    }
}

/// A build that works only together with other proposed builds.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Together {
    /// The build.
    pub build: String,
    /// The builds it needs.
    pub needs: Vec<String>,
    /// Which of its Requires only they provide.
    pub through: Vec<String>,
}

/// Time spent, in milliseconds.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ChangeTimings {
    /// Loading the targets and the builds into one pool.
    pub load_ms: f64,
    /// The before-state's check (closure or installcheck).
    pub before_ms: f64,
    /// The after-state's check.
    pub after_ms: f64,
    /// Attribution (trying changes one at a time where the dependency alone
    /// cannot tell).
    pub attribution_ms: f64,
    /// The whole check.
    pub total_ms: f64,
}

/// Everything a change check found (JSON schema 1, README "rpmatrix change").
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ChangeReport {
    /// [`SCHEMA`].
    pub schema: u32,
    /// `closure` or `install` ([`Mode`]).
    pub mode: String,
    /// The target repositories.
    pub targets: Vec<String>,
    /// Packages checked before and after.
    pub checked_before: usize,
    /// Packages checked after.
    pub checked_after: usize,
    /// A verdict per change (builds, then untags).
    pub changes: Vec<ChangeVerdict>,
    /// Problems the change causes.
    pub new: Vec<Finding>,
    /// Problems it fixes.
    pub fixed: Vec<Finding>,
    /// Problems that were there before and stay.
    pub still_broken: Vec<Finding>,
    /// Builds that only work together with other proposed builds.
    pub together: Vec<Together>,
    /// Time spent.
    pub timings: ChangeTimings,
}

impl ChangeReport {
    /// Whether the change breaks something new.
    pub fn breaks(&self) -> bool {
        !self.new.is_empty()
    }

    /// [`exit::FINDINGS`](crate::exit::FINDINGS) when the change breaks
    /// something new, else [`exit::SUCCESS`](crate::exit::SUCCESS).
    pub fn exit_code(&self) -> u8 {
        match self.breaks() {
            true => crate::exit::FINDINGS,
            false => crate::exit::SUCCESS,
        }
    }
}

/// (NEVRA, repository, requires): one finding of one state (requires empty
/// in install mode: a package is broken or not).
type Key = (String, String, String);

/// The findings of one state, and how many packages it checked.
struct StateFindings {
    findings: BTreeMap<Key, Finding>,
    checked: usize,
}

fn closure_findings(result: &ClosureResult) -> BTreeMap<Key, Finding> {
    let mut out = BTreeMap::new();
    for p in &result.problems {
        for dep in &p.unresolved {
            let f = Finding {
                nevra: p.nevra.clone(),
                name: p.name.clone(),
                arch: p.arch.clone(),
                repo: p.repo.clone(),
                requires: dep.clone(),
                root_cause: String::new(),
                problems: Vec::new(),
                blame: Vec::new(),
                why: String::new(),
                was: None,
            };
            out.insert(f.key(), f);
        }
    }
    out
}

fn install_findings(result: &InstallcheckResult) -> BTreeMap<Key, Finding> {
    let mut out = BTreeMap::new();
    for u in &result.uninstallable {
        let f = Finding {
            nevra: u.nevra.clone(),
            name: u.name.clone(),
            arch: u.arch.clone(),
            repo: u.repo.clone(),
            requires: String::new(),
            root_cause: u.root_cause.clone(),
            problems: u.problems.clone(),
            blame: Vec::new(),
            why: String::new(),
            was: None,
        };
        out.insert(f.key(), f);
    }
    out
}

/// Checks one state (the withdrawn packages already set on the pool) with
/// the mode's rules.
fn check_state(loaded: &mut Loaded, mode: Mode, opts: &ClosureOptions) -> Result<StateFindings, ChangeError> {
    Ok(match mode {
        Mode::Closure => {
            let (result, _) = loaded.closure(opts)?;
            StateFindings {
                findings: closure_findings(&result),
                checked: result.checked,
            }
        }
        Mode::Install => {
            let (result, _) = loaded.installcheck(opts)?;
            StateFindings {
                findings: install_findings(&result),
                checked: result.checked,
            }
        }
    })
}

/// Splits the findings of after into new and still broken, and those of
/// before into fixed. A proposed package missing what the package of the
/// same name and arch it replaces was already missing is still broken (its
/// finding carries the old NEVRA in `was`), not new.
fn split(
    pool: &Pool,
    set: &ChangeSet,
    before: &BTreeMap<Key, Finding>,
    after: &BTreeMap<Key, Finding>,
) -> (Vec<Finding>, Vec<Finding>, Vec<Finding>) {
    let replaced: FxHashSet<(String, String)> = set
        .changes
        .iter()
        .flat_map(|c| {
            c.replaces
                .iter()
                .map(|&p| (pool.nevra(p), pool.repo_name(p).to_owned()))
        })
        .collect();
    // (name, arch, requires) → the before-finding of a replaced package.
    let mut carried: BTreeMap<(&str, &str, &str), &Finding> = BTreeMap::new();
    for f in before.values() {
        if replaced.contains(&(f.nevra.clone(), f.repo.clone())) {
            carried.insert((&f.name, &f.arch, &f.requires), f);
        }
    }
    let mut used = FxHashSet::default();
    let (mut new, mut still) = (Vec::new(), Vec::new());
    for (key, f) in after {
        if before.contains_key(key) {
            still.push(f.clone());
        } else if let Some(old) = set
            .adds
            .contains(&f.repo)
            .then(|| carried.get(&(f.name.as_str(), f.arch.as_str(), f.requires.as_str())))
            .flatten()
        {
            used.insert((old.nevra.clone(), old.repo.clone(), old.requires.clone()));
            still.push(Finding {
                was: Some(old.nevra.clone()),
                ..f.clone()
            });
        } else {
            new.push(f.clone());
        }
    }
    let fixed = before
        .iter()
        .filter(|(k, _)| !after.contains_key(*k) && !used.contains(*k))
        .map(|(_, f)| f.clone())
        .collect();
    (new, fixed, still)
}

/// Checks before and after on the one pool (with the request's mode) and
/// compares them.
pub fn compare(loaded: &mut Loaded, set: &ChangeSet, request: &ChangeRequest) -> Result<ChangeReport, ChangeError> {
    let base = &request.closure;
    let mode = request.mode;
    let timed = std::time::Instant::now();
    loaded.pool.set_withdrawn(&[]);
    let before = check_state(loaded, mode, &set.before_options(base))?;
    let before_ms = ms(timed);
    let timed = std::time::Instant::now();
    loaded.pool.set_withdrawn(&set.withdrawn(None));
    let after_opts = set.after_options(base);
    let after = check_state(loaded, mode, &after_opts);
    let after_ms = ms(timed);
    let timed = std::time::Instant::now();
    let outcome = after.and_then(|after| {
        let (mut new, fixed, still) = split(&loaded.pool, set, &before.findings, &after.findings);
        let fixed: Vec<Finding> = fixed.into_iter().map(|f| explain_fixed(&loaded.pool, set, f)).collect();
        let mut memo: BTreeMap<String, (Vec<usize>, String)> = BTreeMap::new();
        for f in &mut new {
            match mode {
                Mode::Closure => attribute(loaded, set, &after_opts, f, &mut memo)?,
                Mode::Install => attribute_install(loaded, set, &after_opts, f, &mut memo)?,
            }
        }
        let together = together(&loaded.pool, set, base);
        Ok((after, new, fixed, still, together))
    });
    loaded.pool.set_withdrawn(&[]);
    let (after, new, fixed, still_broken, together) = outcome?;
    let pool = &loaded.pool;
    let changes = set
        .changes
        .iter()
        .map(|c| {
            let problems: Vec<String> = new
                .iter()
                .filter(|f| f.blame.contains(&c.label))
                .map(Finding::describe)
                .collect();
            let needs = together
                .iter()
                .find(|t| t.build == c.label)
                .map(|t| t.needs.clone())
                .unwrap_or_default();
            ChangeVerdict {
                kind: c.kind,
                nvr: c.label.clone(),
                source: c.source.clone(),
                verdict: match problems.is_empty() {
                    true => Verdict::Accept,
                    false => Verdict::Reject,
                },
                packages: c.packages.iter().map(|&p| pool.nevra(p)).collect(),
                replaces: c.replaces.iter().map(|&p| pool.nevra(p)).collect(),
                problems,
                needs,
            }
        })
        .collect();
    Ok(ChangeReport {
        schema: SCHEMA,
        mode: mode.as_str().to_owned(),
        targets: set.targets.clone(),
        checked_before: before.checked,
        checked_after: after.checked,
        changes,
        new,
        fixed,
        still_broken,
        together,
        timings: ChangeTimings {
            before_ms,
            after_ms,
            attribution_ms: ms(timed),
            ..ChangeTimings::default()
        },
    })
}

fn ms(since: std::time::Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

/// The capability names a printed require asks for: its name, or every
/// name inside a rich dependency.
fn required_names(pool: &Pool, requires: &str) -> Vec<StrId> {
    let name = match requires.starts_with('(') {
        true => requires,
        false => requires.split(' ').next().unwrap_or(requires),
    };
    let Some(id) = pool.strings.lookup(name) else {
        return Vec::new();
    };
    match pool.rich_dep(id) {
        Some(Ok(rich)) => {
            let mut names = Vec::new();
            rich.for_each_leaf(&mut |leaf| names.extend(pool.strings.lookup(&leaf.name)));
            names
        }
        _ => vec![id],
    }
}

/// Every package that provides (any version of) or owns `name`.
fn name_providers(pool: &Pool, name: StrId) -> Vec<PkgId> {
    let mut out: Vec<PkgId> = pool.providers_of(name).iter().map(|&(p, _)| p).collect();
    if pool.name_kind(name) == NameKind::Path {
        out.extend(pool.file_owners(name));
    }
    out
}

/// Lays a new finding at the door of the change(s) that cause it: the
/// package's own build when it is proposed; else the changes that took out
/// a provider of the capability, when there is exactly one; else the
/// changes that reproduce it when applied alone, or all of the candidates
/// together when none does alone.
fn attribute(
    loaded: &mut Loaded,
    set: &ChangeSet,
    after_opts: &ClosureOptions,
    f: &mut Finding,
    memo: &mut BTreeMap<String, (Vec<usize>, String)>,
) -> Result<(), ChangeError> {
    let pool = &loaded.pool;
    if set.adds.contains(&f.repo)
        && let Some(i) = own_change(pool, set, f)
    {
        let why = format!(
            "{} (proposed in {}) requires {}, which nothing provides after the change",
            f.nevra, set.changes[i].label, f.requires
        );
        lay_blame(f, set, &[i], why);
        return Ok(());
    }
    if let Some((blamed, why)) = memo.get(&f.requires) {
        lay_blame(f, set, blamed, why.clone());
        return Ok(());
    }
    let candidates = took_out_providers(pool, set, &f.requires);
    let single = match candidates.len() {
        1 => candidates.iter().next(),
        _ => None,
    };
    let (blamed, why) = if let Some((&i, gone)) = single {
        (vec![i], took_out(set, i, gone))
    } else {
        // The dependency alone cannot tell: try the candidates (or every
        // change) one at a time, checking only this package.
        let tried: Vec<usize> = match candidates.is_empty() {
            true => (0..set.changes.len()).collect(),
            false => candidates.keys().copied().collect(),
        };
        let alone = breaking_alone(loaded, set, Mode::Closure, after_opts, f, &tried)?;
        match alone.is_empty() {
            false => {
                let why = alone
                    .iter()
                    .map(|&i| match candidates.get(&i) {
                        Some(gone) => took_out(set, i, gone),
                        None => format!("applied alone, {} breaks it", set.changes[i].label),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                (alone, why)
            }
            true => {
                let labels: Vec<&str> = tried.iter().map(|&i| set.changes[i].label.as_str()).collect();
                let gone: BTreeSet<&String> = candidates.values().flatten().collect();
                let gone: Vec<&str> = gone.into_iter().map(String::as_str).collect();
                let why = match gone.is_empty() {
                    true => format!("only together: {} break it, none of them alone", labels.join(" + ")),
                    false => format!(
                        "only together: {} take out {}, every provider of it (none of them alone breaks it)",
                        labels.join(" + "),
                        gone.join(", ")
                    ),
                };
                (tried, why)
            }
        }
    };
    lay_blame(f, set, &blamed, why.clone());
    memo.insert(f.requires.clone(), (blamed, why));
    Ok(())
}

/// Blames the changes `blamed` (indexes into `set.changes`) for `f`.
fn lay_blame(f: &mut Finding, set: &ChangeSet, blamed: &[usize], why: String) {
    f.blame = blamed.iter().map(|&i| set.changes[i].label.clone()).collect();
    f.why = why;
}

/// Per change, the packages it takes out (replaced or untagged) that
/// provided a name `dep` requires (NEVRAs).
fn took_out_providers(pool: &Pool, set: &ChangeSet, dep: &str) -> BTreeMap<usize, BTreeSet<String>> {
    let mut out: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for name in required_names(pool, dep) {
        for pkg in name_providers(pool, name) {
            for (i, c) in set.changes.iter().enumerate() {
                if c.replaces.contains(&pkg) {
                    out.entry(i).or_default().insert(pool.nevra(pkg));
                }
            }
        }
    }
    out
}

/// Those of the changes `tried` that break `f` when applied alone.
fn breaking_alone(
    loaded: &mut Loaded,
    set: &ChangeSet,
    mode: Mode,
    after_opts: &ClosureOptions,
    f: &Finding,
    tried: &[usize],
) -> Result<Vec<usize>, ChangeError> {
    let mut alone = Vec::new();
    for &i in tried {
        if reproduces(loaded, set, mode, after_opts, f, &[i])? {
            alone.push(i);
        }
    }
    Ok(alone)
}

fn took_out(set: &ChangeSet, i: usize, gone: &BTreeSet<String>) -> String {
    let gone: Vec<&str> = gone.iter().map(String::as_str).collect();
    match set.changes[i].kind {
        ChangeKind::Build => format!(
            "{} replaces {} (same source package), which provided it",
            set.changes[i].label,
            gone.join(", ")
        ),
        ChangeKind::Untag => format!(
            "untagging {} removes {}, which provided it",
            set.changes[i].label,
            gone.join(", ")
        ),
    }
}

/// The change that brings the package of finding `f`, when it is proposed.
fn own_change(pool: &Pool, set: &ChangeSet, f: &Finding) -> Option<usize> {
    let r = pool.repos.iter().position(|r| r.name == f.repo)?;
    pool.repos[r]
        .packages
        .clone()
        .find(|&p| pool.nevra(p) == f.nevra)
        .and_then(|p| set.change_of.get(&p).copied())
}

/// Lays a new install-mode finding (a package that cannot be installed) at
/// the door of the change(s) that cause it: the package's own build when it
/// is proposed; else the changes whose packages stand on the chain down to
/// the root cause (a new Conflicts, Obsoletes, a second version of a name,
/// a provider that cannot be installed) or that took out every provider of
/// the capability nothing provides, when that is exactly one change; else
/// the changes that reproduce it when applied alone, or all of the
/// candidates together when none does alone.
fn attribute_install(
    loaded: &mut Loaded,
    set: &ChangeSet,
    after_opts: &ClosureOptions,
    f: &mut Finding,
    memo: &mut BTreeMap<String, (Vec<usize>, String)>,
) -> Result<(), ChangeError> {
    let pool = &loaded.pool;
    if set.adds.contains(&f.repo)
        && let Some(i) = own_change(pool, set, f)
    {
        let why = format!(
            "{} (proposed in {}) cannot be installed after the change: {}",
            f.nevra, set.changes[i].label, f.root_cause
        );
        lay_blame(f, set, &[i], why);
        return Ok(());
    }
    // Proposed packages on the chain: what the change brought in the way.
    let proposed: FxHashMap<String, usize> = set.change_of.iter().map(|(&p, &i)| (pool.nevra(p), i)).collect();
    let mut brought: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for p in &f.problems {
        for n in &p.packages {
            if let Some(&i) = proposed.get(n) {
                brought.entry(i).or_default().insert(n.clone());
            }
        }
    }
    // Providers taken out of a capability nothing provides now.
    let gone = match f.root_cause.strip_prefix("nothing provides ") {
        Some(dep) => took_out_providers(pool, set, dep),
        None => BTreeMap::new(),
    };
    let why_of = |i: usize| -> Option<String> {
        let mut parts = Vec::new();
        if let Some(b) = brought.get(&i) {
            let b: Vec<&str> = b.iter().map(String::as_str).collect();
            parts.push(format!(
                "{} brings {}, on the way to the root cause",
                set.changes[i].label,
                b.join(", ")
            ));
        }
        if let Some(g) = gone.get(&i) {
            parts.push(took_out(set, i, g));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    };
    let candidates: BTreeSet<usize> = brought.keys().chain(gone.keys()).copied().collect();
    if candidates.len() == 1
        && let Some(&i) = candidates.first()
    {
        lay_blame(f, set, &[i], why_of(i).unwrap_or_default());
        return Ok(());
    }
    let key = format!("{}\0{candidates:?}", f.root_cause);
    if let Some((blamed, why)) = memo.get(&key) {
        lay_blame(f, set, blamed, why.clone());
        return Ok(());
    }
    // The chain alone cannot tell: try the candidates (or every change) one
    // at a time, checking only this package.
    let tried: Vec<usize> = match candidates.is_empty() {
        true => (0..set.changes.len()).collect(),
        false => candidates.iter().copied().collect(),
    };
    let alone = breaking_alone(loaded, set, Mode::Install, after_opts, f, &tried)?;
    let (blamed, why) = match alone.is_empty() {
        false => {
            let why = alone
                .iter()
                .map(|&i| why_of(i).unwrap_or_else(|| format!("applied alone, {} breaks it", set.changes[i].label)))
                .collect::<Vec<_>>()
                .join("; ");
            (alone, why)
        }
        true => {
            let labels: Vec<&str> = tried.iter().map(|&i| set.changes[i].label.as_str()).collect();
            let why = format!("only together: {} break it, none of them alone", labels.join(" + "));
            (tried, why)
        }
    };
    lay_blame(f, set, &blamed, why.clone());
    memo.insert(key, (blamed, why));
    Ok(())
}

/// Whether applying only the changes `only` leaves `f` broken (the same
/// Requires unresolved, or the package uninstallable).
fn reproduces(
    loaded: &mut Loaded,
    set: &ChangeSet,
    mode: Mode,
    after_opts: &ClosureOptions,
    f: &Finding,
    only: &[usize],
) -> Result<bool, ChangeError> {
    loaded.pool.set_withdrawn(&set.withdrawn(Some(only)));
    let opts = ClosureOptions {
        pkgs: vec![f.nevra.clone()],
        ..after_opts.clone()
    };
    let result = check_state(loaded, mode, &opts);
    loaded.pool.set_withdrawn(&set.withdrawn(None));
    Ok(result?.findings.contains_key(&f.key()))
}

/// Says how a fixed finding went away: the package was replaced or
/// untagged, or a proposed package now provides the capability (in install
/// mode: the capability nothing provided, or a package on the chain of the
/// old problem, now out of the way).
fn explain_fixed(pool: &Pool, set: &ChangeSet, mut f: Finding) -> Finding {
    let replaced: Vec<usize> = (0..set.changes.len())
        .filter(|&i| {
            set.changes[i]
                .replaces
                .iter()
                .any(|&p| pool.nevra(p) == f.nevra && pool.repo_name(p) == f.repo)
        })
        .collect();
    if !replaced.is_empty() {
        f.blame = replaced.iter().map(|&i| set.changes[i].label.clone()).collect();
        f.why = match set.changes[replaced[0]].kind {
            ChangeKind::Build => format!("{} is replaced by {}", f.nevra, f.blame.join(", ")),
            ChangeKind::Untag => format!("{} is untagged", f.nevra),
        };
        return f;
    }
    let missing = match f.requires.is_empty() {
        true => f.root_cause.strip_prefix("nothing provides ").unwrap_or_default(),
        false => f.requires.as_str(),
    };
    let mut by = BTreeSet::new();
    for name in required_names(pool, missing) {
        for pkg in name_providers(pool, name) {
            if let Some(&i) = set.change_of.get(&pkg) {
                by.insert(set.changes[i].label.clone());
            }
        }
    }
    if !by.is_empty() {
        f.blame = by.into_iter().collect();
        f.why = format!("now provided by {}", f.blame.join(", "));
        return f;
    }
    // Install mode: a package on the old chain (a conflicting, obsoleting or
    // second-version package) that a change took out.
    let on_chain: BTreeSet<&str> = f
        .problems
        .iter()
        .flat_map(|p| p.packages.iter().map(String::as_str))
        .collect();
    let mut out_of_way: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (i, c) in set.changes.iter().enumerate() {
        for &p in &c.replaces {
            let nevra = pool.nevra(p);
            if nevra != f.nevra && on_chain.contains(nevra.as_str()) {
                out_of_way.entry(i).or_default().insert(nevra);
            }
        }
    }
    if !out_of_way.is_empty() {
        f.blame = out_of_way.keys().map(|&i| set.changes[i].label.clone()).collect();
        let gone: BTreeSet<&str> = out_of_way.values().flatten().map(String::as_str).collect();
        f.why = format!(
            "{} took out {}, which stood in the way",
            f.blame.join(", "),
            gone.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    f
}

/// The builds that need other proposed builds: a Requires of one of their
/// packages that, after the change, only packages of other builds provide.
fn together(pool: &Pool, set: &ChangeSet, base: &ClosureOptions) -> Vec<Together> {
    // Packages of the after-state (the withdrawn set is in place).
    let enabled: FxHashSet<u32> = pool
        .repos
        .iter()
        .enumerate()
        .filter(|(_, r)| set.targets.contains(&r.name) || set.adds.contains(&r.name))
        .map(|(i, _)| i as u32)
        .collect();
    let hidden = pool.hidden_on(&base.basearch);
    let available = |pkg: PkgId| {
        let p = &pool.packages[pkg as usize];
        let hidden = hidden.as_ref().map_or(p.hidden, |h| h[pkg as usize]);
        !hidden && !pool.is_withdrawn(pkg) && enabled.contains(&p.repo)
    };
    let mut out = Vec::new();
    for (i, c) in set.changes.iter().enumerate() {
        let mut needs = BTreeSet::new();
        let mut through = Vec::new();
        for &pkg in &c.packages {
            for d in pool.deps_of(pkg, DepKind::Requires) {
                if matches!(pool.name_kind(d.name), NameKind::Rich | NameKind::Ignored) {
                    continue;
                }
                let providers: Vec<PkgId> = pool
                    .providers_of(d.name)
                    .iter()
                    .filter(|&&(p, di)| available(p) && provide_meets(pool, p, di, d.op, d.evr))
                    .map(|&(p, _)| p)
                    .chain(
                        (d.op.is_none() && pool.name_kind(d.name) == NameKind::Path)
                            .then(|| pool.file_owners(d.name).filter(|&p| available(p)))
                            .into_iter()
                            .flatten(),
                    )
                    .collect();
                let others: BTreeSet<usize> = providers
                    .iter()
                    .map(|p| set.change_of.get(p).copied())
                    .collect::<Option<BTreeSet<usize>>>()
                    .unwrap_or_default();
                if providers.is_empty() || others.contains(&i) || others.is_empty() {
                    continue;
                }
                let text = match (d.op, d.evr) {
                    (Some(op), evr) if evr != NO_EVR => {
                        format!("{} {} {}", pool.str(d.name), op.symbol(), pool.evr(evr))
                    }
                    _ => pool.str(d.name).to_owned(),
                };
                let names: Vec<&str> = others.iter().map(|&o| set.changes[o].label.as_str()).collect();
                through.push(format!(
                    "{} requires {text}, only {} provides it",
                    pool.nevra(pkg),
                    names.join(", ")
                ));
                needs.extend(others.iter().map(|&o| set.changes[o].label.clone()));
            }
        }
        if !needs.is_empty() {
            through.sort();
            through.dedup();
            out.push(Together {
                build: c.label.clone(),
                needs: needs.into_iter().collect(),
                through,
            });
        }
    }
    out
}

/// Whether provide `di` of `pkg` meets a Requires' range (as closure judges it).
fn provide_meets(pool: &Pool, pkg: PkgId, di: u32, op: Option<evr::Op>, want: EvrId) -> bool {
    let Some(op) = op.filter(|_| want != NO_EVR) else {
        return true;
    };
    match pool.provide_constraint(pkg, di) {
        (None, _) => true,
        (Some(_), pevr) if pevr == NO_EVR => true,
        (Some(pop), pevr) => evr::ranges_overlap_ref(pop, pool.evr_ref(pevr), op, pool.evr_ref(want)),
    }
}
