//! A matrix file's `[drift]` section: parse errors with file and line, the
//! demo run's drift (JSON statuses, JUnit suites whose counts agree with the
//! JSON, the Markdown section, the terminal line), exit codes (violations
//! gate; with a baseline only new ones), `--cell` / `--drift` /
//! `--no-drift` / `--drift-only`, merge, sharing the cells' pool, and a
//! drift repository that cannot be loaded.

use std::collections::BTreeMap;
use std::path::Path;

use rpmatrix::matrix::{DriftSource, MatrixReport, Plan};

mod common;

use common::{JunitReader, junit_suite_counts, matrix_parse_error, read_junit, root, rpmatrix, run_bad_matrix, write};

fn fx(p: &str) -> String {
    root().join("fixtures").join(p).display().to_string()
}

/// Repos of a test matrix: the closure fixtures app/base, the drift fixtures ours/fedora/f39.
fn repos() -> String {
    format!(
        "[repos.base]\npath = \"{}\"\n[repos.app]\npath = \"{}\"\n[repos.ours]\npath = \"{}\"\n[repos.fedora]\npath = \"{}\"\n[repos.f39]\npath = \"{}\"\n[[cells]]\nname = \"old\"\ncheck = [\"app\"]\nlookaside = [\"base\"]\npkg = [\"app-old\"]\n",
        fx("repos/base"),
        fx("repos/app"),
        fx("drift/ours"),
        fx("drift/fedora"),
        fx("drift/f39")
    )
}

const REPO_LINES: usize = 15;

fn run(args: &[&str]) -> std::process::Output {
    rpmatrix().args(args).output().unwrap_or_else(|e| panic!("{e}"))
}

fn read_report(p: &Path) -> MatrixReport {
    MatrixReport::from_json(&std::fs::read_to_string(p).unwrap_or_default(), "r").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn drift_parse_errors_name_file_and_line() {
    let r = repos();
    let l = REPO_LINES + 1; // the [drift] line
    let policy = fx("drift/policy.toml");
    let cases: Vec<(String, usize, &str)> = vec![
        (
            format!("{r}[drift]\nours = [\"ours\"]\ntheirs = [\"fedora\"]\npolicyy = \"x\"\n"),
            l + 3,
            "unknown field `policyy`",
        ),
        (
            format!("{r}[drift]\nours = [\"ours\", \"nope\"]\ntheirs = [\"fedora\"]\n"),
            l + 1,
            "drift: ours names undefined repo 'nope'",
        ),
        (
            format!("{r}[drift]\nours = [\"ours\"]\ntheirs = [\"fedora\",\n  \"fedora-41\"]\n"),
            l + 3,
            "drift: theirs names undefined repo 'fedora-41'",
        ),
        (
            format!("{r}[drift]\nours = [\"rdoinfo:test-release\"]\ntheirs = [\"fedora\"]\n"),
            l + 1,
            "needs rdoinfo = \"DIR\"",
        ),
        (
            format!("{r}[drift]\nours = [\"ours\"]\ntheirs = [\"fedora\"]\npolicy = \"no-such-policy.toml\"\n"),
            l + 3,
            "no-such-policy.toml': no such file",
        ),
        (
            format!("{r}[drift]\nours = [\"ours\"]\ntheirs = [\"ours\"]\n"),
            l + 2,
            "repo 'ours' is both ours and theirs",
        ),
        (
            format!("{r}[drift]\nours = [\"ours\"]\ntheirs = [\"fedora\"]\nonly = [\"a[\"]\n"),
            l + 3,
            "drift only 'a['",
        ),
        (format!("{r}[drift]\nours = [\"ours\"]\n"), l, "missing field `theirs`"),
        (
            format!("{r}[drift]\nours = []\ntheirs = [\"fedora\"]\npolicy = \"{policy}\"\n"),
            l,
            "ours is empty",
        ),
    ];
    for (text, line, what) in cases {
        let e = matrix_parse_error(&text);
        assert!(
            e.starts_with(&format!("DIR/m.toml:{line}:")),
            "expected line {line}, got {e}\n{text}"
        );
        assert!(e.contains(what), "expected {what:?} in {e}");
    }
    // The CLI exits 2 with the same message.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let err = run_bad_matrix(
        dir.path(),
        "bad.toml",
        &format!("{r}[drift]\nours = [\"ours\"]\ntheirs = [\"fedra\"]\n"),
    );
    assert!(
        err.contains(&format!("bad.toml:{}:", l + 2)) && err.contains("undefined repo 'fedra'"),
        "{err}"
    );
    // A malformed policy stops the run before loading anything (exit 2, its file and line).
    let err = run_bad_matrix(
        dir.path(),
        "badpolicy.toml",
        &format!(
            "{r}[drift]\nours = [\"ours\"]\ntheirs = [\"fedora\"]\npolicy = \"{}\"\n",
            fx("drift/policy-bad.toml")
        ),
    );
    assert!(err.contains("policy-bad.toml:6") && err.contains("[drift]"), "{err}");
    // --drift on a matrix without [drift] is an error.
    let p = write(dir.path(), "nodrift.toml", &r);
    let out = rpmatrix()
        .arg("run")
        .arg(&p)
        .arg("--drift")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no [drift] section"));
}

