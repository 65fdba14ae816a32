//! Markdown summary of matrix results, for `$GITHUB_STEP_SUMMARY` or a
//! review comment: the cells × status table, then new failures, fixed,
//! still failing, waived and expired waivers; then the fork drift: counts
//! per status, the policy violations, declared forks, changes since the baseline.

use std::fmt::Write;

use crate::matrix::{Change, Failure, MatrixReport};

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace('`', "'").replace('\n', " ")
}

fn deps(f: &Failure) -> String {
    super::annotated_problems(f)
        .iter()
        .map(|(d, note)| format!("`{}`{note}", esc(d)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The summary document.
pub fn render(report: &MatrixReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## rpmatrix: {}\n", esc(&report.matrix));
    let with_baseline = report.baseline.is_some();
    let _ = writeln!(out, "| cell | status | checked | failing | waived | new | fixed |");
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
    for c in &report.cells {
        let failing = c.unwaived().count();
        let waived = c.failures.len() - failing;
        let new = c.unwaived().filter(|f| f.baseline == Some(Change::New)).count();
        let status = match c.status {
            crate::matrix::Status::Pass => "✅ pass",
            crate::matrix::Status::Waived => "☑️ waived",
            crate::matrix::Status::Fail => "❌ FAIL",
            crate::matrix::Status::Error => "⚠️ ERROR",
        };
        let (new, fixed) = if with_baseline {
            (new.to_string(), c.fixed.len().to_string())
        } else {
            ("-".to_owned(), "-".to_owned())
        };
        let _ = writeln!(
            out,
            "| {} | {status} | {} | {failing} | {waived} | {new} | {fixed} |",
            esc(&c.cell.name),
            c.checked
        );
    }
    let errors: Vec<String> = report
        .cells
        .iter()
        .filter_map(|c| {
            c.error
                .as_ref()
                .map(|e| format!("- **{}**: {}", esc(&c.cell.name), esc(e)))
        })
        .collect();
    section(&mut out, "Infrastructure errors", &errors);

    let lines = |pred: &dyn Fn(&Failure) -> bool| -> Vec<String> {
        report
            .cells
            .iter()
            .flat_map(|c| {
                c.failures
                    .iter()
                    .filter(|f| pred(f))
                    .map(|f| {
                        format!(
                            "- **{}** `{}` from {}: {}",
                            esc(&c.cell.name),
                            esc(&f.nevra),
                            esc(&f.repo),
                            deps(f)
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    if with_baseline {
        let new = lines(&|f| f.waived.is_none() && f.baseline == Some(Change::New));
        section(&mut out, "New failures", &new);
        let fixed: Vec<String> = report
            .cells
            .iter()
            .flat_map(|c| {
                c.fixed.iter().map(|f| {
                    format!(
                        "- **{}** `{}` (was: {})",
                        esc(&c.cell.name),
                        esc(&f.nevra),
                        f.unresolved
                            .iter()
                            .map(|d| format!("`{}`", esc(d)))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            })
            .collect();
        section(&mut out, "Fixed", &fixed);
        let still = lines(&|f| f.waived.is_none() && f.baseline == Some(Change::Still));
        section(&mut out, "Still failing", &still);
    } else {
        let failing = lines(&|f| f.waived.is_none());
        section(&mut out, "Failures", &failing);
    }
    let waived: Vec<String> = report
        .cells
        .iter()
        .flat_map(|c| {
            c.failures.iter().filter_map(|f| {
                f.waived.as_ref().map(|w| {
                    format!(
                        "- **{}** `{}`: {} — waived: {} ({}{})",
                        esc(&c.cell.name),
                        esc(&f.nevra),
                        deps(f),
                        esc(&w.reason),
                        esc(&w.origin),
                        w.expires.as_ref().map(|e| format!(", expires {e}")).unwrap_or_default()
                    )
                })
            })
        })
        .collect();
    section(&mut out, "Waived", &waived);
    let expired: Vec<String> = report
        .waivers
        .iter()
        .filter(|w| w.expired)
        .map(|w| {
            let hits = report
                .cells
                .iter()
                .flat_map(|c| &c.failures)
                .filter(|f| f.expired_waiver.as_ref().is_some_and(|e| e.origin == w.waiver.origin))
                .count();
            format!(
                "- `{}` in {}: {} (expired {}, {}; now failing: {hits})",
                esc(&w.waiver.package),
                w.waiver
                    .cell
                    .as_deref()
                    .map(esc)
                    .unwrap_or_else(|| "all cells".to_owned()),
                esc(&w.waiver.reason),
                w.waiver.expires.map(|d| d.to_string()).unwrap_or_default(),
                esc(&w.waiver.origin)
            )
        })
        .collect();
    section(&mut out, "Expired waivers", &expired);
    let stale: Vec<String> = report
        .waivers
        .iter()
        .filter(|w| w.stale)
        .map(|w| {
            format!(
                "- `{}`{} in {}: {} ({})",
                esc(&w.waiver.package),
                w.waiver
                    .dep
                    .as_deref()
                    .map(|d| format!(" dep `{}`", esc(d)))
                    .unwrap_or_default(),
                w.waiver
                    .cell
                    .as_deref()
                    .map(esc)
                    .unwrap_or_else(|| "all cells".to_owned()),
                esc(&w.waiver.reason),
                esc(&w.waiver.origin)
            )
        })
        .collect();
    section(&mut out, "Stale waivers (they waived nothing: remove them)", &stale);
    drift(&mut out, report);
    out
}

fn drift(out: &mut String, report: &MatrixReport) {
    let Some(d) = &report.drift else { return };
    let Some(r) = &d.result else {
        let _ = writeln!(
            out,
            "\n### Fork drift\n\n⚠️ ERROR: {}",
            esc(d.error.as_deref().unwrap_or("no result"))
        );
        return;
    };
    let _ = writeln!(
        out,
        "\n### Fork drift: {} vs {}\n",
        esc(&r.ours),
        esc(&r.references.join(", "))
    );
    let _ = writeln!(out, "| status | source packages |");
    let _ = writeln!(out, "|---|---:|");
    for s in crate::drift::Status::ALL {
        let _ = writeln!(out, "| {s} | {} |", r.counts.get(s.as_str()).copied().unwrap_or(0));
    }
    let violations: Vec<String> = r
        .packages
        .iter()
        .filter(|p| p.verdict == "violation")
        .map(|p| {
            let new = match &d.new_violations {
                Some(n) if n.contains(&p.name) => " (new)",
                _ => "",
            };
            format!("- `{}`{new}: {}", esc(&p.name), esc(&p.reasons.join("; ")))
        })
        .collect();
    section(out, "Drift policy violations", &violations);
    let forks: Vec<String> = r
        .packages
        .iter()
        .filter(|p| p.verdict == "fork")
        .map(|p| format!("- `{}` ({}): {}", esc(&p.name), p.status, esc(&p.reasons.join("; "))))
        .collect();
    section(out, "Declared forks", &forks);
    if let Some(ch) = &r.changes {
        let lines: Vec<String> = ch
            .iter()
            .map(|c| {
                format!(
                    "- `{}`: {} → {}",
                    esc(&c.name),
                    c.before.as_deref().unwrap_or("(absent)"),
                    c.after.map_or("(absent)", crate::drift::Status::as_str)
                )
            })
            .collect();
        section(out, "Drift changes since the baseline", &lines);
    }
}

fn section(out: &mut String, title: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### {title} ({})\n", lines.len());
    for l in lines {
        let _ = writeln!(out, "{l}");
    }
}
