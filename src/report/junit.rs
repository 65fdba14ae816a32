//! JUnit XML for matrix results: one `<testsuite>` per cell, one
//! `<testcase>` per checked package (named after the package, never its
//! version), failures listing the unresolved deps, waived failures as
//! `<skipped>`, a repository that cannot be loaded as an `<error>`.
//! The `[drift]` section adds `rpmatrix drift --format junit`'s suites (one
//! per reference, a testcase per source package, a violation is a failure,
//! a fork is skipped), or one `drift` suite with an `<error>` when it could
//! not run. Written with quick-junit, which keeps counters consistent and the XML
//! valid whatever the text contains.

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::matrix::{CellReport, MatrixReport};

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
        if let Some(r) = report.repos.iter().find(|r| r.name == name) {
            suite.add_property(Property::new(format!("repo.{name}.location"), r.location.as_str()));
            if let Some(rev) = &r.revision {
                suite.add_property(Property::new(format!("repo.{name}.revision"), rev.as_str()));
            }
            if let Some(sha) = &r.repomd_sha256 {
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
    let mut packages: Vec<&crate::matrix::Checked> = c.packages.iter().collect();
    packages.sort_by(|a, b| (&a.name, &a.nevra, &a.repo).cmp(&(&b.name, &b.nevra, &b.repo)));
    // A big cell has thousands of packages and failures: look failures up, don't scan.
    let failures: std::collections::HashMap<(&str, &str), &crate::matrix::Failure> = c
        .failures
        .iter()
        .map(|f| ((f.nevra.as_str(), f.repo.as_str()), f))
        .collect();
    for p in packages {
        let failure = failures.get(&(p.nevra.as_str(), p.repo.as_str()));
        let status = match failure {
            None => TestCaseStatus::success(),
            Some(f) => {
                // The body starts with the NEVRA (consumers read it as the first word).
                let body = format!(
                    "{} from {}\n  unresolved deps ({}):\n{}",
                    f.nevra,
                    f.repo,
                    f.unresolved.len(),
                    f.unresolved.iter().map(|d| format!("    {d}\n")).collect::<String>()
                );
                match &f.waived {
                    Some(w) => {
                        let mut s = TestCaseStatus::skipped();
                        s.set_message(format!("waived: {} ({})", w.reason, w.origin));
                        s.set_description(body);
                        s
                    }
                    None => {
                        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        s.set_message(format!("unresolved deps: {}", f.unresolved.join(", ")));
                        s.set_type("unresolved");
                        s.set_description(body);
                        s
                    }
                }
            }
        };
        let mut case = TestCase::new(p.name.as_str(), status);
        case.set_classname(class.as_str());
        suite.add_test_case(case);
    }
    suite
}

/// The JUnit XML document of a matrix result.
pub fn render(report: &MatrixReport) -> Result<String, String> {
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
    junit.to_string().map_err(|e| format!("JUnit: {e}"))
}
