//! `rpmatrix installcheck` against libsolv (python3-solv, rpm disttype,
//! `POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS`), package for package: the
//! fixtures of `fixtures/specs-install` (goldens in `fixtures/golden-install`,
//! made by `fixtures/build_install.sh`) and the real repositories
//! (`tests/oracle/installcheck/`, made by its `regen.sh`).

use std::io::Read;
use std::path::PathBuf;

mod common;

use rpmatrix::closure::ClosureOptions;
use rpmatrix::engine;
use rpmatrix::fetch::RepoSpec;
use rpmatrix::installcheck::{InstallcheckResult, ProblemKind};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(repos: &[(&str, String)], check: &[String], basearch: &str) -> InstallcheckResult {
    let specs: Vec<RepoSpec> = repos.iter().map(|(n, d)| RepoSpec::new(n, d)).collect();
    let mut loaded = engine::load(&specs, &engine::Options::default()).unwrap_or_else(|e| panic!("{e}"));
    let opts = ClosureOptions {
        check: check.to_vec(),
        basearch: basearch.to_owned(),
        ..ClosureOptions::default()
    };
    let (result, _) = loaded.installcheck(&opts).unwrap_or_else(|e| panic!("{e}"));
    result
}

/// `NEVRA<TAB>REPO` of the uninstallable packages, C-locale sorted.
fn rows(result: &InstallcheckResult) -> Vec<String> {
    let mut rows: Vec<String> = result
        .uninstallable
        .iter()
        .map(|u| format!("{}\t{}", u.nevra, u.repo))
        .collect();
    rows.sort();
    rows
}

fn fixture(basearch: &str) -> InstallcheckResult {
    let dir = root().join("fixtures/repos/install").display().to_string();
    run(&[("install", dir)], &[], basearch)
}

