//! The result of a matrix run, as the reports render it and as `--baseline`
//! and `merge` read it back (README, "Matrix results JSON"): cells, their
//! failures and findings, repositories, waivers, the drift's outcome; and
//! merging the results of a CI fan-out.

use super::waiver;
use super::{Cell, FailureId, Finding, Plan, ResultsError, Waiver};
use crate::report::drift::DriftJson;

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
    /// What was loaded (name and location only when it failed); flattened:
    /// the JSON members are its own.
    #[serde(flatten)]
    pub repo: crate::engine::LoadedRepo,
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
    /// The failing package as the check found it: NEVRA, name, arch,
    /// repository, the unresolved dependencies (empty for an uninstallable
    /// package, whose chain is in `explanations`). Flattened: the JSON
    /// members are the package's own.
    #[serde(flatten)]
    pub package: crate::closure::Problem,
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
            name: self.package.name.clone(),
            arch: self.package.arch.clone(),
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
            self.findings = self.package.unresolved.iter().map(|d| Finding::unresolved(d)).collect();
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
    pub(super) fn errored(cell: &Cell, error: String) -> CellReport {
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
            .filter(|p| p.verdict.is_violation())
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

/// What one `[[changes]]` entry found (a member of [`MatrixReport::changes`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ChangeCheck {
    /// The change's name.
    pub name: String,
    /// The cell whose repositories were the targets.
    pub cell: String,
    /// `file:line` of the `[[changes]]` entry.
    pub origin: String,
    /// Why the check could not run (a repository that did not load); exit 2.
    pub error: Option<String>,
    /// `rpmatrix change --json`'s document (`null` on error).
    pub result: Option<crate::change::ChangeReport>,
    /// With a baseline: the rejected changes (build NVRs, `untag NAME`)
    /// that the baseline's same change did not reject. `null` without one.
    pub new_rejections: Option<Vec<String>>,
}

impl ChangeCheck {
    /// The rejected changes: build NVRs, `untag NAME` for untags.
    pub fn rejected(&self) -> Vec<String> {
        self.result
            .iter()
            .flat_map(|r| &r.changes)
            .filter(|c| c.verdict == crate::change::Verdict::Reject)
            .map(crate::change::ChangeVerdict::name)
            .collect()
    }

    /// Rejections that make the run fail under `fail_on`: all of them, or
    /// with [`FailOn::New`] and a baseline only the new ones.
    pub fn gating(&self, fail_on: FailOn) -> usize {
        match (fail_on, &self.new_rejections) {
            (FailOn::New, Some(new)) => new.len(),
            _ => self.rejected().len(),
        }
    }
}

impl PartialEq for ChangeCheck {
    fn eq(&self, other: &ChangeCheck) -> bool {
        // ChangeReport holds timings (floats); compare as JSON.
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
    /// The `[[changes]]`' findings, in plan order (empty when the matrix has
    /// none or they were skipped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<ChangeCheck>,
}

impl MatrixReport {
    /// The process exit code: 2 if any cell (or the drift, or a change) had
    /// an infrastructure error, else 1 if any cell has a gating failure, the
    /// drift a gating policy violation or a change a gating rejected build
    /// (see [`FailOn`]), else 0.
    pub fn exit_code(&self) -> u8 {
        let drift = self.drift.as_ref();
        if self.cells.iter().any(|c| c.status == Status::Error)
            || drift.is_some_and(|d| d.error.is_some())
            || self.changes.iter().any(|c| c.error.is_some())
        {
            crate::exit::ERROR
        } else if self.cells.iter().any(|c| c.gating(self.fail_on) > 0)
            || drift.is_some_and(|d| d.gating(self.fail_on) > 0)
            || self.changes.iter().any(|c| c.gating(self.fail_on) > 0)
        {
            crate::exit::FINDINGS
        } else {
            crate::exit::SUCCESS
        }
    }

    /// Reads a result document, checking its kind and schema.
    pub fn from_json(text: &str, name: &str) -> Result<MatrixReport, ResultsError> {
        let file = || name.to_owned();
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|source| ResultsError::NotJson { file: file(), source })?;
        if v.get("kind").and_then(|k| k.as_str()) != Some(MATRIX_KIND) {
            return Err(ResultsError::NotAResult { file: file() });
        }
        match v.get("schema").and_then(|s| s.as_u64()) {
            Some(s) if s == u64::from(MATRIX_SCHEMA) => {}
            found => return Err(ResultsError::Schema { file: file(), found }),
        }
        let mut report: MatrixReport =
            serde_json::from_value(v).map_err(|source| ResultsError::Malformed { file: file(), source })?;
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
    pub fn merge(parts: Vec<(String, MatrixReport)>, plan: Option<&Plan>) -> Result<MatrixReport, ResultsError> {
        let file_name = |p: &str| {
            std::path::Path::new(p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let mut iter = parts.into_iter();
        let Some((first_file, mut out)) = iter.next() else {
            return Err(ResultsError::NothingToMerge);
        };
        if let Some(plan) = plan {
            check_cells_in_plan(&first_file, &out, plan)?;
        }
        for (file, p) in iter {
            if file_name(&p.matrix) != file_name(&out.matrix) {
                return Err(ResultsError::OtherMatrix {
                    file,
                    matrix: p.matrix,
                    first: first_file,
                    first_matrix: out.matrix,
                });
            }
            if let Some(plan) = plan {
                check_cells_in_plan(&file, &p, plan)?;
            }
            for c in p.cells {
                if out.cells.iter().any(|o| o.cell.name == c.cell.name) {
                    return Err(ResultsError::DuplicateCell { cell: c.cell.name });
                }
                out.cells.push(c);
            }
            for r in p.repos {
                if !out.repos.iter().any(|o| o.repo.name == r.repo.name) {
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
            for c in p.changes {
                if !out.changes.iter().any(|o| o.name == c.name && o.cell == c.cell) {
                    out.changes.push(c);
                }
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
        out.repos.sort_by(|a, b| a.repo.name.cmp(&b.repo.name));
        Ok(out)
    }
}

/// Refuses a result holding a cell the plan does not have.
fn check_cells_in_plan(file: &str, part: &MatrixReport, plan: &Plan) -> Result<(), ResultsError> {
    for c in &part.cells {
        if !plan.cells.iter().any(|p| p.name == c.cell.name) {
            let known: Vec<&str> = plan.cells.iter().map(|c| c.name.as_str()).collect();
            return Err(ResultsError::ForeignCell {
                file: file.to_owned(),
                cell: c.cell.name.clone(),
                plan: plan.source.display().to_string(),
                matrix: part.matrix.clone(),
                known: known.join(", "),
            });
        }
    }
    Ok(())
}
