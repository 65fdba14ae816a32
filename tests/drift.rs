//! `rpmatrix drift`: statuses against rpm's own answers (tests/oracle), the
//! fixture repositories in fixtures/drift (every status, distance, mapping,
//! rdoinfo, policy, every output format, baseline), bad input, and real data.

use std::collections::BTreeMap;
use std::io::Read;

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use rpmatrix::core::evr::Evr;
use rpmatrix::drift::{self, Distance, DriftPlan, DriftResult, SideSpec, Status, Verdict};
use rpmatrix::report::drift as drift_report;

mod common;

use common::root;

fn fx(p: &str) -> String {
    root().join("fixtures/drift").join(p).display().to_string()
}

fn side(s: &str) -> SideSpec {
    SideSpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn plan() -> DriftPlan {
    DriftPlan {
        ours: vec![side(&format!("ours={}", fx("ours")))],
        theirs: vec![
            side(&format!("fedora={}", fx("fedora"))),
            side(&format!("f39={}", fx("f39"))),
        ],
        ..DriftPlan::default()
    }
}

fn by_name(r: &DriftResult) -> BTreeMap<&str, &drift::PackageDrift> {
    r.packages.iter().map(|p| (p.name.as_str(), p)).collect()
}

fn run(plan: &DriftPlan) -> DriftResult {
    drift::run(plan).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn disttag_table_from_rpm() {
    let text = std::fs::read_to_string(root().join("tests/oracle/disttag_cmp.tsv")).unwrap_or_default();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 7, "{line}");
        let (ours, theirs) = (Evr::parse(cols[0]), Evr::parse(cols[1]));
        assert_eq!(
            drift::strip_dist_tag(ours.release.as_deref().unwrap_or("")),
            cols[2],
            "{line}"
        );
        assert_eq!(
            drift::strip_dist_tag(theirs.release.as_deref().unwrap_or("")),
            cols[3],
            "{line}"
        );
        let want = Status::parse(cols[6]).unwrap_or_else(|| panic!("status in {line}"));
        assert_eq!(drift::classify(&ours, &theirs), want, "{line}");
        n += 1;
    }
    assert!(n >= 68, "only {n} rows");
}

#[test]
fn every_status_and_distance() {
    let r = run(&plan());
    let p = by_name(&r);
    let want = [
        ("same-pkg", Status::Same, None),
        ("major-pkg", Status::Behind, Some(Distance::Major)),
        ("minor-pkg", Status::Behind, Some(Distance::Minor)),
        ("patch-pkg", Status::Behind, Some(Distance::Patch)),
        ("epoch-pkg", Status::Behind, Some(Distance::Epoch)),
        ("ahead-pkg", Status::Ahead, Some(Distance::Minor)),
        ("relahead-pkg", Status::ReleaseAhead, None),
        ("relbehind-pkg", Status::ReleaseBehind, None),
        ("ours-only-pkg", Status::OursOnly, None),
        ("theirs-only-pkg", Status::TheirsOnly, None),
        ("newest-pkg", Status::Same, None),
        ("nosrc-pkg", Status::Same, None),
        ("python-mapped", Status::OursOnly, None),
        ("python3-mapped", Status::TheirsOnly, None),
    ];
    for (name, status, dist) in want {
        let pk = p.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!((pk.status, pk.distance), (status, dist), "{name}");
    }
    assert_eq!(p["major-pkg"].reference_version.as_deref(), Some("2.0.0"));
    assert_eq!(
        p["newest-pkg"].ours.as_ref().map(|b| b.evr.to_string()).as_deref(),
        Some("1.1-1.el9")
    );
    // Several references: each, and the newest of them.
    let rn = p["refnewest-pkg"];
    assert_eq!(rn.status, Status::Behind);
    assert_eq!(rn.newest_reference.as_deref(), Some("f39"));
    assert_eq!(
        rn.theirs.iter().map(|t| t.status).collect::<Vec<_>>(),
        vec![Some(Status::Same), Some(Status::Behind)]
    );
    assert_eq!(p["major-pkg"].theirs[1].status, Some(Status::Same));
    // Sorted by status then name.
    let order: Vec<_> = r.packages.iter().map(|p| (p.status, p.name.clone())).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    assert!(!r.has_violations());
}

