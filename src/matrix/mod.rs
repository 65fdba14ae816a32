//! Matrix runs: many closures (cells) over repositories that are loaded
//! once and shared, with waivers and a baseline, producing one
//! [`MatrixReport`] that the JUnit, JSON and Markdown reports render.
//!
//! Reading a matrix has two stages: [`file`](mod@file) turns the TOML into plain
//! settings, [`plan`] resolves them into a [`Plan`]; [`run`] executes a plan
//! and never sees TOML. [`waiver`] and [`baseline`] judge each failure.
//!
//! A plan's `[drift]` section ([`DriftSpec`]) runs after the cells: its
//! sides are read from the cells' pool when a cell loaded the repository,
//! the other repositories are loaded into a second pool, and
//! [`crate::drift::compare`] judges them; the outcome is the report's
//! [`DriftReport`], whose violations gate like unwaived failures.

pub mod baseline;
pub mod file;
pub mod finding;
pub mod plan;
pub mod waiver;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;

use crate::closure::{self, FilelistsRequest, Outcome};
use crate::drift::{self, DriftInputs, Side};
use crate::engine;
use crate::installcheck;
use crate::repodata;
use crate::report::drift::{self as drift_report, DriftJson};

pub use file::MatrixError;
pub use finding::{FailureId, FailureKind, Finding};
pub use plan::{Cell, DriftSource, DriftSpec, Plan};
pub use waiver::Waiver;

/// Version of the matrix result JSON (see README, "Matrix results JSON").
pub const MATRIX_SCHEMA: u32 = 1;

/// The `kind` field of a matrix result document.
pub const MATRIX_KIND: &str = "rpmatrix-matrix-result";

/// Which failures make `run` exit 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Any unwaived failure (the default without a baseline).
    #[default]
    Any,
    /// Only unwaived failures the baseline did not have (the default with a baseline).
    New,
}

/// A cell's overall result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every checked package's requires are satisfied.
    Pass,
    /// Some failures, all waived.
    Waived,
    /// Some unwaived failures.
    Fail,
    /// The cell could not run (a repository did not load, a bad option).
    Error,
}

impl Status {
    /// The word used in tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Waived => "waived",
            Status::Fail => "FAIL",
            Status::Error => "ERROR",
        }
    }
}

/// A failure compared with the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Not failing in the baseline.
    New,
    /// Failing in the baseline too.
    Still,
}

/// A loaded (or failed) repository.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RepoReport {
    /// Name.
    pub name: String,
    /// LOCATION.
    pub location: String,
    /// repomd.xml revision.
    pub revision: Option<String>,
    /// sha256 of repomd.xml.
    pub repomd_sha256: Option<String>,
    /// Packages in primary.xml.
    pub packages: usize,
    /// Whether filelists were read.
    pub filelists_loaded: bool,
    /// Why it could not be loaded.
    pub error: Option<String>,
}

/// A waiver as it applied to a failure.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WaiverRef {
    /// The reason.
    pub reason: String,
    /// `file:line` of the waiver.
    pub origin: String,
    /// Its expiry date.
    pub expires: Option<String>,
}

impl From<&Waiver> for WaiverRef {
    fn from(w: &Waiver) -> WaiverRef {
        WaiverRef {
            reason: w.reason.clone(),
            origin: w.origin.clone(),
            expires: w.expires.map(|d| d.to_string()),
        }
    }
}

/// A checked package with unresolved dependencies. Each dependency is a
/// [`Finding`] judged on its own (waivers, baseline); the package's
/// `waived`, `expired_waiver` and `baseline` sum them up ([`Failure::settle`]).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    /// Package name.
    pub name: String,
    /// NEVRA.
    pub nevra: String,
    /// Architecture.
    pub arch: String,
    /// Repository.
    pub repo: String,
    /// Unresolved dependencies, sorted.
    pub unresolved: Vec<String>,
    /// `rich = "strict"` explanations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<String>,
    /// Each problem, judged (one per unresolved dependency). Results written
    /// before findings existed have none; [`MatrixReport::from_json`] makes
    /// them from `unresolved`.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The waiver that waives it: set when every finding is waived.
    pub waived: Option<WaiverRef>,
    /// An expired waiver that named one of its unwaived findings.
    pub expired_waiver: Option<WaiverRef>,
    /// Compared with `--baseline` (absent without one): new when one of its
    /// unwaived findings is new (or, when all are waived, one of them).
    pub baseline: Option<Change>,
}

impl Failure {
    /// The identity of one of its findings.
    pub fn id(&self, finding: &Finding) -> FailureId {
        FailureId {
            name: self.name.clone(),
            arch: self.arch.clone(),
            kind: finding.kind,
            problem: finding.key.clone(),
        }
    }

