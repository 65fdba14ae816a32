//! Markdown summary of matrix results, for `$GITHUB_STEP_SUMMARY` or a
//! review comment: the cells × status table, then new failures, fixed,
//! still failing, waived and expired waivers; then the fork drift: counts
//! per status, the policy violations, declared forks, changes since the baseline.

use std::fmt::Write;

use crate::matrix::{Change, Failure, MatrixReport};

/// Text made safe inside a Markdown table cell or a code span: `|` is
/// escaped, a backquote becomes `'` and a newline a space. The one escaper
/// of every Markdown report (matrix, drift, diff).
pub fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('`', "'").replace('\n', " ")
}

use escape as esc;

fn deps(f: &Failure) -> String {
    super::annotated_problems(f)
        .iter()
        .map(|(d, note)| format!("`{}`{note}", esc(d)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// GitHub refuses a step summary over 1 MiB; the summary stays under it
/// with room for what other steps append to the same file.
pub const MAX_SUMMARY_BYTES: usize = 1_000_000;

/// Lines of a failure list shown before the rest is folded.
const OPEN_LINES: usize = 50;

/// Lines of a secondary list (fixed, still failing, waived) shown unfolded.
const OPEN_SECONDARY: usize = 10;

/// The summary document, at most [`MAX_SUMMARY_BYTES`]: long lists are
/// folded in `<details>`, and a document still too big is cut with a note
/// pointing at the JSON and JUnit reports, which hold everything.
pub fn render(report: &MatrixReport) -> String {
    cap(full(report), MAX_SUMMARY_BYTES)
}

/// Cuts `doc` at a line boundary to at most `max` bytes, closing a
/// `<details>` left open and saying where the rest is.
pub fn cap(doc: String, max: usize) -> String {
    if doc.len() <= max {
        return doc;
    }
    const NOTE: &str = "\n</details>\n\n**Summary cut at 1 MB** (GitHub's step summary limit): every failure is in the run's `--json` and `--junit` reports.\n";
    let budget = max.saturating_sub(NOTE.len());
    let cut = doc[..doc.floor_char_boundary(budget)].rfind('\n').map_or(0, |i| i + 1);
    let mut out = doc[..cut].to_owned();
    let open = out.matches("<details>").count() > out.matches("</details>").count();
    out.push_str(if open { NOTE } else { &NOTE["\n</details>\n".len()..] });
    out
}

fn full(report: &MatrixReport) -> String {
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
                            esc(&f.package.nevra),
                            esc(&f.package.repo),
                            deps(f)
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    by_problem(&mut out, report);
    if with_baseline {
        let new = lines(&|f| f.waived.is_none() && f.baseline == Some(Change::New));
        section_open(&mut out, "New failures", &new, OPEN_LINES);
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
        section_open(&mut out, "Failures", &failing, OPEN_LINES);
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
                        esc(&f.package.nevra),
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
    changes(&mut out, report);
    out
}

/// The `[[changes]]`: a verdict per proposed build, the problems of the rejected ones.
fn changes(out: &mut String, report: &MatrixReport) {
    for c in &report.changes {
        let _ = writeln!(out, "\n### Change {} on {}\n", esc(&c.name), esc(&c.cell));
        let Some(r) = &c.result else {
            let _ = writeln!(out, "⚠️ ERROR: {}", esc(c.error.as_deref().unwrap_or("no result")));
            continue;
        };
        let _ = writeln!(out, "| change | verdict | breaks |\n|---|---|---|");
        for v in &r.changes {
            let name = v.name();
            let verdict = match (v.verdict, &c.new_rejections) {
                (crate::change::Verdict::Accept, _) => "✅ accept".to_owned(),
                (_, Some(n)) if n.contains(&name) => "❌ reject (new)".to_owned(),
                _ => "❌ reject".to_owned(),
            };
            let breaks = if v.problems.is_empty() {
                "—".to_owned()
            } else {
                v.problems.iter().map(|p| esc(p)).collect::<Vec<_>>().join("<br>")
            };
            let _ = writeln!(out, "| `{}` | {verdict} | {breaks} |", esc(&name));
        }
    }
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
        .filter(|p| p.verdict.is_violation())
        .map(|p| {
            let new = match &d.new_violations {
                Some(n) if n.contains(&p.name) => " (new)",
                _ => "",
            };
            format!("- `{}`{new}: {}", esc(&p.name), esc(&p.verdict.reasons().join("; ")))
        })
        .collect();
    section(out, "Drift policy violations", &violations);
    let forks: Vec<String> = r
        .packages
        .iter()
        .filter(|p| matches!(p.verdict, crate::drift::Verdict::Fork { .. }))
        .map(|p| {
            format!(
                "- `{}` ({}): {}",
                esc(&p.name),
                p.status,
                esc(&p.verdict.reasons().join("; "))
            )
        })
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
    section_open(out, title, lines, OPEN_SECONDARY);
}

/// A titled list whose lines after the first `open` are folded in `<details>`.
fn section_open(out: &mut String, title: &str, lines: &[String], open: usize) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### {title} ({})\n", lines.len());
    let (shown, folded) = lines.split_at(lines.len().min(open));
    for l in shown {
        let _ = writeln!(out, "{l}");
    }
    if !folded.is_empty() {
        let _ = writeln!(out, "\n<details><summary>{} more</summary>\n", folded.len());
        for l in folded {
            let _ = writeln!(out, "{l}");
        }
        let _ = writeln!(out, "\n</details>");
    }
}

/// When there are many failures, the problems that cause them, biggest
/// first (one missing capability often stops hundreds of packages).
fn by_problem(out: &mut String, report: &MatrixReport) {
    let mut count: std::collections::HashMap<&str, (usize, Vec<&str>)> = std::collections::HashMap::new();
    let mut total = 0;
    for c in &report.cells {
        for f in c.unwaived() {
            total += 1;
            for x in f.unwaived() {
                let e = count.entry(x.problem.as_str()).or_default();
                e.0 += 1;
                if !e.1.contains(&c.cell.name.as_str()) {
                    e.1.push(&c.cell.name);
                }
            }
        }
    }
    if total <= super::table::FULL_LIMIT {
        return;
    }
    let mut rows: Vec<(&str, (usize, Vec<&str>))> = count.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
    let lines: Vec<String> = rows
        .iter()
        .map(|(p, (n, cells))| {
            format!(
                "| `{}` | {n} | {} |",
                esc(p),
                cells.iter().map(|c| esc(c)).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    let _ = writeln!(out, "\n### Failing packages by problem ({} problems)\n", lines.len());
    let _ = writeln!(out, "| problem | packages | cells |\n|---|---:|---|");
    let (shown, folded) = lines.split_at(lines.len().min(20));
    for l in shown {
        let _ = writeln!(out, "{l}");
    }
    if !folded.is_empty() {
        let _ = writeln!(out, "\n<details><summary>{} more problems</summary>\n", folded.len());
        let _ = writeln!(out, "| problem | packages | cells |\n|---|---:|---|");
        for l in folded {
            let _ = writeln!(out, "{l}");
        }
        let _ = writeln!(out, "\n</details>");
    }
}

#[cfg(test)]
mod tests {
    use super::cap;

    #[test]
    fn a_summary_over_the_limit_is_cut_at_a_line_and_closes_its_details() {
        let doc = format!(
            "{}<details>\n{}",
            "open line\n".repeat(100),
            "folded line\n".repeat(1000)
        );
        let capped = cap(doc.clone(), 2_000);
        assert!(capped.len() <= 2_000, "{}", capped.len());
        assert!(capped.contains("</details>"));
        assert!(capped.ends_with("reports.\n"));
        assert!(
            capped
                .lines()
                .all(|l| l.is_empty() || !l.starts_with("fold") || l == "folded line")
        );
        assert_eq!(cap("short\n".to_owned(), 2_000), "short\n");
        let plain = cap("line\n".repeat(1000), 500);
        assert!(!plain.contains("</details>") && plain.len() <= 500);
    }
}