#[test]
fn shipped_matrices_have_drift_sections() {
    let demo = Plan::from_path(&root().join("matrices/demo.toml")).unwrap_or_else(|e| panic!("{e}"));
    let d = demo.drift.unwrap_or_else(|| panic!("demo has no [drift]"));
    assert_eq!(d.ours, vec![DriftSource::Repo("drift-ours".into())]);
    assert_eq!(d.theirs, vec!["fedora".to_owned(), "f39".to_owned()]);
    assert!(d.policy.as_ref().is_some_and(|p| p.exists()));
    assert!(d.rdoinfo.as_ref().is_some_and(|p| p.join("deps.yml").exists()));
    let cs9 = Plan::from_path(&root().join("matrices/rdo-cs9.toml")).unwrap_or_else(|e| panic!("{e}"));
    let d = cs9.drift.unwrap_or_else(|| panic!("rdo-cs9 has no [drift]"));
    assert_eq!(d.ours, vec![DriftSource::Repo("rdo-trunk-deps".into())]);
    for r in &d.theirs {
        let spec = cs9.repos.iter().find(|s| &s.name == r);
        let loc = spec.map(|s| s.location.as_str()).unwrap_or_default();
        assert!(
            loc.starts_with("metalink:https://mirrors.fedoraproject.org/metalink?repo=")
                && loc.ends_with("arch=x86_64"),
            "{r}: {loc}"
        );
    }
}

/// Each testsuite's tests, failures, errors and skipped, counted from the
/// testcases by Python's ElementTree (a reader that is not quick-junit).
fn python_suites(xml: &Path) -> BTreeMap<String, (usize, usize, usize, usize)> {
    junit_suite_counts(xml, JunitReader::ElementTree).into_iter().collect()
}