#[test]
fn mapping_file_and_rdoinfo() {
    let mut pl = plan();
    pl.map = Some(fx("map.toml").into());
    pl.rdoinfo = Some(fx("rdoinfo").into());
    let r = run(&pl);
    let p = by_name(&r);
    assert_eq!(p["python-mapped"].status, Status::Same);
    assert_eq!(p["python-mapped"].theirs_name.as_deref(), Some("python3-mapped"));
    assert_eq!(p["python-rdomapped"].status, Status::Same);
    assert_eq!(p["python-rdomapped"].origin.as_deref(), Some("fedora-dependency"));
    assert_eq!(p["mariadb"].origin.as_deref(), Some("rdo-dependency"));
    assert!(!p.contains_key("python3-mapped"), "mapped names are not theirs-only");
    assert!(!p.contains_key("python3-rdomapped"));
}

/// The fixture rdoinfo's `test-release` tag as ours against fedora, for the
/// source packages `only` selects.
fn rdoinfo_tag_plan(only: &[&str]) -> DriftPlan {
    DriftPlan {
        ours: vec![side("rdoinfo:test-release")],
        theirs: vec![side(&format!("fedora={}", fx("fedora")))],
        rdoinfo: Some(fx("rdoinfo").into()),
        only: only.iter().map(|s| (*s).to_owned()).collect(),
        ..DriftPlan::default()
    }
}

#[test]
fn rdoinfo_buildsys_tag_as_ours() {
    let r = run(&rdoinfo_tag_plan(&["*-pkg", "python-*"]));
    let p = by_name(&r);
    assert_eq!(p["same-pkg"].status, Status::Same);
    assert_eq!(
        p["same-pkg"].ours.as_ref().map(|b| b.repo.as_str()),
        Some("rdoinfo:test-release")
    );
    assert_eq!(p["major-pkg"].status, Status::Behind);
    assert_eq!(p["python-rdomapped"].status, Status::Same);
    assert!(!p.contains_key("other"), "other tags are ignored");
    assert!(!p.contains_key("mariadb"), "--only filters");
}

#[test]
fn policy_verdicts() {
    let mut pl = plan();
    pl.policy = Some(fx("policy.toml").into());
    pl.rdoinfo = Some(fx("rdoinfo").into());
    let r = run(&pl);
    let p = by_name(&r);
    let violation = |n: &str| match &p[n].verdict {
        Verdict::Violation { reasons } => reasons.join("; "),
        v => panic!("{n}: {v:?}"),
    };
    assert!(violation("major-pkg").contains("behind by major"));
    assert!(violation("epoch-pkg").contains("max-distance minor"));
    assert!(violation("ahead-pkg").contains("ahead (2.1-1.el9 vs 2.0-3.fc40) is not allowed"));
    assert!(matches!(&p["mariadb"].verdict, Verdict::Fork { reason } if reason.contains("Galera")));
    for ok in ["minor-pkg", "patch-pkg", "same-pkg", "relbehind-pkg"] {
        assert_eq!(p[ok].verdict, Verdict::Ok, "{ok}");
    }
    assert!(r.has_violations());
}

fn policy_result() -> DriftResult {
    let mut pl = plan();
    pl.policy = Some(fx("policy.toml").into());
    run(&pl)
}

