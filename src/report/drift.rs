//! Renders a [`DriftResult`]: a terminal table (colours only when asked),
//! JSON (versioned schema, see README "Fork drift"), Markdown, CSV and JUnit;
//! and compares a result with a previous JSON run (`--baseline`).
//!
//! Knows nothing of how statuses were computed or judged.

use std::collections::BTreeMap;
use std::fmt::Write;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::{Deserialize, Serialize};

use crate::drift::{DriftResult, DriftTimings, PackageDrift, Status, Verdict};

/// Version of the drift JSON schema.
pub const DRIFT_SCHEMA: u32 = 1;

/// A package whose status changed since the baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Source package name.
    pub name: String,
    /// Status in the baseline (`None`: not there).
    pub before: Option<String>,
    /// Status now (`None`: gone).
    pub after: Option<Status>,
}

#[derive(Deserialize)]
struct BaselineDoc {
    schema: u32,
    packages: Vec<BaselinePackage>,
}

#[derive(Deserialize)]
struct BaselinePackage {
    name: String,
    status: String,
}

/// Reads a previous `--format json` output and lists the packages whose
/// status differs (appeared, disappeared or changed), sorted by name.
pub fn baseline_changes(result: &DriftResult, previous_json: &str, file: &str) -> Result<Vec<Change>, String> {
    let doc: BaselineDoc =
        serde_json::from_str(previous_json).map_err(|e| format!("baseline {file}: not a drift JSON document: {e}"))?;
    if doc.schema != DRIFT_SCHEMA {
        return Err(format!(
            "baseline {file}: schema {} (this rpmatrix reads schema {DRIFT_SCHEMA})",
            doc.schema
        ));
    }
    let before: BTreeMap<String, String> = doc.packages.into_iter().map(|p| (p.name, p.status)).collect();
    Ok(changes_between(result, &before))
}

/// Reads the previous `--format json` output at `path` and lists the
/// packages whose status changed since (see [`baseline_changes`]).
pub fn read_baseline(result: &DriftResult, path: &std::path::Path) -> Result<Vec<Change>, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("baseline {file}: {e}"))?;
    baseline_changes(result, &text, &file)
}

/// The changes of [`baseline_changes`] against a previous document already read
/// (the `drift` member of a matrix baseline).
pub fn changes_since(result: &DriftResult, previous: &DriftJson) -> Vec<Change> {
    let before: BTreeMap<String, String> = previous
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.status.as_str().to_owned()))
        .collect();
    changes_between(result, &before)
}