fn golden(basearch: &str) -> Vec<String> {
    let path = root().join(format!("fixtures/golden-install/install.{basearch}.txt"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::to_owned).collect()
}

#[test]
fn fixtures_agree_with_libsolv_on_x86_64() {
    let result = fixture("x86_64");
    assert_eq!(rows(&result), golden("x86_64"));
    assert_eq!(result.checked, 64);
}

#[test]
fn fixtures_agree_with_libsolv_on_i686() {
    assert_eq!(rows(&fixture("i686")), golden("i686"));
}

fn root_cause(result: &InstallcheckResult, nevra: &str) -> (String, Vec<ProblemKind>) {
    let u = result
        .uninstallable
        .iter()
        .find(|u| u.nevra == nevra)
        .unwrap_or_else(|| panic!("{nevra} is not reported"));
    (u.root_cause.clone(), u.problems.iter().map(|p| p.kind).collect())
}

#[test]
fn explanations_name_the_root_cause_at_the_end_of_the_chain() {
    let r = fixture("x86_64");
    let (cause, kinds) = root_cause(&r, "ic-deep-top-1.0-1.noarch");
    assert_eq!(cause, "nothing provides ic-missing-cap >= 2");
    assert_eq!(
        kinds,
        [
            ProblemKind::Requires,
            ProblemKind::Requires,
            ProblemKind::NothingProvides
        ]
    );
    let (cause, kinds) = root_cause(&r, "ic-conf-top-1.0-1.noarch");
    assert_eq!(
        cause,
        "ic-conf-x-1.0-1.noarch conflicts with ic-conf-y provided by ic-conf-y-1.0-1.noarch"
    );
    assert_eq!(kinds.last(), Some(&ProblemKind::Conflicts));
    assert!(kinds.contains(&ProblemKind::Requires), "{kinds:?}");
    let (cause, _) = root_cause(&r, "ic-obs-app-1.0-1.noarch");
    assert_eq!(
        cause,
        "ic-obs-new-1.0-1.noarch obsoletes ic-obs-old < 2 provided by ic-obs-old-1.0-1.noarch"
    );
    let (cause, _) = root_cause(&r, "ic-twover-app-1.0-1.noarch");
    assert_eq!(
        cause,
        "both ic-twover-1.0-1.noarch and ic-twover-2.0-1.noarch are needed, but only one version of a name can be installed"
    );
    let (cause, _) = root_cause(&r, "ic-ml-mixapp-1.0-1.noarch");
    assert!(cause.starts_with("both ic-ml-na-1.0-1."), "{cause}");
    let (cause, _) = root_cause(&r, "ic-fconf-app-1.0-1.noarch");
    assert_eq!(
        cause,
        "ic-fconf-user-1.0-1.noarch conflicts with /usr/share/ic-fconf/data.txt provided by ic-fconf-owner-1.0-1.noarch"
    );
    let i686 = fixture("i686");
    let (cause, _) = root_cause(&i686, "ic-ml-app-1.0-1.noarch");
    assert_eq!(cause, "nothing provides ic-ml-lib(64)");
    let (cause, kinds) = root_cause(&i686, "ic-ml-lib-1.0-1.x86_64");
    assert_eq!(cause, "x86_64 packages are not installable on i686");
    assert_eq!(kinds.last(), Some(&ProblemKind::Arch));
}

#[test]
fn root_causes_are_grouped_biggest_first() {
    let r = fixture("x86_64");
    let counts: Vec<usize> = r.root_causes.iter().map(|c| c.count).collect();
    let mut sorted = counts.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(counts, sorted);
    assert_eq!(counts.iter().sum::<usize>(), r.uninstallable.len());
    let deep = r
        .root_causes
        .iter()
        .find(|c| c.text == "nothing provides ic-missing-cap >= 2")
        .unwrap_or_else(|| panic!("no group"));
    assert_eq!(
        deep.packages,
        [
            "ic-deep-bottom-1.0-1.noarch",
            "ic-deep-mid-1.0-1.noarch",
            "ic-deep-top-1.0-1.noarch"
        ]
    );
}

#[test]
fn cli_json_follows_schema_1_and_exits_1() {
    let out = common::rpmatrix()
        .args([
            "installcheck",
            "--repo",
            "install=fixtures/repos/install",
            "--format",
            "json",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let keys: Vec<&str> = doc
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(keys, ["checked", "root_causes", "schema", "timings", "uninstallable"]);
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["checked"], 64);
    let first = &doc["uninstallable"][0];
    for key in ["nevra", "name", "arch", "repo", "problems", "root_cause"] {
        assert!(!first[key].is_null(), "missing {key}: {first}");
    }
    for key in ["kind", "text", "packages"] {
        assert!(!first["problems"][0][key].is_null(), "missing {key}");
    }
    for key in ["text", "count", "packages"] {
        assert!(!doc["root_causes"][0][key].is_null(), "missing {key}");
    }
}

#[test]
fn cli_text_is_grouped_by_root_cause_and_installable_packages_exit_0() {
    let out = common::rpmatrix()
        .args(["installcheck", "--repo", "install=fixtures/repos/install"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("3 packages cannot be installed because nothing provides ic-missing-cap >= 2:\n  package: ic-deep-bottom-1.0-1.noarch from install\n"),
        "{text}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("13 of 64 checked packages cannot be installed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = common::rpmatrix()
        .args([
            "installcheck",
            "--repo",
            "install=fixtures/repos/install",
            "--pkg",
            "ic-deepalt-app",
            "--pkg",
            "ic-self*",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
}

#[test]
fn cli_errors_exit_2() {
    let out = common::rpmatrix()
        .args(["installcheck", "--repo", "x=fixtures/repos/nonexistent"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
}

fn data_dir() -> PathBuf {
    // The project's checkout sits beside `shared`; a worktree one level deeper.
    let near = root().join("../shared/data/real");
    if near.exists() {
        near
    } else {
        root().join("../../shared/data/real")
    }
}

fn oracle(case: &str) -> Vec<String> {
    let path = root().join(format!("tests/oracle/installcheck/{case}.txt.gz"));
    let gz = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut s = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    s.lines().map(str::to_owned).collect()
}

/// Every case of `tests/oracle/installcheck/manifest.tsv`.
fn real_case(case: &str) {
    let manifest = std::fs::read_to_string(root().join("tests/oracle/installcheck/manifest.tsv"))
        .unwrap_or_else(|e| panic!("{e}"));
    let line = manifest
        .lines()
        .find(|l| l.split('\t').next() == Some(case))
        .unwrap_or_else(|| panic!("no case {case}"));
    let f: Vec<&str> = line.split('\t').collect();
    let repos: Vec<(&str, String)> = f[2]
        .split(',')
        .filter_map(|r| r.split_once('='))
        .map(|(n, d)| (n, data_dir().join(d).display().to_string()))
        .collect();
    let check: Vec<String> = if f[3] == "-" {
        Vec::new()
    } else {
        f[3].split(',').map(str::to_owned).collect()
    };
    let result = run(&repos, &check, f[1]);
    let ours = rows(&result);
    let theirs = oracle(case);
    let extra: Vec<&String> = ours.iter().filter(|r| !theirs.contains(r)).take(20).collect();
    let missing: Vec<&String> = theirs.iter().filter(|r| !ours.contains(r)).take(20).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{case}: {} ours, {} libsolv's\nonly ours: {extra:#?}\nonly libsolv's: {missing:#?}",
        ours.len(),
        theirs.len()
    );
}

macro_rules! real {
    ($($name:ident => $case:literal,)*) => {$(
        #[test]
        #[ignore = "needs ../shared/data/real"]
        fn $name() {
            real_case($case);
        }
    )*};
}

real! {
    real_c75 => "c75",
    real_cs9_baseos => "cs9-baseos",
    real_cs9_appstream => "cs9-appstream",
    real_ocata => "ocata",
    real_mitaka => "mitaka",
    real_pgdg => "pgdg",
    real_azl3 => "azl3",
    real_yocto => "yocto",
    real_zfs => "zfs",
    real_tizen => "tizen",
    real_tizen_armv7hl => "tizen-armv7hl",
    real_el6_go => "el6-go",
    real_al2023 => "al2023",
    real_ocata_c75 => "ocata+c75",
    real_mitaka_c75 => "mitaka+c75",
    real_cs9_appstream_baseos => "cs9-appstream+cs9-baseos",
    real_zfs_cs9_baseos => "zfs+cs9-baseos",
    real_ocata_c75_i686 => "ocata+c75-i686",
    real_mitaka_c75_i686 => "mitaka+c75-i686",
    real_cs9_appstream_baseos_i686 => "cs9-appstream+cs9-baseos-i686",
    real_zfs_cs9_baseos_i686 => "zfs+cs9-baseos-i686",
}

/// The greedy picks and SAT searches run on rayon's workers; deaths, and
/// the explanations built on them, must not depend on how many there are.
/// CS9 is the largest search (144 SAT searches); Ocata on CentOS 7.5 has
/// two refutations, the second searched after the first's death.
#[test]
#[ignore = "needs ../shared/data/real"]
fn explanations_are_the_same_for_any_number_of_workers() {
    let json = |repos: &[(&str, &str)], check: &str, workers: &str| -> serde_json::Value {
        let mut cmd = common::rpmatrix();
        cmd.env("RAYON_NUM_THREADS", workers)
            .args(["installcheck", "--format", "json", "--check", check]);
        for (name, dir) in repos {
            cmd.arg("--repo")
                .arg(format!("{name}={}", data_dir().join(dir).display()));
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let mut doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
        doc.as_object_mut().map(|o| o.remove("timings"));
        doc
    };
    let cs9 = [
        ("appstream", "cs9-appstream-x86_64-2025-01"),
        ("baseos", "cs9-baseos-x86_64-2022-02"),
    ];
    let ocata = [("ocata", "rdo-ocata-el7-bundle"), ("c75", "centos7.5.1804-dvd-x86_64")];
    for (repos, check, uninstallable) in [(&cs9, "appstream", 4849), (&ocata, "ocata", 88)] {
        let one = json(repos, check, "1");
        assert_eq!(
            one["uninstallable"].as_array().map(Vec::len),
            Some(uninstallable),
            "{check}"
        );
        for workers in ["2", "3"] {
            assert!(
                json(repos, check, workers) == one,
                "{check}: {workers} workers explain differently from one"
            );
        }
    }
}
