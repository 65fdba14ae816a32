//! A gate you can trust (issue 19): new breakage is never hidden, reports
//! are always written, and results read the same from night to night.
//!
//! The baseline and waiver tests run on fixtures/repos/gate-* (real RPMs
//! built by fixtures/build_gate.sh): a lookaside before and after the
//! removal of gate-gevent, and the checked repo before and after a rebuild.
//! JUnit files are read with junitparser under /usr/bin/python3.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rpmatrix::matrix::{Change, MatrixReport};

mod common;

use common::{read_report, root, run_in, text, write};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rpmatrix"))
}

fn fixture(name: &str) -> String {
    root().join("fixtures/repos").join(name).display().to_string()
}

/// A matrix of one cell `gate` checking gate-app-APP against gate-base-BASE
/// ("before" or "after"), with `extra` appended (cell keys, then waivers).
fn gate_matrix(dir: &Path, file: &str, base: &str, app: &str, cell_extra: &str, waivers: &str) -> String {
    let text = format!(
        "[repos.base]\npath = \"{}\"\n[repos.app]\npath = \"{}\"\n\
         [[cells]]\nname = \"gate\"\ncheck = [\"app\"]\nlookaside = [\"base\"]\n{cell_extra}\n{waivers}",
        fixture(&format!("gate-base-{base}")),
        fixture(&format!("gate-app-{app}")),
    );
    write(dir, file, &text).display().to_string()
}

/// Runs `rpmatrix ARGS` with its stdout a pipe whose reader is gone before
/// anything is written (`rpmatrix ... | head -0`).
fn run_with_closed_stdout(args: &[&str]) -> Option<i32> {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    drop(child.stdout.take());
    child.wait().unwrap_or_else(|e| panic!("{e}")).code()
}

#[test]
fn closed_stdout_never_changes_the_verdict_and_reports_are_written() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (junit, json, summary) = (
        dir.path().join("j.xml"),
        dir.path().join("r.json"),
        dir.path().join("s.md"),
    );
    let code = run_with_closed_stdout(&[
        "run",
        "matrices/demo.toml",
        "--today",
        "2025-06-01",
        "--junit",
        &junit.display().to_string(),
        "--json",
        &json.display().to_string(),
        "--summary",
        &summary.display().to_string(),
    ]);
    assert_eq!(code, Some(1), "run: findings exit 1 whatever happens to stdout");
    for p in [&junit, &json, &summary] {
        let len = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{} not written", p.display());
    }
    assert_eq!(read_report(&json).exit_code(), 1);

    let base = format!("base={}", fixture("base"));
    let app = format!("app={}", fixture("app"));
    let code = run_with_closed_stdout(&["closure", "--repo", &base, "--repo", &app, "--check", "app"]);
    assert_eq!(code, Some(1), "closure");

    let drift = root().join("fixtures/drift");
    let ours = format!("ours={}", drift.join("ours").display());
    let fedora = format!("fedora={}", drift.join("fedora").display());
    let policy = drift.join("policy.toml").display().to_string();
    let code = run_with_closed_stdout(&["drift", "--ours", &ours, "--theirs", &fedora, "--policy", &policy]);
    assert_eq!(code, Some(1), "drift --policy");
}

#[test]
fn a_dash_means_stdout_for_every_report() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let demo = root().join("matrices/demo.toml").display().to_string();
    for (flag, start) in [("--json", "{"), ("--junit", "<?xml"), ("--summary", "## rpmatrix")] {
        let out = run_in(
            dir.path(),
            &["run", &demo, "--today", "2025-06-01", "--cell", "app-old", flag, "-"],
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(&format!("\n{start}")), "{flag} -: {}", text(&out));
        assert!(!dir.path().join("-").exists(), "{flag} - made a file named '-'");
    }
}

