//! Plain-text rendering of matrix results for the terminal and CI logs:
//! one row per cell as it finishes, then the failures of each cell in dnf's
//! format, the drift's policy violations, and the drift's one-line summary.

use std::fmt::Write;

use crate::matrix::{CellReport, Change, Failure, MatrixReport, Status};

/// How much of each failing cell [`details`] prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Nothing per package: the cells table and the outcome only (`--quiet`).
    None,
    /// New failures in dnf's format; the others too when a cell has at most
    /// [`FULL_LIMIT`] of them, else grouped by problem, biggest group first.
    #[default]
    Grouped,
    /// Every failing package in dnf's format (`--verbose`).
    Full,
}

/// Up to this many failing packages a cell's failures are printed one by
/// one; above it they are grouped by problem (a CS9 cell has thousands).
pub const FULL_LIMIT: usize = 30;

/// Up to this many problem groups are printed per cell.
const GROUP_LIMIT: usize = 25;

/// Up to this many package names are printed per problem group.
const NAMES_PER_GROUP: usize = 6;

/// The table header matching [`row`].
pub fn header() -> String {
    format!(
        "{:<32} {:<7} {:>8} {:>8} {:>7} {:>6} {:>10}",
        "cell", "status", "checked", "failing", "waived", "new", "closure_ms"
    )
}

/// One cell's row.
pub fn row(c: &CellReport) -> String {
    let failing = c.unwaived().count();
    let waived = c.failures.len() - failing;
    let new = c
        .unwaived()
        .filter(|f| f.baseline == Some(crate::matrix::Change::New))
        .count();
    let new = if c.failures.iter().any(|f| f.baseline.is_some()) || c.failures.is_empty() {
        new.to_string()
    } else {
        "-".to_owned()
    };
    format!(
        "{:<32} {:<7} {:>8} {:>8} {:>7} {:>6} {:>10.1}",
        c.cell.name,
        c.status.as_str(),
        c.checked,
        failing,
        waived,
        new,
        c.closure_ms
    )
}

/// The details after the table: errors and each unwaived failure in dnf's
/// format (see [`Detail`] for big cells).
pub fn details(report: &MatrixReport) -> String {
    details_at(report, Detail::Grouped)
}

