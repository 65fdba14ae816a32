//! rpmatrix against `dnf repoclosure` on real distribution metadata
//! (`../shared/data/real`), pair for pair. The expected findings were
//! recorded by `tests/oracle/real/regen.sh` (see its README).

use std::path::PathBuf;

mod common;

use rpmatrix::closure::ClosureOptions;
use rpmatrix::engine;
use rpmatrix::fetch::RepoSpec;

fn data_dir() -> PathBuf {
    common::real_data()
}

fn oracle(case: &str) -> Vec<String> {
    common::oracle_lines(case)
}

struct Case {
    name: String,
    basearch: String,
    repos: Vec<(String, String)>,
    check: Vec<String>,
}

fn manifest() -> Vec<Case> {
    let path = common::root().join("tests/oracle/real/manifest.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Case {
                name: f[0].to_owned(),
                basearch: f[1].to_owned(),
                repos: f[2]
                    .split(',')
                    .filter_map(|r| r.split_once('=').map(|(n, d)| (n.to_owned(), d.to_owned())))
                    .collect(),
                check: if f[3] == "-" {
                    vec![]
                } else {
                    f[3].split(',').map(str::to_owned).collect()
                },
            }
        })
        .collect()
}

fn run(case: &Case, extra: impl Fn(&mut ClosureOptions)) -> Result<Vec<String>, String> {
    run_with(case, false, extra)
}

fn run_with(
    case: &Case,
    allow_missing_filelists: bool,
    extra: impl Fn(&mut ClosureOptions),
) -> Result<Vec<String>, String> {
    let specs: Vec<RepoSpec> = case
        .repos
        .iter()
        .map(|(n, d)| RepoSpec::new(n, &data_dir().join(d).display().to_string()))
        .collect();
    let mut load = engine::Options::default();
    load.load.allow_missing_filelists = allow_missing_filelists;
    let mut loaded = engine::load(&specs, &load).map_err(|e| e.to_string())?;
    let mut opts = ClosureOptions {
        check: case.check.clone(),
        basearch: case.basearch.clone(),
        best: case.name.ends_with("-best"),
        ..ClosureOptions::default()
    };
    extra(&mut opts);
    let (result, _) = loaded.closure(&opts).map_err(|e| e.to_string())?;
    let mut rows: Vec<String> = result
        .problems
        .iter()
        .flat_map(|p| {
            p.unresolved
                .iter()
                .map(move |d| format!("{}\t{}\t{}", p.nevra, p.repo, d))
        })
        .collect();
    rows.sort();
    Ok(rows)
}

#[test]
#[ignore = "needs ../shared/data/real (run by .ci/run with --include-ignored)"]
fn every_real_repository_agrees_with_dnf_repoclosure() {
    let mut failures = Vec::new();
    let cases = manifest();
    assert!(cases.len() >= 17, "manifest has {} cases", cases.len());
    for case in &cases {
        if case.name.starts_with("c72") {
            continue;
        }
        let mut want = oracle(&case.name);
        want.sort();
        match run(case, |_| {}) {
            Ok(got) if got == want => {}
            Ok(got) => {
                let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).take(5).collect();
                let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).take(5).collect();
                failures.push(format!(
                    "{}: dnf {} pairs, rpmatrix {}; missing {missing:?}; extra {extra:?}",
                    case.name,
                    want.len(),
                    got.len()
                ));
            }
            Err(e) => failures.push(format!("{}: {e}", case.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// CentOS 7.2's repomd.xml names a filelists file that is absent. dnf
/// refuses the repository, and so does rpmatrix by default, naming the file;
/// `allow_missing_filelists` loads it without filelists. A copy whose
/// repomd.xml has no filelists entry at all is valid rpm-md: dnf resolves
/// file dependencies from primary's files (case `c72`), and so does rpmatrix.
#[test]
#[ignore = "needs ../shared/data/real (run by .ci/run with --include-ignored)"]
fn absent_filelists_is_refused_as_dnf_does_and_no_filelists_entry_is_primary_only() {
    let cases = manifest();
    let Some(c72) = cases.iter().find(|c| c.name == "c72") else {
        panic!("no c72 case")
    };
    let mut want = oracle("c72");
    want.sort();
    let err = run(c72, |_| {}).err().unwrap_or_default();
    assert!(
        err.contains("repo 'c72'") && err.contains("-filelists.xml.gz: named by repomd.xml but absent"),
        "{err}"
    );
    let got = run_with(c72, true, |_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, want, "allowed: as dnf on the copy without the entry");

    // The copy dnf ran on (tests/oracle/real/README.md): the entry removed.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = data_dir().join(&c72.repos[0].1).join("repodata");
    let dst = dir.path().join("repodata");
    std::fs::create_dir_all(&dst).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(&src).unwrap_or_else(|e| panic!("{e}")) {
        let entry = entry.unwrap_or_else(|e| panic!("{e}"));
        if entry.file_name() != "repomd.xml" {
            std::os::unix::fs::symlink(entry.path(), dst.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let repomd = std::fs::read_to_string(src.join("repomd.xml")).unwrap_or_else(|e| panic!("{e}"));
    let start = repomd
        .find("<data type=\"filelists\">")
        .unwrap_or_else(|| panic!("no filelists entry"));
    let end = start + repomd[start..].find("</data>").unwrap_or_else(|| panic!("unclosed")) + "</data>".len();
    std::fs::write(
        dst.join("repomd.xml"),
        format!("{}{}", &repomd[..start], &repomd[end..]),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let copy = Case {
        name: "c72".into(),
        basearch: c72.basearch.clone(),
        repos: vec![("c72".into(), dir.path().display().to_string())],
        check: c72.check.clone(),
    };
    let got = run(&copy, |_| {}).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, want, "no filelists entry: primary's files, as dnf");
}

/// Issue 21: an unresolved versioned Requires names the versions the
/// enabled repositories do have (JSON `nearest`), as the example
/// on RDO Ocata + CentOS 7.5 says it; dnf's text format is unchanged.
#[test]
#[ignore = "needs ../shared/data/real (run by .ci/run with --include-ignored)"]
fn unresolved_requires_name_the_nearest_candidates() {
    let repo = |n: &str| data_dir().join(n).display().to_string();
    let args = [
        "closure".to_owned(),
        "--repo".to_owned(),
        format!("ocata={}", repo("rdo-ocata-el7-bundle")),
        "--repo".to_owned(),
        format!("c75={}", repo("centos7.5.1804-dvd-x86_64")),
        "--check".to_owned(),
        "ocata".to_owned(),
    ];
    let bin = env!("CARGO_BIN_EXE_rpmatrix");
    let json = std::process::Command::new(bin)
        .args(&args)
        .args(["--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| panic!("{e}"));
    let hints: Vec<&str> = doc["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["nearest"].as_array().into_iter().flatten())
        .filter_map(|h| h.as_str())
        .collect();
    assert!(
        hints.contains(
            &"wanted libattr = 2.4.46-12.el7; c75 has libattr-2.4.46-13.el7.x86_64 (libattr = 2.4.46-13.el7)"
        ),
        "{hints:#?}"
    );
    let text = std::process::Command::new(bin)
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !String::from_utf8_lossy(&text.stdout).contains("wanted "),
        "dnf's format stays dnf's"
    );
}
