//! JUnit XML for matrix results: one `<testsuite>` per cell; in it one
//! `<testcase>` per failure identity (`NAME.ARCH: CAPABILITY`, never a
//! version: the same test from night to night) and one per passing
//! `NAME.ARCH`; waived failures and, under `--fail-on new`, failures still
//! failing since the baseline as `<skipped>` (the consumer's colour agrees
//! with the exit code); a repository that cannot be loaded as an `<error>`.
//! The `[drift]` section adds `rpmatrix drift --format junit`'s suites (one
//! per reference, a testcase per source package, a violation is a failure,
//! a fork is skipped), or one `drift` suite with an `<error>` when it could
//! not run. Written with quick-junit, which keeps counters consistent and the XML
//! valid whatever the text contains.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::matrix::{CellReport, Change, FailOn, Failure, FailureId, Finding, MatrixReport};

/// `repoclosure.CELL` with the dots of the cell name replaced by `_`, so
/// Jenkins and GitLab group the cases by cell.
pub fn classname(cell: &str) -> String {
    format!("repoclosure.{}", cell.replace('.', "_"))
}

fn suite(report: &MatrixReport, c: &CellReport) -> TestSuite {
    let mut suite = TestSuite::new(c.cell.name.as_str());
    let class = classname(&c.cell.name);
    suite.add_property(Property::new("basearch", c.cell.basearch.as_str()));
    suite.add_property(Property::new("check", c.cell.check.join(",")));
    suite.add_property(Property::new("lookaside", c.cell.lookaside.join(",")));
    for name in c.cell.repos() {
        if let Some(r) = report.repos.iter().find(|r| r.repo.name == name) {
            suite.add_property(Property::new(format!("repo.{name}.location"), r.repo.location.as_str()));
            if let Some(rev) = &r.repo.revision {
                suite.add_property(Property::new(format!("repo.{name}.revision"), rev.as_str()));
            }
            if let Some(sha) = &r.repo.repomd_sha256 {
                suite.add_property(Property::new(format!("repo.{name}.repomd_sha256"), sha.as_str()));
            }
        }
    }
    if let Some(error) = &c.error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(error.lines().next().unwrap_or("infrastructure error"));
        status.set_type("infrastructure");
        status.set_description(error.as_str());
        let mut case = TestCase::new("repositories", status);
        case.set_classname(class.as_str());
        suite.add_test_case(case);
        return suite;
    }
    // One testcase per failure identity (several versions of a package
    // failing the same way are one), named `NAME.ARCH: CAPABILITY`; one per
    // passing `NAME.ARCH`. Names are unique within the suite.
    let mut failing: BTreeMap<FailureId, Vec<(&Failure, &Finding)>> = BTreeMap::new();
    for f in &c.failures {
        for x in &f.findings {
            failing.entry(f.id(x)).or_default().push((f, x));
        }
    }
    let failing_packages: BTreeSet<(&str, &str)> =
        failing.keys().map(|id| (id.name.as_str(), id.arch.as_str())).collect();
    let mut cases: BTreeMap<String, TestCaseStatus> = BTreeMap::new();
    for p in &c.packages {
        let arch = p.nevra.rsplit_once('.').map_or("", |(_, a)| a);
        if !failing_packages.contains(&(p.name.as_str(), arch)) {
            cases.insert(format!("{}.{arch}", p.name), TestCaseStatus::success());
        }
    }
    for (id, instances) in &failing {
        cases.insert(id.to_string(), failure_status(report, id, instances));
    }
    for (name, status) in cases {
        let mut case = TestCase::new(name, status);
        case.set_classname(class.as_str());
        suite.add_test_case(case);
    }
    suite
}

