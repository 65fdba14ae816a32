//! A matrix cell with `installable = true` (issue 21): its uninstallable
//! packages are failures too, with the same baseline, waiver and JUnit
//! treatment as closure failures. On fixtures/repos/install the failing
//! set equals libsolv's (fixtures/golden-install, made by python3-solv).

use std::collections::BTreeSet;
use std::path::Path;

use rpmatrix::matrix::{Change, FailureKind};

mod common;

use common::{read_report, root, run_in, text, write};

fn matrix(dir: &Path, installable: bool, waivers: &str) {
    let text = format!(
        "[repos.install]\npath = \"{}\"\n[[cells]]\nname = \"ic\"\ncheck = [\"install\"]\ninstallable = {installable}\n{waivers}",
        root().join("fixtures/repos/install").display()
    );
    write(dir, "m.toml", &text);
}

fn golden() -> BTreeSet<String> {
    let path = root().join("fixtures/golden-install/install.x86_64.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.split('\t').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn an_installable_cell_fails_exactly_the_packages_libsolv_cannot_install() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    matrix(dir.path(), false, "");
    let out = run_in(dir.path(), &["run", "m.toml", "--json", "closure.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let closure = read_report(&dir.path().join("closure.json"));
    let closure_failing: BTreeSet<String> = closure.cells[0]
        .failures
        .iter()
        .map(|f| f.package.nevra.clone())
        .collect();

    matrix(dir.path(), true, "");
    let out = run_in(dir.path(), &["run", "m.toml", "--json", "r.json", "--junit", "j.xml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = read_report(&dir.path().join("r.json"));
    let cell = &report.cells[0];
    let failing: BTreeSet<String> = cell.failures.iter().map(|f| f.package.nevra.clone()).collect();
    assert_eq!(failing, golden(), "the failing set is libsolv's uninstallable set");
    assert!(closure_failing.is_subset(&failing));
    assert!(
        closure_failing.len() < failing.len(),
        "installability finds more than closure"
    );
    // Closure failures keep their kind; the others are uninstallable, with a root cause.
    for f in &cell.failures {
        let kinds: BTreeSet<FailureKind> = f.findings.iter().map(|x| x.kind).collect();
        if closure_failing.contains(&f.package.nevra) {
            assert_eq!(kinds, BTreeSet::from([FailureKind::Unresolved]), "{}", f.package.nevra);
        } else {
            assert_eq!(
                kinds,
                BTreeSet::from([FailureKind::Uninstallable]),
                "{}",
                f.package.nevra
            );
            assert!(!f.findings[0].problem.is_empty());
        }
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cannot be installed: "), "{stdout}");
    let junit = std::fs::read_to_string(dir.path().join("j.xml")).unwrap_or_default();
    assert!(junit.contains("type=\"uninstallable\""), "{junit}");

    // The same results as a baseline: nothing is new, exit 0.
    let out = run_in(
        dir.path(),
        &["run", "m.toml", "--baseline", "r.json", "--json", "again.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let again = read_report(&dir.path().join("again.json"));
    assert!(
        again.cells[0]
            .failures
            .iter()
            .all(|f| f.baseline == Some(Change::Still))
    );

    // A waiver scoped by `dep` to one root cause waives only the packages it sinks.
    let conflict = cell
        .failures
        .iter()
        .find(|f| f.findings.iter().any(|x| x.kind == FailureKind::Uninstallable))
        .unwrap_or_else(|| panic!("no uninstallable failure"));
    let waiver = format!(
        "[[waivers]]\npackage = \"{}\"\ndep = \"{}\"\nreason = \"known\"\n",
        conflict.package.name,
        conflict.findings[0].key.replace('"', "\\\"")
    );
    matrix(dir.path(), true, &waiver);
    let out = run_in(dir.path(), &["run", "m.toml", "--json", "w.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let waived = read_report(&dir.path().join("w.json"));
    let w: Vec<&str> = waived.cells[0]
        .failures
        .iter()
        .filter(|f| f.waived.is_some())
        .map(|f| f.package.nevra.as_str())
        .collect();
    assert_eq!(w, vec![conflict.package.nevra.as_str()]);
    assert!(!waived.waivers[0].stale);
}
