//! Matrix runs: parsing errors with their line, every shipped matrix
//! resolving, the demo run (exit code, JUnit counts checked by independent
//! readers), shared-pool cells agreeing with separate closures, baselines,
//! merge, cells and diff.

use std::path::Path;

use rpmatrix::closure::ClosureOptions;
use rpmatrix::engine;
use rpmatrix::fetch::RepoSpec;
use rpmatrix::matrix::{MatrixReport, Plan};

mod common;

use common::{JunitReader, junit_suite_counts, matrix_parse_error, read_junit, root, rpmatrix, run_bad_matrix, write};

const REPOS: &str = "[repos.base]\npath = \"FIX/base\"\n[repos.app]\npath = \"FIX/app\"\n";

fn repos() -> String {
    REPOS.replace("FIX", &root().join("fixtures/repos").display().to_string())
}

#[test]
fn parse_errors_name_file_and_line() {
    let r = repos();
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{r}[[cells]]\nname = \"a\"\ncheck = [\"app\"]\nchek = 1\n"),
            "DIR/m.toml:8:",
            "unknown field `chek`",
        ),
        (
            format!("{r}[[cells]]\nname = \"a\"\ncheck = [\"app\"]\nlookaside = [\"nope\"]\n"),
            "DIR/m.toml:8:",
            "undefined repo 'nope'",
        ),
        (
            format!("{r}[[cells]]\nname = \"a\"\ncheck = [\"app\"]\n[[cells]]\nname = \"a\"\ncheck = [\"base\"]\n"),
            "DIR/m.toml:9:",
            "duplicate cell name 'a' (first defined at line 6)",
        ),
        (
            format!("{r}[[cells]]\nname = \"a\"\ncheck = [\"app\"]\n[[waivers]]\npackage = \"x\"\n"),
            "DIR/m.toml:8:",
            "missing field `reason`",
        ),
        (
            format!("{r}[[cells]]\nname = \"a\"\ncheck = [\"app\"]\n[[waivers]]\npackage = \"x\"\nreason = \" \"\n"),
            "DIR/m.toml:10:",
            "reason is empty",
        ),
        (
            "[repos.x]\npath = \"a\"\nurl = \"http://b\"\n".to_owned(),
            "DIR/m.toml:1:",
            "give only one of path, url, metalink, mirrorlist",
        ),
        (
            format!("{r}[[cells]]\nname = \"a-{{arch}}\"\ncheck = [\"app\"]\n"),
            "DIR/m.toml:6:",
            "{arch} is not an axis",
        ),
        (
            format!(
                "{r}[axes]\narch = [\"x86_64\"]\n[[cells]]\nname = \"a\"\ncheck = [\"app\"]\nbasearch = \"{{arch}}\"\n"
            ),
            "DIR/m.toml:7:",
            "put {arch} in the name",
        ),
        (
            format!(
                "{r}[[cells]]\nname = \"a\"\ncheck = [\"app\"]\n[[waivers]]\npackage = \"x\"\nreason = \"r\"\nexpires = \"soon\"\n"
            ),
            "DIR/m.toml:11:",
            "invalid type",
        ),
        (
            format!(
                "{r}[[cells]]\nname = \"a\"\ncheck = [\"app\"]\n[[waivers]]\npackage = \"x\"\nreason = \"r\"\ncell = \"zz\"\n"
            ),
            "DIR/m.toml:11:",
            "matches no cell",
        ),
    ];
    for (text, at, what) in cases {
        let e = matrix_parse_error(&text);
        assert!(e.starts_with(at), "expected {at}… got {e}\n{text}");
        assert!(e.contains(what), "expected {what:?} in {e}");
    }
    // The CLI exits 2 with the same message.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let err = run_bad_matrix(
        dir.path(),
        "bad.toml",
        &format!("{r}[[cells]]\nname = \"a\"\ncheck = [\"nope\"]\n"),
    );
    assert!(
        err.contains("bad.toml:7:") && err.contains("undefined repo 'nope'"),
        "{err}"
    );
}

