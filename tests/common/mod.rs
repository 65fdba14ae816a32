//! Helpers shared by the integration tests (each test crate uses a subset).
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The project root (tests run the CLI from here).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Debian's python3, the one `.ci/run` installs python3-rpm, python3-solv
/// and python3-junitparser for. A `python3` earlier on PATH (pyenv's) lacks
/// those modules, so tests never run `python3` by name.
pub const PYTHON3: &str = "/usr/bin/python3";

/// The path of `tool` (a name looked up on PATH, or an absolute path).
/// Panics, naming the tool, when it is missing: a test that needs a tool
/// fails without it rather than passing without having run (`.ci/run`
/// installs every tool the tests call).
pub fn require_tool(tool: &str) -> PathBuf {
    let found = if tool.contains('/') {
        Some(PathBuf::from(tool)).filter(|p| p.is_file())
    } else {
        std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(tool))
                .find(|p| p.is_file())
        })
    };
    found.unwrap_or_else(|| {
        panic!("this test needs `{tool}`, which is missing: install it (.ci/run installs every tool the tests call)")
    })
}

/// A command running [`PYTHON3`], after checking that it exists and can
/// import each of `modules` (Python module names, such as `rpm`, `solv`,
/// `junitparser`). Panics, naming what is missing, otherwise.
pub fn python3_with(modules: &[&str]) -> std::process::Command {
    let python = require_tool(PYTHON3);
    for module in modules {
        let probe = std::process::Command::new(&python)
            .args(["-c", &format!("import {module}")])
            .output()
            .unwrap_or_else(|e| panic!("{PYTHON3}: {e}"));
        assert!(
            probe.status.success(),
            "this test needs the Python module `{module}` for {PYTHON3}, which is missing \
             (.ci/run installs Debian's python3-{module}):\n{}",
            String::from_utf8_lossy(&probe.stderr)
        );
    }
    std::process::Command::new(python)
}

/// The real distribution metadata the `#[ignore]`d tests run on:
/// `../shared/data/real` beside the project, or the directory `$REAL` names
/// (as for the scripts in `benches/`). Panics when it is missing, so that
/// `--include-ignored` fails rather than passes without the data.
pub fn real_data() -> PathBuf {
    let dir = std::env::var_os("REAL").map_or_else(|| root().join("../shared/data/real"), PathBuf::from);
    assert!(
        dir.is_dir(),
        "this test needs the real metadata in {} (../shared/data/real beside the project, or set REAL)",
        dir.display()
    );
    dir
}

/// The directory of one repository in [`real_data`], which must exist.
pub fn real_repo(name: &str) -> PathBuf {
    let dir = real_data().join(name);
    assert!(dir.is_dir(), "this test needs {} (real metadata)", dir.display());
    dir
}

/// A JUnit reader that is not quick-junit (the library rpmatrix writes with).
#[derive(Clone, Copy, Debug)]
pub enum JunitReader {
    /// Python's `xml.etree.ElementTree`, counting the testcases itself.
    ElementTree,
    /// junitparser (Debian's python3-junitparser), as CI dashboards read it.
    Junitparser,
}

/// Each testsuite of a JUnit file, in document order, with its tests,
/// failures, errors and skipped as `reader` counts them from the
/// testcases. The reader also asserts that the suite's own attributes say
/// the same, so a count that disagrees with the testcases fails here.
pub fn junit_suite_counts(xml: &Path, reader: JunitReader) -> Vec<(String, (usize, usize, usize, usize))> {
    let (modules, script): (&[&str], &str) = match reader {
        JunitReader::ElementTree => (
            &[],
            r#"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for s in root.findall('testsuite'):
    cases = s.findall('testcase')
    f = sum(1 for c in cases if c.find('failure') is not None)
    e = sum(1 for c in cases if c.find('error') is not None)
    k = sum(1 for c in cases if c.find('skipped') is not None)
    assert (int(s.get('tests')), int(s.get('failures')), int(s.get('errors')), int(s.get('skipped'))) == (len(cases), f, e, k), s.get('name')
    print("%s\t%d\t%d\t%d\t%d" % (s.get('name'), len(cases), f, e, k))
"#,
        ),
        JunitReader::Junitparser => (
            &["junitparser"],
            r#"
import sys
from junitparser import JUnitXml, Failure, Error, Skipped
for s in JUnitXml.fromfile(sys.argv[1]):
    f = e = k = n = 0
    for c in s:
        n += 1
        for r in c.result:
            f += isinstance(r, Failure); e += isinstance(r, Error); k += isinstance(r, Skipped)
    assert (s.tests, s.failures, s.errors, s.skipped) == (n, f, e, k), s.name
    print("%s\t%d\t%d\t%d\t%d" % (s.name, n, f, e, k))
"#,
        ),
    };
    let out = python3_with(modules)
        .arg("-c")
        .arg(script)
        .arg(xml)
        .output()
        .unwrap_or_else(|e| panic!("{PYTHON3}: {e}"));
    assert!(
        out.status.success(),
        "{reader:?} on {}: {}",
        xml.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let n = |i: usize| f.get(i).and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
            (f[0].to_owned(), (n(1), n(2), n(3), n(4)))
        })
        .collect()
}

/// The `rpmatrix` binary, run from the project root.
pub fn rpmatrix() -> Command {
    let mut c = Command::cargo_bin("rpmatrix").unwrap_or_else(|e| panic!("{e}"));
    c.current_dir(root());
    c
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
    p
}

