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