fn changes_between(result: &DriftResult, before: &BTreeMap<String, String>) -> Vec<Change> {
    let now: BTreeMap<&str, Status> = result.packages.iter().map(|p| (p.name.as_str(), p.status)).collect();
    let mut out = Vec::new();
    for (name, after) in &now {
        match before.get(*name) {
            Some(b) if b == after.as_str() => {}
            b => out.push(Change {
                name: (*name).to_owned(),
                before: b.cloned(),
                after: Some(*after),
            }),
        }
    }
    // A baseline taken without --only (or with other globs) lists packages
    // this run did not select: they are not gone, only not looked at.
    let selected = result.selection();
    for (name, b) in before {
        if !now.contains_key(name.as_str()) && selected(name) {
            out.push(Change {
                name: name.clone(),
                before: Some(b.clone()),
                after: None,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// The drift JSON document.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DriftJson {
    /// [`DRIFT_SCHEMA`].
    pub schema: u32,
    /// rpmatrix version.
    pub rpmatrix: String,
    /// Our side's label.
    pub ours: String,
    /// References in order.
    pub references: Vec<String>,
    /// Packages per status.
    pub counts: BTreeMap<String, usize>,
    /// Number of packages violating the policy.
    pub violations: usize,
    /// The packages: policy violations first, then by status, then by name.
    pub packages: Vec<PackageDrift>,
    /// The `--only` globs that selected the packages (absent: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// Status changes since `--baseline` (`null` without one).
    pub changes: Option<Vec<Change>>,
    /// Milliseconds per stage.
    pub timings: DriftTimings,
}

/// Renders the JSON document.
pub fn json(result: &DriftResult, changes: Option<&[Change]>) -> Result<String, super::JsonError> {
    super::to_json("drift", &document(result, changes))
}

/// The JSON document as a value (what a matrix result embeds as its `drift` member).
pub fn document(result: &DriftResult, changes: Option<&[Change]>) -> DriftJson {
    DriftJson {
        schema: DRIFT_SCHEMA,
        rpmatrix: env!("CARGO_PKG_VERSION").to_owned(),
        ours: result.ours.clone(),
        references: result.references.clone(),
        counts: result
            .counts()
            .into_iter()
            .map(|(s, n)| (s.as_str().to_owned(), n))
            .collect(),
        violations: result
            .packages
            .iter()
            .filter(|p| matches!(p.verdict, Verdict::Violation { .. }))
            .count(),
        packages: result.packages.clone(),
        only: result.only.clone(),
        changes: changes.map(<[Change]>::to_vec),
        timings: result.timings.clone(),
    }
}

/// The result a document describes, for rendering a stored document (a
/// matrix result read back by `merge`) with the same functions as a fresh one.
pub fn from_document(doc: &DriftJson) -> DriftResult {
    DriftResult {
        ours: doc.ours.clone(),
        references: doc.references.clone(),
        packages: doc.packages.clone(),
        only: doc.only.clone(),
        show_statuses: Vec::new(),
        timings: doc.timings.clone(),
    }
}

fn ours_evr(p: &PackageDrift) -> String {
    p.ours.as_ref().map_or_else(|| "-".to_owned(), |b| b.evr.to_string())
}

fn distance_text(p: &PackageDrift) -> String {
    match (p.distance, &p.reference_version) {
        (Some(d), Some(v)) => format!("{d} (→ {v})"),
        (Some(d), None) => d.to_string(),
        _ => String::new(),
    }
}

/// "listed N of M" when a status filter hid some packages.
fn shown_note(result: &DriftResult, listed: usize) -> Option<String> {
    (listed < result.packages.len()).then(|| {
        let statuses: Vec<&str> = result.show_statuses.iter().map(|s| s.as_str()).collect();
        format!(
            "listed {listed} of {} source packages (--status {}; policy violations are always listed)",
            result.packages.len(),
            statuses.join(",")
        )
    })
}

/// The line saying which packages were compared without epochs, if any.
fn epochs_note(result: &DriftResult) -> Option<String> {
    let names: Vec<&str> = result
        .packages
        .iter()
        .filter(|p| p.epochs_ignored)
        .map(|p| p.name.as_str())
        .collect();
    let n = names.len();
    (n > 0).then(|| {
        const SHOWN: usize = 10;
        let more = if n > SHOWN { format!(", and {} more", n - SHOWN) } else { String::new() };
        format!(
            "{n} package{} compared without epochs (our N-V-R carries none; the reference's epoch is not assumed to differ): {}{more}",
            if n == 1 { "" } else { "s" },
            names.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ")
        )
    })
}

fn colour(s: Status) -> &'static str {
    match s {
        Status::Behind => "\x1b[31m",
        Status::ReleaseBehind => "\x1b[33m",
        Status::Ahead | Status::ReleaseAhead => "\x1b[36m",
        Status::OursOnly | Status::TheirsOnly => "\x1b[2m",
        Status::Same => "\x1b[32m",
    }
}

fn changes_lines(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                c.name,
                c.before.as_deref().unwrap_or("(absent)"),
                c.after.map_or("(absent)", Status::as_str)
            )
        })
        .collect()
}

