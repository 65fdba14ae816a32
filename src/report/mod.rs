//! Renders closure findings: dnf repoclosure's text format and a documented
//! JSON document. Knows nothing of how the findings were computed.
//!
//! Matrix results: [`junit`] (JUnit XML), [`markdown`] (summary) and
//! [`table`] (terminal); their JSON is [`crate::matrix::MatrixReport::to_json`].

pub mod change;
pub mod diff;
pub mod drift;
pub mod installcheck;
pub mod junit;
pub mod markdown;
pub mod output;
pub mod table;

use std::fmt::Write;

use crate::closure::ClosureResult;
use crate::engine::{LoadedRepo, Timings};

/// Version of the closure JSON schema (see README, "JSON output").
pub const CLOSURE_SCHEMA: u32 = 1;

/// dnf repoclosure's stdout: `package: NEVRA from REPO`, `  unresolved deps (N):`, `    DEP`.
pub fn closure_text(result: &ClosureResult) -> String {
    let mut out = String::new();
    for p in &result.problems {
        write_dnf_package(&mut out, &p.nevra, &p.repo, "", &p.unresolved);
        for e in &p.explanations {
            let _ = writeln!(out, "    # {e}");
        }
    }
    out
}

/// One package in dnf repoclosure's format: `package: NEVRA from REPO` (plus
/// `suffix`), `  unresolved deps (N):` and one `    DEP` line per dependency.
/// Every report that shows a failing package writes it this way.
pub fn write_dnf_package(out: &mut String, nevra: &str, repo: &str, suffix: &str, unresolved: &[String]) {
    let _ = writeln!(out, "package: {nevra} from {repo}{suffix}");
    let _ = writeln!(out, "  unresolved deps ({}):", unresolved.len());
    for d in unresolved {
        let _ = writeln!(out, "    {d}");
    }
}

/// A failing package's problems, each with a note: ` (new)` for a finding
/// the baseline did not have when the package also has old ones (a package
/// that now also misses something), ` (waived)` for a waived finding of a
/// package that is not waived as a whole.
pub fn annotated_problems(f: &crate::matrix::Failure) -> Vec<(String, &'static str)> {
    use crate::matrix::Change;
    let mixed_baseline = f.findings.iter().any(|x| x.baseline == Some(Change::New))
        && f.findings.iter().any(|x| x.baseline == Some(Change::Still));
    f.findings
        .iter()
        .map(|x| {
            let note = if f.waived.is_none() && x.waived.is_some() {
                " (waived)"
            } else if mixed_baseline && x.baseline == Some(Change::New) {
                " (new)"
            } else {
                ""
            };
            (x.problem.clone(), note)
        })
        .collect()
}

/// dnf's closing line (printed on stderr), or `None` when everything closed.
pub fn closure_summary_line(result: &ClosureResult) -> Option<String> {
    if result.problems.is_empty() {
        return None;
    }
    Some(format!(
        "Error: Repoclosure ended with unresolved dependencies ({}) across {} packages.",
        result.unresolved_count(),
        result.problems.len()
    ))
}

/// The closure as JSON.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct ClosureJson {
    /// [`CLOSURE_SCHEMA`].
    pub schema: u32,
    /// rpmatrix version.
    pub rpmatrix: String,
    /// Repositories loaded.
    pub repos: Vec<LoadedRepo>,
    /// Packages checked.
    pub checked: usize,
    /// Packages that could provide.
    pub providers: usize,
    /// Number of packages with unresolved dependencies.
    pub broken_packages: usize,
    /// Total unresolved dependencies.
    pub unresolved_deps: usize,
    /// The findings.
    pub problems: Vec<crate::closure::Problem>,
    /// Time per stage, in milliseconds.
    pub timings: Timings,
}

/// Renders the JSON document.
pub fn closure_json(result: &ClosureResult, repos: Vec<LoadedRepo>, timings: Timings) -> Result<String, JsonError> {
    let doc = ClosureJson {
        schema: CLOSURE_SCHEMA,
        rpmatrix: env!("CARGO_PKG_VERSION").to_owned(),
        repos,
        checked: result.checked,
        providers: result.providers,
        broken_packages: result.problems.len(),
        unresolved_deps: result.unresolved_count(),
        problems: result.problems.clone(),
        timings,
    };
    to_json("closure", &doc)
}

/// A result document that could not be serialised (a bug, not bad input:
/// the binary reports it on stderr and exits 2).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the {what} JSON document: {source}")]
pub struct JsonError {
    /// Which document.
    pub what: &'static str,
    /// serde_json's reason.
    #[source]
    pub source: serde_json::Error,
}

/// A report that could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The file cannot be written (or stdout failed, for `-`).
    #[error("{path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// quick-junit could not serialise the document.
    #[error("JUnit: {0}")]
    Junit(#[from] quick_junit::SerializeError),
    /// The JSON document could not be serialised.
    #[error(transparent)]
    Json(#[from] JsonError),
}

/// `value` as pretty-printed JSON.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(what: &'static str, value: &T) -> Result<String, JsonError> {
    serde_json::to_string_pretty(value).map_err(|source| JsonError { what, source })
}

/// Writes a matrix report to each file asked for: JUnit XML, the results
/// JSON, and the Markdown summary, appended to (as GitHub documents
/// `$GITHUB_STEP_SUMMARY`). Errors name the file.
pub fn write_files(
    report: &crate::matrix::MatrixReport,
    junit: Option<&std::path::Path>,
    json: Option<&std::path::Path>,
    summary: Option<&std::path::Path>,
) -> Result<(), ReportError> {
    use output::write_report;
    if let Some(p) = junit {
        write_report(p, &junit::render(report)?, false)?;
    }
    if let Some(p) = json {
        write_report(p, &(report.to_json()? + "\n"), false)?;
    }
    if let Some(p) = summary {
        // $GITHUB_STEP_SUMMARY is appended to, as GitHub documents.
        write_report(p, &markdown::render(report), true)?;
    }
    Ok(())
}
