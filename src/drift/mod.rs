//! Fork drift: how far "our" source packages are from one or more reference
//! distributions (Fedora, a newer CentOS, ...), per source package.
//!
//! What it does:
//!
//! * groups binary packages by source package (the name from `sourcerpm`,
//!   `python-eventlet-0.20.1-2.el7.src.rpm` → `python-eventlet`; the binary
//!   name when there is none) and keeps the newest build of each side in rpm
//!   EVR order ([`Side`]);
//! * strips the dist tag ([`strip_dist_tag`]) and classifies each pair
//!   ([`classify`](fn@classify) → [`Status`]), says how far apart the versions are
//!   ([`Distance`]), against every reference and against the newest of them
//!   ([`compare`]);
//! * applies name mappings ([`NameMap`], from a TOML file or rdoinfo's
//!   `deps.yml`, see [`rdoinfo`]) and a policy ([`policy`]).
//!
//! Submodules: [`classify`](mod@classify) (the rules on single EVRs), [`plan`] (loading
//! and [`run`]), [`policy`], [`rdoinfo`]; this file holds sides, name
//! mapping and [`compare`].
//!
//! [`run`] is the one-call entry point (load, compare, judge) used by the CLI
//! and meant for the matrix runner's `[drift]` section; [`compare`] works on
//! [`Side`]s that are already built, for callers that loaded pools themselves.
//!
//! What it does not do: render anything (that is `report::drift`), resolve
//! dependencies, or fetch rdoinfo from the network. Hidden packages
//! (excludepkgs, modular filtering) are not counted: drift is about what
//! users of the repository can install.

pub mod classify;
pub mod plan;
pub mod policy;
pub mod rdoinfo;

use std::cmp::Ordering;
use std::collections::BTreeMap;

use globset::{Glob, GlobSet, GlobSetBuilder};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::core::evr::{self, Evr};
use crate::core::ids::NO_STR;
use crate::engine;
use crate::pool::Pool;

pub use classify::{
    Distance, Status, classify, compare_ev, compare_stripped, compare_stripped_release, distance, parse_nvr,
    source_name, strip_dist_tag,
};
pub use plan::{DriftInputs, DriftPlan, DriftSection, SideSpec, run};
pub use policy::{Policy, Verdict};

/// The newest build of one source package on one side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Build {
    /// The repository (or `rdoinfo:TAG`) it came from.
    pub repo: String,
    /// Its EVR (the binary packages' EVR, epoch included), `[E:]V-R` in JSON.
    #[serde(with = "evr_text")]
    pub evr: Evr,
    /// Whether the epoch is known. An rdoinfo NVR carries no epoch, which
    /// means "unknown", not 0: such a build is compared without epochs.
    /// Not in JSON: a stored document is read back for rendering only.
    #[serde(skip, default = "known")]
    pub epoch_known: bool,
}

fn known() -> bool {
    true
}

/// An [`Evr`] as its `[E:]V-R` text in JSON.
mod evr_text {
    use crate::core::evr::Evr;

    pub fn serialize<S: serde::Serializer>(evr: &Evr, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(evr)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Evr, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        Ok(Evr::parse(&text))
    }
}

/// One side of a comparison: the newest build of each source package.
#[derive(Clone, Debug, Default)]
pub struct Side {
    /// A label: the repository name, or the names joined with `+`.
    pub name: String,
    /// Source package name → newest build.
    pub builds: BTreeMap<String, Build>,
}

impl Side {
    /// Builds a side from the packages of some repositories of a pool (by
    /// index into [`Pool::repos`]), keeping the newest build in rpm order per
    /// source package. Hidden packages are ignored.
    pub fn from_pool(pool: &Pool, repos: &[usize], name: &str) -> Side {
        // Group by (sourcerpm id, evr id) first: binaries of one build share both.
        let mut best: FxHashMap<&str, (u32, usize)> = FxHashMap::default();
        let mut seen: FxHashMap<(u32, u32, u32), ()> = FxHashMap::default();
        for &ri in repos {
            let Some(repo) = pool.repos.get(ri) else { continue };
            for pid in repo.packages.clone() {
                let p = &pool.packages[pid as usize];
                if p.hidden {
                    continue;
                }
                let key = if p.sourcerpm == NO_STR { p.name } else { p.sourcerpm };
                if seen.insert((key, p.evr, ri as u32), ()).is_some() {
                    continue;
                }
                let src = if p.sourcerpm == NO_STR {
                    pool.str(p.name)
                } else {
                    source_name(pool.str(p.sourcerpm)).unwrap_or_else(|| pool.str(p.name))
                };
                match best.get_mut(src) {
                    Some(cur) => {
                        if pool.evr_cmp(p.evr, cur.0) == Ordering::Greater {
                            *cur = (p.evr, ri);
                        }
                    }
                    None => {
                        best.insert(src, (p.evr, ri));
                    }
                }
            }
        }
        let builds = best
            .into_iter()
            .map(|(n, (evr, ri))| {
                (
                    n.to_owned(),
                    Build {
                        repo: pool.repos[ri].name.clone(),
                        evr: pool.evr(evr),
                        epoch_known: true,
                    },
                )
            })
            .collect();
        Side {
            name: name.to_owned(),
            builds,
        }
    }

