//! The `closure` command's options beyond dnf's, and its JSON document.

mod common;

use common::rpmatrix;

#[test]
fn rich_strict_evaluates_boolean_logic_and_says_what_fails() {
    let out = rpmatrix()
        .args(["closure", "--repo", "rich=fixtures/repos/rich", "--rich", "strict"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    // `and` needs both sides in strict mode (dnf takes the union of providers).
    assert!(text.contains("    (ra and rich-missing1)\n"), "{text}");
    assert!(
        text.contains("# (ra and rich-missing1): nothing provides rich-missing1"),
        "{text}"
    );
    // `unless` is satisfied when the condition is available (dnf ignores the condition).
    assert!(!text.contains("(rich-missing12 unless rb)"), "{text}");
    // `if` with a false condition needs nothing (dnf reports it).
    assert!(!text.contains("(rich-missing7 if rich-missing8)"), "{text}");
}

/// A rich dependency whose answer turns on a path only filelists.xml lists
/// waits for filelists in both modes, even where no plain file require asks
/// for them (the dnf-mode answers are the `richfiles` golden).
#[test]
fn rich_strict_reads_filelists_for_a_condition_on_a_path() {
    let out = rpmatrix()
        .args([
            "closure",
            "--repo",
            "richfiles=fixtures/repos/richfiles",
            "--rich",
            "strict",
            "--format",
            "json",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(doc["repos"][0]["filelists_loaded"], true, "{text}");
    let mut deps: Vec<&str> = doc["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["unresolved"].as_array().into_iter().flatten())
        .filter_map(|d| d.as_str())
        .collect();
    deps.sort_unstable();
    // rf-cond: the condition holds once filelists name data.txt's owner
    // (nobody owns missing.txt, so the other `if` needs nothing).
    // rf-without: data.txt's owner is taken from rf-owner's providers.
    // rf-monotone is satisfied: rf-owner owns data.txt (`with`).
    assert_eq!(
        deps,
        [
            "(rf-missing if /usr/share/rf/data.txt)",
            "(rf-owner without /usr/share/rf/data.txt)"
        ],
        "{text}"
    );
}

#[test]
fn rich_dnf_mode_is_the_default() {
    let out = rpmatrix()
        .args(["closure", "--repo", "rich=fixtures/repos/rich"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("(ra and rich-missing1)"), "{text}");
    assert!(text.contains("(rich-missing12 unless rb)"), "{text}");
}

#[test]
fn json_document_has_the_documented_fields() {
    let out = rpmatrix()
        .args([
            "closure",
            "--repo",
            "base=fixtures/repos/base",
            "--repo",
            "app=fixtures/repos/app",
        ])
        .args(["--check", "app", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["repos"].as_array().map(Vec::len), Some(2));
    for key in [
        "name",
        "location",
        "revision",
        "repomd_sha256",
        "packages",
        "filelists_loaded",
    ] {
        assert!(doc["repos"][0].get(key).is_some(), "repos[0].{key} missing");
    }
    let problems = doc["problems"].as_array().cloned().unwrap_or_default();
    assert!(!problems.is_empty());
    assert_eq!(doc["broken_packages"].as_u64(), Some(problems.len() as u64));
    let deps: usize = problems
        .iter()
        .map(|p| p["unresolved"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(doc["unresolved_deps"].as_u64(), Some(deps as u64));
    assert!(problems.iter().all(|p| p["repo"] == "app"));
    for key in ["load_ms", "pool_ms", "filelists_ms", "closure_ms"] {
        assert!(doc["timings"][key].is_number(), "timings.{key}");
    }
}

#[test]
fn repofrompath_is_dnf_spelling_of_repo() {
    let a = rpmatrix()
        .args(["closure", "--repo", "sem=fixtures/repos/sem"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let b = rpmatrix()
        .args(["closure", "--repofrompath", "sem,fixtures/repos/sem"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.status.code(), b.status.code());
}

#[test]
fn help_teaches_exit_codes() {
    let out = rpmatrix()
        .args(["closure", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Exit codes") && text.contains("--repofrompath") && text.contains("Examples"),
        "{text}"
    );
}

#[test]
fn a_closed_stdout_pipe_is_not_a_panic() {
    use std::process::{Command as StdCommand, Stdio};
    let bin = assert_cmd::cargo::cargo_bin("rpmatrix");
    let mut child = StdCommand::new(bin)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["closure", "--repo", "rich=fixtures/repos/rich", "--rich", "strict"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Close the reading end at once, as `| head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{:?} {stderr}",
        out.status
    );
}

/// The visible subcommands, as `rpmatrix --help` lists them.
fn subcommands() -> Vec<String> {
    let out = rpmatrix().arg("--help").output().unwrap_or_else(|e| panic!("{e}"));
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let list = help
        .split("Commands:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no command list in --help:\n{help}"));
    let names: Vec<String> = list
        .lines()
        .take_while(|l| l.starts_with("  "))
        // A wrapped description continues further right.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    names
}

#[test]
fn completions_for_each_shell_name_every_subcommand() {
    let subs = subcommands();
    for shell in ["bash", "zsh", "fish"] {
        let out = rpmatrix()
            .args(["completions", shell])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("rpmatrix"), "{shell}: {script}");
        for s in &subs {
            assert!(script.contains(s.as_str()), "{shell} completion lacks {s}");
        }
        // fish spells flags `-l module-hotfixes`.
        assert!(
            script.contains("module-hotfixes") && script.contains("cache-dir"),
            "{shell}"
        );
    }
    let bad = rpmatrix()
        .args(["completions", "tcsh"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn man_page_has_every_subcommand_its_options_and_the_exit_codes() {
    let out = rpmatrix().arg("man").output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.starts_with(".ie") || page.contains(".TH rpmatrix 1"), "{page}");
    for s in subcommands() {
        let heading = format!(".SH \"RPMATRIX {}\"", s.to_uppercase());
        assert!(page.contains(&heading), "no {heading} in the man page");
    }
    for needle in ["module\\-hotfixes", "EXIT STATUS", "unresolved dependencies"] {
        assert!(page.contains(needle), "no {needle} in the man page");
    }
}
