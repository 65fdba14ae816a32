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
//!   ([`classify`] → [`Status`]), says how far apart the versions are
//!   ([`Distance`]), against every reference and against the newest of them
//!   ([`compare`]);
//! * applies name mappings ([`NameMap`], from a TOML file or rdoinfo's
//!   `deps.yml`, see [`rdoinfo`]) and a policy ([`policy`]).
//!
//! [`run`] is the one-call entry point (load, compare, judge) used by the CLI
//! and meant for the matrix runner's `[drift]` section; [`compare`] works on
//! [`Side`]s that are already built, for callers that loaded pools themselves.
//!
//! What it does not do: render anything (that is `drift_report`), resolve
//! dependencies, or fetch rdoinfo from the network. Hidden packages
//! (excludepkgs, modular filtering) are not counted: drift is about what
//! users of the repository can install.

pub mod policy;
pub mod rdoinfo;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::engine::{self, RepoSpec};
use crate::evr::{self, Evr};
use crate::pool::{NO_STR, Pool};

pub use policy::{Policy, Verdict};

/// Where a package stands against a reference, after dist-tag stripping.
///
/// The declaration order is the report order: the most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The reference has a newer epoch:version.
    Behind,
    /// Same epoch:version, the reference's stripped release is newer.
    ReleaseBehind,
    /// Our epoch:version is newer.
    Ahead,
    /// Same epoch:version, our stripped release is newer (a patched or rebuilt package).
    ReleaseAhead,
    /// Only we have the package.
    OursOnly,
    /// Only the reference has the package.
    TheirsOnly,
    /// Same epoch:version and the stripped releases compare equal (rpmvercmp).
    Same,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 7] = [
        Status::Behind,
        Status::ReleaseBehind,
        Status::Ahead,
        Status::ReleaseAhead,
        Status::OursOnly,
        Status::TheirsOnly,
        Status::Same,
    ];

    /// The name used in every output format (`release-ahead`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Behind => "behind",
            Status::ReleaseBehind => "release-behind",
            Status::Ahead => "ahead",
            Status::ReleaseAhead => "release-ahead",
            Status::OursOnly => "ours-only",
            Status::TheirsOnly => "theirs-only",
            Status::Same => "same",
        }
    }

    /// Parses [`Status::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far apart two epoch:versions are: the first dot-separated version
/// component that differs (`major` = first, `minor` = second, `patch` = any
/// later one), or `epoch` when the epochs differ. Ordered from near to far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Distance {
    /// Third or later version component.
    Patch,
    /// Second version component.
    Minor,
    /// First version component.
    Major,
    /// The epochs differ.
    Epoch,
}

impl Distance {
    /// `patch`, `minor`, `major` or `epoch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::Patch => "patch",
            Distance::Minor => "minor",
            Distance::Major => "major",
            Distance::Epoch => "epoch",
        }
    }
}

impl std::fmt::Display for Distance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn dist_tag_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::expect_used)]
        Regex::new(r"\.(el\d+(_\d+)*(\.centos)?s?|fc\d+|eln\d+|module_[^.]+)").expect("constant regex compiles")
    })
}

/// Removes the first dist tag (`.el9`, `.el7_9`, `.el7.centos`, `.el9s`,
/// `.fc40`, `.eln130`, `.module_el8...` up to the next dot) from a release,
/// keeping what precedes and follows it: `30.el7_9.0.1` → `30.0.1`.
pub fn strip_dist_tag(release: &str) -> std::borrow::Cow<'_, str> {
    dist_tag_regex().replacen(release, 1, "")
}

/// Compares epoch and version only, as `rpm.labelCompare` with both releases absent.
pub fn compare_ev(a: &Evr, b: &Evr) -> Ordering {
    evr::vercmp(a.epoch_or_zero(), b.epoch_or_zero()).then_with(|| evr::vercmp(&a.version, &b.version))
}

/// Compares the releases after [`strip_dist_tag`] (an absent release sorts lowest).
pub fn compare_stripped_release(a: &Evr, b: &Evr) -> Ordering {
    match (&a.release, &b.release) {
        (Some(ra), Some(rb)) => evr::vercmp(&strip_dist_tag(ra), &strip_dist_tag(rb)),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
    }
}

/// The order used to pick the newest reference: epoch:version, then stripped release.
pub fn compare_stripped(a: &Evr, b: &Evr) -> Ordering {
    compare_ev(a, b).then_with(|| compare_stripped_release(a, b))
}

/// Classifies ours against theirs: `behind`/`ahead` on epoch:version, else
/// `same`/`release-behind`/`release-ahead` on the stripped releases.
pub fn classify(ours: &Evr, theirs: &Evr) -> Status {
    match compare_ev(ours, theirs) {
        Ordering::Less => Status::Behind,
        Ordering::Greater => Status::Ahead,
        Ordering::Equal => match compare_stripped_release(ours, theirs) {
            Ordering::Less => Status::ReleaseBehind,
            Ordering::Greater => Status::ReleaseAhead,
            Ordering::Equal => Status::Same,
        },
    }
}