    /// Findings not waived.
    pub fn unwaived(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.waived.is_none())
    }

    /// Makes the findings from `unresolved` when there are none (a result
    /// written before findings existed).
    fn fill_findings(&mut self) {
        if self.findings.is_empty() {
            self.findings = self.unresolved.iter().map(|d| Finding::unresolved(d)).collect();
        }
    }

    /// Sums the findings' judgements up into the package's.
    pub fn settle(&mut self) {
        let all_waived = !self.findings.is_empty() && self.findings.iter().all(|f| f.waived.is_some());
        self.waived = if all_waived {
            self.findings.iter().find_map(|f| f.waived.clone())
        } else {
            None
        };
        let expired = self.unwaived().find_map(|f| f.expired_waiver.clone());
        self.expired_waiver = expired;
        let judged: Vec<&Finding> = if all_waived {
            self.findings.iter().collect()
        } else {
            self.unwaived().collect()
        };
        self.baseline = if judged.iter().any(|f| f.baseline == Some(Change::New)) {
            Some(Change::New)
        } else {
            judged.iter().find_map(|f| f.baseline)
        };
    }
}

/// Findings of the baseline that are gone, for one package (the whole
/// package when it no longer fails, else the dependencies that resolve now).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fixed {
    /// Package name.
    pub name: String,
    /// Architecture.
    pub arch: String,
    /// NEVRA in the baseline.
    pub nevra: String,
    /// What was unresolved in the baseline and is not any more.
    pub unresolved: Vec<String>,
}

/// A checked package (every one becomes a JUnit test case).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checked {
    /// Name.
    pub name: String,
    /// NEVRA.
    pub nevra: String,
    /// Repository.
    pub repo: String,
}

/// The result of one cell.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CellReport {
    /// The cell as planned.
    pub cell: Cell,
    /// Overall status.
    pub status: Status,
    /// The infrastructure problem, when `status` is `error`.
    pub error: Option<String>,
    /// Packages checked.
    pub checked: usize,
    /// Packages that could provide.
    pub providers: usize,
    /// Every checked package, in check order.
    pub packages: Vec<Checked>,
    /// The failures, in dnf's package order.
    pub failures: Vec<Failure>,
    /// Baseline failures that are gone.
    pub fixed: Vec<Fixed>,
    /// Closure time, milliseconds.
    pub closure_ms: f64,
}

impl CellReport {
    fn errored(cell: &Cell, error: String) -> CellReport {
        CellReport {
            cell: cell.clone(),
            status: Status::Error,
            error: Some(error),
            checked: 0,
            providers: 0,
            packages: Vec::new(),
            failures: Vec::new(),
            fixed: Vec::new(),
            closure_ms: 0.0,
        }
    }

    /// Failures not waived.
    pub fn unwaived(&self) -> impl Iterator<Item = &Failure> {
        self.failures.iter().filter(|f| f.waived.is_none())
    }

    /// Recomputes `status` from the error and the failures.
    pub fn update_status(&mut self) {
        self.status = if self.error.is_some() {
            Status::Error
        } else if self.unwaived().next().is_some() {
            Status::Fail
        } else if !self.failures.is_empty() {
            Status::Waived
        } else {
            Status::Pass
        };
    }

    /// Unwaived findings that make the run fail under `fail_on`.
    pub fn gating(&self, fail_on: FailOn) -> usize {
        self.failures
            .iter()
            .flat_map(Failure::unwaived)
            .filter(|f| fail_on == FailOn::Any || f.baseline != Some(Change::Still))
            .count()
    }
}

/// A waiver and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WaiverReport {
    /// The waiver.
    #[serde(flatten)]
    pub waiver: Waiver,
    /// Expired on the run's date.
    pub expired: bool,
    /// Findings it waived (0 when expired).
    pub waived: usize,
    /// Unexpired, and it waived nothing in the cells it covers that ran
    /// without an error: the failure it was written for is gone (or it never
    /// matched). Reported to be cleaned up; it does not fail the run.
    #[serde(default)]
    pub stale: bool,
}

/// Time spent, milliseconds.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunTimings {
    /// Loading all repositories (wall clock).
    pub load_ms: f64,
    /// Building the shared pool.
    pub pool_ms: f64,
    /// Reading filelists on demand.
    pub filelists_ms: f64,
    /// Running the cells (wall clock).
    pub cells_ms: f64,
}