    /// Adds `other`'s builds, keeping the newer (rpm order) where both have a
    /// source package: how several `--ours` become one side.
    pub fn merge_newer(&mut self, other: Side) {
        for (n, b) in other.builds {
            match self.builds.get(&n) {
                Some(cur) if evr::compare(&b.evr, &cur.evr) != Ordering::Greater => {}
                _ => {
                    self.builds.insert(n, b);
                }
            }
        }
    }

    /// Builds a side from `(source name, EVR)` pairs, keeping the newest per
    /// name. `epoch_known` says whether an absent epoch means 0 (repository
    /// data) or "unknown" (an N-V-R, as rdoinfo's build tags hold).
    pub fn from_builds(name: &str, builds: impl IntoIterator<Item = (String, Evr)>, epoch_known: bool) -> Side {
        let mut out: BTreeMap<String, Build> = BTreeMap::new();
        for (n, e) in builds {
            match out.get_mut(&n) {
                Some(cur) if evr::compare(&e, &cur.evr) != Ordering::Greater => {}
                _ => {
                    out.insert(
                        n,
                        Build {
                            epoch_known: epoch_known || e.epoch.is_some(),
                            repo: name.to_owned(),
                            evr: e,
                        },
                    );
                }
            }
        }
        Side {
            name: name.to_owned(),
            builds: out,
        }
    }
}

/// What one of our source packages is called in the reference, and who maintains it.
#[derive(Clone, Debug, Default)]
pub struct NameMap {
    /// Our source name → the reference's source name.
    pub names: BTreeMap<String, String>,
    /// Our source name → origin (rdoinfo `conf`: `fedora-dependency`, ...).
    pub origins: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    map: BTreeMap<String, String>,
}

impl NameMap {
    /// Reads a TOML mapping file: `[map]` then `ours-name = "theirs-name"` lines.
    pub fn from_toml_file(path: &std::path::Path) -> Result<NameMap, DriftError> {
        let text = std::fs::read_to_string(path).map_err(|e| DriftError::Input(format!("{}: {e}", path.display())))?;
        let file: MapFile =
            toml::from_str(&text).map_err(|e| toml_error("map", &path.display().to_string(), &text, &e))?;
        Ok(NameMap {
            names: file.map,
            origins: BTreeMap::new(),
        })
    }

    /// Adds `other`'s entries; existing ones (given earlier, e.g. by `--map`) win.
    pub fn merge_under(&mut self, other: NameMap) {
        for (k, v) in other.names {
            self.names.entry(k).or_insert(v);
        }
        for (k, v) in other.origins {
            self.origins.entry(k).or_insert(v);
        }
    }
}

/// A TOML error as `WHAT FILE:LINE: message`.
pub(crate) fn toml_error(what: &str, file: &str, text: &str, e: &toml::de::Error) -> DriftError {
    let line = e
        .span()
        .map(|s| {
            text.as_bytes()[..s.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        })
        .map_or(String::new(), |l| format!(":{l}"));
    DriftError::Input(format!("{what} {file}{line}: {}", e.message()))
}

/// One package against one reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefEntry {
    /// The reference's name.
    pub repo: String,
    /// The reference's newest build's EVR, `None` when it lacks the package.
    pub evr: Option<String>,
    /// Our status against it (`None` when neither side has the package).
    pub status: Option<Status>,
    /// How far apart (behind/ahead only).
    pub distance: Option<Distance>,
    /// Why the policy rejects this pairing, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<String>,
}