/// How far apart two EVRs' epoch:versions are; `None` when they compare equal.
pub fn distance(a: &Evr, b: &Evr) -> Option<Distance> {
    if evr::vercmp(a.epoch_or_zero(), b.epoch_or_zero()) != Ordering::Equal {
        return Some(Distance::Epoch);
    }
    if evr::vercmp(&a.version, &b.version) == Ordering::Equal {
        return None;
    }
    let mut ca = a.version.split('.');
    let mut cb = b.version.split('.');
    for i in 0.. {
        let differs = match (ca.next(), cb.next()) {
            (Some(x), Some(y)) => evr::vercmp(x, y) != Ordering::Equal,
            (None, None) => break,
            _ => true,
        };
        if differs {
            return Some(match i {
                0 => Distance::Major,
                1 => Distance::Minor,
                _ => Distance::Patch,
            });
        }
    }
    Some(Distance::Patch)
}

/// The source package name of a `sourcerpm` file name: strips `.src.rpm`
/// (or `.nosrc.rpm`) and `-VERSION-RELEASE` by splitting at the last two `-`.
/// `None` when the file name has fewer than two `-`.
pub fn source_name(sourcerpm: &str) -> Option<&str> {
    let base = sourcerpm
        .strip_suffix(".src.rpm")
        .or_else(|| sourcerpm.strip_suffix(".nosrc.rpm"))
        .unwrap_or(sourcerpm);
    let (nv, _release) = base.rsplit_once('-')?;
    let (name, _version) = nv.rsplit_once('-')?;
    (!name.is_empty()).then_some(name)
}

/// Splits an `N-V-R` (as in rdoinfo's buildsys tags) into name and EVR; an
/// `E:` before the version is honoured. `None` when it is not N-V-R shaped.
pub fn parse_nvr(nvr: &str) -> Option<(String, Evr)> {
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    let (epoch, version) = match version.split_once(':') {
        Some((e, v)) if e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), v),
        _ => (None, version),
    };
    Some((name.to_owned(), Evr::new(epoch, version, Some(release))))
}