#[test]
fn shipped_matrices_resolve() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("matrices")).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        n += 1;
        let plan = Plan::from_path(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!plan.cells.is_empty(), "{}", path.display());
        for c in &plan.cells {
            for r in c.repos() {
                let spec = plan.repos.iter().find(|s| s.name == r);
                assert!(spec.is_some(), "{}: cell {} repo {r}", path.display(), c.name);
                assert!(!spec.is_some_and(|s| s.location.contains('{')), "unexpanded {r}");
            }
        }
    }
    assert!(n >= 3);
    let cs9 = Plan::from_path(&root().join("matrices/rdo-cs9.toml")).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = cs9.cells.iter().map(|c| c.name.as_str()).collect();
    assert!(names.contains(&"epoxy-testing-aarch64") && names.contains(&"epoxy-release-x86_64"));
    let t = cs9.cells.iter().find(|c| c.name == "epoxy-testing-aarch64");
    assert_eq!(t.map(|c| c.basearch.as_str()), Some("aarch64"));
}

/// Each testsuite's tests, failures, errors and skipped as `reader` counts
/// them, one `NAME T F E K` line each.
fn suite_lines(xml: &Path, reader: JunitReader) -> String {
    junit_suite_counts(xml, reader)
        .into_iter()
        .map(|(name, (t, f, e, k))| format!("{name} {t} {f} {e} {k}\n"))
        .collect()
}

#[test]
fn demo_run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (out, reports) = common::run_demo(dir.path());
    let (junit, json, md) = (reports.junit, reports.json, reports.summary);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("6 cells: 1 pass, 3 fail, 2 waived, 0 error"),
        "{stdout}"
    );
    assert!(
        stdout.contains("drift drift-ours vs fedora, f39: 16 source packages; behind: 6, "),
        "{stdout}"
    );

    let (xml, report) = read_junit(&junit);
    // 90 closure cases (one per failure identity NAME.ARCH: CAPABILITY, 19
    // failing; one per passing NAME.ARCH) + the [drift] suites: 16 + 15
    // cases, 3 violations.
    assert_eq!((report.tests, report.failures, report.errors), (121, 22, 0));
    let suite = |n: &str| report.test_suites.iter().find(|s| s.name.as_str() == n);
    let app = suite("app-on-base").unwrap_or_else(|| panic!("no app-on-base suite"));
    assert_eq!((app.tests, app.failures, app.skipped), (5, 2, 1));
    assert!(xml.contains("classname=\"repoclosure.app-on-base\""));
    assert!(
        xml.contains("<testcase name=\"dup.noarch: dup-missing\""),
        "name, arch and capability, never versions"
    );
    assert!(xml.contains("waived: dup-missing is dropped"));
    assert!(xml.contains("name=\"repo.app.repomd_sha256\""));
    let expected = "app-on-base 5 2 0 1\napp-old 1 0 0 0\nrich-x86_64 32 0 0 26\nrich-aarch64 32 0 0 26\nsem 16 14 0 0\nfiles 4 3 0 0\ndrift drift-ours vs fedora 16 3 0 1\ndrift drift-ours vs f39 15 0 0 1\n";
    assert_eq!(suite_lines(&junit, JunitReader::ElementTree), expected);
    assert_eq!(suite_lines(&junit, JunitReader::Junitparser), expected);

    let summary = std::fs::read_to_string(&md).unwrap_or_default();
    assert!(summary.contains("| app-old | ✅ pass |"), "{summary}");
    assert!(summary.contains("### Expired waivers (1)"), "{summary}");
    assert!(summary.contains("### Waived (9)"), "{summary}");

    // Same results with the waiver still valid: files is then waived, not failing.
    let out = rpmatrix()
        .args(["run", "matrices/demo.toml", "--today", "2023-12-31", "--cell", "files"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));

    // The JSON is a baseline: the same run against it exits 0 (nothing new) ...
    let out = rpmatrix()
        .args(["run", "matrices/demo.toml", "--today", "2025-06-01", "--baseline"])
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // ... and 1 with --fail-on any.
    let out = rpmatrix()
        .args([
            "run",
            "matrices/demo.toml",
            "--today",
            "2025-06-01",
            "--fail-on",
            "any",
            "--baseline",
        ])
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn merge_of_fanned_out_cells_equals_the_whole_run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = rpmatrix()
        .args(["cells", "matrices/demo.toml", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let cells: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cells.len(), 6);
    let mut parts = Vec::new();
    for c in &cells {
        let name = c["name"].as_str().unwrap_or_default();
        let p = dir.path().join(format!("{name}.json"));
        rpmatrix()
            .args([
                "run",
                "matrices/demo.toml",
                "--today",
                "2025-06-01",
                "--cell",
                name,
                "--json",
            ])
            .arg(&p)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        parts.push(p);
    }
    let whole = dir.path().join("whole.json");
    rpmatrix()
        .args(["run", "matrices/demo.toml", "--today", "2025-06-01", "--json"])
        .arg(&whole)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let merged_junit = dir.path().join("m.xml");
    let out = rpmatrix()
        .arg("merge")
        .args(&parts)
        .arg("--junit")
        .arg(&merged_junit)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let (_, r) = read_junit(&merged_junit);
    assert_eq!((r.tests, r.failures, r.errors, r.test_suites.len()), (90, 19, 0, 6));
    let read = |p: &Path| {
        MatrixReport::from_json(&std::fs::read_to_string(p).unwrap_or_default(), "x").unwrap_or_else(|e| panic!("{e}"))
    };
    let whole = read(&whole);
    for c in &whole.cells {
        let part = read(&dir.path().join(format!("{}.json", c.cell.name)));
        assert_eq!(part.cells.len(), 1);
        assert_eq!(part.cells[0].failures, c.failures, "{}", c.cell.name);
        assert_eq!(part.cells[0].packages, c.packages, "{}", c.cell.name);
    }
}

