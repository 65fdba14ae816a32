//! A whole repository of any primary.xml and filelists.xml: written to a
//! directory with a repomd.xml whose checksums match, loaded, pooled and
//! closed in both rich modes, with and without --newest and --best. A
//! finding or an error, never a panic.
//!
//! The input is primary.xml, then optionally `\n<!--filelists-->\n` and
//! filelists.xml.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use rpmatrix::closure::{ClosureOptions, RichMode};
use rpmatrix::engine::{self, Options, RepoSpec};
use sha2::{Digest, Sha256};

const SPLIT: &[u8] = b"\n<!--filelists-->\n";

fn write_repo(dir: &Path, primary: &[u8], filelists: &[u8]) -> std::io::Result<()> {
    let repodata = dir.join("repodata");
    std::fs::create_dir_all(&repodata)?;
    let mut repomd = String::from("<?xml version=\"1.0\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n");
    for (kind, bytes) in [("primary", primary), ("filelists", filelists)] {
        let sum = hex::encode(Sha256::digest(bytes));
        std::fs::write(repodata.join(format!("{kind}.xml")), bytes)?;
        repomd.push_str(&format!(
            "<data type=\"{kind}\"><checksum type=\"sha256\">{sum}</checksum>\
             <location href=\"repodata/{kind}.xml\"/><size>{}</size></data>\n",
            bytes.len()
        ));
    }
    repomd.push_str("</repomd>\n");
    std::fs::write(repodata.join("repomd.xml"), repomd)
}

fuzz_target!(|data: &[u8]| {
    let (primary, filelists) = match data.windows(SPLIT.len()).position(|w| w == SPLIT) {
        Some(i) => (&data[..i], &data[i + SPLIT.len()..]),
        None => (data, &b"<filelists packages=\"0\"></filelists>"[..]),
    };
    let Ok(dir) = tempfile::tempdir() else { return };
    if write_repo(dir.path(), primary, filelists).is_err() {
        return;
    }
    let location = dir.path().display().to_string();
    let Ok(mut loaded) = engine::load(&[RepoSpec::new("fuzz", &location)], &Options::default()) else {
        return;
    };
    for (rich, newest, best) in [
        (RichMode::Dnf, false, false),
        (RichMode::Strict, false, false),
        (RichMode::Dnf, true, true),
    ] {
        let opts = ClosureOptions {
            basearch: "x86_64".to_owned(),
            rich,
            newest,
            best,
            ..ClosureOptions::default()
        };
        if let Ok((result, _)) = loaded.closure(&opts) {
            let _ = result.unresolved_count();
        }
    }
});
