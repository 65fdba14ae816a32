//! `rpmatrix change`'s outputs: text for a person, JSON (schema 1, the
//! README's "rpmatrix change"), JUnit with one testcase per proposed build
//! (named with its NVR) and a Markdown summary for a review comment.

use std::fmt::Write;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::change::state::ChangeKind;
use crate::change::{ChangeReport, ChangeVerdict, Finding, Verdict};

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Accept => "accept",
        Verdict::Reject => "REJECT",
    }
}

fn change_name(c: &ChangeVerdict) -> String {
    c.name()
}

/// `NEVRA (REPO) requires CAP`, or in install mode `NEVRA (REPO) cannot be
/// installed: ROOT CAUSE`.
fn finding_line(f: &Finding) -> String {
    match f.requires.is_empty() {
        true => format!("{} ({}) cannot be installed: {}", f.nevra, f.repo, f.root_cause),
        false => format!("{} ({}) requires {}", f.nevra, f.repo, f.requires),
    }
}

/// What the mode checks, for the headings.
fn mode_words(report: &ChangeReport) -> &'static str {
    match report.mode.as_str() {
        "install" => "installability (installcheck)",
        _ => "dependency closure",
    }
}

/// The text report: verdicts first, then new problems (each with the
/// change to blame and how), fixed ones, and those that stay, apart.
pub fn text(report: &ChangeReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Checked: {} (--mode {})\n", mode_words(report), report.mode);
    let _ = writeln!(out, "Verdicts:");
    for c in &report.changes {
        let _ = writeln!(out, "  {:<6}  {}", verdict_word(c.verdict), change_name(c));
        for p in &c.problems {
            let _ = writeln!(out, "            breaks: {p}");
        }
        if !c.needs.is_empty() {
            let _ = writeln!(out, "            works only together with: {}", c.needs.join(", "));
        }
    }
    let _ = writeln!(out, "\nNew problems ({}):", report.new.len());
    for f in &report.new {
        let _ = writeln!(out, "  {}", finding_line(f));
        let _ = writeln!(out, "    caused by {}: {}", f.blame.join(" + "), f.why);
    }
    let _ = writeln!(out, "\nFixed ({}):", report.fixed.len());
    for f in &report.fixed {
        let _ = write!(out, "  {}", finding_line(f));
        match f.why.is_empty() {
            true => out.push('\n'),
            false => {
                let _ = writeln!(out, "  [{}]", f.why);
            }
        }
    }
    let _ = writeln!(out, "\nStill broken, before and after ({}):", report.still_broken.len());
    for f in &report.still_broken {
        let _ = writeln!(out, "  {}", finding_line(f));
    }
    if !report.together.is_empty() {
        let _ = writeln!(out, "\nBuilds that only work together:");
        for t in &report.together {
            let _ = writeln!(out, "  {} needs {}", t.build, t.needs.join(", "));
            for why in &t.through {
                let _ = writeln!(out, "    {why}");
            }
        }
    }
    let rejected = report.changes.iter().filter(|c| c.verdict == Verdict::Reject).count();
    let _ = writeln!(
        out,
        "\n{} change{}: {} accepted, {} rejected; {} new problem{}, {} fixed, {} still broken",
        report.changes.len(),
        if report.changes.len() == 1 { "" } else { "s" },
        report.changes.len() - rejected,
        rejected,
        report.new.len(),
        if report.new.len() == 1 { "" } else { "s" },
        report.fixed.len(),
        report.still_broken.len()
    );
    out
}

/// The JSON document (schema 1).
pub fn json(report: &ChangeReport) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// JUnit XML: one testsuite `change`, one testcase per change, named with
/// the build's NVR (`untag NAME` for an untag); a rejected change fails
/// with the problems it causes.
pub fn junit(report: &ChangeReport) -> Result<String, super::ReportError> {
    let mut suite = TestSuite::new("change");
    suite.add_property(Property::new("targets", report.targets.join(",")));
    suite.add_property(Property::new("mode", report.mode.as_str()));
    for c in &report.changes {
        let status = match c.verdict {
            Verdict::Accept => TestCaseStatus::success(),
            Verdict::Reject => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("breaks {} package(s)", c.problems.len()));
                s.set_type("new-problem");
                let mut body = String::new();
                for f in report.new.iter().filter(|f| f.blame.contains(&c.nvr)) {
                    let _ = writeln!(body, "{}\n  {}", finding_line(f), f.why);
                }
                s.set_description(body);
                s
            }
        };
        let mut case = TestCase::new(change_name(c), status);
        case.set_classname(match c.kind {
            ChangeKind::Build => "change.build",
            ChangeKind::Untag => "change.untag",
        });
        suite.add_test_case(case);
    }
    let mut junit = Report::new("rpmatrix");
    junit.add_test_suite(suite);
    Ok(junit.to_string()?)
}

use super::markdown::escape as md_escape;

/// A Markdown summary for a review comment.
pub fn markdown(report: &ChangeReport) -> String {
    let mut out = String::new();
    let verdict = match report.breaks() {
        true => "❌ this change breaks dependencies",
        false => "✅ nothing new breaks",
    };
    let _ = writeln!(out, "### rpmatrix change: {verdict}\n");
    let _ = writeln!(
        out,
        "Targets: {}; checked: {} (`--mode {}`)\n",
        report.targets.join(", "),
        mode_words(report),
        report.mode
    );
    let _ = writeln!(out, "| change | verdict | breaks |\n|---|---|---|");
    for c in &report.changes {
        let breaks = match c.problems.is_empty() {
            true => String::from("—"),
            false => c.problems.iter().map(|p| md_escape(p)).collect::<Vec<_>>().join("<br>"),
        };
        let _ = writeln!(out, "| `{}` | {} | {breaks} |", change_name(c), verdict_word(c.verdict));
    }
    if !report.new.is_empty() {
        let _ = writeln!(out, "\n**New problems ({})**\n", report.new.len());
        for f in &report.new {
            let what = match f.requires.is_empty() {
                true => format!("cannot be installed ({})", md_escape(&f.root_cause)),
                false => format!("requires `{}`", f.requires),
            };
            let _ = writeln!(
                out,
                "- `{}` {what}: {} ({})",
                f.nevra,
                md_escape(&f.blame.join(" + ")),
                md_escape(&f.why)
            );
        }
    }
    if !report.together.is_empty() {
        let _ = writeln!(out, "\n**Only together**\n");
        for t in &report.together {
            let _ = writeln!(out, "- `{}` needs {}", t.build, t.needs.join(", "));
        }
    }
    let _ = writeln!(
        out,
        "\n{} fixed, {} still broken (there before and after).",
        report.fixed.len(),
        report.still_broken.len()
    );
    out
}
