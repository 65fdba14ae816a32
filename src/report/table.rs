//! Plain-text rendering of matrix results for the terminal and CI logs:
//! one row per cell as it finishes, then the failures of each cell in dnf's
//! format, the drift's policy violations, and the drift's one-line summary.

use std::fmt::Write;

use crate::matrix::{CellReport, MatrixReport, Status};

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

/// The details after the table: errors and each unwaived failure in dnf's format.
pub fn details(report: &MatrixReport) -> String {
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
        if c.status != Status::Fail {
            continue;
        }
        let _ = writeln!(out, "\n[{}]", c.cell.name);
        for f in c.unwaived() {
            let tag = match f.baseline {
                Some(crate::matrix::Change::New) => " (new)",
                _ => "",
            };
            let deps: Vec<String> = super::annotated_problems(f)
                .into_iter()
                .map(|(d, note)| format!("{d}{note}"))
                .collect();
            super::write_dnf_package(&mut out, &f.nevra, &f.repo, tag, &deps);
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
            .filter(|p| p.verdict == "violation")
            .collect();
        if !violating.is_empty() {
            let _ = writeln!(out, "\n[drift] policy violations:");
        }
        for p in violating {
            let new = match &d.new_violations {
                Some(n) if n.contains(&p.name) => " (new)",
                _ => "",
            };
            let _ = writeln!(out, "  {}{new}: {}", p.name, p.reasons.join("; "));
        }
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
