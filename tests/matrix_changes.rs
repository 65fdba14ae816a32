//! `[[changes]]` in a matrix (issue 22): proposed builds from a `-testing`
//! repo checked against a `-release` cell, as `rpmatrix change` checks them,
//! with a verdict per build in every report, gating like closure failures
//! (a rejection the baseline already had does not gate under --fail-on new).

use std::path::Path;

use rpmatrix::change::Verdict;

mod common;

use common::{read_report, root, run_in, text, write};

fn matrix(dir: &Path, change: &str) {
    matrix_with(dir, "", change);
}

fn matrix_with(dir: &Path, cell_extra: &str, change: &str) {
    let repo = |n: &str| root().join("fixtures/change/repos").join(n).display().to_string();
    let text = format!(
        "[repos.base]\npath = \"{}\"\n[repos.rel]\npath = \"{}\"\n[repos.testing]\npath = \"{}\"\n\
         [[cells]]\nname = \"release\"\ncheck = [\"rel\"]\nlookaside = [\"base\"]\n{cell_extra}\n{change}",
        repo("base"),
        repo("rel"),
        repo("testing")
    );
    write(dir, "m.toml", &text);
}

#[test]
fn a_matrix_change_gives_a_verdict_per_pending_build_and_gates() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    matrix(
        dir.path(),
        "[[changes]]\nname = \"promote\"\ncell = \"release\"\nadd = [\"testing\"]\n\
         nvr = [\"libb-2.0-1\"]\nsource = [\"harmless\"]\n",
    );
    let out = run_in(
        dir.path(),
        &[
            "run",
            "m.toml",
            "--json",
            "r.json",
            "--junit",
            "j.xml",
            "--summary",
            "s.md",
        ],
    );
    // The release cell itself has an old problem (old-broken), so the run fails either way;
    // the change's own verdicts are what is checked here.
    assert!(out.status.code() == Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[change promote on release] 2 proposed: 1 accepted, 1 rejected"),
        "{stdout}"
    );
    assert!(stdout.contains("  REJECT libb-2.0-1\n"), "{stdout}");
    let report = read_report(&dir.path().join("r.json"));
    let change = &report.changes[0];
    let result = change.result.as_ref().unwrap_or_else(|| panic!("{:?}", change.error));
    let verdicts: Vec<(&str, Verdict)> = result.changes.iter().map(|c| (c.nvr.as_str(), c.verdict)).collect();
    assert_eq!(
        verdicts,
        [("harmless-1.1-1", Verdict::Accept), ("libb-2.0-1", Verdict::Reject)]
    );
    assert_eq!(change.rejected(), ["libb-2.0-1"]);
    let junit = std::fs::read_to_string(dir.path().join("j.xml")).unwrap_or_default();
    assert!(
        junit.contains("<testsuite name=\"change promote on release\""),
        "{junit}"
    );
    assert!(junit.contains("name=\"libb-2.0-1\""), "{junit}");
    assert!(junit.contains("rejected: breaks"), "{junit}");
    let md = std::fs::read_to_string(dir.path().join("s.md")).unwrap_or_default();
    assert!(md.contains("### Change promote on release"), "{md}");
    assert!(md.contains("| `libb-2.0-1` | ❌ reject |"), "{md}");

    // Against its own results as the baseline nothing is new: exit 0, the
    // still-rejected build is skipped in JUnit.
    let out = run_in(
        dir.path(),
        &["run", "m.toml", "--baseline", "r.json", "--junit", "j2.xml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let junit = std::fs::read_to_string(dir.path().join("j2.xml")).unwrap_or_default();
    assert!(junit.contains("still rejected"), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");

    // A baseline without the change: the rejection is new and gates.
    let mut base = read_report(&dir.path().join("r.json"));
    base.changes.clear();
    let json = serde_json::to_string(&base).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("nochange.json"), json).unwrap_or_else(|e| panic!("{e}"));
    let out = run_in(dir.path(), &["run", "m.toml", "--baseline", "nochange.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("  REJECT libb-2.0-1 (new)\n"));
}

/// A `[[changes]]` entry proposes only the builds its repository lets the
/// cells see: `includepkgs` on the `-testing` repo hides every build but
/// harmless, so libb 2.0 (which breaks the release) is not proposed.
#[test]
fn a_matrix_change_proposes_only_what_the_repos_filters_let_through() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let repo = |n: &str| root().join("fixtures/change/repos").join(n).display().to_string();
    let toml = format!(
        "[repos.base]\npath = \"{}\"\n[repos.rel]\npath = \"{}\"\n\
         [repos.testing]\npath = \"{}\"\nincludepkgs = [\"harmless*\"]\n\
         [[cells]]\nname = \"release\"\ncheck = [\"rel\"]\nlookaside = [\"base\"]\n\
         [[changes]]\nname = \"promote\"\ncell = \"release\"\nadd = [\"testing\"]\n",
        repo("base"),
        repo("rel"),
        repo("testing")
    );
    write(dir.path(), "m.toml", &toml);
    let out = run_in(dir.path(), &["run", "m.toml", "--json", "r.json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[change promote on release] 1 proposed: 1 accepted, 0 rejected"),
        "{}",
        text(&out)
    );
    let report = read_report(&dir.path().join("r.json"));
    let result = report.changes[0]
        .result
        .as_ref()
        .unwrap_or_else(|| panic!("{:?}", report.changes[0].error));
    let nvrs: Vec<&str> = result.changes.iter().map(|c| c.nvr.as_str()).collect();
    assert_eq!(nvrs, ["harmless-1.1-1"]);
}

/// An `installable = true` cell judges its changes by installability: cx
/// 2.0 adds a Conflicts that breaks app-cx's installation but no Requires.
#[test]
fn an_installable_cell_judges_its_changes_by_installability() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let change = "[[changes]]\nname = \"cx\"\ncell = \"release\"\nadd = [\"testing\"]\nsource = [\"cx\"]\n";
    let verdict = |dir: &Path| {
        let out = run_in(dir, &["run", "m.toml", "--json", "r.json"]);
        assert!(out.status.code().is_some_and(|c| c < 2), "{}", text(&out));
        let report = read_report(&dir.join("r.json"));
        let result = report.changes[0]
            .result
            .clone()
            .unwrap_or_else(|| panic!("{:?}", report.changes[0].error));
        (result.mode.to_string(), result.changes[0].verdict)
    };
    matrix_with(dir.path(), "", change);
    assert_eq!(verdict(dir.path()), ("closure".to_owned(), Verdict::Accept));
    matrix_with(dir.path(), "installable = true", change);
    assert_eq!(verdict(dir.path()), ("install".to_owned(), Verdict::Reject));
}

#[test]
fn bad_changes_are_matrix_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (change, want) in [
        (
            "[[changes]]\nname = \"c\"\ncell = \"nope\"\nadd = [\"testing\"]\n",
            "change 'c': no cell 'nope' (cells: release)",
        ),
        (
            "[[changes]]\nname = \"c\"\ncell = \"release\"\nadd = [\"missing\"]\n",
            "change 'c': add names undefined repo 'missing'",
        ),
        (
            "[[changes]]\nname = \"c\"\ncell = \"release\"\nadd = [\"rel\"]\n",
            "is one of cell 'release''s repositories",
        ),
        (
            "[[changes]]\nname = \"c\"\ncell = \"release\"\nadd = []\n",
            "nothing proposed",
        ),
        (
            "[[changes]]\nname = \"c\"\ncell = \"release\"\nadd = [\"testing\"]\nbogus = 1\n",
            "unknown field `bogus`",
        ),
    ] {
        matrix(dir.path(), change);
        let out = run_in(dir.path(), &["run", "m.toml"]);
        assert_eq!(out.status.code(), Some(2), "{change}\n{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("m.toml:") && stderr.contains(want),
            "{change}\n{stderr}"
        );
    }
}