/// The newest build of one source package on one side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// The repository (or `rdoinfo:TAG`) it came from.
    pub repo: String,
    /// Its EVR (the binary packages' EVR, epoch included).
    pub evr: Evr,
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
                    },
                )
            })
            .collect();
        Side {
            name: name.to_owned(),
            builds,
        }
    }

    /// Builds a side from `(source name, EVR)` pairs, keeping the newest per name.
    pub fn from_builds(name: &str, builds: impl IntoIterator<Item = (String, Evr)>) -> Side {
        let mut out: BTreeMap<String, Build> = BTreeMap::new();
        for (n, e) in builds {
            match out.get_mut(&n) {
                Some(cur) if evr::compare(&e, &cur.evr) != Ordering::Greater => {}
                _ => {
                    out.insert(
                        n,
                        Build {
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

/// One source package across all references.
#[derive(Clone, Debug)]
pub struct PackageDrift {
    /// Our source name (the reference's when only it has the package).
    pub name: String,
    /// The reference's name for it, when mapped to a different one.
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
    /// The policy's verdict.
    pub verdict: Verdict,
}

/// The whole comparison.
#[derive(Clone, Debug, Default)]
pub struct DriftResult {
    /// Our side's label.
    pub ours: String,
    /// The references' names, in order.
    pub references: Vec<String>,
    /// One entry per source package, sorted by status then name.
    pub packages: Vec<PackageDrift>,
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
        for (i, r) in references.iter().enumerate() {
            let b = r.builds.get(t);
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
            verdict: Verdict::Ok,
        };
        if let Some(p) = &opts.policy {
            p.judge(&mut pkg);
        }
        packages.push(pkg);
    }
    packages.sort_by(|a, b| a.status.cmp(&b.status).then_with(|| a.name.cmp(&b.name)));
    Ok(DriftResult {
        ours: ours.name.clone(),
        references: references.iter().map(|r| r.name.clone()).collect(),
        packages,
        timings: DriftTimings::default(),
    })
}

fn pair_status(ours: Option<&Build>, theirs: Option<&Build>) -> (Option<Status>, Option<Distance>) {
    match (ours, theirs) {
        (Some(o), Some(t)) => {
            let s = classify(&o.evr, &t.evr);
            let d = matches!(s, Status::Behind | Status::Ahead)
                .then(|| distance(&o.evr, &t.evr))
                .flatten();
            (Some(s), d)
        }
        (Some(_), None) => (Some(Status::OursOnly), None),
        (None, Some(_)) => (Some(Status::TheirsOnly), None),
        (None, None) => (None, None),
    }
}

/// Where one side's packages come from.
#[derive(Clone, Debug)]
pub enum SideSpec {
    /// An rpm-md repository.
    Repo(RepoSpec),
    /// rdoinfo's `buildsys-tags/TAG.yml` (needs [`DriftPlan::rdoinfo`]).
    RdoinfoTag(String),
}

impl SideSpec {
    /// Parses a command-line `NAME=LOCATION` or `rdoinfo:TAG`.
    pub fn parse(s: &str) -> Result<SideSpec, DriftError> {
        if let Some(tag) = s.strip_prefix("rdoinfo:") {
            if tag.is_empty() || tag.contains('/') {
                return Err(DriftError::Input(format!("{s:?}: expected rdoinfo:TAG")));
            }
            return Ok(SideSpec::RdoinfoTag(tag.to_owned()));
        }
        match s.split_once('=') {
            Some((n, l)) if !n.is_empty() && !l.is_empty() => Ok(SideSpec::Repo(RepoSpec::new(n, l))),
            _ => Err(DriftError::Input(format!(
                "{s:?}: expected NAME=LOCATION or rdoinfo:TAG"
            ))),
        }
    }

    fn label(&self) -> String {
        match self {
            SideSpec::Repo(r) => r.name.clone(),
            SideSpec::RdoinfoTag(t) => format!("rdoinfo:{t}"),
        }
    }
}

/// Everything a drift run needs; what the CLI and a matrix `[drift]` section fill in.
#[derive(Clone, Debug, Default)]
pub struct DriftPlan {
    /// Our repositories (merged into one side: newest build across them).
    pub ours: Vec<SideSpec>,
    /// The references, each compared separately.
    pub theirs: Vec<SideSpec>,
    /// A policy file (TOML).
    pub policy: Option<PathBuf>,
    /// An rdoinfo checkout (its `deps.yml` gives name mappings and origins).
    pub rdoinfo: Option<PathBuf>,
    /// A TOML mapping file (`[map] ours = "theirs"`); wins over rdoinfo.
    pub map: Option<PathBuf>,
    /// Name globs to keep (all when empty).
    pub only: Vec<String>,
    /// Repository loading options.
    pub load: engine::Options,
}

/// A `[drift]` section as a matrix file (TOML) would spell it; the fields
/// mirror the command-line options:
///
/// ```toml
/// [drift]
/// ours = ["ocata=./rdo-ocata", "rdoinfo:cloud7-openstack-train-release"]
/// theirs = ["c75=./centos7.5"]
/// policy = "drift-policy.toml"   # optional
/// rdoinfo = "../rdoinfo"         # optional
/// map = "names.toml"             # optional
/// only = ["python-*"]            # optional
/// ```
///
/// Paths are taken as written; resolving them against the matrix file's
/// directory is the caller's job.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSection {
    /// `--ours` values.
    pub ours: Vec<String>,
    /// `--theirs` values.
    pub theirs: Vec<String>,
    /// `--policy`.
    #[serde(default)]
    pub policy: Option<PathBuf>,
    /// `--rdoinfo`.
    #[serde(default)]
    pub rdoinfo: Option<PathBuf>,
    /// `--map`.
    #[serde(default)]
    pub map: Option<PathBuf>,
    /// `--only`.
    #[serde(default)]
    pub only: Vec<String>,
}

impl DriftSection {
    /// The plan this section describes (`--theirs` must be `NAME=LOCATION`).
    pub fn to_plan(&self, load: engine::Options) -> Result<DriftPlan, DriftError> {
        let parse = |v: &[String]| v.iter().map(|s| SideSpec::parse(s)).collect::<Result<Vec<_>, _>>();
        let theirs = parse(&self.theirs)?;
        if let Some(SideSpec::RdoinfoTag(t)) = theirs.iter().find(|s| matches!(s, SideSpec::RdoinfoTag(_))) {
            return Err(DriftError::Input(format!(
                "theirs: rdoinfo:{t}: references must be NAME=LOCATION (rdoinfo:TAG is for ours)"
            )));
        }
        Ok(DriftPlan {
            ours: parse(&self.ours)?,
            theirs,
            policy: self.policy.clone(),
            rdoinfo: self.rdoinfo.clone(),
            map: self.map.clone(),
            only: self.only.clone(),
            load,
        })
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

/// Loads every side, compares and judges: the whole `rpmatrix drift`.
pub fn run(plan: &DriftPlan) -> Result<DriftResult, DriftError> {
    if plan.ours.is_empty() {
        return Err(DriftError::Input("no --ours given".into()));
    }
    if plan.theirs.is_empty() {
        return Err(DriftError::Input("no --theirs given".into()));
    }
    let started = Instant::now();
    let policy = plan.policy.as_deref().map(Policy::from_file).transpose()?;
    let mut map = match &plan.map {
        Some(p) => NameMap::from_toml_file(p)?,
        None => NameMap::default(),
    };
    let rdo = plan.rdoinfo.as_deref().map(rdoinfo::Rdoinfo::open).transpose()?;
    if let Some(rdo) = &rdo {
        map.merge_under(rdo.name_map());
    }
    let mut specs = Vec::new();
    for s in plan.ours.iter().chain(&plan.theirs) {
        if let SideSpec::Repo(r) = s {
            specs.push(r.clone());
        }
    }
    let loaded = if specs.is_empty() {
        None
    } else {
        Some(engine::load(&specs, &plan.load)?)
    };
    let load_ms = ms(started);
    let started = Instant::now();
    let side_of = |spec: &SideSpec| -> Result<Side, DriftError> {
        match spec {
            SideSpec::Repo(r) => {
                let pool = &loaded
                    .as_ref()
                    .ok_or_else(|| DriftError::Input("internal: no pool".into()))?
                    .pool;
                let idx: Vec<usize> = pool
                    .repos
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.name == r.name)
                    .map(|(i, _)| i)
                    .collect();
                Ok(Side::from_pool(pool, &idx, &r.name))
            }
            SideSpec::RdoinfoTag(tag) => match &rdo {
                Some(rdo) => rdo.buildsys_tag(tag),
                None => Err(DriftError::Input(format!("rdoinfo:{tag} needs --rdoinfo DIR"))),
            },
        }
    };
    let mut ours = Side {
        name: plan.ours.iter().map(SideSpec::label).collect::<Vec<_>>().join("+"),
        ..Side::default()
    };
    for s in &plan.ours {
        let side = side_of(s)?;
        for (n, b) in side.builds {
            match ours.builds.get(&n) {
                Some(cur) if evr::compare(&b.evr, &cur.evr) != Ordering::Greater => {}
                _ => {
                    ours.builds.insert(n, b);
                }
            }
        }
    }
    let refs = plan.theirs.iter().map(side_of).collect::<Result<Vec<_>, _>>()?;
    let mut result = compare(
        &ours,
        &refs,
        &CompareOptions {
            map,
            only: plan.only.clone(),
            policy,
        },
    )?;
    result.timings = DriftTimings {
        load_ms,
        compare_ms: ms(started),
    };
    Ok(result)
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e6).round() / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names() {
        assert_eq!(
            source_name("python-eventlet-0.20.1-2.el7.src.rpm"),
            Some("python-eventlet")
        );
        assert_eq!(source_name("foo.src.rpm"), None);
    }

    #[test]
    fn strips_first_dist_tag_only() {
        assert_eq!(strip_dist_tag("30.el7_9.0.1"), "30.0.1");
        assert_eq!(strip_dist_tag("3.module_el8.5.0+1+abc"), "3.5.0+1+abc");
        assert_eq!(strip_dist_tag("1.rhel8"), "1.rhel8");
    }

    #[test]
    fn distances() {
        let d = |a: &str, b: &str| distance(&Evr::parse(a), &Evr::parse(b));
        assert_eq!(d("1.2.3-1", "2.0.0-1"), Some(Distance::Major));
        assert_eq!(d("1.2.3-1", "1.3.0-1"), Some(Distance::Minor));
        assert_eq!(d("1.2.3-1", "1.2.4-1"), Some(Distance::Patch));
        assert_eq!(d("1.2-1", "1.2.1-1"), Some(Distance::Patch));
        assert_eq!(d("1:1.0-1", "1.0-1"), Some(Distance::Epoch));
        assert_eq!(d("1.0-1", "1.0-2"), None);
    }

    #[test]
    fn drift_section() {
        #[derive(Deserialize)]
        struct M {
            drift: DriftSection,
        }
        let m: Result<M, _> = toml::from_str("[drift]\nours = [\"o=./o\", \"rdoinfo:t\"]\ntheirs = [\"f=./f\"]\n");
        let plan = m
            .map_err(|e| e.to_string())
            .and_then(|m| m.drift.to_plan(engine::Options::default()).map_err(|e| e.to_string()));
        assert!(
            matches!(plan.as_ref().map(|p| (p.ours.len(), p.theirs.len())), Ok((2, 1))),
            "{:?}",
            plan.err()
        );
        let bad: Result<M, _> = toml::from_str("[drift]\nours = []\ntheirs = []\npolicyy = \"x\"\n");
        assert!(bad.is_err());
    }

    #[test]
    fn nvr() {
        let (n, e) = parse_nvr("python-UcsSdk-0.8.2.5-1.el7").unwrap_or_default();
        assert_eq!(n, "python-UcsSdk");
        assert_eq!(e.to_string(), "0.8.2.5-1.el7");
        assert!(parse_nvr("foo-1").is_none());
    }
}