#[test]
fn json_schema() {
    let r = policy_result();
    let v: serde_json::Value =
        serde_json::from_str(&drift_report::json(&r, None).unwrap_or_else(|e| panic!("{e}"))).unwrap_or_default();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["violations"], 3);
    assert_eq!(v["counts"]["behind"], 6);
    let pk = v["packages"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["name"] == "major-pkg"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(pk["status"], "behind");
    assert_eq!(pk["ours"]["repo"], "ours");
    assert_eq!(pk["ours"]["evr"], "1.2.3-1.el9");
    assert_eq!(pk["theirs"][0]["repo"], "fedora");
    assert_eq!(pk["theirs"][0]["evr"], "2.0.0-1.fc40");
    assert_eq!(pk["theirs"][0]["status"], "behind");
    assert_eq!(pk["theirs"][1]["status"], "same");
    assert_eq!(pk["distance"], "major");
    assert!(pk.get("origin").is_some());
    assert_eq!(pk["verdict"], "violation");
    assert!(v["changes"].is_null());
}

#[test]
fn csv_markdown_table() {
    let r = policy_result();
    let csv = drift_report::csv(&r, None);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "name,theirs_name,status,ours_repo,ours_evr,distance,reference_version,origin,verdict,reasons,previous_status,fedora evr,fedora status,f39 evr,f39 status"
        )
    );
    assert_eq!(lines.count(), r.packages.len());
    assert!(csv.contains("\nmajor-pkg,,behind,ours,1.2.3-1.el9,major,2.0.0,,violation,"));
    let md = drift_report::markdown(&r, None);
    assert!(md.contains("| name | ours | fedora | f39 | status | distance | origin | policy |"));
    assert!(md.contains("- behind: 6"));
    let table = drift_report::table(&r, None, false);
    assert!(!table.contains('\x1b'), "no colours when not asked");
    assert!(table.contains("18 source packages; behind: 6, release-behind: 1"));
    assert!(drift_report::table(&r, None, true).contains("\x1b[31mbehind"));
}

