//! Streaming parser of `primary.xml`: package records without a DOM.
//!
//! The decompressed text is cut into chunks that end at a `</package>`
//! boundary (found with memchr), so a chunk can be parsed on its own with
//! quick-xml's byte events (the chunk was checked as UTF-8 once) while the
//! next one is being decompressed ([`crate::repodata::chunks`]). Strings are
//! interned as they are read (through [`Intern`], the pool's shared
//! interner, behind a per-chunk cache each parser keeps: `caches`), so
//! records (`records`) are small integers and the pool never hashes a
//! string a second time. A package's elements (`<name>`, `<version .../>`,
//! the dependency lists' `<rpm:entry .../>`, `<file>`...) are read straight
//! from the chunk while they are spelled as createrepo_c writes them
//! (`scan`); quick-xml reads the document around them and anything
//! spelled otherwise (`reader`), and the tests and the `primary` fuzz
//! target hold the two readings to the same packages.

mod caches;
mod reader;
mod records;
mod scan;

use std::io::Read;

pub use caches::ChunkCaches;
pub use reader::parse_primary_chunk;
pub(crate) use reader::{announced, package_count};
pub use records::{Batch, PkgRec};

use crate::core::ids::{EvrId, Intern, NO_EVR, NO_STR, StrId};
use crate::repodata::chunks::{DocState, ParseError, parse_chunks_on_rayon};
use reader::parse_chunk;

/// Bytes of primary.xml per chunk: big enough that the per-chunk caches see
/// most repeats (each string of a chunk reaches the shared interner once,
/// and that lookup is mostly cache misses), small enough that the chunks in
/// flight stay a few MiB. For CS9, 1 MiB rather than 512 KiB: 1 % fewer
/// instructions, about 5 % less time, 1 MB more peak RSS; 2 MiB: slower, and
/// 7 MB more.
pub(crate) const PRIMARY_CHUNK: usize = 1024 << 10;

/// Parses a whole primary.xml stream: one thread decompresses and cuts
/// chunks while the rayon pool parses them as they come. Batches come back
/// in document order.
pub fn parse_primary<R: Read + Send>(reader: R, interner: &dyn Intern) -> Result<Vec<Batch>, ParseError> {
    let results = parse_chunks_on_rayon(reader, PRIMARY_CHUNK, PARSE_AHEAD, |caches: &mut ChunkCaches, chunk| {
        let mut doc = DocState::default();
        let batch = parse_primary_chunk(chunk, &mut doc, interner, caches)?;
        Ok((batch, doc))
    })?;
    let mut doc = DocState::default();
    let mut batches = Vec::with_capacity(results.len());
    for (batch, chunk_doc) in results {
        doc.merge(&chunk_doc);
        batches.push(batch);
    }
    doc.finish("metadata")?;
    Ok(batches)
}

/// Chunks of one primary.xml handed to rayon's workers and not yet parsed
/// (see `parse_chunks_on_rayon`).
pub const PARSE_AHEAD: usize = 2;