/// The failures of the only cell of a report: (name.arch, capability, change).
fn findings(r: &MatrixReport) -> Vec<(String, String, Option<Change>)> {
    let mut v: Vec<_> = r.cells[0]
        .failures
        .iter()
        .flat_map(|f| {
            f.findings.iter().map(move |x| {
                (
                    format!("{}.{}", f.package.name, f.package.arch),
                    x.key.clone(),
                    x.baseline,
                )
            })
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn a_package_that_already_failed_and_misses_a_new_capability_is_new() {
    // As python2-tinyrpc when python2-gevent left Ocata: gate-tinyrpc
    // already misses gate-missing-a; removing gate-gevent adds a failure.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let only = "pkg = [\"gate-tinyrpc\"]";
    let before = gate_matrix(d, "before.toml", "before", "before", only, "");
    let b = d.join("b.json").display().to_string();
    let out = run_in(d, &["run", &before, "--json", &b]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    // The rebuild alone (new EVR, bumped version in the missing dep): same failures.
    let rebuilt = gate_matrix(d, "rebuilt.toml", "before", "after", only, "");
    let out = run_in(d, &["run", &rebuilt, "--baseline", &b]);
    assert_eq!(out.status.code(), Some(0), "a rebuild is not new: {}", text(&out));

    // The removal: gate-tinyrpc now also misses gate-gevent: new, exit 1.
    let after = gate_matrix(d, "after.toml", "after", "after", only, "");
    let a = d.join("a.json");
    let out = run_in(
        d,
        &["run", &after, "--baseline", &b, "--json", &a.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(1), "new capability must gate: {}", text(&out));
    let r = read_report(&a);
    assert_eq!(
        findings(&r),
        [
            ("gate-tinyrpc.i686".into(), "gate-gevent".into(), Some(Change::New)),
            ("gate-tinyrpc.i686".into(), "gate-missing-a".into(), Some(Change::Still)),
            ("gate-tinyrpc.x86_64".into(), "gate-gevent".into(), Some(Change::New)),
            (
                "gate-tinyrpc.x86_64".into(),
                "gate-missing-a".into(),
                Some(Change::Still)
            ),
        ]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("gate-gevent >= 1.0 (new)"), "{stdout}");

    // And back: the removal undone is fixed, nothing new.
    let out = run_in(
        d,
        &["run", &rebuilt, "--baseline", &a.display().to_string(), "--json", &b],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let fixed: Vec<(String, Vec<String>)> = read_report(Path::new(&b)).cells[0]
        .fixed
        .iter()
        .map(|f| (f.nevra.clone(), f.unresolved.clone()))
        .collect();
    assert!(
        fixed.contains(&("gate-tinyrpc-1.0-2.i686".into(), vec!["gate-gevent >= 1.0".into()])),
        "{fixed:?}"
    );
}

#[test]
fn waivers_scoped_by_dep_and_stale_waivers_reported() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let only = "pkg = [\"gate-py-*\", \"gate-client\"]";
    let scoped = "[[waivers]]\npackage = \"gate-py-*\"\ndep = \"gate-missing-*\"\nreason = \"py-one and py-two\"\n\
                  [[waivers]]\npackage = \"gate-client\"\nreason = \"fixed long ago\"\n";
    // Before the removal the scoped waiver covers gate-py-one and -two.
    let before = gate_matrix(d, "before.toml", "before", "before", only, scoped);
    let j = d.join("r.json");
    let out = run_in(d, &["run", &before, "--json", &j.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let r = read_report(&j);
    let waived: Vec<(usize, bool)> = r.waivers.iter().map(|w| (w.waived, w.stale)).collect();
    assert_eq!(waived, [(2, false), (0, true)], "gate-client's waiver waived nothing");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("stale waiver") && stdout.contains("gate-client"),
        "{stdout}"
    );

    // After the removal gate-py-three fails on gate-gevent-core: not what
    // the waiver was written for, so it fails the run.
    let after = gate_matrix(d, "after.toml", "after", "before", only, scoped);
    let s = d.join("s.md");
    let out = run_in(d, &["run", &after, "--summary", &s.display().to_string()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("gate-py-three-1.0-1.noarch") && !stdout.contains("gate-py-one"),
        "{stdout}"
    );
    let summary = std::fs::read_to_string(&s).unwrap_or_default();
    assert!(summary.contains("### Stale waivers"), "{summary}");

    // A waiver without dep still waives the whole package (documented).
    let unscoped = "[[waivers]]\npackage = \"gate-py-*\"\nreason = \"all of them\"\n";
    let after = gate_matrix(d, "after2.toml", "after", "before", only, unscoped);
    let out = run_in(d, &["run", &after]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // An empty or bad dep glob is a matrix error naming the line.
    let bad = gate_matrix(
        d,
        "bad.toml",
        "before",
        "before",
        "",
        "[[waivers]]\npackage = \"x\"\ndep = \"a[\"\nreason = \"r\"\n",
    );
    let out = run_in(d, &["run", &bad]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.toml:12:7: waiver dep"),
        "{}",
        text(&out)
    );
}

#[test]
fn arch_typos_empty_cells_and_empty_matrices_are_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let base = format!("base={}", fixture("base"));
    let out = run_in(d, &["closure", "--repo", &base, "--basearch", "x86-64"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown basearch 'x86-64'") && err.contains("x86_64, amd64"),
        "{err}"
    );
    let out = run_in(d, &["closure", "--repo", &base, "--arch", "x86-64"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown package arch 'x86-64'"));

    for (extra, want) in [
        ("basearch = \"x86-64\"", "unknown basearch 'x86-64'"),
        ("arch = [\"x86-64\"]", "unknown package arch 'x86-64'"),
    ] {
        let m = gate_matrix(d, "m.toml", "before", "before", extra, "");
        let out = run_in(d, &["run", &m]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("m.toml:") && err.contains(want), "{err}");
    }

    // A known arch the repos have no package of: the cell checks nothing.
    let m = gate_matrix(d, "m.toml", "before", "before", "arch = [\"ppc64le\"]", "");
    let j = d.join("r.json").display().to_string();
    let x = d.join("j.xml").display().to_string();
    let out = run_in(d, &["run", &m, "--json", &j, "--junit", &x]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let r = read_report(Path::new(&j));
    let err = r.cells[0].error.clone().unwrap_or_default();
    assert!(err.contains("checks no package"), "{err}");

    // A matrix without cells.
    let m = write(
        d,
        "empty.toml",
        &format!("[repos.base]\npath = \"{}\"\n", fixture("base")),
    );
    let out = run_in(d, &["run", &m.display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no [[cells]]"),
        "{}",
        text(&out)
    );
}

/// Each testsuite's testcases as read by junitparser: `NAME<TAB>RESULT<TAB>MESSAGE`.
fn junitparser_cases(xml: &Path) -> String {
    let script = r#"
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
for s in JUnitXml.fromfile(sys.argv[1]):
    for c in s:
        kind, msg = "pass", ""
        for r in c.result:
            kind = {Failure: "failure", Error: "error", Skipped: "skipped"}.get(type(r), "?")
            msg = r.message or ""
        print(f"{s.name}\t{c.name}\t{kind}\t{msg}")
"#;
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(xml)
        .output()
        .unwrap_or_else(|e| panic!("/usr/bin/python3 is needed (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "junitparser must read the file (.ci/run installs python3-junitparser): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn junit_has_one_testcase_per_failure_identity_and_agrees_with_the_exit_code() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let before = gate_matrix(d, "before.toml", "before", "before", "", "");
    let b = d.join("b.json").display().to_string();
    let out = run_in(d, &["run", &before, "--json", &b]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let after = gate_matrix(d, "after.toml", "after", "after", "", "");
    let x = d.join("j.xml");
    let out = run_in(
        d,
        &["run", &after, "--baseline", &b, "--junit", &x.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let cases = junitparser_cases(&x);
    let rows: Vec<Vec<&str>> = cases.lines().map(|l| l.split('\t').collect()).collect();
    let names: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    let mut unique = names.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "testcase names repeat:\n{cases}");
    let kind = |name: &str| {
        rows.iter()
            .find(|r| r[1] == name)
            .map(|r| (r[2], r[3]))
            .unwrap_or_else(|| panic!("no testcase {name}:\n{cases}"))
    };
    // New failures are <failure>s; still failing ones are <skipped> saying why.
    assert_eq!(kind("gate-tinyrpc.x86_64: gate-gevent").0, "failure");
    assert_eq!(kind("gate-tinyrpc.i686: gate-gevent").0, "failure");
    assert_eq!(kind("gate-py-three.noarch: gate-gevent-core").0, "failure");
    let (k, msg) = kind("gate-tinyrpc.x86_64: gate-missing-a");
    assert_eq!(k, "skipped");
    assert!(msg.contains("still failing") && msg.contains(&b), "{msg}");
    assert_eq!(kind("gate-client.noarch").0, "pass");
    let failures = rows.iter().filter(|r| r[2] == "failure").count();
    assert_eq!(failures, 3, "{cases}");

    // With --fail-on any, still failing is a <failure> too (exit 1 for it).
    let out = run_in(
        d,
        &[
            "run",
            &after,
            "--baseline",
            &b,
            "--fail-on",
            "any",
            "--junit",
            &x.display().to_string(),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let cases = junitparser_cases(&x);
    assert!(
        cases.contains("gate-tinyrpc.x86_64: gate-missing-a\tfailure"),
        "{cases}"
    );

    // Only still failing: the exit code is 0 and nothing is a <failure>.
    let out = run_in(
        d,
        &["run", &before, "--baseline", &b, "--junit", &x.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let cases = junitparser_cases(&x);
    assert!(!cases.contains("\tfailure\t"), "{cases}");
}

/// Copies fixtures/repos/NAME to `dest`: without its filelists file
/// (`absent`), or with repomd.xml's filelists entry removed (`no_entry`).
fn copy_without_filelists(name: &str, dest: &Path, no_entry: bool) {
    let from = root().join("fixtures/repos").join(name).join("repodata");
    let to = dest.join("repodata");
    std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(&from).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.contains("filelists") {
            continue;
        }
        std::fs::copy(entry.path(), to.join(&file)).unwrap_or_else(|e| panic!("{e}"));
    }
    if no_entry {
        let p = to.join("repomd.xml");
        let repomd = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{e}"));
        let start = repomd
            .find("<data type=\"filelists\">")
            .unwrap_or_else(|| panic!("no filelists entry"));
        let len = repomd[start..].find("</data>").unwrap_or_else(|| panic!("unclosed")) + "</data>".len();
        std::fs::write(&p, format!("{}{}", &repomd[..start], &repomd[start + len..])).unwrap_or_else(|e| panic!("{e}"));
    }
}

/// (NEVRA, dep) pairs of dnf repoclosure's or rpmatrix's text output.
fn closure_pairs(stdout: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut package = String::new();
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("package: ") {
            package = rest.split(" from ").next().unwrap_or_default().to_owned();
        } else if let Some(dep) = line.strip_prefix("    ") {
            pairs.push((package.clone(), dep.trim().to_owned()));
        }
    }
    pairs.sort();
    pairs
}

#[test]
fn repos_dnf_cannot_load_are_errors_and_a_repo_without_filelists_follows_dnf() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let absent = d.join("absent");
    let no_entry = d.join("noentry");
    copy_without_filelists("files", &absent, false);
    copy_without_filelists("files", &no_entry, true);

    // repomd.xml names an absent filelists file: dnf refuses the repo.
    let repo = format!("files={}", absent.display());
    let out = run_in(d, &["closure", "--repo", &repo]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("repo 'files'") && err.contains("-filelists.xml.gz: named by repomd.xml but absent"),
        "{err}"
    );
    let allowed = run_in(d, &["closure", "--repo", &repo, "--allow-missing-filelists"]);
    assert_eq!(allowed.status.code(), Some(1), "{}", text(&allowed));

    // No filelists entry: valid rpm-md; file deps from primary's files, as dnf.
    let repo = format!("files={}", no_entry.display());
    let ours = run_in(d, &["closure", "--repo", &repo]);
    assert_eq!(ours.status.code(), Some(1), "{}", text(&ours));
    let root_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dnf = Command::new("dnf")
        .args(["repoclosure", "-q", "--repofrompath"])
        .arg(format!("files,{}", no_entry.display()))
        .args(["--repo", "files", "--setopt=reposdir=/dev/null", "--installroot"])
        .arg(root_dir.path())
        .args(["--releasever=9", "--forcearch=x86_64"])
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("dnf is needed (.ci/run installs dnf, dnf-plugins-core): {e}"));
    let dnf_out = String::from_utf8_lossy(&dnf.stdout);
    assert_eq!(dnf.status.code(), Some(1), "dnf: {}", text(&dnf));
    let want = closure_pairs(&dnf_out);
    assert!(!want.is_empty(), "{dnf_out}");
    assert_eq!(closure_pairs(&String::from_utf8_lossy(&ours.stdout)), want);
    assert_eq!(closure_pairs(&String::from_utf8_lossy(&allowed.stdout)), want);
}

#[test]
fn results_read_the_same_every_night() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    let demo = root().join("matrices/demo.toml").display().to_string();
    let whole = d.join("whole.json").display().to_string();
    let out = run_in(d, &["run", &demo, "--today", "2025-06-01", "--json", &whole]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The table lists cells in matrix order, not completion order.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = stdout
        .lines()
        .skip(1)
        .take(6)
        .map(|l| l.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(
        rows,
        ["app-on-base", "app-old", "rich-x86_64", "rich-aarch64", "sem", "files"],
        "{stdout}"
    );

    // With --cell, the baseline is compared for the selected cells only.
    let out = run_in(
        d,
        &[
            "run",
            &demo,
            "--today",
            "2025-06-01",
            "--cell",
            "files",
            "--baseline",
            &whole,
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("-app-on-base") && !stdout.contains("-sem:"),
        "{stdout}"
    );

    // A repository that does not load is reported once, naming its cells.
    let m = write(
        d,
        "broken.toml",
        "[repos.gone]\npath = \"/nonexistent/repo\"\n\
         [[cells]]\nname = \"one\"\ncheck = [\"gone\"]\n[[cells]]\nname = \"two\"\ncheck = [\"gone\"]\n",
    );
    let out = run_in(d, &["run", &m.display().to_string()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("/nonexistent/repo").count(), 1, "{stdout}");
    assert!(stdout.contains("[one, two] ERROR: repo 'gone'"), "{stdout}");
    assert!(!stdout.contains("cannot be loaded: repo 'gone'"), "{stdout}");
}

#[test]
fn diff_takes_one_lookaside_per_flag_and_no_filelists() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (base, app) = (fixture("base"), fixture("app"));
    let out = run_in(
        dir.path(),
        &["diff", "--lookaside", &base, &base, &app, "--format", "json"],
    );
    assert_ne!(out.status.code(), Some(2), "{}", text(&out));
    let files = fixture("files");
    let out = run_in(
        dir.path(),
        &["diff", "--no-filelists", &files, &files, "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn one_policy_violation_is_singular() {
    let drift = root().join("fixtures/drift");
    let ours = format!("ours={}", drift.join("ours").display());
    let fedora = format!("fedora={}", drift.join("fedora").display());
    let policy = drift.join("policy.toml").display().to_string();
    let out = run_in(
        &root(),
        &[
            "drift",
            "--ours",
            &ours,
            "--theirs",
            &fedora,
            "--policy",
            &policy,
            "--only",
            "epoch-pkg",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\n1 policy violation\n"), "{stdout}");
}

/// Output volume: a cell with many failures is grouped by problem in the
/// terminal (new failures are still listed one by one), `--quiet` prints no
/// package, `--verbose` every one; the Markdown groups by problem and folds.
#[test]
fn big_cells_are_grouped_by_problem_and_quiet_and_verbose_work() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<String> = (0..45).map(|i| format!("pkg{i:02}")).collect();
    let packages: Vec<(&str, &[&str])> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), if i < 40 { &["missing-a"][..] } else { &["missing-b"][..] }))
        .collect();
    common::tiny_repo(&dir.path().join("big"), &packages);
    write(
        dir.path(),
        "m.toml",
        "[repos.big]\npath = \"big\"\n[[cells]]\nname = \"big\"\ncheck = [\"big\"]\n",
    );
    let out = run_in(dir.path(), &["run", "m.toml", "--summary", "s.md", "--json", "r.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("45 packages failing, by problem"), "{stdout}");
    assert!(stdout.contains("   40 × missing-a\n"), "{stdout}");
    assert!(stdout.contains("    5 × missing-b\n"), "{stdout}");
    assert!(stdout.contains("+34 more"), "{stdout}");
    assert!(!stdout.contains("package: pkg00"), "{stdout}");
    assert!(stdout.lines().count() < 20, "{stdout}");
    let md = std::fs::read_to_string(dir.path().join("s.md")).unwrap_or_default();
    assert!(md.contains("### Failing packages by problem (2 problems)"), "{md}");
    assert!(md.contains("| `missing-a` | 40 | big |"), "{md}");
    assert!(md.contains("### Failures (45)"), "{md}");

    let quiet = run_in(dir.path(), &["run", "m.toml", "--quiet"]);
    assert_eq!(quiet.status.code(), Some(1), "{}", text(&quiet));
    let q = String::from_utf8_lossy(&quiet.stdout);
    assert!(!q.contains("missing-a") && q.contains("1 cells: 0 pass, 1 fail"), "{q}");

    let verbose = run_in(dir.path(), &["run", "m.toml", "--verbose"]);
    let v = String::from_utf8_lossy(&verbose.stdout);
    assert_eq!(v.matches("\npackage: pkg").count(), 45, "{v}");

    // With a baseline that lacks two of them, those two are listed in full, the rest grouped.
    let mut base = read_report(&dir.path().join("r.json"));
    base.cells[0]
        .failures
        .retain(|f| f.package.name != "pkg00" && f.package.name != "pkg41");
    let json = serde_json::to_string(&base).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("base.json"), json).unwrap_or_else(|e| panic!("{e}"));
    let out = run_in(
        dir.path(),
        &["run", "m.toml", "--baseline", "base.json", "--summary", "s2.md"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let md = std::fs::read_to_string(dir.path().join("s2.md")).unwrap_or_default();
    assert!(md.contains("### Still failing (43)"), "{md}");
    assert!(
        md.contains("<details><summary>33 more</summary>") && md.contains("</details>"),
        "{md}"
    );
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("package: pkg00-1-1.noarch from big (new)"), "{s}");
    assert!(s.contains("package: pkg41-1-1.noarch from big (new)"), "{s}");
    assert!(
        s.contains("43 packages still failing (in the baseline too), by problem"),
        "{s}"
    );
}

/// `merge --matrix`: a cell of the matrix without a result is an error (its
/// CI job never reported), a result of another matrix is refused, cells are
/// in matrix order.
#[test]
fn merge_with_the_matrix_reports_missing_cells_and_refuses_other_matrices() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repos = format!(
        "[repos.base]\npath = \"{}\"\n[repos.app]\npath = \"{}\"\n",
        fixture("gate-base-before"),
        fixture("gate-app-before")
    );
    let cells = |names: &[&str]| -> String {
        names
            .iter()
            .map(|n| format!("[[cells]]\nname = \"{n}\"\ncheck = [\"app\"]\nlookaside = [\"base\"]\n"))
            .collect()
    };
    write(
        dir.path(),
        "m.toml",
        &format!("{repos}{}", cells(&["zeta", "alpha", "mid"])),
    );
    write(dir.path(), "other.toml", &format!("{repos}{}", cells(&["elsewhere"])));
    for (m, cell) in [("m.toml", "zeta"), ("m.toml", "alpha"), ("other.toml", "elsewhere")] {
        let out = run_in(
            dir.path(),
            &["run", m, "--cell", cell, "--json", &format!("{cell}.json")],
        );
        assert!(out.status.code().is_some_and(|c| c < 2), "{}", text(&out));
    }
    let out = run_in(
        dir.path(),
        &[
            "merge",
            "zeta.json",
            "alpha.json",
            "--matrix",
            "m.toml",
            "--json",
            "merged.json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let merged = read_report(&dir.path().join("merged.json"));
    let order: Vec<&str> = merged.cells.iter().map(|c| c.cell.name.as_str()).collect();
    assert_eq!(order, ["zeta", "alpha", "mid"], "matrix order");
    let mid = &merged.cells[2];
    assert_eq!(mid.status, rpmatrix::matrix::Status::Error);
    assert!(mid.error.as_deref().unwrap_or("").contains("no result for this cell"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[mid] ERROR: no result for this cell"));

    let out = run_in(dir.path(), &["merge", "zeta.json", "elsewhere.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("elsewhere.json is a result of matrix"),
        "{}",
        text(&out)
    );
    let out = run_in(dir.path(), &["merge", "elsewhere.json", "--matrix", "m.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cell 'elsewhere' is not in m.toml"),
        "{}",
        text(&out)
    );
}