#[test]
fn demo_run_reports_the_drift_everywhere() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (out, reports) = common::run_demo(dir.path());
    let (junit, json, md) = (reports.junit, reports.json, reports.summary);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "drift drift-ours vs fedora, f39: 16 source packages; behind: 6, release-behind: 1, ahead: 1, \
             release-ahead: 1, ours-only: 1, theirs-only: 1, same: 5; 3 policy violations\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("[drift] policy violations:\n  epoch-pkg: against fedora: behind by epoch"));

    // JSON: the drift member is `rpmatrix drift --format json`'s document.
    let report = read_report(&json);
    let d = report.drift.as_ref().unwrap_or_else(|| panic!("no drift member"));
    assert_eq!(d.error, None);
    assert_eq!(d.new_violations, None);
    assert!(d.origin.ends_with("matrices/demo.toml:85"), "{}", d.origin);
    let doc = d.result.as_ref().unwrap_or_else(|| panic!("no drift result"));
    assert_eq!(
        (doc.ours.as_str(), doc.references.clone()),
        ("drift-ours", vec!["fedora".into(), "f39".into()])
    );
    let status: BTreeMap<&str, (&str, &str)> = doc
        .packages
        .iter()
        .map(|p| (p.name.as_str(), (p.status.as_str(), p.verdict.as_str())))
        .collect();
    for (name, want) in [
        ("same-pkg", ("same", "ok")),
        ("major-pkg", ("behind", "violation")),
        ("epoch-pkg", ("behind", "violation")),
        ("minor-pkg", ("behind", "ok")),
        ("patch-pkg", ("behind", "ok")),
        ("ahead-pkg", ("ahead", "violation")),
        ("relahead-pkg", ("release-ahead", "ok")),
        ("relbehind-pkg", ("release-behind", "ok")),
        ("ours-only-pkg", ("ours-only", "ok")),
        ("theirs-only-pkg", ("theirs-only", "ok")),
        ("refnewest-pkg", ("behind", "ok")),
        ("mariadb", ("behind", "fork")),
        ("python-mapped", ("same", "ok")),
        ("python-rdomapped", ("same", "ok")),
    ] {
        assert_eq!(status.get(name).copied(), Some(want), "{name}");
    }
    assert!(
        !status.contains_key("python3-mapped"),
        "mapped names are not theirs-only"
    );
    let mapped = doc.packages.iter().find(|p| p.name == "python-rdomapped");
    assert_eq!(mapped.and_then(|p| p.origin.as_deref()), Some("fedora-dependency"));
    assert_eq!(doc.violations, 3);
    assert_eq!(doc.counts.values().sum::<usize>(), doc.packages.len());
    // The drift repositories are listed with the cells' (loaded once, by the drift).
    for r in ["drift-ours", "fedora", "f39"] {
        assert_eq!(report.repos.iter().filter(|x| x.repo.name == r).count(), 1, "{r}");
    }
    // The same comparison as `rpmatrix drift` with the same inputs.
    let cli = run(&[
        "drift",
        "--ours",
        "drift-ours=fixtures/drift/ours",
        "--theirs",
        "fedora=fixtures/drift/fedora",
        "--theirs",
        "f39=fixtures/drift/f39",
        "--policy",
        "fixtures/drift/policy.toml",
        "--map",
        "fixtures/drift/map.toml",
        "--rdoinfo",
        "fixtures/drift/rdoinfo",
        "--format",
        "json",
    ]);
    assert_eq!(cli.status.code(), Some(1));
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap_or_else(|e| panic!("{e}"));
    let ours = serde_json::to_value(doc).unwrap_or_default();
    assert_eq!(ours["packages"], cli["packages"]);
    assert_eq!(ours["counts"], cli["counts"]);

    // JUnit: one suite per reference; counts agree with the JSON.
    let (xml, r) = read_junit(&junit);
    assert_eq!(r.test_suites.len(), 8);
    let py = python_suites(&junit);
    for (i, reference) in doc.references.iter().enumerate() {
        let name = format!("drift drift-ours vs {reference}");
        let suite = r.test_suites.iter().find(|s| s.name.as_str() == name);
        let suite = suite.unwrap_or_else(|| panic!("no suite {name}"));
        let cases: Vec<_> = doc.packages.iter().filter(|p| p.theirs[i].status.is_some()).collect();
        let failures = cases
            .iter()
            .filter(|p| p.theirs[i].violation.is_some() && !matches!(p.verdict, rpmatrix::drift::Verdict::Fork { .. }))
            .count();
        let skipped = cases
            .iter()
            .filter(|p| matches!(p.verdict, rpmatrix::drift::Verdict::Fork { .. }))
            .count();
        assert_eq!(
            (suite.tests, suite.failures, suite.errors, suite.skipped),
            (cases.len(), failures, 0, skipped),
            "{name}"
        );
        assert_eq!(py.get(&name), Some(&(cases.len(), failures, 0, skipped)), "{name}");
    }
    assert_eq!(
        r.test_suites
            .iter()
            .find(|s| s.name.as_str() == "drift drift-ours vs fedora")
            .map(|s| s.failures),
        Some(3)
    );
    assert!(xml.contains("classname=\"drift.fedora\""), "{xml}");
    assert!(xml.contains("declared fork: 5.5 kept for Galera"));

    // Markdown: the section, counts per status, the violations.
    let summary = std::fs::read_to_string(&md).unwrap_or_default();
    let section = summary
        .split("### Fork drift: drift-ours vs fedora, f39")
        .nth(1)
        .unwrap_or_default();
    assert!(section.contains("| behind | 6 |\n"), "{summary}");
    assert!(section.contains("| same | 5 |\n"), "{summary}");
    let violations = section
        .split("### Drift policy violations (3)")
        .nth(1)
        .unwrap_or_default();
    for n in ["epoch-pkg", "major-pkg", "ahead-pkg"] {
        assert!(violations.contains(&format!("- `{n}`: against fedora:")), "{summary}");
    }
    assert!(
        section.contains("### Declared forks (1)\n\n- `mariadb` (behind): 5.5 kept for Galera\n"),
        "{summary}"
    );
}

