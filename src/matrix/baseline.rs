//! Comparing a run with the previous one (`--baseline PREVIOUS.json`):
//! every failure is new or still failing, and failures that went away are
//! fixed. Also the human view of that comparison, a unified diff.

use std::collections::BTreeSet;

use super::{CellReport, Change, FailureId, Fixed, MatrixReport};

/// Marks each finding of `cell` new or still failing, by its identity
/// ([`FailureId`]: package name, arch, kind, problem without versions), and
/// lists what was fixed, against the same cell of `baseline`. A cell the
/// baseline does not have, or that had an infrastructure error there,
/// counts all its findings as new. A package that already failed and now
/// also misses another capability has a new finding.
pub fn classify(cell: &mut CellReport, baseline: &MatrixReport) {
    let before = baseline
        .cells
        .iter()
        .find(|c| c.cell.name == cell.cell.name && c.error.is_none());
    let ids = |c: &CellReport| -> BTreeSet<FailureId> {
        c.failures
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| f.id(x)))
            .collect()
    };
    let old = before.map(ids).unwrap_or_default();
    for f in &mut cell.failures {
        let judged: Vec<Change> = f
            .findings
            .iter()
            .map(|x| {
                if old.contains(&f.id(x)) {
                    Change::Still
                } else {
                    Change::New
                }
            })
            .collect();
        for (x, change) in f.findings.iter_mut().zip(judged) {
            x.baseline = Some(change);
        }
    }
    cell.fixed.clear();
    if cell.error.is_some() {
        return;
    }
    if let Some(b) = before {
        let now = ids(cell);
        let mut seen = BTreeSet::new();
        for f in &b.failures {
            let gone: Vec<String> = f
                .findings
                .iter()
                .filter(|x| !now.contains(&f.id(x)) && seen.insert((f.package.nevra.clone(), f.id(x))))
                .map(|x| x.problem.clone())
                .collect();
            if !gone.is_empty() {
                cell.fixed.push(Fixed {
                    name: f.package.name.clone(),
                    arch: f.package.arch.clone(),
                    nevra: f.package.nevra.clone(),
                    unresolved: gone,
                });
            }
        }
    }
}

/// Why `baseline` does not look like an earlier run of the matrix at
/// `matrix` with these cells (all its failures would count as new), or
/// `None` when it does. A different file name alone is fine when the cells
/// are the same (the file was moved); no cell in common is not.
pub fn mismatch(baseline: &MatrixReport, matrix: &std::path::Path, cells: &[&str]) -> Option<String> {
    let file_name = |p: &str| {
        std::path::Path::new(p)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let theirs = file_name(&baseline.matrix);
    let ours = file_name(&matrix.display().to_string());
    let shared = baseline
        .cells
        .iter()
        .filter(|c| cells.contains(&c.cell.name.as_str()))
        .count();
    if shared > 0 && (theirs == ours || shared == cells.len()) {
        return None;
    }
    Some(format!(
        "is a run of matrix {:?}, not of {:?}, and has {shared} of this matrix's {} cells: their failures all count as new",
        baseline.matrix,
        matrix.display().to_string(),
        cells.len()
    ))
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
                f.package.nevra,
                f.package.repo,
                f.package.unresolved.join("; ")
            ));
        }
    }
    lines.sort();
    lines.concat()
}

/// The failure lists of two runs as a unified diff (empty when equal).
pub fn unified_diff(old: &MatrixReport, new: &MatrixReport, old_name: &str, new_name: &str) -> String {
    // Only the cells this run has: with `--cell` the others did not run,
    // and would read as fixed.
    let mut old = old.clone();
    old.cells
        .retain(|c| new.cells.iter().any(|n| n.cell.name == c.cell.name));
    let a = failure_lines(&old);
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
pub fn read(path: &std::path::Path) -> Result<MatrixReport, super::ResultsError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| super::ResultsError::Io {
        file: name.clone(),
        source,
    })?;
    MatrixReport::from_json(&text, &name)
}
