//! A matrix over the real data in `../shared/data/real` gives, per cell,
//! exactly the failing packages `dnf repoclosure --check` gave (recorded in
//! `tests/oracle/real`), in JUnit, JSON and Markdown; `--cell` alone gives
//! the same; a baseline followed by a run where a package was removed from
//! CentOS 7.5 exits 1 and names exactly the newly broken packages.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use assert_cmd::Command;
use rpmatrix::closure::ClosureOptions;
use rpmatrix::engine;
use rpmatrix::fetch::RepoSpec;
use rpmatrix::matrix::MatrixReport;

const CELLS: [&str; 3] = ["ocata+c75", "mitaka+c75", "cs9-appstream+cs9-baseos"];
/// Excluded from c75 to simulate an untagged build: ocata and mitaka packages link against it.
const REMOVED: &str = "libxml2";

fn data(dir: &str) -> String {
    common::real_repo(dir).display().to_string()
}

fn matrix(exclude: Option<&str>) -> String {
    let ex = exclude
        .map(|e| format!("excludepkgs = [\"{e}\"]\n"))
        .unwrap_or_default();
    format!(
        r#"[repos.ocata]
path = "{}"
[repos.mitaka]
path = "{}"
[repos.c75]
path = "{}"
{ex}[repos.cs9-appstream]
path = "{}"
[repos.cs9-baseos]
path = "{}"
[[cells]]
name = "ocata+c75"
check = ["ocata"]
lookaside = ["c75"]
[[cells]]
name = "mitaka+c75"
check = ["mitaka"]
lookaside = ["c75"]
[[cells]]
name = "cs9-appstream+cs9-baseos"
check = ["cs9-appstream", "cs9-baseos"]
"#,
        data("rdo-ocata-el7-bundle"),
        data("rdo-mitaka-el7-bundle"),
        data("centos7.5.1804-dvd-x86_64"),
        data("cs9-appstream-x86_64-2025-01"),
        data("cs9-baseos-x86_64-2022-02"),
    )
}

/// Failing NEVRAs of an oracle case.
fn oracle(case: &str) -> BTreeSet<String> {
    common::oracle_lines(case)
        .iter()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_owned)
        .collect()
}

fn run(m: &Path, extra: &[&str], out: &Path) -> (i32, MatrixReport, String, String) {
    let (json, junit, md) = (out.join("r.json"), out.join("j.xml"), out.join("s.md"));
    let _ = std::fs::remove_file(&md);
    let o = Command::cargo_bin("rpmatrix")
        .unwrap_or_else(|e| panic!("{e}"))
        .arg("run")
        .arg(m)
        .args(extra)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--summary")
        .arg(&md)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let report = MatrixReport::from_json(&std::fs::read_to_string(&json).unwrap_or_default(), "r")
        .unwrap_or_else(|e| panic!("{e}\n{}", String::from_utf8_lossy(&o.stderr)));
    (
        o.status.code().unwrap_or(-1),
        report,
        std::fs::read_to_string(&junit).unwrap_or_default(),
        std::fs::read_to_string(&md).unwrap_or_default(),
    )
}

fn check_against_oracle(report: &MatrixReport, xml: &str, md: &str) {
    let junit = quick_junit::Report::deserialize_from_str(xml).unwrap_or_else(|e| panic!("{e}"));
    for c in &report.cells {
        let want = oracle(&c.cell.name);
        let got: BTreeSet<String> = c.failures.iter().map(|f| f.package.nevra.clone()).collect();
        assert_eq!(got, want, "JSON, cell {}", c.cell.name);
        let suite = junit
            .test_suites
            .iter()
            .find(|s| s.name.as_str() == c.cell.name)
            .unwrap_or_else(|| panic!("no suite {}", c.cell.name));
        // One testcase per failure identity (NAME.ARCH: CAPABILITY); its
        // body names every NEVRA failing that way, one per line.
        let failing: BTreeSet<String> = suite
            .test_cases
            .iter()
            .filter_map(|t| match &t.status {
                quick_junit::TestCaseStatus::NonSuccess { description, .. } => description.as_ref(),
                _ => None,
            })
            .flat_map(|d| {
                d.as_str()
                    .lines()
                    .filter(|l| !l.starts_with(' '))
                    .filter_map(|l| l.split(' ').next().map(str::to_owned))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(failing, want, "JUnit, cell {}", c.cell.name);
        let identities: BTreeSet<_> = c
            .failures
            .iter()
            .flat_map(|f| f.findings.iter().map(move |x| f.id(x)))
            .collect();
        assert_eq!(
            suite.failures,
            identities.len(),
            "JUnit failures counter, cell {}",
            c.cell.name
        );
        let failing_packages: BTreeSet<(&str, &str)> = identities
            .iter()
            .map(|id| (id.name.as_str(), id.arch.as_str()))
            .collect();
        let passing: BTreeSet<(&str, &str)> = c
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.nevra.rsplit_once('.').map_or("", |(_, a)| a)))
            .filter(|na| !failing_packages.contains(na))
            .collect();
        assert_eq!(
            suite.tests,
            identities.len() + passing.len(),
            "JUnit tests, cell {}",
            c.cell.name
        );
        let in_md = md
            .lines()
            .filter(|l| l.starts_with(&format!("- **{}** `", c.cell.name)))
            .count();
        assert_eq!(in_md, want.len(), "Markdown, cell {}", c.cell.name);
        for n in &want {
            assert!(md.contains(&format!("`{n}`")), "{n} not in the summary");
        }
    }
}