/// The terminal table: name, ours, each reference, status, distance,
/// origin, policy; then the count per status and, with a baseline, the changes.
/// `color` adds ANSI colours to the status column (use only on a TTY).
pub fn table(result: &DriftResult, changes: Option<&[Change]>, color: bool) -> String {
    let mut header: Vec<String> = vec!["NAME".into(), format!("OURS ({})", result.ours)];
    header.extend(result.references.iter().cloned());
    header.extend(["STATUS", "DISTANCE", "ORIGIN", "POLICY"].map(String::from));
    let shown: Vec<&PackageDrift> = result.shown().collect();
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|p| {
            let mut r = vec![
                match &p.theirs_name {
                    Some(t) => format!("{} ({t})", p.name),
                    None => p.name.clone(),
                },
                ours_evr(p),
            ];
            r.extend(p.theirs.iter().map(|t| t.evr.clone().unwrap_or_else(|| "-".into())));
            r.push(p.status.as_str().to_owned());
            r.push(distance_text(p));
            r.push(p.origin.clone().unwrap_or_default());
            r.push(match &p.verdict {
                Verdict::Ok => String::new(),
                Verdict::Fork { reason } => format!("fork: {reason}"),
                Verdict::Violation { reasons } => format!("VIOLATION: {}", reasons.join("; ")),
            });
            r
        })
        .collect();
    let status_col = 2 + result.references.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String], status: Option<Status>| {
        let last = cells.len() - 1;
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(c.chars().count());
            let cell = match (i == status_col, status, color) {
                (true, Some(st), true) => format!("{}{c}\x1b[0m", colour(st)),
                _ => c.clone(),
            };
            s.push_str(&cell);
            if i != last {
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        let _ = writeln!(out, "{}", s.trim_end());
    };
    line(&mut out, &header, None);
    for (r, p) in rows.iter().zip(&shown) {
        line(&mut out, r, Some(p.status));
    }
    let _ = writeln!(out);
    if let Some(note) = shown_note(result, shown.len()) {
        let _ = writeln!(out, "{note}");
    }
    let counts: Vec<String> = result
        .counts()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    let _ = writeln!(out, "{} source packages; {}", result.packages.len(), counts.join(", "));
    let v = result
        .packages
        .iter()
        .filter(|p| matches!(p.verdict, Verdict::Violation { .. }))
        .count();
    if v > 0 {
        let _ = writeln!(out, "{v} policy violation{}", if v == 1 { "" } else { "s" });
    }
    if let Some(note) = epochs_note(result) {
        let _ = writeln!(out, "{note}");
    }
    if let Some(ch) = changes {
        let _ = writeln!(out, "\nChanged since baseline ({}):", ch.len());
        for l in changes_lines(ch) {
            let _ = writeln!(out, "  {l}");
        }
    }
    out
}

use super::markdown::escape as md_escape;