#[test]
fn violations_gate_and_baselines_let_known_ones_pass() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let base = |name: &str, policy: bool| {
        let policy = if policy {
            format!("policy = \"{}\"\n", fx("drift/policy.toml"))
        } else {
            String::new()
        };
        write(
            dir.path(),
            name,
            &format!("{}[drift]\nours = [\"ours\"]\ntheirs = [\"fedora\"]\n{policy}", repos()),
        )
    };
    let strict = base("strict.toml", true);
    let lax = base("lax.toml", false);
    let s = strict.display().to_string();
    // The cell passes; the drift's violations fail the run.
    let out = run(&["run", &s]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    // --no-drift skips it; --cell skips it unless --drift.
    assert_eq!(run(&["run", &s, "--no-drift"]).status.code(), Some(0));
    let out = run(&["run", &s, "--cell", "old"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("drift"));
    assert_eq!(run(&["run", &s, "--cell", "old", "--drift"]).status.code(), Some(1));
    // Without a policy nothing is a violation.
    assert_eq!(run(&["run", &lax.display().to_string()]).status.code(), Some(0));

    // A baseline with the same violations: nothing new, exit 0 (--fail-on new is the default).
    let before = dir.path().join("before.json");
    let out = rpmatrix()
        .args(["run", &s, "--json"])
        .arg(&before)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let again = dir.path().join("again.json");
    let md = dir.path().join("again.md");
    let out = rpmatrix()
        .args(["run", &s, "--baseline"])
        .arg(&before)
        .arg("--json")
        .arg(&again)
        .arg("--summary")
        .arg(&md)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("3 policy violations (0 new)"), "{stdout}");
    let d = read_report(&again).drift.unwrap_or_else(|| panic!("no drift"));
    assert_eq!(d.new_violations, Some(Vec::new()));
    assert_eq!(d.result.and_then(|r| r.changes).map(|c| c.len()), Some(0));
    // ... and 1 with --fail-on any.
    let out = rpmatrix()
        .args(["run", &s, "--fail-on", "any", "--baseline"])
        .arg(&before)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));

    // A baseline without the policy's violations: all three are new, exit 1.
    let lax_json = dir.path().join("lax.json");
    rpmatrix()
        .args(["run", &lax.display().to_string(), "--json"])
        .arg(&lax_json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = rpmatrix()
        .args(["run", &s, "--summary"])
        .arg(&md)
        .arg("--baseline")
        .arg(&lax_json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("3 policy violations (3 new)"), "{stdout}");
    assert!(stdout.contains("  major-pkg (new): against fedora"), "{stdout}");
    let summary = std::fs::read_to_string(&md).unwrap_or_default();
    assert!(summary.contains("- `major-pkg` (new): against fedora"), "{summary}");
    // A baseline without a drift member (a cell's result): every violation is new.
    let cell_json = dir.path().join("cell.json");
    rpmatrix()
        .args(["run", &s, "--cell", "old", "--json"])
        .arg(&cell_json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(read_report(&cell_json).drift.is_none());
    let out = rpmatrix()
        .args(["run", &s, "--baseline"])
        .arg(&cell_json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(3 new)"));
}

#[test]
fn drift_only_and_merge() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cells = dir.path().join("cells.json");
    let drift = dir.path().join("drift.json");
    let out = rpmatrix()
        .args([
            "run",
            "matrices/demo.toml",
            "--today",
            "2025-06-01",
            "--no-drift",
            "--json",
        ])
        .arg(&cells)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let out = rpmatrix()
        .args(["run", "matrices/demo.toml", "--drift-only", "--json"])
        .arg(&drift)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1), "violations gate a drift-only run too");
    let only = read_report(&drift);
    assert!(only.cells.is_empty());
    let names: Vec<&str> = only.repos.iter().map(|r| r.repo.name.as_str()).collect();
    assert_eq!(names, ["drift-ours", "fedora", "f39"]);
    assert!(read_report(&cells).drift.is_none());

    let merged_junit = dir.path().join("m.xml");
    let merged_json = dir.path().join("m.json");
    let out = rpmatrix()
        .arg("merge")
        .arg(&cells)
        .arg(&drift)
        .arg("--junit")
        .arg(&merged_junit)
        .arg("--json")
        .arg(&merged_json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 policy violations"));
    let (_, r) = read_junit(&merged_junit);
    assert_eq!((r.tests, r.failures, r.errors, r.test_suites.len()), (121, 22, 0, 8));
    let merged = read_report(&merged_json);
    assert_eq!(merged.drift, only.drift);
    assert_eq!(merged.cells.len(), 6);
    // Only the drift's violations: a merge of the drift part alone exits 1, of the passing cell alone 0.
    let out = rpmatrix()
        .arg("merge")
        .arg(&drift)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn drift_reads_repos_the_cells_loaded() {
    // `ours` is also a cell's repo: it is loaded once (one entry in repos) and
    // the comparison equals `rpmatrix drift`'s.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let m = format!(
        "{}[[cells]]\nname = \"ours\"\ncheck = [\"ours\"]\n[drift]\nours = [\"ours\"]\ntheirs = [\"fedora\"]\nonly = [\"*-pkg\"]\n",
        repos()
    );
    let p = write(dir.path(), "m.toml", &m);
    let json = dir.path().join("r.json");
    rpmatrix()
        .arg("run")
        .arg(&p)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let report = read_report(&json);
    assert_eq!(report.repos.iter().filter(|r| r.repo.name == "ours").count(), 1);
    assert_eq!(report.cells.len(), 2);
    let doc = report
        .drift
        .and_then(|d| d.result)
        .unwrap_or_else(|| panic!("no drift"));
    let cli = run(&[
        "drift",
        "--ours",
        "ours=fixtures/drift/ours",
        "--theirs",
        "fedora=fixtures/drift/fedora",
        "--only",
        "*-pkg",
        "--format",
        "json",
    ]);
    let cli: serde_json::Value = serde_json::from_slice(&cli.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        serde_json::to_value(&doc).unwrap_or_default()["packages"],
        cli["packages"]
    );
    assert!(doc.packages.iter().all(|p| p.name.ends_with("-pkg")));
    assert!(doc.packages.len() >= 10);
}

#[test]
fn unloadable_drift_repo_is_an_infrastructure_error() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let m = format!(
        "{}[repos.gone]\npath = \"{}\"\n[drift]\nours = [\"ours\"]\ntheirs = [\"gone\"]\n",
        repos(),
        dir.path().join("nothing-here").display()
    );
    let p = write(dir.path(), "m.toml", &m);
    let (junit, json) = (dir.path().join("j.xml"), dir.path().join("r.json"));
    let out = rpmatrix()
        .arg("run")
        .arg(&p)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("drift: ERROR (repo 'gone': unusable location"),
        "{stdout}"
    );
    let report = read_report(&json);
    assert_eq!(report.cells.len(), 1, "the cells still run");
    let d = report.drift.unwrap_or_else(|| panic!("no drift"));
    assert!(d.result.is_none() && d.error.is_some_and(|e| e.contains("'gone'")));
    let (_, r) = read_junit(&junit);
    assert_eq!((r.tests, r.failures, r.errors), (2, 0, 1));
    assert_eq!(python_suites(&junit).get("drift"), Some(&(1, 0, 1, 0)));
}
