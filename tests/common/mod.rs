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
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/real");
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
