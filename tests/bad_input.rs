//! Every kind of bad input ends in exit code 2 and one message naming the
//! repository, the file and what is wrong; never a panic.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use sha2::Digest;

mod common;

fn fixture(name: &str) -> PathBuf {
    common::root().join("fixtures/repos").join(name)
}

/// A scratch copy of a fixture repository.
fn copy_repo(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let src = fixture(name).join("repodata");
    let dst = dir.path().join("repodata");
    std::fs::create_dir_all(&dst).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(src).unwrap_or_else(|e| panic!("{e}")).flatten() {
        std::fs::copy(entry.path(), dst.join(entry.file_name())).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

/// The file of `repo` whose name holds `kind` (`primary.xml`, `filelists.xml`).
fn metadata_path(repo: &Path, kind: &str) -> PathBuf {
    std::fs::read_dir(repo.join("repodata"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(kind))
        .unwrap_or_else(|| panic!("no {kind} in {}", repo.display()))
}

fn primary_path(repo: &Path) -> PathBuf {
    metadata_path(repo, "primary.xml")
}

/// Replaces the primary file's bytes and makes repomd.xml agree with them
/// (so the fault under test is not reported as a checksum mismatch).
fn replace_primary(repo: &Path, bytes: &[u8]) {
    let primary = primary_path(repo);
    let old = std::fs::read(&primary).unwrap_or_default();
    let old_sum = hex::encode(sha2::Sha256::digest(&old));
    let new_sum = hex::encode(sha2::Sha256::digest(bytes));
    std::fs::write(&primary, bytes).unwrap_or_else(|e| panic!("{e}"));
    let repomd = repo.join("repodata/repomd.xml");
    let text = std::fs::read_to_string(&repomd).unwrap_or_default();
    let text = text.replacen(&old_sum, &new_sum, 1).replacen(
        &format!("<size>{}</size>", old.len()),
        &format!("<size>{}</size>", bytes.len()),
        1,
    );
    std::fs::write(&repomd, text).unwrap_or_else(|e| panic!("{e}"));
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    enc.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a closure on the repo, expects exit 2, and returns stderr.
fn closure_fails(repo: &Path, extra: &[&str]) -> String {
    let out = Command::cargo_bin("rpmatrix")
        .unwrap_or_else(|e| panic!("{e}"))
        .arg("closure")
        .arg("--repo")
        .arg(format!("bad={}", repo.display()))
        .args(extra)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one message expected: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

const PRIMARY_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm"><name>p</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/>
<checksum type="sha256" pkgid="YES">x</checksum><location href="p.rpm"/><format>"#;

#[test]
fn no_repomd() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let err = closure_fails(dir.path(), &[]);
    assert!(
        err.contains("repo 'bad'") && err.contains("repodata/repomd.xml") && err.contains("not found"),
        "{err}"
    );
}

#[test]
fn missing_directory() {
    let err = closure_fails(Path::new("/nonexistent/rpmatrix-test"), &[]);
    assert!(err.contains("repo 'bad'") && err.contains("no such directory"), "{err}");
}

#[test]
fn checksum_mismatch() {
    let repo = copy_repo("comp-gz");
    let primary = primary_path(repo.path());
    let mut bytes = std::fs::read(&primary).unwrap_or_default();
    let last = bytes.len() - 10;
    bytes[last] ^= 0xff;
    std::fs::write(&primary, bytes).unwrap_or_else(|e| panic!("{e}"));
    let err = closure_fails(repo.path(), &[]);
    assert!(
        err.contains("primary.xml.gz") && err.contains("checksum mismatch"),
        "{err}"
    );
}

/// primary.xml is verified while it streams through the parser: damage that
/// breaks decompression or the XML must still be reported as what it is, a
/// file that does not match repomd.xml, and never as a parse error.
#[test]
fn damaged_primary_is_a_mismatch_not_a_parse_error() {
    let repo = copy_repo("comp-gz");
    let primary = primary_path(repo.path());
    let bytes = std::fs::read(&primary).unwrap_or_default();
    let mut middle = bytes.clone();
    for b in &mut middle[bytes.len() / 3..bytes.len() / 2] {
        *b ^= 0x5a;
    }
    std::fs::write(&primary, &middle).unwrap_or_else(|e| panic!("{e}"));
    let err = closure_fails(repo.path(), &[]);
    assert!(
        err.contains("primary.xml.gz") && err.contains("checksum mismatch"),
        "{err}"
    );
    assert!(!err.contains("malformed") && !err.contains("decompress"), "{err}");

    std::fs::write(&primary, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    let err = closure_fails(repo.path(), &[]);
    assert!(err.contains("primary.xml.gz") && err.contains("size mismatch"), "{err}");
}

/// filelists.xml, read only when a file require needs it, is verified as
/// it streams too: damage is a mismatch naming that file, not a parse error.
#[test]
fn damaged_filelists_is_a_mismatch_not_a_parse_error() {
    let repo = copy_repo("files");
    let filelists = metadata_path(repo.path(), "filelists.xml");
    let name = filelists
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let bytes = std::fs::read(&filelists).unwrap_or_default();
    let mut damaged = bytes.clone();
    for b in &mut damaged[bytes.len() / 3..bytes.len() / 2] {
        *b ^= 0x5a;
    }
    std::fs::write(&filelists, &damaged).unwrap_or_else(|e| panic!("{e}"));
    let err = closure_fails(repo.path(), &[]);
    assert!(err.contains(&name) && err.contains("checksum mismatch"), "{err}");
    assert!(!err.contains("malformed") && !err.contains("decompress"), "{err}");
}

#[test]
fn truncated_gzip() {
    let repo = copy_repo("comp-gz");
    let bytes = std::fs::read(primary_path(repo.path())).unwrap_or_default();
    replace_primary(repo.path(), &bytes[..bytes.len() / 2]);
    let err = closure_fails(repo.path(), &[]);
    assert!(err.contains("primary.xml.gz"), "{err}");
    assert!(
        err.to_lowercase().contains("eof") || err.contains("end of file") || err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn malformed_xml() {
    let repo = copy_repo("comp-gz");
    replace_primary(
        repo.path(),
        &gzip(&format!(
            "{PRIMARY_HEAD}<rpm:requires><rpm:entry name=\"x\" flags=</format></package></metadata>"
        )),
    );
    let err = closure_fails(repo.path(), &[]);
    assert!(err.contains("primary.xml.gz") && err.contains("malformed XML"), "{err}");
}

#[test]
fn xml_that_is_not_primary() {
    let repo = copy_repo("comp-gz");
    replace_primary(repo.path(), &gzip("<html><body>502 Bad Gateway</body></html>"));
    let err = closure_fails(repo.path(), &[]);
    assert!(err.contains("primary.xml.gz") && err.contains("<metadata>"), "{err}");
}

#[test]
fn unknown_compression() {
    let repo = copy_repo("comp-gz");
    replace_primary(repo.path(), &[0u8, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let err = closure_fails(repo.path(), &[]);
    assert!(
        err.contains("primary.xml.gz") && err.contains("unknown compression"),
        "{err}"
    );
}

#[test]
fn malformed_rich_dependency() {
    let repo = copy_repo("comp-gz");
    replace_primary(
        repo.path(),
        &gzip(&format!(
            "{PRIMARY_HEAD}<rpm:requires><rpm:entry name=\"(a and\"/></rpm:requires></format></package></metadata>"
        )),
    );
    let err = closure_fails(repo.path(), &[]);
    assert!(
        err.contains("p-1-1.noarch") && err.contains("malformed rich dependency"),
        "{err}"
    );
}

#[test]
fn unknown_check_repo() {
    let err = closure_fails(&fixture("comp-gz"), &["--check", "nope"]);
    assert!(err.contains("--check nope") && err.contains("bad"), "{err}");
}

#[test]
fn unsafe_href_is_refused() {
    let repo = copy_repo("comp-gz");
    let repomd = repo.path().join("repodata/repomd.xml");
    let text = std::fs::read_to_string(&repomd).unwrap_or_default();
    let text = text.replacen("href=\"repodata/", "href=\"../../etc/", 1);
    std::fs::write(&repomd, text).unwrap_or_else(|e| panic!("{e}"));
    let err = closure_fails(repo.path(), &[]);
    assert!(err.contains("refusing href") && err.contains(".."), "{err}");
}

#[test]
fn decompression_bomb_is_refused() {
    let repo = copy_repo("comp-gz");
    let err = closure_fails(repo.path(), &["--max-decompressed-size", "100"]);
    assert!(err.contains("exceeds the limit of 100 bytes"), "{err}");
    // A limit, not a corrupt file: the message says how to raise it, and
    // not that the file may be truncated (issue 20, point 11).
    assert!(err.contains("--max-decompressed-size BYTES raises"), "{err}");
    assert!(!err.contains("truncated or corrupt"), "{err}");
}

#[test]
fn bad_repo_argument() {
    let out = Command::cargo_bin("rpmatrix")
        .unwrap_or_else(|e| panic!("{e}"))
        .args(["closure", "--repo", "nonamegiven"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected NAME=LOCATION"));
}
