//! Comparing a run with the previous one (`--baseline PREVIOUS.json`):
//! every failure is new or still failing, and failures that went away are
//! fixed. Also the human view of that comparison, a unified diff.

use std::collections::BTreeSet;

use super::{CellReport, Change, Fixed, MatrixReport};

/// The key a failure keeps from night to night: package name and arch.
fn key(name: &str, arch: &str) -> (String, String) {
    (name.to_owned(), arch.to_owned())
}

/// Marks each failure of `cell` new or still failing and lists what was fixed,
/// against the same cell of `baseline`. A cell the baseline does not have, or
/// that had an infrastructure error there, counts all its failures as new.
pub fn classify(cell: &mut CellReport, baseline: &MatrixReport) {
    let before = baseline
        .cells
        .iter()
        .find(|c| c.cell.name == cell.cell.name && c.error.is_none());
    let old: BTreeSet<(String, String)> = before
        .map(|b| b.failures.iter().map(|f| key(&f.name, &f.arch)).collect())
        .unwrap_or_default();
    for f in &mut cell.failures {
        f.baseline = Some(if old.contains(&key(&f.name, &f.arch)) {
            Change::Still
        } else {
            Change::New
        });
    }
    cell.fixed.clear();
    if cell.error.is_some() {
        return;
    }
    if let Some(b) = before {
        let now: BTreeSet<(String, String)> = cell.failures.iter().map(|f| key(&f.name, &f.arch)).collect();
        for f in &b.failures {
            if !now.contains(&key(&f.name, &f.arch)) {
                cell.fixed.push(Fixed {
                    name: f.name.clone(),
                    arch: f.arch.clone(),
                    nevra: f.nevra.clone(),
                    unresolved: f.unresolved.clone(),
                });
            }
        }
    }
}

/// One line per failure (`CELL: NEVRA from REPO: DEP; DEP`), sorted: the text the unified diff compares.
pub fn failure_lines(report: &MatrixReport) -> String {
    let mut lines = Vec::new();
    for c in &report.cells {
        if let Some(e) = &c.error {
            lines.push(format!("{}: ERROR {}\n", c.cell.name, e.lines().next().unwrap_or("")));
        }
        for f in &c.failures {
            lines.push(format!(
                "{}: {} from {}: {}\n",
                c.cell.name,
                f.nevra,
                f.repo,
                f.unresolved.join("; ")
            ));
        }
    }
    lines.sort();
    lines.concat()
}

/// The failure lists of two runs as a unified diff (empty when equal).
pub fn unified_diff(old: &MatrixReport, new: &MatrixReport, old_name: &str, new_name: &str) -> String {
    let a = failure_lines(old);
    let b = failure_lines(new);
    if a == b {
        return String::new();
    }
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// Reads a results file written by `run --json` or `merge --json` (a
/// baseline, or a part to merge), checking its kind and schema; errors name
/// the file.
pub fn read(path: &std::path::Path) -> Result<MatrixReport, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    MatrixReport::from_json(&text, &name)
}
