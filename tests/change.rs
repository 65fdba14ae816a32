//! `rpmatrix change` on fixtures/change (fixtures/change/build.sh): each case
//! of issue 22, and the after-states checked against `dnf repoclosure`
//! (closure mode) or libsolv's installcheck (tests/oracle/installcheck.py,
//! install mode) run on repositories this test builds with createrepo_c from
//! the fixture rpms.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{root, rpmatrix};
use rpmatrix::change::{self, Add, ChangeReport, ChangeRequest, Mode, Verdict};
use rpmatrix::closure::ClosureOptions;
use rpmatrix::fetch::RepoSpec;

fn fx() -> PathBuf {
    root().join("fixtures/change")
}

fn build_dir(nvr: &str) -> String {
    fx().join("builds").join(nvr).display().to_string()
}

fn request(builds: &[&str], untag: &[&str]) -> ChangeRequest {
    let repo = |n: &str| RepoSpec::new(n, &fx().join("repos").join(n).display().to_string());
    ChangeRequest {
        targets: vec![repo("base"), repo("rel")],
        adds: builds
            .iter()
            .enumerate()
            .map(|(i, b)| Add::new(&format!("proposed{i}"), &build_dir(b)))
            .collect(),
        remove_sources: untag.iter().map(|s| s.to_string()).collect(),
        closure: ClosureOptions {
            check: vec!["rel".into()],
            basearch: "x86_64".into(),
            ..ClosureOptions::default()
        },
        ..ChangeRequest::default()
    }
}

fn run(builds: &[&str], untag: &[&str]) -> ChangeReport {
    let report = change::run(&request(builds, untag)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.mode, "closure");
    oracle(builds, untag, &report);
    report
}

/// As [`run`], in install mode, checked against libsolv.
fn run_install(builds: &[&str], untag: &[&str]) -> ChangeReport {
    let req = ChangeRequest {
        mode: Mode::Install,
        ..request(builds, untag)
    };
    let report = change::run(&req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.mode, "install");
    assert!(
        report
            .new
            .iter()
            .chain(&report.fixed)
            .chain(&report.still_broken)
            .all(|f| f.requires.is_empty() && !f.root_cause.is_empty()),
        "{report:#?}"
    );
    install_oracle(builds, untag, &report);
    report
}

/// NEVRAs of a list of findings (install mode: one per package).
fn nevras(list: &[change::Finding]) -> BTreeSet<String> {
    list.iter().map(|f| f.nevra.clone()).collect()
}

/// (nevra, requires) of a list of findings.
fn rows(list: &[change::Finding]) -> BTreeSet<(String, String)> {
    list.iter().map(|f| (f.nevra.clone(), f.requires.clone())).collect()
}

/// The still-broken findings as the before-state had them (a proposed
/// package's under the NEVRA of the package it replaces).
fn still_before(report: &ChangeReport) -> BTreeSet<(String, String)> {
    report
        .still_broken
        .iter()
        .map(|f| (f.was.clone().unwrap_or_else(|| f.nevra.clone()), f.requires.clone()))
        .collect()
}

fn verdict(report: &ChangeReport, nvr: &str) -> Verdict {
    match report.changes.iter().find(|c| c.nvr == nvr) {
        Some(c) => c.verdict,
        None => panic!("no verdict for {nvr}: {report:#?}"),
    }
}

fn tool(name: &str) -> PathBuf {
    common::require_tool(name)
}