/// Every package of `xml` (a whole primary.xml, or a chunk of one) as
/// text, read with or without the hand-read runs: name, arch, EVR, pkgid,
/// sourcerpm, each dependency, each file. For the tests and the fuzz target
/// that hold the hand-read runs to what quick-xml alone reads (the fuzz
/// targets' bodies also run in `cargo test`, `tests/fuzz_replay.rs`, which
/// builds the library without `cfg(test)`: hence public, not gated).
#[doc(hidden)]
pub fn packages_as_text(xml: &str, hand_read: bool) -> Result<Vec<String>, ParseError> {
    let strings = crate::pool::SharedInterner::new();
    let mut doc = DocState::default();
    let batch = parse_chunk(xml, &mut doc, &strings, &mut ChunkCaches::default(), hand_read)?;
    let strings = strings.freeze();
    let text = |id: StrId| {
        if id == NO_STR {
            "-".to_owned()
        } else {
            strings.get(id).to_owned()
        }
    };
    let evr = |id: EvrId| {
        if id == NO_EVR {
            return "-".to_owned();
        }
        let e = strings.evr(id);
        format!("{}:{}-{}", text(e.epoch), text(e.version), text(e.release))
    };
    Ok(batch
        .packages
        .iter()
        .map(|p| {
            let deps: Vec<String> = batch.deps[p.deps.start as usize..p.deps.end as usize]
                .iter()
                .map(|d| format!("{:?} {} {:?} {} {}", d.kind, text(d.name), d.op, evr(d.evr), d.pre))
                .collect();
            let files: Vec<String> = batch.files[p.files.start as usize..p.files.end as usize]
                .iter()
                .map(|&f| text(f))
                .collect();
            format!(
                "{} {} {} {} {} {deps:?} {files:?}",
                text(p.name),
                text(p.arch),
                evr(p.evr),
                &batch.pkgids[p.pkgid.start as usize..p.pkgid.end as usize],
                text(p.sourcerpm)
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::dep::DepKind;
    use crate::core::evr::Op;
    use crate::core::ids::{EvrId, NO_EVR, NO_STR, StrId};

    /// A minimal interner for parser tests.
    #[derive(Default)]
    pub(super) struct Strings(
        std::sync::Mutex<Vec<String>>,
        std::sync::Mutex<Vec<(StrId, StrId, StrId)>>,
    );

    impl Intern for Strings {
        fn intern_evr(&self, epoch: StrId, version: StrId, release: StrId) -> EvrId {
            let Ok(mut v) = self.1.lock() else { return NO_EVR };
            v.push((epoch, version, release));
            (v.len() - 1) as EvrId
        }

        fn intern(&self, s: &str) -> StrId {
            let Ok(mut v) = self.0.lock() else { return NO_STR };
            match v.iter().position(|x| x == s) {
                Some(i) => i as StrId,
                None => {
                    v.push(s.to_owned());
                    (v.len() - 1) as StrId
                }
            }
        }
    }

    impl Strings {
        pub(super) fn evr(&self, id: EvrId) -> (String, String, String) {
            let parts = self.1.lock().map(|v| v.get(id as usize).copied()).ok().flatten();
            let Some((e, v, r)) = parts else {
                return Default::default();
            };
            (self.get(e), self.get(v), self.get(r))
        }

        pub(super) fn get(&self, id: StrId) -> String {
            self.0
                .lock()
                .map(|v| v.get(id as usize).cloned().unwrap_or_default())
                .unwrap_or_default()
        }
    }

    pub(super) fn evr_release(strings: &Strings, id: EvrId) -> StrId {
        strings.1.lock().map(|v| v[id as usize].2).unwrap_or(0)
    }

    pub(super) const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
    <metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
    <package type="rpm">
      <name>foo&amp;bar</name>
      <arch>x86_64</arch>
      <version epoch="0" ver="1.0" rel="1.el9"/>
      <checksum type="sha256" pkgid="YES">abc</checksum>
      <summary>s &lt; t</summary>
      <location href="Packages/foo.rpm"/>
      <format>
    <rpm:sourcerpm>foo-1.0-1.el9.src.rpm</rpm:sourcerpm>
    <rpm:provides><rpm:entry name="foo" flags="EQ" epoch="0" ver="1.0" rel="1.el9"/></rpm:provides>
    <rpm:requires><rpm:entry name="bar" flags="GE" epoch="0" ver="2" pre="1"/><rpm:entry name="(a or b)"/></rpm:requires>
    <file>/usr/bin/foo</file>
      </format>
    </package>
    </metadata>"#;

    #[test]
    fn parses_a_package() {
        let strings = Strings::default();
        let batches = parse_primary(XML.as_bytes(), &strings).unwrap_or_else(|e| panic!("{e}"));
        let b = &batches[0];
        let p = &b.packages[0];
        assert_eq!(strings.get(p.name), "foo&bar");
        assert_eq!(strings.evr(p.evr), ("0".into(), "1.0".into(), "1.el9".into()));
        assert_eq!(&b.pkgids[p.pkgid.start as usize..p.pkgid.end as usize], "abc");
        assert_eq!(strings.get(p.sourcerpm), "foo-1.0-1.el9.src.rpm");
        assert_eq!(p.deps.len(), 3);
        let req = b.deps[1];
        assert_eq!(req.kind, DepKind::Requires);
        assert!(req.pre);
        assert_eq!(req.op, Some(Op::GE));
        // No rel attribute: the release is absent, not empty.
        assert_eq!(strings.evr(req.evr), ("0".into(), "2".into(), "".into()));
        assert_eq!(evr_release(&strings, req.evr), NO_STR);
        assert_eq!(b.deps[2].evr, NO_EVR);
        assert_eq!(strings.get(b.files[0]), "/usr/bin/foo");
    }

    #[test]
    fn entries_with_entities_or_odd_quoting_parse_like_plain_ones() {
        let xml = XML.replace(
            r#"<rpm:entry name="(a or b)"/>"#,
            r#"<rpm:entry name="a&amp;b" flags='LT' ver="2"/><rpm:entry  name = "c"  flags="EQ" ver="1" />"#,
        );
        let strings = Strings::default();
        let batches = parse_primary(xml.as_bytes(), &strings).unwrap_or_else(|e| panic!("{e}"));
        let deps = &batches[0].deps;
        assert_eq!(strings.get(deps[2].name), "a&b");
        assert_eq!(deps[2].op, Some(Op::LT));
        assert_eq!(strings.get(deps[3].name), "c");
        assert_eq!(deps[3].op, Some(Op::EQ));
        assert_eq!(strings.evr(deps[3].evr).1, "1");
    }

    #[test]
    fn empty_repository_is_fine() {
        let xml = r#"<?xml version="1.0"?><metadata xmlns="http://linux.duke.edu/metadata/common" packages="0"/>"#;
        let batches = parse_primary(xml.as_bytes(), &Strings::default()).unwrap_or_else(|e| panic!("{e}"));
        assert!(batches.iter().all(|b| b.packages.is_empty()));
    }

    #[test]
    fn truncated_document_is_an_error() {
        let cut = &XML[..XML.len() - 20];
        assert!(parse_primary(cut.as_bytes(), &Strings::default()).is_err());
        let cut = &XML[..XML.len() - 5];
        assert!(parse_primary(cut.as_bytes(), &Strings::default()).is_err());
    }
}