/// One source package across all references (as the drift JSON has it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PackageDrift {
    /// Our source name (the reference's when only it has the package).
    pub name: String,
    /// The reference's name for it, when mapped to a different one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theirs_name: Option<String>,
    /// Status against the newest reference that has the package.
    pub status: Status,
    /// Our newest build.
    pub ours: Option<Build>,
    /// One entry per reference, in the order they were given.
    pub theirs: Vec<RefEntry>,
    /// Distance to the newest reference (behind/ahead only).
    pub distance: Option<Distance>,
    /// For `behind`: the newest reference's version.
    pub reference_version: Option<String>,
    /// Which reference is the newest, when any has the package.
    pub newest_reference: Option<String>,
    /// rdoinfo's `conf` for the package, when known.
    pub origin: Option<String>,
    /// Whether a reference's non-zero epoch was left out of the comparison
    /// because our build's epoch is unknown (an rdoinfo N-V-R without `E:`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub epochs_ignored: bool,
    /// The policy's verdict: `"verdict"` and `"reasons"` in JSON.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// The whole comparison.
#[derive(Clone, Debug, Default)]
pub struct DriftResult {
    /// Our side's label.
    pub ours: String,
    /// The references' names, in order.
    pub references: Vec<String>,
    /// One entry per source package: policy violations first, then by
    /// status, then by name.
    pub packages: Vec<PackageDrift>,
    /// The `--only` globs the packages were selected by (empty: all); a
    /// baseline is filtered by the same selection.
    pub only: Vec<String>,
    /// Which statuses the table, Markdown and CSV list (empty: all). A view
    /// only: counts, JSON and the verdict cover every package, and policy
    /// violations are always listed.
    pub show_statuses: Vec<Status>,
    /// Time spent, in milliseconds.
    pub timings: DriftTimings,
}

/// Where the time went.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DriftTimings {
    /// Loading repositories (and rdoinfo), wall clock.
    pub load_ms: f64,
    /// Grouping by source package, comparing, judging.
    pub compare_ms: f64,
}

impl DriftResult {
    /// Number of packages per status (all statuses, zeros included), in report order.
    pub fn counts(&self) -> Vec<(Status, usize)> {
        Status::ALL
            .iter()
            .map(|&s| (s, self.packages.iter().filter(|p| p.status == s).count()))
            .collect()
    }

    /// The packages the table, Markdown and CSV list: those of
    /// [`show_statuses`](Self::show_statuses) and every policy violation.
    pub fn shown(&self) -> impl Iterator<Item = &PackageDrift> {
        self.packages.iter().filter(|p| {
            self.show_statuses.is_empty()
                || self.show_statuses.contains(&p.status)
                || matches!(p.verdict, Verdict::Violation { .. })
        })
    }

    /// Whether the selection `--only` made includes a name: the globs are
    /// compiled once, for a caller asking of many names.
    pub fn selection(&self) -> impl Fn(&str) -> bool {
        let set = (!self.only.is_empty()).then(|| globset(&self.only, "--only").ok());
        move |name| match &set {
            None => true,
            Some(globs) => globs.as_ref().is_some_and(|g| g.is_match(name)),
        }
    }

    /// Whether any package violates the policy (the CLI then exits 1).
    pub fn has_violations(&self) -> bool {
        self.packages
            .iter()
            .any(|p| matches!(p.verdict, Verdict::Violation { .. }))
    }
}

/// What [`compare`] needs besides the sides.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// Name mapping and origins.
    pub map: NameMap,
    /// Only packages whose name (ours or theirs) matches one of these globs; all when empty.
    pub only: Vec<String>,
    /// The policy; none allows everything.
    pub policy: Option<Policy>,
}

fn globset(globs: &[String], what: &str) -> Result<GlobSet, DriftError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| DriftError::Input(format!("{what} {g:?}: {e}")))?);
    }
    b.build().map_err(|e| DriftError::Input(format!("{what}: {e}")))
}