/// The source package name of an rpm file, as rpm reads it.
fn source_name(rpm: &Path) -> String {
    let out = Command::new(tool("rpm"))
        .args(["-qp", "--qf", "%{SOURCERPM}"])
        .arg(rpm)
        .output()
        .unwrap_or_else(|e| panic!("rpm: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let nvr = text.trim_end_matches(".src.rpm");
    let mut parts = nvr.rsplitn(3, '-');
    let _release = parts.next();
    let _version = parts.next();
    parts.next().unwrap_or_default().to_owned()
}

/// dnf repoclosure's (nevra, dep) findings for the packages of `check`.
fn dnf_closure(repos: &[(&str, &Path)], check: &str) -> BTreeSet<(String, String)> {
    dnf_closure_of(repos, &[check])
}

fn dnf_closure_of(repos: &[(&str, &Path)], check: &[&str]) -> BTreeSet<(String, String)> {
    let root_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut cmd = Command::new(tool("dnf"));
    cmd.arg("repoclosure");
    for (name, path) in repos {
        cmd.arg(format!("--repofrompath={name},{}", path.display()));
        cmd.arg(format!("--repo={name}"));
    }
    for c in check {
        cmd.args(["--check", c]);
    }
    cmd.args([
        "--setopt=reposdir=/dev/null",
        "--releasever=9",
        "--forcearch=x86_64",
        "-q",
    ]);
    cmd.arg(format!("--installroot={}", root_dir.path().display()));
    let out = cmd.output().unwrap_or_else(|e| panic!("dnf: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut found = BTreeSet::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("package: ") {
            current = rest.split(" from ").next().unwrap_or_default().to_owned();
        } else if let Some(dep) = line.strip_prefix("    ") {
            found.insert((current.clone(), dep.to_owned()));
        }
    }
    found
}

/// libsolv's uninstallable packages (NEVRAs) among those of `check`
/// (tests/oracle/installcheck.py, one solver job per package).
fn libsolv_uninstallable(repos: &[(&str, &Path)], check: &str) -> BTreeSet<String> {
    let out = common::python3_with(&["solv"])
        .arg(root().join("tests/oracle/installcheck.py"))
        .args(["--basearch", "x86_64", "--check", check])
        .args(repos.iter().map(|(n, p)| format!("{n}={}", p.display())))
        .output()
        .unwrap_or_else(|e| panic!("installcheck.py: {e}"));
    assert!(
        out.status.success(),
        "installcheck.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_owned)
        .collect()
}

/// Checks an install-mode report against libsolv: before = fixed + still
/// broken (on base + rel), after = new + still broken (on base + the
/// after-state repository).
fn install_oracle(builds: &[&str], untag: &[&str], report: &ChangeReport) {
    let rel = fx().join("repos/rel");
    let base = fx().join("repos/base");
    let before = libsolv_uninstallable(&[("base", &base), ("rel", &rel)], "rel");
    let mut expect_before = nevras(&report.fixed);
    expect_before.extend(still_before(report).into_iter().map(|(n, _)| n));
    assert_eq!(before, expect_before, "before-state differs from libsolv");
    let after = after_repo(builds, untag);
    let libsolv_after = libsolv_uninstallable(&[("base", &base), ("after", after.path())], "after");
    let mut expect_after = nevras(&report.new);
    expect_after.extend(nevras(&report.still_broken));
    assert_eq!(libsolv_after, expect_after, "after-state differs from libsolv");
}

/// Checks the report against dnf: before = fixed + still broken (dnf on rel),
/// after = new + still broken (dnf on the after-state repository).
fn oracle(builds: &[&str], untag: &[&str], report: &ChangeReport) {
    let rel = fx().join("repos/rel");
    let base = fx().join("repos/base");
    let before = dnf_closure(&[("base", &base), ("rel", &rel)], "rel");
    let mut expect_before = rows(&report.fixed);
    expect_before.extend(still_before(report));
    assert_eq!(before, expect_before, "before-state differs from dnf");
    let after = after_repo(builds, untag);
    let dnf_after = dnf_closure(&[("base", &base), ("after", after.path())], "after");
    let mut expect_after = rows(&report.new);
    expect_after.extend(rows(&report.still_broken));
    assert_eq!(dnf_after, expect_after, "after-state differs from dnf");
}

/// The after-state of rel as a repository made by createrepo_c: every binary
/// of a replaced or untagged source taken out, the builds added.
fn after_repo(builds: &[&str], untag: &[&str]) -> tempfile::TempDir {
    let rel = fx().join("repos/rel");
    let after = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut build_rpms = Vec::new();
    for b in builds {
        for entry in std::fs::read_dir(build_dir(b)).unwrap_or_else(|e| panic!("{e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            build_rpms.push(path);
        }
    }
    let mut replaced: BTreeSet<String> = untag.iter().map(|s| s.to_string()).collect();
    replaced.extend(build_rpms.iter().map(|p| source_name(p)));
    for entry in std::fs::read_dir(&rel).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.extension().is_some_and(|x| x == "rpm") && !replaced.contains(&source_name(&path)) {
            std::fs::copy(&path, after.path().join(path.file_name().unwrap_or_default()))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    for path in &build_rpms {
        std::fs::copy(path, after.path().join(path.file_name().unwrap_or_default())).unwrap_or_else(|e| panic!("{e}"));
    }
    let status = Command::new(tool("createrepo_c"))
        .args(["--quiet", "--no-database"])
        .arg(after.path())
        .status()
        .unwrap_or_else(|e| panic!("createrepo_c: {e}"));
    assert!(status.success(), "createrepo_c failed");
    after
}

#[test]
fn dropped_subpackage_is_caught_only_through_source_replacement() {
    let r = run(&["liba-2.0-1"], &[]);
    assert_eq!(
        rows(&r.new),
        BTreeSet::from([
            ("app-a-1.0-1.noarch".to_owned(), "/usr/share/liba/extra.dat".to_owned()),
            ("app-a-1.0-1.noarch".to_owned(), "liba-extra".to_owned()),
        ])
    );
    assert!(r.new.iter().all(|f| f.blame == ["liba-2.0-1"]), "{:#?}", r.new);
    assert!(r.new[0].why.contains("liba-extra-1.0-1.noarch"), "{}", r.new[0].why);
    assert_eq!(verdict(&r, "liba-2.0-1"), Verdict::Reject);
    let c = &r.changes[0];
    assert_eq!(c.replaces, ["liba-1.0-1.x86_64", "liba-extra-1.0-1.noarch"]);
}

#[test]
fn version_bump_breaks_a_versioned_requires() {
    let r = run(&["libb-2.0-1"], &[]);
    assert_eq!(
        rows(&r.new),
        BTreeSet::from([("app-b-1.0-1.noarch".to_owned(), "libb < 2.0".to_owned())])
    );
    assert_eq!(r.new[0].blame, ["libb-2.0-1"]);
    assert_eq!(verdict(&r, "libb-2.0-1"), Verdict::Reject);
}

#[test]
fn untag_breaks_dependents() {
    let r = run(&[], &["libu"]);
    assert_eq!(
        rows(&r.new),
        BTreeSet::from([("app-u-1.0-1.noarch".to_owned(), "libu(api)".to_owned())])
    );
    assert_eq!(r.new[0].blame, ["libu"]);
    assert!(r.new[0].why.contains("untagging libu"), "{}", r.new[0].why);
    assert_eq!(verdict(&r, "libu"), Verdict::Reject);
}

#[test]
fn a_build_that_fixes_an_old_problem() {
    let r = run(&["app-f-1.1-1"], &[]);
    assert!(r.new.is_empty(), "{:#?}", r.new);
    assert_eq!(
        rows(&r.fixed),
        BTreeSet::from([("app-f-1.0-1.noarch".to_owned(), "cb-missing-cap".to_owned())])
    );
    assert_eq!(r.fixed[0].blame, ["app-f-1.1-1"]);
    // The old problem of another package stays, shown apart.
    assert_eq!(
        rows(&r.still_broken),
        BTreeSet::from([("old-broken-1.0-1.noarch".to_owned(), "cb-nothing".to_owned())])
    );
    assert_eq!(verdict(&r, "app-f-1.1-1"), Verdict::Accept);
}

#[test]
fn two_builds_that_only_work_together() {
    let together = run(&["libt-2.0-1", "app-t-2.0-1"], &[]);
    assert!(together.new.is_empty(), "{:#?}", together.new);
    assert_eq!(verdict(&together, "libt-2.0-1"), Verdict::Accept);
    assert_eq!(verdict(&together, "app-t-2.0-1"), Verdict::Accept);
    let t = together
        .together
        .iter()
        .find(|t| t.build == "app-t-2.0-1")
        .unwrap_or_else(|| panic!("{:#?}", together.together));
    assert_eq!(t.needs, ["libt-2.0-1"]);
    // Apart, each breaks something.
    let lib = run(&["libt-2.0-1"], &[]);
    assert_eq!(
        rows(&lib.new),
        BTreeSet::from([("app-t-1.0-1.noarch".to_owned(), "libt(abi) = 1".to_owned())])
    );
    let app = run(&["app-t-2.0-1"], &[]);
    assert_eq!(verdict(&app, "app-t-2.0-1"), Verdict::Reject);
    assert!(
        app.new.iter().all(|f| f.nevra == "app-t-2.0-1.noarch"),
        "{:#?}",
        app.new
    );
}

#[test]
fn a_harmless_build_beside_a_harmful_one_is_accepted() {
    let r = run(&["harmless-1.1-1", "libb-2.0-1", "newdep-2.0-1"], &[]);
    assert_eq!(verdict(&r, "harmless-1.1-1"), Verdict::Accept);
    assert_eq!(verdict(&r, "libb-2.0-1"), Verdict::Reject);
    assert_eq!(verdict(&r, "newdep-2.0-1"), Verdict::Reject);
    let own = r
        .new
        .iter()
        .find(|f| f.name == "newdep")
        .unwrap_or_else(|| panic!("{:#?}", r.new));
    assert_eq!(own.requires, "cb-absent >= 1");
    assert_eq!(own.blame, ["newdep-2.0-1"]);
}

#[test]
fn a_break_only_two_builds_cause_together_is_found_by_trying_them_apart() {
    let r = run(&["shx-2.0-1", "shy-2.0-1"], &[]);
    assert_eq!(
        rows(&r.new),
        BTreeSet::from([("app-s-1.0-1.noarch".to_owned(), "shared-cap".to_owned())])
    );
    assert_eq!(r.new[0].blame, ["shx-2.0-1", "shy-2.0-1"]);
    assert!(r.new[0].why.starts_with("only together"), "{}", r.new[0].why);
    assert_eq!(verdict(&r, "shx-2.0-1"), Verdict::Reject);
    assert_eq!(verdict(&r, "shy-2.0-1"), Verdict::Reject);
    // Either alone breaks nothing.
    assert!(run(&["shx-2.0-1"], &[]).new.is_empty());
}

/// A build that adds a Conflicts with a package its dependents also need
/// breaks installability but no Requires: install mode rejects it, naming
/// the conflict, where closure mode accepts it.
#[test]
fn a_new_conflict_is_rejected_in_install_mode_and_accepted_in_closure_mode() {
    let closure = run(&["cx-2.0-1"], &[]);
    assert!(closure.new.is_empty(), "{:#?}", closure.new);
    assert_eq!(verdict(&closure, "cx-2.0-1"), Verdict::Accept);

    let install = run_install(&["cx-2.0-1"], &[]);
    assert_eq!(nevras(&install.new), BTreeSet::from(["app-cx-1.0-1.noarch".to_owned()]));
    let f = &install.new[0];
    assert_eq!(f.blame, ["cx-2.0-1"]);
    assert_eq!(
        f.root_cause,
        "cx-2.0-1.noarch conflicts with cb-base provided by cb-base-1.0-1.noarch"
    );
    assert!(f.why.contains("cx-2.0-1 brings cx-2.0-1.noarch"), "{}", f.why);
    assert_eq!(verdict(&install, "cx-2.0-1"), Verdict::Reject);
    let c = &install.changes[0];
    assert_eq!(
        c.problems,
        [
            "app-cx-1.0-1.noarch cannot be installed: cx-2.0-1.noarch conflicts with cb-base provided by cb-base-1.0-1.noarch"
        ]
    );
    // The packages broken before (missing capabilities) stay broken, apart.
    assert_eq!(
        nevras(&install.still_broken),
        BTreeSet::from(["app-f-1.0-1.noarch".to_owned(), "old-broken-1.0-1.noarch".to_owned()])
    );
}

/// The closure-mode cases in install mode: a missing capability sinks a
/// package as an unresolved Requires does, attributed the same way.
#[test]
fn install_mode_attributes_as_closure_mode_does() {
    let r = run_install(&["liba-2.0-1"], &[]);
    assert_eq!(nevras(&r.new), BTreeSet::from(["app-a-1.0-1.noarch".to_owned()]));
    assert_eq!(r.new[0].blame, ["liba-2.0-1"]);
    assert!(r.new[0].why.contains("liba-extra-1.0-1.noarch"), "{}", r.new[0].why);

    let r = run_install(&[], &["libu"]);
    assert_eq!(nevras(&r.new), BTreeSet::from(["app-u-1.0-1.noarch".to_owned()]));
    assert_eq!(r.new[0].blame, ["libu"]);
    assert!(r.new[0].why.contains("untagging libu"), "{}", r.new[0].why);

    let r = run_install(&["app-f-1.1-1"], &[]);
    assert!(r.new.is_empty(), "{:#?}", r.new);
    assert_eq!(nevras(&r.fixed), BTreeSet::from(["app-f-1.0-1.noarch".to_owned()]));
    assert_eq!(r.fixed[0].blame, ["app-f-1.1-1"]);

    let r = run_install(&["harmless-1.1-1", "libb-2.0-1", "newdep-2.0-1", "cx-2.0-1"], &[]);
    assert_eq!(verdict(&r, "harmless-1.1-1"), Verdict::Accept);
    assert_eq!(verdict(&r, "libb-2.0-1"), Verdict::Reject);
    assert_eq!(verdict(&r, "newdep-2.0-1"), Verdict::Reject);
    assert_eq!(verdict(&r, "cx-2.0-1"), Verdict::Reject);
    let app_b = r
        .new
        .iter()
        .find(|f| f.name == "app-b")
        .unwrap_or_else(|| panic!("{:#?}", r.new));
    assert_eq!(app_b.blame, ["libb-2.0-1"]);
    assert_eq!(app_b.root_cause, "nothing provides libb < 2.0");

    let r = run_install(&["shx-2.0-1", "shy-2.0-1"], &[]);
    assert_eq!(nevras(&r.new), BTreeSet::from(["app-s-1.0-1.noarch".to_owned()]));
    assert_eq!(r.new[0].blame, ["shx-2.0-1", "shy-2.0-1"]);
    assert!(r.new[0].why.starts_with("only together"), "{}", r.new[0].why);
}

/// A build read from its .rpm files is the same package as the build read
/// from the repository createrepo_c made of them (fixtures/change/repos/testing).
#[test]
fn rpm_headers_read_as_createrepo_c_writes_them() {
    let dirs: Vec<String> = std::fs::read_dir(fx().join("builds"))
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|e| e.unwrap_or_else(|e| panic!("{e}")).path().display().to_string())
        .collect();
    let mut all = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for d in &dirs {
        for f in std::fs::read_dir(d).unwrap_or_else(|e| panic!("{e}")) {
            let p = f.unwrap_or_else(|e| panic!("{e}")).path();
            std::fs::copy(&p, all.path().join(p.file_name().unwrap_or_default())).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let generated = change::builds::read_rpm_dir(all.path()).unwrap_or_else(|e| panic!("{e}"));
    let specs = [
        RepoSpec::new("files", &generated.location()),
        RepoSpec::new("rpmmd", &fx().join("repos/testing").display().to_string()),
    ];
    let mut loaded = rpmatrix::engine::load(&specs, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    // Every path of both, so that filelists are compared too.
    let pool = &loaded.pool;
    let describe = |repo: usize| -> BTreeSet<String> {
        pool.repos[repo]
            .packages
            .clone()
            .flat_map(|p| {
                let nevra = pool.nevra(p);
                let src = pool.str(pool.packages[p as usize].sourcerpm).to_owned();
                pool.deps(p)
                    .iter()
                    .map(move |d| {
                        let evr = match d.evr {
                            rpmatrix::core::ids::NO_EVR => String::new(),
                            e => pool.evr(e).to_string(),
                        };
                        format!(
                            "{nevra} {src} {:?} {} {:?} {evr} {}",
                            d.kind,
                            pool.str(d.name),
                            d.op,
                            d.pre
                        )
                    })
                    .chain(
                        pool.files[pool.packages[p as usize].files.start as usize
                            ..pool.packages[p as usize].files.end as usize]
                            .iter()
                            .map(move |&f| format!("{} file {}", pool.nevra(p), pool.str(f))),
                    )
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    assert_eq!(describe(0), describe(1));
    // Filelists: the same owners for a path only filelists lists.
    let path = "/usr/share/libt/abi2.dat";
    let scans = loaded.filelists_scans(&[rpmatrix::closure::FilelistsRequest {
        paths: vec![
            loaded
                .pool
                .strings
                .lookup(path)
                .unwrap_or_else(|| panic!("{path} not interned")),
        ],
        repos: vec![0, 1],
    }]);
    assert!(loaded.scan_filelists(&scans).is_empty());
    let id = loaded.pool.strings.lookup(path).unwrap_or_default();
    let owners: Vec<String> = loaded
        .pool
        .file_owners(id)
        .map(|p| format!("{} {}", loaded.pool.repo_name(p), loaded.pool.nevra(p)))
        .collect();
    assert_eq!(owners, ["files libt-2.0-1.noarch", "rpmmd libt-2.0-1.noarch"]);
    all.close().unwrap_or_else(|e| panic!("{e}"));
    all = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    drop(all);
}

#[test]
fn builds_picked_from_a_testing_repo_by_nvr_and_source() {
    let testing = fx().join("repos/testing").display().to_string();
    let mut req = request(&[], &[]);
    req.adds = vec![Add::new("testing", &testing)];
    req.nvrs = vec!["libb-2.0-1".into()];
    req.sources = vec!["harmless".into()];
    let r = change::run(&req).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = r.changes.iter().map(|c| c.nvr.as_str()).collect();
    assert_eq!(names, ["harmless-1.1-1", "libb-2.0-1"]);
    assert_eq!(verdict(&r, "harmless-1.1-1"), Verdict::Accept);
    assert_eq!(verdict(&r, "libb-2.0-1"), Verdict::Reject);
    // An --nvr that names nothing is an error, not an empty change.
    req.nvrs = vec!["nope-1-1".into()];
    let e = change::run(&req).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("--nvr nope-1-1"), "{e}");
}

/// What `rpmatrix change` printed and wrote.
struct CliRun {
    code: Option<i32>,
    stdout: String,
    /// The `--json` report.
    doc: serde_json::Value,
    /// The `--junit` report, as text and parsed.
    junit: (String, quick_junit::Report),
    /// The `--summary` Markdown.
    markdown: String,
}

/// `rpmatrix change` against the fixture's base + rel repos, with `args`
/// after them, writing every report.
fn change_cli(args: &[&str]) -> CliRun {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (json, junit, summary) = (
        dir.path().join("c.json"),
        dir.path().join("c.xml"),
        dir.path().join("c.md"),
    );
    let out = rpmatrix()
        .args([
            "change",
            "--repo",
            "base=fixtures/change/repos/base",
            "--repo",
            "rel=fixtures/change/repos/rel",
        ])
        .args(args)
        .arg("--json")
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg("--summary")
        .arg(&summary)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let text = std::fs::read_to_string(&json).unwrap_or_default();
    let doc =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    CliRun {
        code: out.status.code(),
        stdout,
        doc,
        junit: common::read_junit(&junit),
        markdown: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

/// `rpmatrix change ARGS`: its exit code only.
fn change_cli_code(args: &[&str]) -> Option<i32> {
    rpmatrix()
        .args(["change"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
        .status
        .code()
}

#[test]
fn cli_reports_and_exit_codes() {
    let run = change_cli(&[
        "--check",
        "rel",
        "--add",
        "fixtures/change/builds/harmless-1.1-1",
        "--add",
        "fixtures/change/builds/libb-2.0-1",
    ]);
    let stdout = &run.stdout;
    assert_eq!(run.code, Some(1), "{stdout}");
    assert!(stdout.contains("REJECT  libb-2.0-1"), "{stdout}");
    assert!(stdout.contains("accept  harmless-1.1-1"), "{stdout}");
    assert!(
        stdout.contains("app-b-1.0-1.noarch (rel) requires libb < 2.0"),
        "{stdout}"
    );
    assert_eq!(run.doc["schema"], 1);
    assert_eq!(run.doc["new"][0]["blame"][0], "libb-2.0-1");
    let (xml, report) = &run.junit;
    let suite = &report.test_suites[0];
    let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["harmless-1.1-1", "libb-2.0-1"], "{xml}");
    assert_eq!(suite.failures, 1, "{xml}");
    let md = &run.markdown;
    assert!(md.contains("| `libb-2.0-1` | REJECT |"), "{md}");

    // Nothing new breaks: exit 0.
    let code = change_cli_code(&[
        "--repo",
        "base=fixtures/change/repos/base",
        "--repo",
        "rel=fixtures/change/repos/rel",
        "--add",
        "fixtures/change/builds/app-f-1.1-1",
    ]);
    assert_eq!(code, Some(0));
    // Bad input: exit 2 with one clear line.
    for (args, want) in [
        (["--add", "fixtures/change/specs"], "no .rpm files"),
        (["--remove-source", "nope"], "--remove-source nope"),
    ] {
        let out = rpmatrix()
            .args(["change", "--repo", "rel=fixtures/change/repos/rel"])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{err}");
    }
}

#[test]
fn cli_install_mode_says_so_in_every_report() {
    let run = change_cli(&[
        "--check",
        "rel",
        "--mode",
        "install",
        "--add",
        "fixtures/change/builds/cx-2.0-1",
    ]);
    let stdout = &run.stdout;
    assert_eq!(run.code, Some(1), "{stdout}");
    assert!(stdout.contains("--mode install"), "{stdout}");
    assert!(stdout.contains("REJECT  cx-2.0-1"), "{stdout}");
    assert!(
        stdout.contains("app-cx-1.0-1.noarch (rel) cannot be installed: cx-2.0-1.noarch conflicts with cb-base"),
        "{stdout}"
    );
    let doc = &run.doc;
    assert_eq!(doc["mode"], "install");
    assert!(doc["new"][0].get("requires").is_none(), "{}", doc["new"][0]);
    let chain = doc["new"][0]["problems"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        chain.last().map(|p| p["kind"].clone()),
        Some("conflicts".into()),
        "{}",
        doc["new"][0]
    );
    let (xml, report) = &run.junit;
    assert!(xml.contains(r#"name="mode" value="install""#), "{xml}");
    assert_eq!(report.test_suites[0].failures, 1, "{xml}");
    let md = &run.markdown;
    assert!(md.contains("`--mode install`"), "{md}");
    assert!(md.contains("`app-cx-1.0-1.noarch` cannot be installed"), "{md}");
    // The same build in closure mode breaks nothing.
    let code = change_cli_code(&[
        "--repo",
        "base=fixtures/change/repos/base",
        "--repo",
        "rel=fixtures/change/repos/rel",
        "--check",
        "rel",
        "--add",
        "fixtures/change/builds/cx-2.0-1",
    ]);
    assert_eq!(code, Some(0));
}

/// CentOS Stream 9 BaseOS + AppStream, and as the change newer builds of 20
/// source packages made by editing a copy of AppStream's metadata
/// (tests/oracle/gen_change_real.py: release + ".chg1", two of them drop a
/// subpackage). Before and after agree with dnf on the original and the
/// edited repositories.
#[test]
#[ignore = "needs ../shared/data/real"]
fn change_on_cs9_agrees_with_dnf() {
    let appstream = common::real_repo("cs9-appstream-x86_64-2025-01");
    let baseos = common::real_repo("cs9-baseos-x86_64-2022-02");
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let status = common::python3_with(&[])
        .arg(root().join("tests/oracle/gen_change_real.py"))
        .arg(&appstream)
        .arg(work.path())
        .status()
        .unwrap_or_else(|e| panic!("/usr/bin/python3: {e}"));
    assert!(status.success(), "gen_change_real.py failed");
    let request = ChangeRequest {
        targets: vec![
            RepoSpec::new("baseos", &baseos.display().to_string()),
            RepoSpec::new("appstream", &appstream.display().to_string()),
        ],
        adds: vec![Add::new(
            "proposed",
            &work.path().join("proposed").display().to_string(),
        )],
        closure: ClosureOptions {
            check: vec!["appstream".into()],
            basearch: "x86_64".into(),
            ..ClosureOptions::default()
        },
        ..ChangeRequest::default()
    };
    let report = change::run(&request).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.changes.len(), 20);
    assert!(
        !report.new.is_empty(),
        "the edited builds were meant to break something"
    );
    assert!(report.new.iter().all(|f| !f.blame.is_empty()), "{:#?}", report.new);
    let before = dnf_closure_of(&[("baseos", &baseos), ("appstream", &appstream)], &["appstream"]);
    let mut expect = rows(&report.fixed);
    expect.extend(still_before(&report));
    assert_same(&before, &expect, "before-state");
    let after_dir = work.path().join("after");
    let after = dnf_closure_of(&[("baseos", &baseos), ("after", &after_dir)], &["after"]);
    let mut expect = rows(&report.new);
    expect.extend(rows(&report.still_broken));
    assert_same(&after, &expect, "after-state");
}

/// Fails with the findings only dnf or only rpmatrix has (a few of each).
fn assert_same(dnf: &BTreeSet<(String, String)>, ours: &BTreeSet<(String, String)>, what: &str) {
    let only_dnf: Vec<_> = dnf.difference(ours).take(10).collect();
    let only_ours: Vec<_> = ours.difference(dnf).take(10).collect();
    assert!(
        only_dnf.is_empty() && only_ours.is_empty(),
        "{what} differs from dnf ({} vs {} findings)\nonly dnf: {only_dnf:#?}\nonly rpmatrix: {only_ours:#?}",
        dnf.len(),
        ours.len()
    );
}

/// The nearest candidates of an unresolved Requires (issue 21): the other
/// versions of the wanted capability that the enabled repositories have,
/// the closest first.
#[test]
fn nearest_candidates_name_the_other_versions() {
    let repo = |n: &str| RepoSpec::new(n, &fx().join("repos").join(n).display().to_string());
    let loaded =
        rpmatrix::engine::load(&[repo("rel"), repo("testing")], &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let pool = &loaded.pool;
    let testing = pool
        .repos
        .iter()
        .position(|r| r.name == "testing")
        .unwrap_or(usize::MAX) as u32;
    // After libb-2.0 replaced libb-1.0, app-b's `libb < 2.0` has only 2.0 near.
    let only_testing: Vec<bool> = pool.packages.iter().map(|p| p.repo == testing).collect();
    let near = rpmatrix::closure::nearest_candidates(pool, &only_testing, "libb < 2.0", 3);
    let rows: Vec<(&str, &str, &str)> = near
        .iter()
        .map(|c| (c.nevra.as_str(), c.repo.as_str(), c.provides.as_str()))
        .collect();
    assert_eq!(rows, [("libb-2.0-1.noarch", "testing", "libb = 2.0-1")]);
    // With both: the next newer, then the next older.
    let all = vec![true; pool.packages.len()];
    let near = rpmatrix::closure::nearest_candidates(pool, &all, "libb = 1.1-1", 5);
    let nevras: Vec<&str> = near.iter().map(|c| c.nevra.as_str()).collect();
    assert_eq!(nevras, ["libb-2.0-1.noarch", "libb-1.0-1.noarch"]);
    let near = rpmatrix::closure::nearest_candidates(pool, &all, "libb >= 1.0", 1);
    assert_eq!(near[0].nevra, "libb-1.0-1.noarch");
    // Nothing of that name at any version, a path: none.
    assert!(rpmatrix::closure::nearest_candidates(pool, &all, "cb-nothing", 5).is_empty());
    assert!(rpmatrix::closure::nearest_candidates(pool, &all, "/usr/bin/cb-sh", 5).is_empty());
}