/// The error `Plan::from_path` gives for a matrix file holding `text`, with
/// the temporary directory shown as `DIR`.
pub fn matrix_parse_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let p = write(dir.path(), "m.toml", text);
    match rpmatrix::matrix::Plan::from_path(&p) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string().replace(&dir.path().display().to_string(), "DIR"),
    }
}

/// Runs `rpmatrix run` on the matrix file `dir/name` holding `text`, checks
/// that it exits 2, and returns what it printed on stderr.
pub fn run_bad_matrix(dir: &Path, name: &str, text: &str) -> String {
    let p = write(dir, name, text);
    let out = rpmatrix().arg("run").arg(&p).output().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A JUnit file's text and the report quick-junit reads back from it.
pub fn read_junit(path: &Path) -> (String, quick_junit::Report) {
    let xml = std::fs::read_to_string(path).unwrap_or_default();
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    (xml, report)
}

/// Where [`run_demo`] wrote its reports.
pub struct DemoReports {
    /// JUnit XML.
    pub junit: PathBuf,
    /// Results JSON.
    pub json: PathBuf,
    /// Markdown summary.
    pub summary: PathBuf,
}

/// Runs `matrices/demo.toml` (waivers judged on 2025-06-01) writing all three
/// reports into `dir`.
pub fn run_demo(dir: &Path) -> (Output, DemoReports) {
    let reports = DemoReports {
        junit: dir.join("j.xml"),
        json: dir.join("r.json"),
        summary: dir.join("s.md"),
    };
    let out = rpmatrix()
        .args(["run", "matrices/demo.toml", "--today", "2025-06-01", "--junit"])
        .arg(&reports.junit)
        .arg("--json")
        .arg(&reports.json)
        .arg("--summary")
        .arg(&reports.summary)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (out, reports)
}

/// The lines `dnf repoclosure` produced for a case of `tests/oracle/real`
/// (`NEVRA<TAB>REPO<TAB>DEP`), from `CASE.txt` or `CASE.txt.gz`.
pub fn oracle_lines(case: &str) -> Vec<String> {
    let dir = root().join("tests/oracle/real");
    let plain = dir.join(format!("{case}.txt"));
    let text = if plain.exists() {
        std::fs::read_to_string(&plain).unwrap_or_default()
    } else {
        let gz = std::fs::read(dir.join(format!("{case}.txt.gz"))).unwrap_or_else(|e| panic!("{case}: {e}"));
        let mut s = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut s)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        s
    };
    text.lines().map(str::to_owned).collect()
}

/// Writes a repository at `dir` (repomd.xml and a plain primary.xml, no
/// filelists: valid rpm-md, as a test needs it quickly): one noarch package
/// `NAME-1-1` per `(name, requires)`, providing its name and requiring each
/// of `requires` (unversioned capabilities).
pub fn tiny_repo(dir: &Path, packages: &[(&str, &[&str])]) {
    use sha2::Digest;
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut body = String::new();
    for (name, requires) in packages {
        let name = esc(name);
        let reqs: String = requires
            .iter()
            .map(|r| format!("<rpm:entry name=\"{}\"/>", esc(r)))
            .collect();
        let pkgid = hex::encode(sha2::Sha256::digest(name.as_bytes()));
        body.push_str(&format!(
            r#"<package type="rpm"><name>{name}</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/>
<checksum type="sha256" pkgid="YES">{pkgid}</checksum><summary>s</summary><description>d</description>
<packager/><url/><time file="1" build="1"/><size package="1" installed="1" archive="1"/>
<location href="{name}-1-1.noarch.rpm"/><format><rpm:license>MIT</rpm:license><rpm:vendor/><rpm:group>x</rpm:group>
<rpm:buildhost>h</rpm:buildhost><rpm:sourcerpm>{name}-1-1.src.rpm</rpm:sourcerpm><rpm:header-range start="1" end="2"/>
<rpm:provides><rpm:entry name="{name}" flags="EQ" epoch="0" ver="1" rel="1"/></rpm:provides>
<rpm:requires>{reqs}</rpm:requires></format></package>
"#
        ));
    }
    let primary = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{}">
{body}</metadata>
"#,
        packages.len()
    );
    let repodata = dir.join("repodata");
    std::fs::create_dir_all(&repodata).unwrap_or_else(|e| panic!("{}: {e}", repodata.display()));
    std::fs::write(repodata.join("primary.xml"), &primary).unwrap_or_else(|e| panic!("{e}"));
    let repomd = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
<data type="primary"><checksum type="sha256">{}</checksum><size>{}</size><location href="repodata/primary.xml"/></data>
</repomd>"#,
        hex::encode(sha2::Sha256::digest(primary.as_bytes())),
        primary.len()
    );
    std::fs::write(repodata.join("repomd.xml"), repomd).unwrap_or_else(|e| panic!("{e}"));
}

/// Runs the rpmatrix binary with `args` in `dir` and returns what it did.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rpmatrix"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An output as a failing assertion shows it: exit code, stdout, stderr.
pub fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The matrix results JSON at `p`, read as `--baseline` and `merge` read it.
pub fn read_report(p: &Path) -> rpmatrix::matrix::MatrixReport {
    let t = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    rpmatrix::matrix::MatrixReport::from_json(&t, &p.display().to_string()).unwrap_or_else(|e| panic!("{e}"))
}