/// What the `[drift]` section found (the `drift` member of [`MatrixReport`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct DriftReport {
    /// `file:line` of the `[drift]` section.
    pub origin: String,
    /// Why the drift could not run (a repository that did not load); exit 2.
    pub error: Option<String>,
    /// The comparison: `rpmatrix drift --format json`'s document (`null` on error).
    pub result: Option<DriftJson>,
    /// With a baseline: the violating source packages that were not violating
    /// in the baseline's `drift` member (all of them when it has none).
    /// `null` without a baseline.
    pub new_violations: Option<Vec<String>>,
}

impl DriftReport {
    /// Source packages violating the policy, in report order.
    pub fn violations(&self) -> Vec<&str> {
        self.result
            .iter()
            .flat_map(|r| &r.packages)
            .filter(|p| p.verdict == "violation")
            .map(|p| p.name.as_str())
            .collect()
    }

    /// Violations that make the run fail under `fail_on`: all of them, or
    /// with [`FailOn::New`] and a baseline only the new ones.
    pub fn gating(&self, fail_on: FailOn) -> usize {
        match (fail_on, &self.new_violations) {
            (FailOn::New, Some(new)) => new.len(),
            _ => self.violations().len(),
        }
    }
}

impl PartialEq for DriftReport {
    fn eq(&self, other: &DriftReport) -> bool {
        // DriftJson has no PartialEq (it holds floats and policy verdicts); compare as JSON.
        serde_json::to_value(self).ok() == serde_json::to_value(other).ok()
    }
}

/// Everything a matrix run found (the JSON document; README, "Matrix results JSON").
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MatrixReport {
    /// [`MATRIX_SCHEMA`].
    pub schema: u32,
    /// [`MATRIX_KIND`].
    pub kind: String,
    /// rpmatrix version.
    pub rpmatrix: String,
    /// The matrix file.
    pub matrix: String,
    /// The date waiver expiry was judged on.
    pub date: String,
    /// The exit policy.
    pub fail_on: FailOn,
    /// The baseline file, if any.
    pub baseline: Option<String>,
    /// The date of the baseline's run.
    #[serde(default)]
    pub baseline_date: Option<String>,
    /// Repositories (those the run's cells needed).
    pub repos: Vec<RepoReport>,
    /// Cells in plan order.
    pub cells: Vec<CellReport>,
    /// All waivers of the matrix.
    pub waivers: Vec<WaiverReport>,
    /// Timings.
    pub timings: RunTimings,
    /// The `[drift]` section's findings (`null` when the matrix has none or it was skipped).
    #[serde(default)]
    pub drift: Option<DriftReport>,
}

impl MatrixReport {
    /// The process exit code: 2 if any cell (or the drift) had an
    /// infrastructure error, else 1 if any cell has a gating failure or the
    /// drift a gating policy violation (see [`FailOn`]), else 0.
    pub fn exit_code(&self) -> u8 {
        let drift = self.drift.as_ref();
        if self.cells.iter().any(|c| c.status == Status::Error) || drift.is_some_and(|d| d.error.is_some()) {
            crate::exit::ERROR
        } else if self.cells.iter().any(|c| c.gating(self.fail_on) > 0)
            || drift.is_some_and(|d| d.gating(self.fail_on) > 0)
        {
            crate::exit::FINDINGS
        } else {
            crate::exit::SUCCESS
        }
    }

