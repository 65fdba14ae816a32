//! repomd.xml of any bytes: parsed, or refused with an error, never a
//! panic; then a repository with it as its repomd.xml (beside a small valid
//! primary.xml, which a fuzzed entry may or may not name, with whatever
//! checksum, size and href) is loaded, which ends in a repository or an
//! error, never a panic, and never reads outside the repository (an href
//! with `..` or an absolute path is refused).
use rpmatrix::engine::{self, Options};
use rpmatrix::fetch::RepoSpec;

/// A valid primary.xml of one package, at `repodata/primary.xml`.
const PRIMARY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm"><name>a</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/>
<checksum type="sha256" pkgid="YES">00</checksum><format><rpm:provides><rpm:entry name="a"/></rpm:provides></format></package>
</metadata>
"#;

/// Runs the target on one input; panics on a finding.
pub fn run(data: &[u8]) {
    let _ = rpmatrix::repodata::repomd::parse(data);
    let Ok(dir) = tempfile::tempdir() else { return };
    let repodata = dir.path().join("repodata");
    if std::fs::create_dir_all(&repodata).is_err()
        || std::fs::write(repodata.join("primary.xml"), PRIMARY).is_err()
        || std::fs::write(repodata.join("repomd.xml"), data).is_err()
    {
        return;
    }
    let location = dir.path().display().to_string();
    // A local directory: nothing is downloaded, whatever the hrefs say.
    let _ = engine::load(&[RepoSpec::new("fuzz", &location)], &Options::default());
}
