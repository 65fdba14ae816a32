//! What would tagging (or untagging) these builds break? A change is a set of
//! proposed builds (from `.rpm` files or picked from a repository) and
//! untagged source packages; its before- and after-states are two checks on
//! one pool, with closure's rules or installcheck's ([`Mode`]), and every new
//! problem is laid at the door of the build(s) responsible.
//!
//! * [`builds`]: `.rpm` headers read into an rpm-md repository.
//! * [`state`]: which packages a change adds and takes out (source-package
//!   replacement as rmdepcheck does it: a build of source S replaces every
//!   binary built from S), and the options of before and after.
//! * [`attribute`]: new, fixed and still-broken findings kept apart, each
//!   new one attributed (through the dependency that breaks, or by trying
//!   the changes one at a time), a verdict per build, and the builds that
//!   only work together.

pub mod attribute;
pub mod builds;
pub mod state;

use crate::closure::ClosureOptions;
use crate::engine;
use crate::fetch::{PackageFilter, RepoSpec};

pub use attribute::{ChangeReport, ChangeVerdict, Finding, Together, Verdict};
pub use state::ChangeSet;

/// The JSON schema version of [`ChangeReport`].
pub const SCHEMA: u32 = 1;

/// What must hold before and after (`--mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Every Requires has a provider (dnf repoclosure's rules): a finding
    /// is one unresolved Requires of one package.
    #[default]
    Closure,
    /// Every package can be installed (installcheck's rules: Conflicts,
    /// Obsoletes and one version of a name count too): a finding is one
    /// uninstallable package, with its root cause.
    Install,
}

impl Mode {
    /// `closure` or `install`, as `--mode` and the reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Closure => "closure",
            Mode::Install => "install",
        }
    }
}

/// Where proposed builds come from (`--add [NAME=]LOCATION`, or a matrix
/// repository named by a `[[changes]]` entry).
#[derive(Clone, Debug)]
pub struct Add {
    /// The name its packages are reported under.
    pub name: String,
    /// A directory of `.rpm` files, or any repository LOCATION.
    pub location: String,
    /// includepkgs/excludepkgs: a matrix repository proposes only the
    /// builds its cells would see.
    pub filter: PackageFilter,
    /// dnf's `module_hotfixes`, as the matrix repository sets it.
    pub module_hotfixes: bool,
}

impl Add {
    /// Builds from `location`, unfiltered.
    pub fn new(name: &str, location: &str) -> Add {
        Add {
            name: name.to_owned(),
            location: location.to_owned(),
            filter: PackageFilter::default(),
            module_hotfixes: false,
        }
    }
}

/// Everything a change check needs to know.
#[derive(Clone, Debug, Default)]
pub struct ChangeRequest {
    /// The repositories the builds would be tagged into, and their lookasides.
    pub targets: Vec<RepoSpec>,
    /// Where the proposed builds are.
    pub adds: Vec<Add>,
    /// Only the builds of these source NVRs (`--nvr`); with `sources`, either matches.
    pub nvrs: Vec<String>,
    /// Only the builds of these source package names (`--source`).
    pub sources: Vec<String>,
    /// Source packages to untag from the targets (`--remove-source`).
    pub remove_sources: Vec<String>,
    /// Closure rules or installcheck rules.
    pub mode: Mode,
    /// The selection (the same for both modes): `check` names target
    /// repositories (empty: all of them); `providers_from` is set by the
    /// change itself.
    pub closure: ClosureOptions,
    /// Fetching and loading.
    pub load: engine::Options,
}

/// Errors that stop a change check (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// A directory of builds could not be read.
    #[error(transparent)]
    Builds(#[from] builds::BuildsError),
    /// Loading or a closure failed.
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    /// The request is inconsistent (unknown source, nothing proposed...).
    #[error("{0}")]
    Invalid(String),
}

/// Runs a change check end to end: loads the targets and the proposed
/// builds into one pool, computes before and after, attributes.
pub fn run(request: &ChangeRequest) -> Result<ChangeReport, ChangeError> {
    let started = std::time::Instant::now();
    let mut specs = request.targets.clone();
    // Generated repositories live until the report is made: their filelists
    // are read on demand.
    let mut generated = Vec::new();
    for add in &request.adds {
        if specs.iter().any(|s| s.name == add.name) {
            return Err(ChangeError::Invalid(format!(
                "--add {}: the name is already a --repo (give --add NAME=LOCATION)",
                add.name
            )));
        }
        let path = std::path::Path::new(&add.location);
        let location = if builds::is_rpm_dir(path) {
            let dir = builds::read_rpm_dir(path)?;
            let location = dir.location();
            generated.push(dir);
            location
        } else {
            add.location.clone()
        };
        specs.push(RepoSpec {
            filter: add.filter.clone(),
            module_hotfixes: add.module_hotfixes,
            ..RepoSpec::new(&add.name, &location)
        });
    }
    let mut loaded = engine::load(&specs, &request.load)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let set = ChangeSet::new(&loaded.pool, request)?;
    let mut report = attribute::compare(&mut loaded, &set, request)?;
    report.timings.load_ms = load_ms;
    report.timings.total_ms = started.elapsed().as_secs_f64() * 1e3;
    drop(generated);
    Ok(report)
}