/// A Markdown report: a table, the counts and, with a baseline, the changes.
pub fn markdown(result: &DriftResult, changes: Option<&[Change]>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Drift: {} vs {}\n",
        md_escape(&result.ours),
        md_escape(&result.references.join(", "))
    );
    let mut head = vec!["name".to_owned(), "ours".to_owned()];
    head.extend(result.references.iter().map(|r| md_escape(r)));
    head.extend(["status", "distance", "origin", "policy"].map(String::from));
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
    let mut listed = 0;
    for p in result.shown() {
        listed += 1;
        let mut cells = vec![format!("`{}`", md_escape(&p.name)), md_escape(&ours_evr(p))];
        cells.extend(p.theirs.iter().map(|t| md_escape(t.evr.as_deref().unwrap_or("-"))));
        cells.push(format!("**{}**", p.status));
        cells.push(md_escape(&distance_text(p)));
        cells.push(md_escape(p.origin.as_deref().unwrap_or("")));
        cells.push(md_escape(&match &p.verdict {
            Verdict::Ok => String::new(),
            Verdict::Fork { reason } => format!("fork: {reason}"),
            Verdict::Violation { reasons } => format!("❌ {}", reasons.join("; ")),
        }));
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    if let Some(note) = shown_note(result, listed) {
        let _ = writeln!(out, "\n{}", md_escape(&note));
    }
    let _ = writeln!(out, "\n## Counts\n");
    for (s, n) in result.counts() {
        let _ = writeln!(out, "- {s}: {n}");
    }
    if let Some(note) = epochs_note(result) {
        let _ = writeln!(out, "\n{}", md_escape(&note));
    }
    if let Some(ch) = changes {
        let _ = writeln!(out, "\n## Changed since baseline ({})\n", ch.len());
        for l in changes_lines(ch) {
            let _ = writeln!(out, "- {}", md_escape(&l));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The fixed leading CSV columns; two per reference follow (`REF evr`, `REF status`).
pub const CSV_COLUMNS: [&str; 11] = [
    "name",
    "theirs_name",
    "status",
    "ours_repo",
    "ours_evr",
    "distance",
    "reference_version",
    "origin",
    "verdict",
    "reasons",
    "previous_status",
];

/// CSV (RFC 4180 quoting), one row per source package.
pub fn csv(result: &DriftResult, changes: Option<&[Change]>) -> String {
    let prev: BTreeMap<&str, &str> = changes
        .unwrap_or_default()
        .iter()
        .map(|c| (c.name.as_str(), c.before.as_deref().unwrap_or("")))
        .collect();
    let mut head: Vec<String> = CSV_COLUMNS.iter().map(|s| (*s).to_owned()).collect();
    for r in &result.references {
        head.push(format!("{r} evr"));
        head.push(format!("{r} status"));
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        head.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",")
    );
    for p in result.shown() {
        let previous = match (changes, prev.get(p.name.as_str())) {
            (None, _) => String::new(),
            (Some(_), Some(b)) => (*b).to_owned(),
            (Some(_), None) => p.status.as_str().to_owned(),
        };
        let mut cells = vec![
            p.name.clone(),
            p.theirs_name.clone().unwrap_or_default(),
            p.status.as_str().to_owned(),
            p.ours.as_ref().map(|b| b.repo.clone()).unwrap_or_default(),
            p.ours.as_ref().map(|b| b.evr.to_string()).unwrap_or_default(),
            p.distance.map(|d| d.as_str().to_owned()).unwrap_or_default(),
            p.reference_version.clone().unwrap_or_default(),
            p.origin.clone().unwrap_or_default(),
            p.verdict.as_str().to_owned(),
            p.verdict.reasons().join("; "),
            previous,
        ];
        for t in &p.theirs {
            cells.push(t.evr.clone().unwrap_or_default());
            cells.push(t.status.map(|s| s.as_str().to_owned()).unwrap_or_default());
        }
        let _ = writeln!(
            out,
            "{}",
            cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
        );
    }
    out
}

/// JUnit XML: one testsuite per reference, one testcase per source package
/// present on either side; a policy violation is a failure whose message
/// says why, a declared fork is skipped.
pub fn junit(result: &DriftResult) -> Result<String, super::ReportError> {
    let mut report = Report::new("rpmatrix drift");
    report.add_test_suites(junit_suites(result));
    Ok(report.to_string()?)
}

/// The testsuites of [`junit`] (one per reference, named `drift OURS vs REF`),
/// for reports that hold other suites too (a matrix run).
pub fn junit_suites(result: &DriftResult) -> Vec<TestSuite> {
    let mut suites = Vec::new();
    for (i, r) in result.references.iter().enumerate() {
        let mut suite = TestSuite::new(format!("drift {} vs {r}", result.ours));
        for p in &result.packages {
            let Some(t) = p.theirs.get(i) else { continue };
            let Some(status) = t.status else { continue };
            let summary = format!(
                "{status}: ours {} vs {r} {}",
                ours_evr(p),
                t.evr.as_deref().unwrap_or("-")
            );
            let mut st = match (&p.verdict, &t.violation) {
                (Verdict::Fork { reason }, _) => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(format!("declared fork: {reason}"));
                    s
                }
                (_, Some(why)) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(why.clone());
                    s.set_type("policy");
                    s
                }
                _ => TestCaseStatus::success(),
            };
            st.set_description(summary.clone());
            let mut case = TestCase::new(p.name.clone(), st);
            case.set_classname(format!("drift.{r}"));
            case.set_system_out(summary);
            suite.add_test_case(case);
        }
        suites.push(suite);
    }
    suites
}