#[test]
fn junit_counts() {
    let r = policy_result();
    let xml = drift_report::junit(&r).unwrap_or_default();
    let rep = quick_junit::Report::deserialize_from_str(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(rep.test_suites.len(), 2);
    let fedora = &rep.test_suites[0];
    assert_eq!(fedora.tests, 18);
    assert_eq!(fedora.failures, 3);
    assert_eq!(fedora.skipped, 1);
    let f39 = &rep.test_suites[1];
    assert_eq!((f39.failures, f39.skipped), (0, 1));
    assert!(xml.contains("behind by major (1.2.3-1.el9 &lt; 2.0.0-1.fc40), more than max-distance minor"));
}

#[test]
fn baseline_changes() {
    let mut pl = plan();
    pl.map = Some(fx("map.toml").into());
    let before = drift_report::json(&run(&pl), None).unwrap_or_else(|e| panic!("{e}"));
    let now = run(&plan());
    let ch = drift_report::baseline_changes(&now, &before, "b.json").unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(String, Option<String>, Option<Status>)> =
        ch.into_iter().map(|c| (c.name, c.before, c.after)).collect();
    assert_eq!(
        got,
        vec![
            ("python-mapped".into(), Some("same".into()), Some(Status::OursOnly)),
            ("python3-mapped".into(), None, Some(Status::TheirsOnly)),
        ]
    );
    assert!(drift_report::baseline_changes(&now, "{\"schema\": 9, \"packages\": []}", "b.json").is_err());
    assert!(drift_report::baseline_changes(&now, "nope", "b.json").is_err());
}

fn cli() -> Command {
    Command::cargo_bin("rpmatrix").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn cli_exit_codes() {
    let base = ["drift", "--ours", &format!("ours={}", fx("ours"))].map(String::from);
    let fedora = format!("fedora={}", fx("fedora"));
    cli()
        .args(&base)
        .args(["--theirs", &fedora])
        .assert()
        .code(0)
        .stdout(contains("theirs-only-pkg"));
    cli()
        .args(&base)
        .args(["--theirs", &fedora, "--policy", &fx("policy.toml"), "--format", "junit"])
        .assert()
        .code(1)
        .stdout(contains("<failure"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let json = dir.path().join("prev.json");
    let out = cli()
        .args(&base)
        .args(["--theirs", &fedora, "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&json, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    cli()
        .args(&base)
        .args(["--theirs", &fedora, "--map", &fx("map.toml"), "--baseline"])
        .arg(&json)
        .assert()
        .code(0)
        .stdout(contains("Changed since baseline (2):"))
        .stdout(contains("python-mapped: ours-only → same"));
}

#[test]
fn bad_input_exits_2() {
    let ours = format!("ours={}", fx("ours"));
    let fedora = format!("fedora={}", fx("fedora"));
    let policy = fx("policy-bad.toml");
    let no_rdoinfo = fx("");
    let rdoinfo = fx("rdoinfo");
    let cases: [(Vec<&str>, &str); 7] = [
        (
            vec!["--ours", &ours, "--theirs", "fedora=/nonexistent/repo"],
            "error: repo 'fedora'",
        ),
        (
            vec!["--ours", &ours, "--theirs", &fedora, "--policy", &policy],
            "policy-bad.toml:6: unknown field `max-distanse`",
        ),
        (
            vec!["--ours", &ours, "--theirs", &fedora, "--rdoinfo", &no_rdoinfo],
            "has no deps.yml",
        ),
        (
            vec!["--ours", "rdoinfo:nope", "--theirs", &fedora, "--rdoinfo", &rdoinfo],
            "no build tag \"nope\"",
        ),
        (
            vec!["--ours", "rdoinfo:test-release", "--theirs", &fedora],
            "needs --rdoinfo",
        ),
        (
            vec!["--ours", "justaname", "--theirs", &fedora],
            "expected NAME=LOCATION",
        ),
        (
            vec!["--ours", &ours, "--theirs", &fedora, "--baseline", "/nonexistent.json"],
            "baseline /nonexistent.json",
        ),
    ];
    for (args, message) in cases {
        cli()
            .arg("drift")
            .args(&args)
            .assert()
            .code(2)
            .stderr(contains(message));
    }
}

fn real_oracle() -> Vec<Vec<String>> {
    let gz = std::fs::read(root().join("tests/oracle/drift_real.tsv.gz")).unwrap_or_else(|e| panic!("{e}"));
    let mut s = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut s)
        .unwrap_or_else(|e| panic!("{e}"));
    s.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn real_case(case: &str, ours: &str, theirs: &str) {
    let data = common::real_data();
    let mut pl = DriftPlan {
        ours: vec![side(&format!("ours={}", data.join(ours).display()))],
        theirs: vec![side(&format!("theirs={}", data.join(theirs).display()))],
        ..DriftPlan::default()
    };
    // CentOS 7.2's repomd.xml names a filelists file the shared copy lacks:
    // refused by default, as dnf refuses it; drift needs no filelists.
    pl.load.load.allow_missing_filelists = true;
    let r = run(&pl);
    let got: Vec<Vec<String>> = {
        let mut v: Vec<Vec<String>> = r
            .packages
            .iter()
            .map(|p| {
                vec![
                    case.to_owned(),
                    p.name.clone(),
                    p.ours.as_ref().map_or("-".into(), |b| b.evr.to_string()),
                    p.theirs[0].evr.clone().unwrap_or_else(|| "-".into()),
                    p.status.as_str().to_owned(),
                ]
            })
            .collect();
        v.sort_by(|a, b| a[1].cmp(&b[1]));
        v
    };
    let want: Vec<Vec<String>> = real_oracle().into_iter().filter(|r| r[0] == case).collect();
    assert!(!want.is_empty());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
    assert_eq!(got.len(), want.len());
}

#[test]
#[ignore = "needs ../shared/data/real"]
fn real_ocata_vs_centos75() {
    real_case("ocata-vs-c75", "rdo-ocata-el7-bundle", "centos7.5.1804-dvd-x86_64");
}

#[test]
#[ignore = "needs ../shared/data/real"]
fn real_centos72_vs_centos75() {
    real_case("c72-vs-c75", "centos7.2.1511-os-x86_64", "centos7.5.1804-dvd-x86_64");
}

/// Issue 19.5: an rdoinfo N-V-R has no epoch, which means "unknown", not 0.
/// fedora has epoch-pkg 1:1.5-1.fc40; the tag's 2.0-1.el9s is ahead of it
/// when epochs are left out, and the report says they were.
#[test]
fn rdoinfo_nvrs_without_an_epoch_are_compared_without_epochs() {
    let r = run(&rdoinfo_tag_plan(&["epoch-pkg", "same-pkg"]));
    let p = by_name(&r);
    assert_eq!(p["epoch-pkg"].status, Status::Ahead, "{:?}", p["epoch-pkg"]);
    assert_eq!(p["epoch-pkg"].distance, Some(Distance::Major));
    assert!(p["epoch-pkg"].epochs_ignored);
    assert!(
        !p["same-pkg"].epochs_ignored,
        "no epoch on either side: nothing was left out"
    );
    let table = drift_report::table(&r, None, false);
    assert!(
        table.contains("1 package compared without epochs") && table.contains(": epoch-pkg"),
        "{table}"
    );
    let json = drift_report::json(&r, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(json.contains("\"epochs_ignored\": true"), "{json}");
    // From repository data an absent epoch is 0: the same build is behind by epoch.
    let repo = run(&DriftPlan {
        ours: vec![side(&format!("ours={}", fx("ours")))],
        theirs: vec![side(&format!("fedora={}", fx("fedora")))],
        only: vec!["epoch-pkg".into()],
        ..DriftPlan::default()
    });
    assert_eq!(repo.packages[0].status, Status::Behind);
    assert_eq!(repo.packages[0].distance, Some(Distance::Epoch));
    assert!(!repo.packages[0].epochs_ignored);
}

/// Issue 19.6: a baseline taken without --only is filtered by the same
/// selection; packages outside it are not "gone".
#[test]
fn only_filters_the_baseline_by_the_same_selection() {
    let fedora = format!("fedora={}", fx("fedora"));
    let ours = format!("ours={}", fx("ours"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let json = dir.path().join("full.json");
    let out = cli()
        .args(["drift", "--ours", &ours, "--theirs", &fedora, "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&json, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    cli()
        .args([
            "drift",
            "--ours",
            &ours,
            "--theirs",
            &fedora,
            "--only",
            "same-*",
            "--baseline",
        ])
        .arg(&json)
        .assert()
        .code(0)
        .stdout(contains("Changed since baseline (0):"))
        .stdout(contains("(absent)").not());
    // The selection is kept in the JSON, so a narrow baseline read by a wide run is filtered too.
    let narrow = dir.path().join("narrow.json");
    let out = cli()
        .args([
            "drift", "--ours", &ours, "--theirs", &fedora, "--only", "same-*", "--format", "json",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&narrow, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"only\""));
}

/// Issue 19: `--status` lists only some statuses (violations always), and
/// violations come first.
#[test]
fn status_filter_lists_violations_first() {
    let fedora = format!("fedora={}", fx("fedora"));
    let ours = format!("ours={}", fx("ours"));
    let out = cli()
        .args([
            "drift",
            "--ours",
            &ours,
            "--theirs",
            &fedora,
            "--policy",
            &fx("policy.toml"),
        ])
        .args(["--status", "same,release-behind"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = stdout.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    let first_ok = rows.iter().position(|l| !l.contains("VIOLATION")).unwrap_or(rows.len());
    assert!(first_ok > 0, "violations are listed first:\n{stdout}");
    assert!(
        rows[first_ok..]
            .iter()
            .all(|l| l.split_whitespace().any(|w| w == "same" || w == "release-behind")),
        "{stdout}"
    );
    assert!(
        stdout.contains("(--status same,release-behind; policy violations are always listed)"),
        "{stdout}"
    );
    cli()
        .args(["drift", "--ours", &ours, "--theirs", &fedora, "--status", "behnd"])
        .assert()
        .code(2)
        .stderr(contains("unknown status \"behnd\""));
}
