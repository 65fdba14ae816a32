//! Helpers shared by the integration tests.

use std::io::Read;
use std::path::PathBuf;

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