    /// Reads a result document, checking its kind and schema.
    pub fn from_json(text: &str, name: &str) -> Result<MatrixReport, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
        if v.get("kind").and_then(|k| k.as_str()) != Some(MATRIX_KIND) {
            return Err(format!(
                "{name}: not an rpmatrix matrix result (kind is not '{MATRIX_KIND}')"
            ));
        }
        match v.get("schema").and_then(|s| s.as_u64()) {
            Some(s) if s == u64::from(MATRIX_SCHEMA) => {}
            other => {
                return Err(format!(
                    "{name}: schema {other:?} is not supported (this rpmatrix reads schema {MATRIX_SCHEMA})"
                ));
            }
        }
        let mut report: MatrixReport = serde_json::from_value(v).map_err(|e| format!("{name}: {e}"))?;
        for f in report.cells.iter_mut().flat_map(|c| &mut c.failures) {
            f.fill_findings();
        }
        Ok(report)
    }

    /// The JSON document.
    pub fn to_json(&self) -> Result<String, crate::report::JsonError> {
        crate::report::to_json("matrix result", self)
    }

    /// Joins results of cells run separately (CI fan-out) into one report.
    /// A cell present in two inputs is an error; repositories are joined by name.
    ///
    /// `parts` pairs each result with the file it was read from (for the
    /// messages). Results of different matrix files are refused. With the
    /// `plan` of the matrix, a cell of the plan that no part has becomes an
    /// error cell (its CI job never reported: a gate must not pass without
    /// it), a cell the plan does not have is refused, and cells are listed
    /// in the plan's order; without it, in name order.
    pub fn merge(parts: Vec<(String, MatrixReport)>, plan: Option<&Plan>) -> Result<MatrixReport, String> {
        let file_name = |p: &str| {
            std::path::Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let mut iter = parts.into_iter();
        let Some((first_file, mut out)) = iter.next() else {
            return Err("nothing to merge".to_owned());
        };
        if let Some(plan) = plan {
            check_cells_in_plan(&first_file, &out, plan)?;
        }
        for (file, p) in iter {
            if file_name(&p.matrix) != file_name(&out.matrix) {
                return Err(format!(
                    "{file} is a result of matrix {:?}, {first_file} of {:?}: merge the results of one matrix",
                    p.matrix, out.matrix
                ));
            }
            if let Some(plan) = plan {
                check_cells_in_plan(&file, &p, plan)?;
            }
            for c in p.cells {
                if out.cells.iter().any(|o| o.cell.name == c.cell.name) {
                    return Err(format!("cell '{}' is in more than one result", c.cell.name));
                }
                out.cells.push(c);
            }
            for r in p.repos {
                if !out.repos.iter().any(|o| o.name == r.name) {
                    out.repos.push(r);
                }
            }
            for w in p.waivers {
                match out.waivers.iter_mut().find(|o| o.waiver == w.waiver) {
                    Some(o) => o.waived += w.waived,
                    None => out.waivers.push(w),
                }
            }
            if p.fail_on == FailOn::New {
                out.fail_on = FailOn::New;
            }
            // One part ran the drift (CI fan-out); a finished drift wins over an errored one.
            match (&out.drift, p.drift) {
                (None, Some(d)) => out.drift = Some(d),
                (Some(o), Some(d)) if o.result.is_none() && d.result.is_some() => out.drift = Some(d),
                _ => {}
            }
            out.timings.load_ms += p.timings.load_ms;
            out.timings.pool_ms += p.timings.pool_ms;
            out.timings.filelists_ms += p.timings.filelists_ms;
            out.timings.cells_ms += p.timings.cells_ms;
        }
        match plan {
            Some(plan) => {
                for cell in &plan.cells {
                    if !out.cells.iter().any(|c| c.cell.name == cell.name) {
                        out.cells.push(CellReport::errored(
                            cell,
                            "no result for this cell among the merged files (its job did not run or did not write --json)"
                                .to_owned(),
                        ));
                    }
                }
                let order = |name: &str| plan.cells.iter().position(|c| c.name == name);
                out.cells.sort_by_key(|c| order(&c.cell.name));
            }
            None => out.cells.sort_by(|a, b| a.cell.name.cmp(&b.cell.name)),
        }
        for w in &mut out.waivers {
            w.stale = waiver::is_stale(&w.waiver, w.expired, w.waived, &out.cells);
        }
        out.repos.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// Refuses a result holding a cell the plan does not have.
fn check_cells_in_plan(file: &str, part: &MatrixReport, plan: &Plan) -> Result<(), String> {
    for c in &part.cells {
        if !plan.cells.iter().any(|p| p.name == c.cell.name) {
            let known: Vec<&str> = plan.cells.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "{file}: cell '{}' is not in {} (a result of matrix {:?}?); its cells: {}",
                c.cell.name,
                plan.source.display(),
                part.matrix,
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// How to run a plan.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Only these cells (empty = all).
    pub cells: Vec<String>,
    /// The day waiver expiry is judged on.
    pub today: jiff::civil::Date,
    /// Loading options.
    pub load: engine::Options,
    /// The previous run's results and their file name.
    pub baseline: Option<(String, MatrixReport)>,
    /// Exit policy.
    pub fail_on: FailOn,
    /// Run the plan's `[drift]` section (when it has one).
    pub drift: bool,
    /// Run no cells (only the drift).
    pub no_cells: bool,
}

/// Where an `installable = true` cell's installability check stands.
enum Install {
    /// Checked (`None`: the cell does not ask for it).
    Done(Option<installcheck::InstallcheckResult>),
    /// The conflicting file paths must be looked up in filelists first.
    Need(FilelistsRequest),
    /// The check could not run (the message says why).
    Failed(String),
}

/// Runs the installability check of a cell that asks for it, once the
/// filelists hold every path a file Conflicts or file Requires names.
fn installability(loaded: &engine::Loaded, cell: &Cell) -> Install {
    if !cell.installable {
        return Install::Done(None);
    }
    let selection = match closure::selection(&loaded.pool, &cell.options()) {
        Ok(s) => s,
        Err(e) => return Install::Failed(e.to_string()),
    };
    if !cell.no_filelists {
        let paths = installcheck::paths_needed(&loaded.pool, selection.available());
        if selection
            .repos()
            .iter()
            .any(|&r| loaded.first_unscanned(r, &paths).is_some())
        {
            return Install::Need(FilelistsRequest {
                paths,
                repos: selection.repos().to_vec(),
            });
        }
    }
    match installcheck::check_selection(&loaded.pool, &selection, &cell.basearch) {
        Ok(r) => Install::Done(Some(r)),
        Err(e) => Install::Failed(format!("installability check: {e}")),
    }
}

fn judge_failures(
    pool: &crate::pool::Pool,
    cell: &Cell,
    result: closure::ClosureResult,
    install: Option<installcheck::InstallcheckResult>,
    closure_ms: f64,
    plan: &Plan,
    opts: &RunOptions,
) -> CellReport {
    if result.checked == 0 {
        // A cell that checks nothing would pass every night whatever breaks.
        let mut r = CellReport::errored(
            cell,
            format!(
                "the cell checks no package (check: {}; arch: {}): fix its repos or filters",
                cell.check.join(", "),
                if cell.arch.is_empty() {
                    "any".to_owned()
                } else {
                    cell.arch.join(", ")
                }
            ),
        );
        finish_cell(&mut r, opts);
        return r;
    }
    let failures = result
        .problems
        .into_iter()
        .map(|p| {
            let mut findings: Vec<Finding> = p.unresolved.iter().map(|d| Finding::unresolved(d)).collect();
            for f in &mut findings {
                match waiver::judge(&plan.waivers, &cell.name, &p.name, &f.key, &f.problem, opts.today) {
                    waiver::Verdict::None => {}
                    waiver::Verdict::Waived(w) => f.waived = Some(w.into()),
                    waiver::Verdict::Expired(w) => f.expired_waiver = Some(w.into()),
                }
            }
            Failure {
                name: p.name,
                nevra: p.nevra,
                arch: p.arch,
                repo: p.repo,
                unresolved: p.unresolved,
                explanations: p.explanations,
                findings,
                waived: None,
                expired_waiver: None,
                baseline: None,
            }
        })
        .collect::<Vec<Failure>>();
    let mut failures = failures;
    // A package with an unresolved dependency is uninstallable too, for the
    // same reason: it is reported once, as the closure failure.
    let unresolved: std::collections::HashSet<String> = failures.iter().map(|f| f.nevra.clone()).collect();
    for u in install.map(|r| r.uninstallable).unwrap_or_default() {
        if unresolved.contains(&u.nevra) {
            continue;
        }
        let involved: Vec<String> = u.problems.last().map(|p| p.packages.clone()).unwrap_or_default();
        let mut finding = Finding::uninstallable(&u.root_cause, &involved);
        match waiver::judge(
            &plan.waivers,
            &cell.name,
            &u.name,
            &finding.key,
            &finding.problem,
            opts.today,
        ) {
            waiver::Verdict::None => {}
            waiver::Verdict::Waived(w) => finding.waived = Some(w.into()),
            waiver::Verdict::Expired(w) => finding.expired_waiver = Some(w.into()),
        }
        failures.push(Failure {
            name: u.name,
            nevra: u.nevra,
            arch: u.arch,
            repo: u.repo,
            unresolved: Vec::new(),
            explanations: u.problems.into_iter().map(|p| p.text).collect(),
            findings: vec![finding],
            waived: None,
            expired_waiver: None,
            baseline: None,
        });
    }
    let mut report = CellReport {
        cell: cell.clone(),
        status: Status::Pass,
        error: None,
        checked: result.checked,
        providers: result.providers,
        packages: result
            .checked_packages
            .into_iter()
            .map(|pkg| Checked {
                name: pool.str(pool.packages[pkg as usize].name).to_owned(),
                nevra: pool.nevra(pkg),
                repo: pool.repo_name(pkg).to_owned(),
            })
            .collect(),
        failures,
        fixed: Vec::new(),
        closure_ms,
    };
    finish_cell(&mut report, opts);
    report
}

fn finish_cell(report: &mut CellReport, opts: &RunOptions) {
    if let Some((_, b)) = &opts.baseline {
        baseline::classify(report, b);
    }
    for f in &mut report.failures {
        f.settle();
    }
    report.update_status();
}

/// Runs the plan's (selected) cells. Every repository they need is loaded
/// once into one pool; cells run in parallel; `on_done` is called for each
/// cell in plan order (a cell that finishes early waits for those before it:
/// the table reads the same every night)
/// cell finishes (from worker threads). A repository that does not load
/// makes the cells using it errors; the others run. `Err` only for problems
/// that stop everything (an unknown `--cell`, a bad filter).
pub fn run(plan: &Plan, opts: &RunOptions, on_done: &(dyn Fn(&CellReport) + Sync)) -> Result<MatrixReport, String> {
    let cells = if opts.no_cells {
        Vec::new()
    } else {
        plan.select(&opts.cells)?
    };
    // The drift's files are read first: a bad policy stops the run before any loading.
    let drift_spec = plan.drift.as_ref().filter(|_| opts.drift);
    let drift_inputs = match drift_spec {
        Some(d) => Some(
            DriftInputs::read(d.policy.as_deref(), d.map.as_deref(), d.rdoinfo.as_deref())
                .map_err(|e| format!("[drift] ({}): {e}", d.origin))?,
        ),
        None => None,
    };
    let needed: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for c in &cells {
            for r in c.repos() {
                if !v.contains(&r) {
                    v.push(r);
                }
            }
        }
        v
    };
    let specs: Vec<crate::fetch::RepoSpec> = plan
        .repos
        .iter()
        .filter(|r| needed.contains(&r.name))
        .cloned()
        .collect();
    let (mut loaded, failed) = engine::load_partial(&specs, &opts.load).map_err(|e| e.to_string())?;
    let failed: BTreeMap<String, String> = failed.into_iter().map(|(n, e)| (n, e.to_string())).collect();

    let in_order = InOrder {
        state: Mutex::new((0, vec![None; cells.len()])),
        on_done,
    };
    let mut done: Vec<Option<CellReport>> = vec![None; cells.len()];
    let mut pending: Vec<usize> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let broken: Vec<String> = c
            .repos()
            .iter()
            .filter_map(|r| failed.get(r).map(|e| load_failure(r, e)))
            .collect();
        if broken.is_empty() {
            pending.push(i);
        } else {
            let mut report = CellReport::errored(c, broken.join("\n"));
            finish_cell(&mut report, opts);
            in_order.done(i, &report);
            done[i] = Some(report);
        }
    }

    let started = Instant::now();
    let mut filelists_ms = 0.0;
    let mut spent = vec![0.0_f64; cells.len()];
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        let need = Mutex::new(Vec::<(usize, FilelistsRequest)>::new());
        let outcomes: Vec<(usize, Result<CellReport, f64>)> = pending
            .par_iter()
            .map(|&i| {
                let cell = &cells[i];
                let t = Instant::now();
                let outcome = closure::check(&loaded.pool, &cell.options());
                let ms = round(t.elapsed().as_secs_f64() * 1e3 + spent[i]);
                let report = match outcome {
                    Ok(Outcome::Done(result)) => match installability(&loaded, cell) {
                        Install::Done(install) => {
                            let ms = round(t.elapsed().as_secs_f64() * 1e3 + spent[i]);
                            judge_failures(&loaded.pool, cell, result, install, ms, plan, opts)
                        }
                        Install::Need(request) if rounds < 8 => {
                            if let Ok(mut n) = need.lock() {
                                n.push((i, request));
                            }
                            return (i, Err(ms));
                        }
                        Install::Need(_) => {
                            let mut r =
                                CellReport::errored(cell, "filelists did not settle the installability check".into());
                            finish_cell(&mut r, opts);
                            r
                        }
                        Install::Failed(e) => {
                            let mut r = CellReport::errored(cell, e);
                            finish_cell(&mut r, opts);
                            r
                        }
                    },
                    Ok(Outcome::NeedFilelists(request)) if rounds < 8 => {
                        if let Ok(mut n) = need.lock() {
                            n.push((i, request));
                        }
                        return (i, Err(ms));
                    }
                    Ok(Outcome::NeedFilelists(_)) => {
                        let mut r = CellReport::errored(cell, "filelists did not settle the file dependencies".into());
                        finish_cell(&mut r, opts);
                        r
                    }
                    Err(e) => {
                        let mut r = CellReport::errored(cell, e.to_string());
                        finish_cell(&mut r, opts);
                        r
                    }
                };
                in_order.done(i, &report);
                (i, Ok(report))
            })
            .collect();
        let mut still = Vec::new();
        for (i, r) in outcomes {
            match r {
                Ok(r) => done[i] = Some(r),
                Err(ms) => {
                    spent[i] = ms;
                    still.push(i);
                }
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        // Each cell asked for filelists of its own repositories only; read
        // every file once for the union of what the cells asked of it.
        let mut requests = need.into_inner().unwrap_or_default();
        requests.sort_by_key(|(i, _)| *i);
        let t = Instant::now();
        let scans = {
            let all: Vec<FilelistsRequest> = requests.iter().map(|(_, r)| r.clone()).collect();
            loaded.filelists_scans(&all)
        };
        let failed: BTreeMap<u32, repodata::FilelistsError> = loaded.scan_filelists(&scans).into_iter().collect();
        // A repository whose filelists cannot be read fails only the cells
        // that needed them, naming the dependency that did.
        for (i, request) in &requests {
            let broken = request.repos.iter().find_map(|r| {
                let e = failed.get(r)?;
                // Failed for another cell's paths only: not this cell's problem.
                let why = loaded.first_unscanned(*r, &request.paths)?;
                Some(format!("filelists cannot be loaded: {}", e.needed_by(&why)))
            });
            let Some(msg) = broken else {
                continue;
            };
            let mut r = CellReport::errored(&cells[*i], msg);
            finish_cell(&mut r, opts);
            in_order.done(*i, &r);
            done[*i] = Some(r);
        }
        pending.retain(|&i| done[i].is_none());
        filelists_ms += t.elapsed().as_secs_f64() * 1e3;
    }
    let cells_ms = started.elapsed().as_secs_f64() * 1e3 - filelists_ms;

    let cell_reports: Vec<CellReport> = done.into_iter().flatten().collect();
    let mut loaded_repos = loaded.loaded_repos();
    let mut failed = failed;
    let mut specs = specs;
    let drift = match (drift_spec, drift_inputs) {
        (Some(d), Some(inputs)) => {
            let (report, extra) = run_drift(plan, d, inputs, &loaded, &failed, opts);
            if let Some((extra_specs, extra_loaded, extra_failed)) = extra {
                specs.extend(extra_specs);
                loaded_repos.extend(extra_loaded);
                failed.extend(extra_failed);
            }
            Some(report)
        }
        _ => None,
    };
    let repos = specs
        .iter()
        .map(|s| match loaded_repos.iter().find(|l| l.name == s.name) {
            Some(l) => RepoReport {
                name: l.name.clone(),
                location: l.location.clone(),
                revision: l.revision.clone(),
                repomd_sha256: Some(l.repomd_sha256.clone()),
                packages: l.packages,
                filelists_loaded: l.filelists_loaded,
                error: None,
            },
            None => RepoReport {
                name: s.name.clone(),
                location: s.location.clone(),
                revision: None,
                repomd_sha256: None,
                packages: 0,
                filelists_loaded: false,
                error: failed.get(&s.name).cloned(),
            },
        })
        .collect();
    let waivers = waiver::reports(&plan.waivers, &cell_reports, opts.today);
    Ok(MatrixReport {
        schema: MATRIX_SCHEMA,
        kind: MATRIX_KIND.to_owned(),
        rpmatrix: env!("CARGO_PKG_VERSION").to_owned(),
        matrix: plan.source.display().to_string(),
        date: opts.today.to_string(),
        fail_on: opts.fail_on,
        baseline: opts.baseline.as_ref().map(|(n, _)| n.clone()),
        baseline_date: opts.baseline.as_ref().map(|(_, b)| b.date.clone()),
        repos,
        cells: cell_reports,
        waivers,
        timings: RunTimings {
            load_ms: round(loaded.timings.load_ms),
            pool_ms: round(loaded.timings.pool_ms),
            filelists_ms: round(filelists_ms),
            cells_ms: round(cells_ms),
        },
        drift,
    })
}

/// A repository's load error as its cells report it: the error already
/// names the repository (and its location); say it only once.
fn load_failure(repo: &str, error: &str) -> String {
    if error.starts_with(&format!("repo '{repo}'")) {
        error.to_owned()
    } else {
        format!("repo '{repo}': {error}")
    }
}

/// Hands finished cells to a callback in plan order, whatever order they
/// finish in.
struct InOrder<'a> {
    /// The next cell to hand over, and the finished cells waiting for it.
    state: Mutex<(usize, Vec<Option<CellReport>>)>,
    on_done: &'a (dyn Fn(&CellReport) + Sync),
}

impl InOrder<'_> {
    fn done(&self, i: usize, report: &CellReport) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (next, waiting) = &mut *state;
        if let Some(slot) = waiting.get_mut(i) {
            *slot = Some(report.clone());
        }
        while let Some(r) = waiting.get_mut(*next).and_then(Option::take) {
            (self.on_done)(&r);
            *next += 1;
        }
    }
}