#[test]
#[ignore = "needs ../shared/data/real"]
fn real_matrix_matches_dnf_in_every_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let m = dir.path().join("real.toml");
    std::fs::write(&m, matrix(None)).unwrap_or_else(|e| panic!("{e}"));
    let (code, report, xml, md) = run(&m, &[], dir.path());
    assert_eq!(code, 1);
    assert_eq!(report.cells.len(), 3);
    check_against_oracle(&report, &xml, &md);
    let whole = report;

    // Each cell alone gives the same.
    for cell in CELLS {
        let (_, alone, xml, md) = run(&m, &["--cell", cell], dir.path());
        assert_eq!(alone.cells.len(), 1);
        assert_eq!(
            alone.cells[0].failures,
            whole
                .cells
                .iter()
                .find(|c| c.cell.name == cell)
                .map(|c| c.failures.clone())
                .unwrap_or_default()
        );
        check_against_oracle(&alone, &xml, &md);
    }

    // Baseline, then the same repo set: exit 0.
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, whole.to_json().unwrap_or_else(|e| panic!("{e}"))).unwrap_or_else(|e| panic!("{e}"));
    let b = baseline.display().to_string();
    let (code, same, _, _) = run(&m, &["--baseline", &b], dir.path());
    assert_eq!(code, 0);
    assert!(same.cells.iter().all(|c| c.fixed.is_empty()));

    // libxml2 untagged from c75: exit 1, exactly the newly broken packages are new.
    let m2 = dir.path().join("removed.toml");
    std::fs::write(&m2, matrix(Some(REMOVED))).unwrap_or_else(|e| panic!("{e}"));
    let (code, after, _, md) = run(&m2, &["--baseline", &b], dir.path());
    assert_eq!(code, 1);
    for (cell, check) in [("ocata+c75", "ocata"), ("mitaka+c75", "mitaka")] {
        // Independently: a plain closure of check + c75-without-libxml2.
        let mut c75 = RepoSpec::new("c75", &data("centos7.5.1804-dvd-x86_64"));
        c75.filter.exclude = vec![REMOVED.to_owned()];
        let dirname = if check == "ocata" {
            "rdo-ocata-el7-bundle"
        } else {
            "rdo-mitaka-el7-bundle"
        };
        let mut l = engine::load(
            &[RepoSpec::new(check, &data(dirname)), c75],
            &engine::Options::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (r, _) = l
            .closure(&ClosureOptions {
                check: vec![check.to_owned()],
                basearch: "x86_64".into(),
                ..ClosureOptions::default()
            })
            .unwrap_or_else(|e| panic!("{e}"));
        let before = oracle(cell);
        let expected: BTreeSet<String> = r
            .problems
            .iter()
            .map(|p| p.nevra.clone())
            .filter(|n| !before.contains(n))
            .collect();
        assert!(!expected.is_empty(), "{cell}: removing {REMOVED} must break something");
        let c = after
            .cells
            .iter()
            .find(|c| c.cell.name == cell)
            .unwrap_or_else(|| panic!("{cell}"));
        let new: BTreeSet<String> = c
            .failures
            .iter()
            .filter(|f| f.baseline == Some(rpmatrix::matrix::Change::New))
            .map(|f| f.package.nevra.clone())
            .collect();
        assert_eq!(new, expected, "{cell}");
        let section = md.split("### New failures").nth(1).unwrap_or_default();
        let section = section.split("\n### ").next().unwrap_or_default();
        for n in &expected {
            assert!(
                section.contains(&format!("`{n}`")),
                "{n} not among new failures in the summary"
            );
        }
    }
    let cs9 = after.cells.iter().find(|c| c.cell.name == "cs9-appstream+cs9-baseos");
    assert!(cs9.is_some_and(|c| {
        c.failures
            .iter()
            .all(|f| f.baseline == Some(rpmatrix::matrix::Change::Still))
    }));
}