/// The README's RDO workflow block runs as it stands: each `rpmatrix`
/// line, with the exit code its `# exit N` line promises and the words
/// after it in the output.
#[test]
fn the_readme_rdo_workflow_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap_or_else(|e| panic!("{e}"));
    let block = readme
        .split("<!-- rdo-workflow -->\n```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .unwrap_or_else(|| panic!("README has no rdo-workflow block"));
    let mut ran = 0;
    let mut lines = block.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(args) = line.strip_prefix("rpmatrix ") else {
            continue;
        };
        let expect = lines
            .peek()
            .and_then(|l| l.strip_prefix("# exit "))
            .unwrap_or_else(|| panic!("no '# exit N' after: {line}"));
        let (code, words) = expect.split_once(": ").unwrap_or((expect, ""));
        let out = run_in(&root(), &args.split_whitespace().collect::<Vec<_>>());
        assert_eq!(
            out.status.code().map(|c| c.to_string()).as_deref(),
            Some(code),
            "{line}\n{}",
            text(&out)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        for nvr in words
            .split([' ', ';', ',', '(', ')'])
            .filter(|w| w.contains('-') && w.contains('.'))
        {
            assert!(stdout.contains(nvr), "{line}: {nvr} not in\n{stdout}");
        }
        ran += 1;
    }
    assert_eq!(ran, 4, "the block's commands");
}