/// Repositories the drift loaded itself: specs, what loaded, what failed.
type ExtraRepos = (
    Vec<crate::fetch::RepoSpec>,
    Vec<engine::LoadedRepo>,
    BTreeMap<String, String>,
);

/// Runs `[drift]`. Repos the cells already loaded are read from their pool
/// (`Side::from_pool`); only repos no selected cell needs are loaded, into a
/// second pool of their own, so that the cells' pool (its filelists scans,
/// its modular filtering) is unchanged by the drift.
fn run_drift(
    plan: &Plan,
    spec: &DriftSpec,
    inputs: DriftInputs,
    cells_pool: &engine::Loaded,
    cells_failed: &BTreeMap<String, String>,
    opts: &RunOptions,
) -> (DriftReport, Option<ExtraRepos>) {
    let started = Instant::now();
    let in_cells = |name: &str| cells_pool.pool.repos.iter().any(|r| r.name == name) || cells_failed.contains_key(name);
    let extra_specs: Vec<crate::fetch::RepoSpec> = spec
        .repos()
        .iter()
        .filter(|r| !in_cells(r))
        .filter_map(|r| plan.repos.iter().find(|s| &s.name == r).cloned())
        .collect();
    let errored = |error: String| DriftReport {
        origin: spec.origin.clone(),
        error: Some(error),
        result: None,
        new_violations: None,
    };
    let (extra_pool, extra) = if extra_specs.is_empty() {
        (None, None)
    } else {
        match engine::load_partial(&extra_specs, &opts.load) {
            Ok((l, f)) => {
                let f: BTreeMap<String, String> = f.into_iter().map(|(n, e)| (n, e.to_string())).collect();
                let lr = l.loaded_repos();
                (Some(l), Some((extra_specs, lr, f)))
            }
            Err(e) => return (errored(e.to_string()), None),
        }
    };
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut broken: Vec<String> = spec
        .repos()
        .iter()
        .filter_map(|r| {
            cells_failed
                .get(r)
                .or_else(|| extra.as_ref().and_then(|(_, _, f)| f.get(r)))
                .map(|e| load_failure(r, e))
        })
        .collect();
    broken.dedup();
    if !broken.is_empty() {
        return (errored(broken.join("\n")), extra);
    }
    let started = Instant::now();
    let side = |name: &str| -> Side {
        let pool = match &extra_pool {
            Some(l) if l.pool.repos.iter().any(|r| r.name == name) => &l.pool,
            _ => &cells_pool.pool,
        };
        let idx: Vec<usize> = pool
            .repos
            .iter()
            .enumerate()
            .filter(|(_, r)| r.name == name)
            .map(|(i, _)| i)
            .collect();
        Side::from_pool(pool, &idx, name)
    };
    let label = |s: &DriftSource| match s {
        DriftSource::Repo(r) => r.clone(),
        DriftSource::RdoinfoTag(t) => format!("rdoinfo:{t}"),
    };
    let mut ours = Side {
        name: spec.ours.iter().map(label).collect::<Vec<_>>().join("+"),
        ..Side::default()
    };
    for s in &spec.ours {
        let part = match s {
            DriftSource::Repo(r) => side(r),
            DriftSource::RdoinfoTag(t) => match inputs.rdoinfo_side(t) {
                Ok(side) => side,
                Err(e) => return (errored(e.to_string()), extra),
            },
        };
        ours.merge_newer(part);
    }
    let refs: Vec<Side> = spec.theirs.iter().map(|r| side(r)).collect();
    let compared = drift::compare(
        &ours,
        &refs,
        &drift::CompareOptions {
            map: inputs.map,
            only: spec.only.clone(),
            policy: inputs.policy,
        },
    );
    let mut result = match compared {
        Ok(r) => r,
        Err(e) => return (errored(e.to_string()), extra),
    };
    result.timings = drift::DriftTimings {
        load_ms: round(load_ms),
        compare_ms: round(started.elapsed().as_secs_f64() * 1e3),
    };
    let previous = opts
        .baseline
        .as_ref()
        .map(|(_, b)| b.drift.as_ref().and_then(|d| d.result.as_ref()));
    let changes = previous.map(|p| p.map(|p| drift_report::changes_since(&result, p)).unwrap_or_default());
    let doc = drift_report::document(&result, changes.as_deref());
    let report = DriftReport {
        origin: spec.origin.clone(),
        error: None,
        new_violations: previous.map(|p| {
            let before: Vec<&str> = p
                .iter()
                .flat_map(|p| &p.packages)
                .filter(|p| p.verdict == "violation")
                .map(|p| p.name.as_str())
                .collect();
            doc.packages
                .iter()
                .filter(|p| p.verdict == "violation" && !before.contains(&p.name.as_str()))
                .map(|p| p.name.clone())
                .collect()
        }),
        result: Some(doc),
    };
    (report, extra)
}

fn round(ms: f64) -> f64 {
    (ms * 1e3).round() / 1e3
}