/// How one failure identity is rendered, so that the consumer agrees with
/// the exit code: a waived finding is `<skipped>` (the waiver's reason); an
/// unwaived one that gates is a `<failure>`; one that is still failing since
/// the baseline does not gate under `--fail-on new`, and is `<skipped>`
/// saying so (Jenkins and GitLab would show a `<failure>` red while the run
/// is green).
fn failure_status(report: &MatrixReport, id: &FailureId, instances: &[(&Failure, &Finding)]) -> TestCaseStatus {
    let mut body = String::new();
    for (f, x) in instances {
        let _ = writeln!(
            body,
            "{} from {}: {} {}",
            f.package.nevra,
            f.package.repo,
            id.kind.as_str(),
            x.problem
        );
        for e in &f.package.explanations {
            let _ = writeln!(body, "  # {e}");
        }
        if let Some(w) = &x.expired_waiver {
            let expires = w.expires.as_deref().unwrap_or("?");
            let _ = writeln!(body, "  waiver {} expired on {expires}: {}", w.origin, w.reason);
        }
    }
    let first = instances.first().map(|(_, x)| *x);
    if let Some(w) = first.and_then(|x| x.waived.as_ref()) {
        let mut s = TestCaseStatus::skipped();
        s.set_message(format!("waived: {} ({})", w.reason, w.origin));
        s.set_description(body);
        return s;
    }
    let still = instances.iter().all(|(_, x)| x.baseline == Some(Change::Still));
    if still && report.fail_on == FailOn::New {
        let mut s = TestCaseStatus::skipped();
        s.set_message(format!(
            "still failing: already in the baseline {} of {}; only new failures gate (--fail-on new)",
            report.baseline.as_deref().unwrap_or("?"),
            report.baseline_date.as_deref().unwrap_or("?"),
        ));
        s.set_description(body);
        return s;
    }
    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
    let new = if instances.iter().any(|(_, x)| x.baseline == Some(Change::New)) {
        " (new)"
    } else {
        ""
    };
    let problems: BTreeSet<&str> = instances.iter().map(|(_, x)| x.problem.as_str()).collect();
    s.set_message(format!(
        "{} {}{new}",
        id.kind.as_str(),
        problems.into_iter().collect::<Vec<_>>().join(", ")
    ));
    s.set_type(id.kind.as_str());
    s.set_description(body);
    s
}

/// The JUnit XML document of a matrix result.
pub fn render(report: &MatrixReport) -> Result<String, super::ReportError> {
    let mut junit = Report::new("rpmatrix");
    for c in &report.cells {
        junit.add_test_suite(suite(report, c));
    }
    if let Some(d) = &report.drift {
        match &d.result {
            Some(doc) => {
                let result = crate::report::drift::from_document(doc);
                junit.add_test_suites(crate::report::drift::junit_suites(&result));
            }
            None => {
                let mut suite = TestSuite::new("drift");
                let error = d.error.as_deref().unwrap_or("the drift did not run");
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
                status.set_message(error.lines().next().unwrap_or("infrastructure error"));
                status.set_type("infrastructure");
                status.set_description(error);
                let mut case = TestCase::new("repositories", status);
                case.set_classname("drift");
                suite.add_test_case(case);
                junit.add_test_suite(suite);
            }
        }
    }
    for c in &report.changes {
        junit.add_test_suite(change_suite(report, c));
    }
    Ok(junit.to_string()?)
}

/// A `[[changes]]` entry: suite `change NAME on CELL`, one testcase per
/// proposed change named with its build's NVR (`untag NAME`). A rejected
/// build that gates is a `<failure>` naming the problems it causes; one the
/// baseline already rejected is `<skipped>` under `--fail-on new`, as a
/// still-failing closure failure is.
fn change_suite(report: &MatrixReport, c: &crate::matrix::ChangeCheck) -> TestSuite {
    let mut suite = TestSuite::new(format!("change {} on {}", c.name, c.cell));
    suite.add_property(Property::new("origin", c.origin.as_str()));
    let class = format!("change.{}", c.name.replace('.', "_"));
    let Some(r) = &c.result else {
        let error = c.error.as_deref().unwrap_or("the change did not run");
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(error.lines().next().unwrap_or("infrastructure error"));
        status.set_type("infrastructure");
        status.set_description(error);
        let mut case = TestCase::new("repositories", status);
        case.set_classname(class.as_str());
        suite.add_test_case(case);
        return suite;
    };
    suite.add_property(Property::new("mode", r.mode.as_str()));
    suite.add_property(Property::new("targets", r.targets.join(",")));
    for v in &r.changes {
        let name = v.name();
        let status = if v.verdict == crate::change::Verdict::Accept {
            TestCaseStatus::success()
        } else {
            let body = v.problems.join("\n");
            let still = c.new_rejections.as_ref().is_some_and(|n| !n.contains(&name));
            if still && report.fail_on == FailOn::New {
                let mut s = TestCaseStatus::skipped();
                s.set_message(format!(
                    "still rejected: the baseline {} rejected it too; only new rejections gate (--fail-on new)",
                    report.baseline.as_deref().unwrap_or("?")
                ));
                s.set_description(body);
                s
            } else {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                s.set_message(format!("rejected: breaks {} package(s)", v.problems.len()));
                s.set_type("rejected");
                s.set_description(body);
                s
            }
        };
        let mut case = TestCase::new(name, status);
        case.set_classname(class.as_str());
        suite.add_test_case(case);
    }
    suite
}