/// [`details`] at a chosen level of detail.
pub fn details_at(report: &MatrixReport, level: Detail) -> String {
    let mut out = String::new();
    // An error shared by several cells (a repository that did not load) is
    // printed once, naming every cell it stopped, in plan order.
    let mut errors: Vec<(&str, Vec<&str>)> = Vec::new();
    for c in &report.cells {
        if let Some(e) = &c.error {
            match errors.iter_mut().find(|(x, _)| *x == e.as_str()) {
                Some((_, cells)) => cells.push(&c.cell.name),
                None => errors.push((e, vec![&c.cell.name])),
            }
        }
    }
    for (e, cells) in errors {
        let _ = writeln!(out, "\n[{}] ERROR: {e}", cells.join(", "));
    }
    for c in &report.cells {
        if c.error.is_some() {
            continue;
        }
        if c.status != Status::Fail || level == Detail::None {
            continue;
        }
        let _ = writeln!(out, "\n[{}]", c.cell.name);
        let unwaived: Vec<&Failure> = c.unwaived().collect();
        let group = level == Detail::Grouped && unwaived.len() > FULL_LIMIT;
        // New failures are what a gate exists for: always one by one, first.
        let (new, old): (Vec<&Failure>, Vec<&Failure>) = if group {
            unwaived.into_iter().partition(|f| f.baseline == Some(Change::New))
        } else {
            (unwaived, Vec::new())
        };
        for f in new {
            write_failure(&mut out, f);
        }
        if !old.is_empty() {
            write_groups(&mut out, &c.cell.name, &old);
        }
    }
    if let Some(d) = &report.drift {
        if let Some(e) = &d.error {
            let _ = writeln!(out, "\n[drift] ERROR: {e}");
        }
        let violating: Vec<_> = d
            .result
            .iter()
            .flat_map(|r| &r.packages)
            .filter(|p| p.verdict.is_violation())
            .collect();
        if !violating.is_empty() {
            let _ = writeln!(out, "\n[drift] policy violations:");
        }
        for p in violating {
            let new = match &d.new_violations {
                Some(n) if n.contains(&p.name) => " (new)",
                _ => "",
            };
            let _ = writeln!(out, "  {}{new}: {}", p.name, p.verdict.reasons().join("; "));
        }
    }
    for c in &report.changes {
        write_change(&mut out, c);
    }
    for w in report.waivers.iter().filter(|w| w.expired) {
        let _ = writeln!(
            out,
            "\nexpired waiver ({}): {} — {}",
            w.waiver.origin, w.waiver.package, w.waiver.reason
        );
    }
    for w in report.waivers.iter().filter(|w| w.stale) {
        let dep = w.waiver.dep.as_deref().map(|d| format!(" dep {d}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "\nstale waiver ({}): {}{dep} waived nothing — remove it",
            w.waiver.origin, w.waiver.package
        );
    }
    out
}

/// A `[[changes]]` entry: its verdicts, each rejected build with the
/// problems it causes (`(new)` when the baseline did not reject it).
fn write_change(out: &mut String, c: &crate::matrix::ChangeCheck) {
    let head = format!("[change {} on {}]", c.name, c.cell);
    let Some(r) = &c.result else {
        let _ = writeln!(out, "\n{head} ERROR: {}", c.error.as_deref().unwrap_or("no result"));
        return;
    };
    let rejected = c.rejected();
    let _ = writeln!(
        out,
        "\n{head} {} proposed: {} accepted, {} rejected; {} fixed, {} still broken",
        r.changes.len(),
        r.changes.len() - rejected.len(),
        rejected.len(),
        r.fixed.len(),
        r.still_broken.len()
    );
    for v in r.changes.iter().filter(|v| v.verdict == crate::change::Verdict::Reject) {
        let name = v.name();
        let new = match &c.new_rejections {
            Some(n) if n.contains(&name) => " (new)",
            _ => "",
        };
        let _ = writeln!(out, "  REJECT {name}{new}");
        for p in &v.problems {
            let _ = writeln!(out, "    {p}");
        }
    }
}

fn write_failure(out: &mut String, f: &Failure) {
    let tag = match f.baseline {
        Some(Change::New) => " (new)",
        _ => "",
    };
    if f.package.unresolved.is_empty() && !f.findings.is_empty() {
        // Uninstallable (every dependency resolves): the root cause, then the chain to it.
        let _ = writeln!(out, "package: {} from {}{tag}", f.package.nevra, f.package.repo);
        for x in &f.findings {
            let _ = writeln!(out, "  cannot be installed: {}", x.problem);
        }
        for e in &f.package.explanations {
            let _ = writeln!(out, "    {e}");
        }
        return;
    }
    let deps: Vec<String> = super::annotated_problems(f)
        .into_iter()
        .map(|(d, note)| format!("{d}{note}"))
        .collect();
    super::write_dnf_package(out, &f.package.nevra, &f.package.repo, tag, &deps);
}

/// Failures grouped by problem (one unresolved capability, or one
/// installability root cause), biggest group first: a line per problem with
/// how many packages it stops and the first few of them.
fn write_groups(out: &mut String, cell: &str, failures: &[&Failure]) {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for f in failures {
        for x in f.unwaived() {
            let i = *index.entry(x.problem.as_str()).or_insert_with(|| {
                groups.push((x.problem.as_str(), Vec::new()));
                groups.len() - 1
            });
            groups[i].1.push(f.package.nevra.as_str());
        }
    }
    groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
    let what = if failures.iter().any(|f| f.baseline == Some(Change::Still)) {
        "still failing (in the baseline too)"
    } else {
        "failing"
    };
    let _ = writeln!(
        out,
        "{} packages {what}, by problem (every package is in the JSON and JUnit reports; --verbose prints them here):",
        failures.len()
    );
    for (problem, pkgs) in groups.iter().take(GROUP_LIMIT) {
        let shown: Vec<&str> = pkgs.iter().take(NAMES_PER_GROUP).copied().collect();
        let more = pkgs.len() - shown.len();
        let more = if more > 0 {
            format!(", +{more} more")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:>5} × {problem}\n          {}{more}",
            pkgs.len(),
            shown.join(", ")
        );
    }
    if groups.len() > GROUP_LIMIT {
        let _ = writeln!(
            out,
            "  ... {} more problems in [{cell}] (see the reports)",
            groups.len() - GROUP_LIMIT
        );
    }
}

/// The drift's one line: `drift OURS vs REFS: N source packages; STATUS: N, ...; V policy violations (N new)`,
/// or its error; `None` when the run has no drift.
pub fn drift_line(report: &MatrixReport) -> Option<String> {
    let d = report.drift.as_ref()?;
    let Some(r) = &d.result else {
        return Some(format!("drift: ERROR ({})", d.error.as_deref().unwrap_or("no result")));
    };
    let counts: Vec<String> = crate::drift::Status::ALL
        .iter()
        .filter_map(|s| {
            let n = r.counts.get(s.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| format!("{s}: {n}"))
        })
        .collect();
    let new = d
        .new_violations
        .as_ref()
        .map(|n| format!(" ({} new)", n.len()))
        .unwrap_or_default();
    Some(format!(
        "drift {} vs {}: {} source package{}; {}; {} policy violation{}{new}",
        r.ours,
        r.references.join(", "),
        r.packages.len(),
        if r.packages.len() == 1 { "" } else { "s" },
        counts.join(", "),
        r.violations,
        if r.violations == 1 { "" } else { "s" },
    ))
}