/// Compares our side with each reference; see the module docs for the rules.
pub fn compare(ours: &Side, references: &[Side], opts: &CompareOptions) -> Result<DriftResult, DriftError> {
    let only = globset(&opts.only, "--only")?;
    // Reference name → our name, for mapped packages (so theirs-only is not double counted).
    let mut mapped_from: FxHashMap<&str, &str> = FxHashMap::default();
    for (o, t) in &opts.map.names {
        if ours.builds.contains_key(o) {
            mapped_from.insert(t.as_str(), o.as_str());
        }
    }
    // (our name, their name)
    let mut keys: Vec<(Option<&str>, &str)> = Vec::new();
    for o in ours.builds.keys() {
        let t = opts.map.names.get(o).map_or(o.as_str(), String::as_str);
        keys.push((Some(o.as_str()), t));
    }
    let mut theirs_only: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    for r in references {
        for t in r.builds.keys() {
            if mapped_from.contains_key(t.as_str()) {
                continue;
            }
            if !ours.builds.contains_key(t) || opts.map.names.get(t).is_some_and(|m| m != t) {
                theirs_only.insert(t.as_str());
            }
        }
    }
    keys.extend(theirs_only.into_iter().map(|t| (None, t)));

    let mut packages = Vec::with_capacity(keys.len());
    for (o, t) in keys {
        let name = o.unwrap_or(t);
        if !opts.only.is_empty() && !only.is_match(name) && !only.is_match(t) {
            continue;
        }
        let ours_build = o.and_then(|o| ours.builds.get(o));
        let mut theirs = Vec::with_capacity(references.len());
        let mut newest: Option<(usize, &Build)> = None;
        let mut epochs_ignored = false;
        for (i, r) in references.iter().enumerate() {
            let b = r.builds.get(t);
            epochs_ignored |= ours_build.is_some_and(|o| !o.epoch_known)
                && b.is_some_and(|b| {
                    b.evr
                        .epoch
                        .as_deref()
                        .is_some_and(|e| !e.trim_start_matches('0').is_empty())
                });
            if let Some(b) = b
                && newest.is_none_or(|(_, n)| compare_stripped(&b.evr, &n.evr) == Ordering::Greater)
            {
                newest = Some((i, b));
            }
            let (status, dist) = pair_status(ours_build, b);
            theirs.push(RefEntry {
                repo: r.name.clone(),
                evr: b.map(|b| b.evr.to_string()),
                status,
                distance: dist,
                violation: None,
            });
        }
        let (status, distance) = pair_status(ours_build, newest.map(|(_, b)| b));
        let Some(status) = status else { continue };
        let origin = o.and_then(|o| opts.map.origins.get(o)).cloned();
        let mut pkg = PackageDrift {
            name: name.to_owned(),
            theirs_name: (o.is_some() && t != name).then(|| t.to_owned()),
            status,
            ours: ours_build.cloned(),
            theirs,
            distance,
            reference_version: (status == Status::Behind)
                .then(|| newest.map(|(_, b)| b.evr.version.clone()))
                .flatten(),
            newest_reference: newest.map(|(i, _)| references[i].name.clone()),
            origin,
            epochs_ignored,
            verdict: Verdict::Ok,
        };
        if let Some(p) = &opts.policy {
            p.judge(&mut pkg);
        }
        packages.push(pkg);
    }
    // A gate's reader looks for what failed it first.
    packages.sort_by(|a, b| {
        let violation = |p: &PackageDrift| !matches!(p.verdict, Verdict::Violation { .. });
        violation(a)
            .cmp(&violation(b))
            .then_with(|| a.status.cmp(&b.status))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(DriftResult {
        ours: ours.name.clone(),
        references: references.iter().map(|r| r.name.clone()).collect(),
        packages,
        only: opts.only.clone(),
        show_statuses: Vec::new(),
        timings: DriftTimings::default(),
    })
}

fn pair_status(ours: Option<&Build>, theirs: Option<&Build>) -> (Option<Status>, Option<Distance>) {
    match (ours, theirs) {
        (Some(o), Some(t)) => {
            // An unknown epoch is compared as equal to theirs: guessing 0
            // would call every epoch-carrying package behind by `epoch`.
            let ours_evr = if o.epoch_known {
                std::borrow::Cow::Borrowed(&o.evr)
            } else {
                std::borrow::Cow::Owned(Evr {
                    epoch: t.evr.epoch.clone(),
                    ..o.evr.clone()
                })
            };
            let s = classify(&ours_evr, &t.evr);
            let d = matches!(s, Status::Behind | Status::Ahead)
                .then(|| distance(&ours_evr, &t.evr))
                .flatten();
            (Some(s), d)
        }
        (Some(_), None) => (Some(Status::OursOnly), None),
        (None, Some(_)) => (Some(Status::TheirsOnly), None),
        (None, None) => (None, None),
    }
}

/// Anything that stops a drift run before it has findings (the CLI exits 2).
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    /// A repository could not be loaded.
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    /// A bad argument, policy, mapping or rdoinfo file (the message names it).
    #[error("{0}")]
    Input(String),
}
