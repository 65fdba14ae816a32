//! A whole repository of any primary.xml and filelists.xml: written to a
//! directory with a repomd.xml whose checksums match, loaded, pooled and
//! closed in both rich modes, with and without --newest and --best. A
//! finding or an error, never a panic.
//!
//! The input is primary.xml, then optionally `\n<!--filelists-->\n` and
//! filelists.xml, then optionally `\n<!--modules-->\n` and modules.yaml
//! (modular filtering, on x86_64 and on aarch64).
use std::path::Path;

use rpmatrix::closure::{ClosureOptions, RichMode};
use rpmatrix::engine::{self, Options};
use rpmatrix::fetch::RepoSpec;
use sha2::{Digest, Sha256};

const SPLIT: &[u8] = b"\n<!--filelists-->\n";
const MODULES: &[u8] = b"\n<!--modules-->\n";

/// `data` before and after the first `sep`, if there is one.
fn split<'a>(data: &'a [u8], sep: &[u8]) -> (&'a [u8], Option<&'a [u8]>) {
    match data.windows(sep.len()).position(|w| w == sep) {
        Some(i) => (&data[..i], Some(&data[i + sep.len()..])),
        None => (data, None),
    }
}

fn write_repo(dir: &Path, primary: &[u8], filelists: &[u8], modules: Option<&[u8]>) -> std::io::Result<()> {
    let repodata = dir.join("repodata");
    std::fs::create_dir_all(&repodata)?;
    let mut repomd = String::from("<?xml version=\"1.0\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n");
    let mut files = vec![
        ("primary", "primary.xml", primary),
        ("filelists", "filelists.xml", filelists),
    ];
    if let Some(m) = modules {
        files.push(("modules", "modules.yaml", m));
    }
    for (kind, file, bytes) in files {
        let sum = hex::encode(Sha256::digest(bytes));
        std::fs::write(repodata.join(file), bytes)?;
        repomd.push_str(&format!(
            "<data type=\"{kind}\"><checksum type=\"sha256\">{sum}</checksum>\
             <location href=\"repodata/{file}\"/><size>{}</size></data>\n",
            bytes.len()
        ));
    }
    repomd.push_str("</repomd>\n");
    std::fs::write(repodata.join("repomd.xml"), repomd)
}

/// Runs the target on one input; panics on a finding.
pub fn run(data: &[u8]) {
    let (data, modules) = split(data, MODULES);
    let (primary, filelists) = split(data, SPLIT);
    let filelists = filelists.unwrap_or(b"<filelists packages=\"0\"></filelists>");
    let Ok(dir) = tempfile::tempdir() else { return };
    if write_repo(dir.path(), primary, filelists, modules).is_err() {
        return;
    }
    let location = dir.path().display().to_string();
    let Ok(mut loaded) = engine::load(&[RepoSpec::new("fuzz", &location)], &Options::default()) else {
        return;
    };
    for (rich, newest, best, basearch) in [
        (RichMode::Dnf, false, false, "x86_64"),
        (RichMode::Strict, false, false, "x86_64"),
        (RichMode::Dnf, true, true, "aarch64"),
    ] {
        let opts = ClosureOptions {
            basearch: basearch.to_owned(),
            rich,
            newest,
            best,
            ..ClosureOptions::default()
        };
        if let Ok((result, _)) = loaded.closure(&opts) {
            let _ = result.unresolved_count();
        }
    }
}