#[test]
fn shared_pool_cells_equal_separate_closures() {
    // providers_from: app checked against base in a pool that also holds sem and rich
    // gives what a pool of just base + app gives.
    let fx = root().join("fixtures/repos");
    let spec = |n: &str| RepoSpec::new(n, &fx.join(n).display().to_string());
    let mut alone =
        engine::load(&[spec("base"), spec("app")], &engine::Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut shared = engine::load(
        &[spec("sem"), spec("base"), spec("rich"), spec("app"), spec("files")],
        &engine::Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for (check, from) in [
        (vec!["app"], vec!["app", "base"]),
        (vec!["app"], vec!["app"]),
        (vec!["base"], vec!["base"]),
    ] {
        let opts = |from: Vec<&str>| ClosureOptions {
            check: check.iter().map(|s| s.to_string()).collect(),
            basearch: "x86_64".into(),
            providers_from: from.iter().map(|s| s.to_string()).collect(),
            ..ClosureOptions::default()
        };
        let (a, _) = alone.closure(&opts(from.clone())).unwrap_or_else(|e| panic!("{e}"));
        let (b, _) = shared.closure(&opts(from.clone())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.problems, b.problems, "{check:?} {from:?}");
        assert_eq!(a.checked, b.checked);
    }
    // Against the golden: app alone (nothing else enabled) = fixtures/golden/app-alone.out.
    let opts = ClosureOptions {
        check: vec!["app".into()],
        basearch: "x86_64".into(),
        providers_from: vec!["app".into()],
        ..ClosureOptions::default()
    };
    let (r, _) = shared.closure(&opts).unwrap_or_else(|e| panic!("{e}"));
    let golden = std::fs::read_to_string(root().join("fixtures/golden/app-alone.out")).unwrap_or_default();
    assert_eq!(rpmatrix::report::closure_text(&r), golden);
    // An unknown repo in providers_from is an error.
    let bad = ClosureOptions {
        providers_from: vec!["nope".into()],
        ..ClosureOptions::default()
    };
    assert!(shared.closure(&bad).is_err());
}

#[test]
fn unloadable_repo_is_an_error_of_its_cells_only() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let m = format!(
        "{}[repos.gone]\npath = \"{}\"\n[[cells]]\nname = \"ok\"\ncheck = [\"app\"]\nlookaside = [\"base\"]\npkg = [\"app-old\"]\n[[cells]]\nname = \"broken.cell\"\ncheck = [\"gone\"]\n",
        repos(),
        dir.path().join("nothing-here").display()
    );
    let p = write(dir.path(), "m.toml", &m);
    let junit = dir.path().join("j.xml");
    let out = rpmatrix()
        .arg("run")
        .arg(&p)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    let (xml, r) = read_junit(&junit);
    assert_eq!((r.tests, r.failures, r.errors), (2, 0, 1));
    assert!(xml.contains("classname=\"repoclosure.broken_cell\""), "{xml}");
    assert!(xml.contains("repo &apos;gone&apos;: unusable location"), "{xml}");
    assert_eq!(
        suite_lines(&junit, JunitReader::ElementTree),
        "ok 1 0 0 0\nbroken.cell 1 0 1 0\n"
    );
}

#[test]
fn closure_reads_filelists_only_of_enabled_repos() {
    // One pool of files, base and app; a closure over `files` alone reads
    // the filelists of `files` and of nothing else, then one over everything
    // reads the others' for the same paths.
    let fx = root().join("fixtures/repos");
    let spec = |n: &str| RepoSpec::new(n, &fx.join(n).display().to_string());
    let mut loaded = engine::load(&[spec("base"), spec("files"), spec("app")], &engine::Options::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let opts = |from: &[&str]| ClosureOptions {
        check: vec!["files".into()],
        basearch: "x86_64".into(),
        providers_from: from.iter().map(|s| s.to_string()).collect(),
        ..ClosureOptions::default()
    };
    let flags = |l: &engine::Loaded| -> Vec<bool> { l.loaded_repos().iter().map(|r| r.filelists_loaded).collect() };
    let (alone, _) = loaded.closure(&opts(&["files"])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flags(&loaded), [false, true, false]);
    let (all, _) = loaded.closure(&opts(&[])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flags(&loaded), [true, true, true]);
    assert_eq!(alone.problems, all.problems);
    assert_eq!(alone.problems.len(), 1);
}

/// Copies a fixture repository to `dest`, leaving out its filelists file
/// (repomd.xml still names it) when `drop_filelists`.
fn copy_repo(name: &str, dest: &Path, drop_filelists: bool) {
    let from = root().join("fixtures/repos").join(name).join("repodata");
    let to = dest.join("repodata");
    std::fs::create_dir_all(&to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(&from).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        let file = entry.file_name();
        if drop_filelists && file.to_string_lossy().contains("filelists") {
            continue;
        }
        std::fs::copy(entry.path(), to.join(&file)).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn filelists_are_read_only_for_repos_that_provide_in_the_asking_cells() {
    // `files` has file requires only filelists answer. Cell `files-ok` reads
    // the filelists of `files` only; `files-nofl` also has the lookaside
    // `nofl`, whose filelists file is absent: that is an error of
    // `files-nofl` alone. Cell `base` asks for no filelists at all.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    copy_repo("files", &dir.path().join("files"), false);
    copy_repo("base", &dir.path().join("nofl"), true);
    let m = format!(
        "{}[repos.files]\npath = \"files\"\n[repos.nofl]\npath = \"nofl\"\n\
         [[cells]]\nname = \"files-ok\"\ncheck = [\"files\"]\n\
         [[cells]]\nname = \"files-nofl\"\ncheck = [\"files\"]\nlookaside = [\"nofl\"]\n\
         [[cells]]\nname = \"base\"\ncheck = [\"base\"]\n",
        repos()
    );
    let p = write(dir.path(), "m.toml", &m);
    let json = dir.path().join("r.json");
    let out = rpmatrix()
        .arg("run")
        .arg(&p)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{e}"));
    let r = MatrixReport::from_json(&text, "r.json").unwrap_or_else(|e| panic!("{e}"));
    let cell = |name: &str| {
        r.cells
            .iter()
            .find(|c| c.cell.name == name)
            .unwrap_or_else(|| panic!("no cell {name}"))
    };

    // files-ok: what `closure --repo files=...` says (fixtures/golden/files.out).
    let ok = cell("files-ok");
    assert_eq!(ok.error, None);
    assert_eq!(ok.failures.len(), 1);
    assert_eq!(
        ok.failures[0].package.unresolved,
        ["/usr/bin/nonexistent", "/usr/share", "/usr/share/fdata/missing.txt"]
    );
    assert_eq!(cell("base").error, None);

    // files-nofl: its lookaside names an absent filelists file, which dnf
    // refuses: the cell's error names the repo and the file.
    let err = cell("files-nofl").error.clone().unwrap_or_default();
    assert!(
        err.contains("repo 'nofl'") && err.contains("filelists.xml.gz: named by repomd.xml but absent"),
        "{err}"
    );

    // Only the repositories of cells that asked, and only those that loaded.
    let flags: Vec<(&str, bool)> = r
        .repos
        .iter()
        .map(|x| (x.repo.name.as_str(), x.repo.filelists_loaded))
        .collect();
    for (name, want) in [("base", false), ("files", true), ("nofl", false)] {
        assert!(flags.contains(&(name, want)), "{name}: {flags:?}");
    }
}

#[test]
fn baseline_flags_only_new_breakage() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cell = "[[cells]]\nname = \"app\"\ncheck = [\"app\"]\nlookaside = [\"base\"]\n";
    let before = write(dir.path(), "before.toml", &format!("{}{cell}", repos()));
    // base without libbase: an untagged build.
    let after_text =
        format!("{}{cell}", repos()).replacen("[repos.app]", "excludepkgs = [\"libbase\"]\n[repos.app]", 1);
    let after = write(dir.path(), "after.toml", &after_text);
    let json = dir.path().join("b.json");
    let out = rpmatrix()
        .arg("run")
        .arg(&before)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let same = rpmatrix()
        .arg("run")
        .arg(&before)
        .arg("--baseline")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stdout));
    let md = dir.path().join("s.md");
    let changed = rpmatrix()
        .arg("run")
        .arg(&after)
        .arg("--baseline")
        .arg(&json)
        .arg("--summary")
        .arg(&md)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&changed.stdout);
    let summary = std::fs::read_to_string(&md).unwrap_or_default();
    // Whatever newly breaks is named as new, in the table, the diff and the summary.
    let b = MatrixReport::from_json(&std::fs::read_to_string(&json).unwrap_or_default(), "b")
        .unwrap_or_else(|e| panic!("{e}"));
    // A failure is (name, arch, capability): a package that already failed
    // and now also misses something else is new too.
    let old: Vec<(String, String, String)> = b.cells[0]
        .failures
        .iter()
        .flat_map(|f| {
            f.findings
                .iter()
                .map(|x| (f.package.name.clone(), f.package.arch.clone(), x.key.clone()))
        })
        .collect();
    let fx = root().join("fixtures/repos");
    let mut base = RepoSpec::new("base", &fx.join("base").display().to_string());
    base.filter.exclude = vec!["libbase".into()];
    let mut l = engine::load(
        &[base, RepoSpec::new("app", &fx.join("app").display().to_string())],
        &engine::Options::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (r, _) = l
        .closure(&ClosureOptions {
            check: vec!["app".into()],
            basearch: "x86_64".into(),
            ..ClosureOptions::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let new: Vec<&str> = r
        .problems
        .iter()
        .filter(|p| {
            p.unresolved.iter().any(|d| {
                let id = (p.name.clone(), p.arch.clone(), rpmatrix::matrix::finding::capability(d));
                !old.contains(&id)
            })
        })
        .map(|p| p.nevra.as_str())
        .collect();
    assert!(!new.is_empty(), "excluding libbase must break something");
    assert_eq!(changed.status.code(), Some(1), "{stdout}");
    let section = summary.split("### New failures").nth(1).unwrap_or_default();
    let section = section.split("\n### ").next().unwrap_or_default();
    for n in &new {
        assert!(section.contains(n), "{n} not in new failures:\n{summary}");
        assert!(stdout.contains(&format!("+app: {n}")), "{n} not in the diff:\n{stdout}");
    }
    assert_eq!(section.matches("- **app**").count(), new.len(), "{summary}");
}

#[test]
fn diff_of_two_snapshots() {
    let out = rpmatrix()
        .args(["diff", "fixtures/repos/base", "fixtures/repos/app", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let change = |k: &str| {
        d["packages"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["key"] == k))
            .map(|p| p["change"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(change("libbase").as_deref(), Some("upgraded"));
    assert_eq!(change("app-main").as_deref(), Some("added"));
    assert_eq!(change("base-tool").as_deref(), Some("removed"));
    assert_eq!(change("dup"), None, "same NEVRA in both");
    let md = rpmatrix()
        .args([
            "diff",
            "fixtures/repos/base",
            "fixtures/repos/app",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&md.stdout).contains("| libbase | upgraded |"));
}
