//! Plain-text rendering of matrix results for the terminal and CI logs:
//! one row per cell as it finishes, then the failures of each cell in dnf's
//! format.

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
    for c in &report.cells {
        if let Some(e) = &c.error {
            let _ = writeln!(out, "\n[{}] ERROR: {e}", c.cell.name);
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
            let _ = writeln!(out, "package: {} from {}{tag}", f.nevra, f.repo);
            let _ = writeln!(out, "  unresolved deps ({}):", f.unresolved.len());
            for d in &f.unresolved {
                let _ = writeln!(out, "    {d}");
            }
        }
    }
    for w in report.waivers.iter().filter(|w| w.expired) {
        let _ = writeln!(
            out,
            "\nexpired waiver ({}): {} — {}",
            w.waiver.origin, w.waiver.package, w.waiver.reason
        );
    }
    out
}
