//! `rpmatrix closure` on the fixture repositories must print exactly what
//! `dnf repoclosure` printed on them (fixtures/golden, made by
//! fixtures/golden/regen.sh), and exit the same way.

use std::path::Path;

use assert_cmd::Command;

mod common;

use common::root;

/// The one place rpmatrix's exit code deliberately differs from dnf's: dnf
/// exits 1 on every error, rpmatrix keeps 1 for "unresolved" and uses 2 for
/// errors. So where dnf printed nothing and exited 1 for a `--pkg` that
/// matched no package (fixtures/golden/pkg-nomatch, and random cases whose
/// packages modular filtering hid), rpmatrix must exit 2 and say so.
fn is_pkg_nomatch(args: &[String], want_out: &str, want_exit: i32) -> bool {
    want_exit == 1 && want_out.is_empty() && args.iter().any(|a| a == "--pkg")
}

fn args_of(case_dir: &Path, case: &str) -> Vec<String> {
    let line = std::fs::read_to_string(case_dir.join(format!("{case}.args"))).unwrap_or_default();
    let mut args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
    if let Ok(opts) = std::fs::read_to_string(case_dir.join(format!("{case}.dnfopts"))) {
        for opt in opts.split_whitespace() {
            let Some(set) = opt.strip_prefix("--setopt=") else {
                panic!("{case}: unknown dnf option {opt}")
            };
            match set.split_once(".module_hotfixes=1") {
                Some((repo, "")) => args.extend(["--module-hotfixes".to_owned(), repo.to_owned()]),
                _ => panic!("{case}: unsupported dnf option {opt}"),
            }
        }
    }
    args
}

#[test]
fn closure_matches_dnf_repoclosure_on_every_fixture() {
    check_against_dnf(&root().join("fixtures/golden"), 15);
}

/// Random repositories (fixtures/random/gen.py): thousands of dependencies
/// nobody picked, answered and printed as dnf repoclosure does.
#[test]
fn closure_matches_dnf_repoclosure_on_random_repositories() {
    check_against_dnf(&root().join("fixtures/random/golden"), 40);
}

/// Runs `rpmatrix closure` on every `CASE.args` in `dir` and compares its
/// stdout and exit code with dnf's (`CASE.out`, `CASE.exit`).
fn check_against_dnf(dir: &Path, at_least: usize) {
    let dir = dir.to_path_buf();
    let mut cases: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".args"))
                .map(str::to_owned)
        })
        .collect();
    cases.sort();
    assert!(
        cases.len() >= at_least,
        "only {} golden cases in {}",
        cases.len(),
        dir.display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        // `CASE.rpmatrix.out`, where present, is the expected output where rpmatrix
        // deliberately differs from Debian's dnf build (see fixtures/README.md).
        let override_out = dir.join(format!("{case}.rpmatrix.out"));
        let want_out = if override_out.exists() {
            std::fs::read_to_string(override_out).unwrap_or_default()
        } else {
            std::fs::read_to_string(dir.join(format!("{case}.out"))).unwrap_or_default()
        };
        let want_exit: i32 = std::fs::read_to_string(dir.join(format!("{case}.exit")))
            .unwrap_or_default()
            .trim()
            .parse()
            .unwrap_or(-1);
        let args = args_of(&dir, case);
        let out = Command::cargo_bin("rpmatrix")
            .unwrap_or_else(|e| panic!("{e}"))
            .current_dir(root())
            .arg("closure")
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let got_out = String::from_utf8_lossy(&out.stdout);
        let got_exit = out.status.code().unwrap_or(-1);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match is_pkg_nomatch(&args, &want_out, want_exit) {
            true => {
                assert_eq!(got_exit, 2, "{case}: {stderr}");
                assert!(stderr.contains("no package matched"), "{case}: {stderr}");
            }
            false => {
                if got_out != want_out || got_exit != want_exit {
                    failures.push(format!(
                        "== {case}: exit dnf {want_exit} ours {got_exit}\n{stderr}\n--- dnf\n{want_out}--- rpmatrix\n{got_out}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
