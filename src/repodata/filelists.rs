//! `filelists.xml`, read only when a file dependency is still unresolved
//! after primary's short file lists, and then only for the paths somebody
//! asked about.
//!
//! [`scan_filelists_for`] is what the engine uses: it looks for the asked
//! paths with one Aho-Corasick pass over each chunk (`>PATH</file>`) and
//! finds the owning `<package pkgid=...>` backwards, instead of producing an
//! XML event for each of millions of `<file>` elements. [`parse_filelists`]
//! is the full streaming parser it is tested against.

use std::io::Read;

use quick_xml::events::Event;

use super::chunks::{DocState, ParseError, parse_chunks_on_rayon};
use super::xml::{attr, chunk_reader, push_ref, push_text};

/// Parses one chunk of filelists.xml, calling `sink(pkgid, path)` for every
/// `<file>` whose path `wanted` accepts.
pub fn parse_filelists_chunk(
    chunk: &str,
    doc: &mut DocState,
    wanted: &dyn Fn(&str) -> bool,
    sink: &mut dyn FnMut(&str, &str),
) -> Result<(), ParseError> {
    let mut reader = chunk_reader(chunk);
    let mut pkgid: Option<String> = None;
    let mut in_file = false;
    let mut value = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ParseError::Xml(format!("{e} (near byte {} of a chunk)", reader.error_position())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.name().as_ref() {
                b"package" => {
                    pkgid = Some(
                        attr(e, b"pkgid")?
                            .ok_or_else(|| ParseError::Xml("<package> without pkgid".into()))?
                            .into_owned(),
                    );
                    if matches!(event, Event::Empty(_)) {
                        doc.parsed += 1;
                        pkgid = None;
                    }
                }
                b"filelists" => {
                    doc.root_seen = true;
                    doc.root_closed |= matches!(event, Event::Empty(_));
                    doc.announced = crate::repodata::primary::announced(e)?;
                }
                b"file" if matches!(event, Event::Start(_)) => {
                    in_file = true;
                    value.clear();
                }
                _ => {}
            },
            Event::Text(t) if in_file => push_text(&mut value, &t)?,
            Event::GeneralRef(r) if in_file => push_ref(&mut value, &r)?,
            Event::End(e) => match e.name().as_ref() {
                b"file" => {
                    in_file = false;
                    if let Some(id) = &pkgid
                        && wanted(&value)
                    {
                        sink(id, &value);
                    }
                }
                b"package" => {
                    pkgid = None;
                    doc.parsed += 1;
                }
                b"filelists" => doc.root_closed = true,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

/// Parses a whole filelists.xml stream (decompressing on one thread, parsing
/// chunks in the rayon pool); `sink` sees matches in document order.
pub fn parse_filelists<R: Read + Send>(
    reader: R,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    sink: &mut dyn FnMut(&str, &str),
) -> Result<(), ParseError> {
    let results = parse_chunks_on_rayon(reader, FILELISTS_CHUNK, 2, |_: &mut (), chunk| {
        let mut doc = DocState::default();
        let mut found: Vec<(String, String)> = Vec::new();
        parse_filelists_chunk(chunk, &mut doc, wanted, &mut |id, p| {
            found.push((id.to_owned(), p.to_owned()))
        })?;
        Ok((found, doc))
    })?;
    let mut doc = DocState::default();
    for (found, chunk_doc) in results {
        doc.merge(&chunk_doc);
        for (id, path) in found {
            sink(&id, &path);
        }
    }
    doc.finish("filelists")
}

/// Bytes of filelists.xml per chunk. Filelists are read after the pool is
/// built, when memory is at its highest, and scanning a chunk is quick, so
/// chunks are smaller than primary's.
const FILELISTS_CHUNK: usize = 256 << 10;

/// The text of `path` as createrepo writes it inside `<file>`.
fn xml_escape(path: &str) -> String {
    path.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The value of `name="..."` in the text of a start tag (createrepo writes
/// these attributes with double quotes and no entities).
fn tag_attr<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// The search for a few `<file>` texts in filelists.xml.
enum PathSearch {
    /// One memmem finder per text: each skips ahead on the text's rarest
    /// bytes. Every needle starts with `>`, found every few bytes of XML,
    /// which is all an Aho-Corasick automaton's start-byte prefilter had.
    Few(Vec<memchr::memmem::Finder<'static>>),
    /// An automaton, for more texts than are worth a pass each.
    Many(aho_corasick::AhoCorasick),
}

/// Up to this many texts get a pass each ([`PathSearch::Few`]).
const FEW_PATHS: usize = 8;

impl PathSearch {
    fn new(needles: &[String]) -> Result<PathSearch, ParseError> {
        if needles.len() <= FEW_PATHS {
            return Ok(PathSearch::Few(
                needles
                    .iter()
                    .map(|n| memchr::memmem::Finder::new(n.as_bytes()).into_owned())
                    .collect(),
            ));
        }
        aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(needles)
            .map(PathSearch::Many)
            .map_err(|e| ParseError::Xml(format!("cannot search filelists: {e}")))
    }

    /// (start, needle index) of every match in `bytes`, in document order.
    /// No two needles can overlap: each starts at the `>` of a `<file>` tag
    /// and ends with `</file>`.
    fn find_all(&self, bytes: &[u8]) -> Vec<(usize, usize)> {
        match self {
            PathSearch::Few(finders) => {
                let mut all: Vec<(usize, usize)> = finders
                    .iter()
                    .enumerate()
                    // A needle given twice is reported as its first, as
                    // the automaton's leftmost-first matching does.
                    .filter(|&(i, f)| !finders[..i].iter().any(|g| g.needle() == f.needle()))
                    .flat_map(|(i, f)| f.find_iter(bytes).map(move |at| (at, i)))
                    .collect();
                all.sort_unstable();
                all
            }
            PathSearch::Many(automaton) => automaton
                .find_iter(bytes)
                .map(|m| (m.start(), m.pattern().as_usize()))
                .collect(),
        }
    }
}

/// Finds which packages own `paths` in a filelists.xml stream, calling
/// `sink(pkgid, path)` for each owner, in document order.
pub fn scan_filelists_for<R: Read + Send>(
    reader: R,
    paths: &[&str],
    sink: &mut dyn FnMut(&str, &str),
) -> Result<(), ParseError> {
    let needles: Vec<String> = paths.iter().map(|p| format!(">{}</file>", xml_escape(p))).collect();
    let search = PathSearch::new(&needles)?;
    // Searching a chunk is quicker than decompressing it: one waiting
    // chunk keeps a worker busy. A thread outside rayon's pool searches its
    // chunks itself: a worker it woke would be queued on its CPU.
    let ahead = match rayon::current_thread_index() {
        Some(_) => 1,
        None => 0,
    };
    let results = parse_chunks_on_rayon(reader, FILELISTS_CHUNK, ahead, |_: &mut (), chunk| {
        let mut doc = DocState::default();
        let bytes = chunk.as_bytes();
        // The root's tags lie before the first package and after the last.
        let head = memchr::memmem::find(bytes, b"<package ").unwrap_or(bytes.len());
        let tail = memchr::memmem::rfind(bytes, b"</package>").unwrap_or(0);
        if let Some(at) = memchr::memmem::find(&bytes[..head], b"<filelists") {
            doc.root_seen = true;
            let tag_end = memchr::memchr(b'>', &bytes[at..]).map_or(bytes.len(), |e| at + e);
            let tag = &chunk[at..tag_end];
            doc.root_closed |= tag.ends_with('/');
            doc.announced = tag_attr(tag, "packages")
                .map(crate::repodata::primary::package_count)
                .transpose()?;
        }
        doc.root_closed |= memchr::memmem::find(&bytes[tail..], b"</filelists>").is_some();
        doc.parsed = memchr::memmem::find_iter(bytes, b"<package ").count();
        let mut found: Vec<(String, usize)> = Vec::new();
        for (start, pattern) in search.find_all(bytes) {
            let Some(open) = memchr::memmem::rfind(&bytes[..start], b"<package ") else {
                return Err(ParseError::Xml("<file> outside a <package>".into()));
            };
            let tag_end = memchr::memchr(b'>', &bytes[open..]).map_or(start, |e| open + e);
            let tag = &chunk[open..tag_end];
            let pkgid =
                tag_attr(tag, "pkgid").ok_or_else(|| ParseError::Xml(format!("<package> without pkgid: {tag}")))?;
            found.push((pkgid.to_owned(), pattern));
        }
        Ok((found, doc))
    })?;
    let mut doc = DocState::default();
    for (found, chunk_doc) in results {
        doc.merge(&chunk_doc);
        for (pkgid, index) in found {
            sink(&pkgid, paths[index]);
        }
    }
    doc.finish("filelists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_wanted_paths() {
        let xml = r#"<?xml version="1.0"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="1">
<package pkgid="abc" name="foo" arch="x86_64"><version epoch="0" ver="1" rel="1"/>
<file>/usr/share/foo/a.txt</file><file type="dir">/usr/share/foo</file><file>/usr/bin/x</file>
</package>
</filelists>"#;
        let mut got = Vec::new();
        let r = parse_filelists(xml.as_bytes(), &|p| p.starts_with("/usr/share"), &mut |id, p| {
            got.push(format!("{id} {p}"))
        });
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(got, vec!["abc /usr/share/foo/a.txt", "abc /usr/share/foo"]);
    }

    #[test]
    fn the_fast_scan_finds_what_the_parser_finds() {
        let xml = r#"<?xml version="1.0"?>
<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="3">
<package pkgid="abc" name="foo" arch="x86_64"><version epoch="0" ver="1" rel="1"/>
<file>/usr/share/foo/a.txt</file><file type="dir">/usr/share/foo</file><file>/usr/bin/x</file>
</package>
<package pkgid="def" name="bar" arch="noarch"><version epoch="0" ver="1" rel="1"/>
<file type="ghost">/var/run/x&amp;y</file><file>/usr/share/foo/a.txt.orig</file><file>/usr/share/foo</file>
</package>
<package pkgid="ghi" name="empty" arch="noarch"><version epoch="0" ver="1" rel="1"/></package>
</filelists>"#;
        let mut all = Vec::new();
        let full = parse_filelists(xml.as_bytes(), &|_| true, &mut |id, p| {
            all.push((id.to_owned(), p.to_owned()))
        });
        assert!(full.is_ok(), "{full:?}");
        let few: Vec<&str> = vec!["/usr/share/foo", "/usr/share/foo/a.txt", "/var/run/x&y", "/nope"];
        // More paths than get a memmem pass each: the automaton searches.
        let mut many = few.clone();
        many.extend(["/a", "/b", "/c", "/d", "/e", "/f", "/g", "/usr/bin/x"]);
        assert!(many.len() > FEW_PATHS);
        for (paths, owners) in [(few, 4), (many, 5)] {
            let mut fast = Vec::new();
            let r = scan_filelists_for(xml.as_bytes(), &paths, &mut |id, p| {
                fast.push((id.to_owned(), p.to_owned()))
            });
            assert!(r.is_ok(), "{r:?}");
            // In document order, as the parser sees them.
            let want: Vec<_> = all
                .iter()
                .filter(|(_, p)| paths.contains(&p.as_str()))
                .cloned()
                .collect();
            assert_eq!(fast, want);
            assert_eq!(fast.len(), owners);
        }
    }

    /// What the scan can check without parsing, it checks: a `packages`
    /// count that is not one and a NUL byte are malformed metadata (issue
    /// 20, point 7), as the parser finds them too.
    #[test]
    fn the_fast_scan_refuses_a_bad_count_and_nul_bytes() {
        let good = r#"<filelists packages="1"><package pkgid="abc" name="foo" arch="x86_64"><file>/a</file></package></filelists>"#;
        assert!(scan_filelists_for(good.as_bytes(), &["/a"], &mut |_, _| {}).is_ok());
        for (bad, want) in [
            (
                good.replace(r#"packages="1""#, r#"packages="-1""#),
                r#"packages="-1" is not a count"#,
            ),
            (good.replace("/a<", "/a\0<"), "NUL byte in package foo.x86_64"),
        ] {
            for e in [
                scan_filelists_for(bad.as_bytes(), &["/a"], &mut |_, _| {}).err(),
                parse_filelists(bad.as_bytes(), &|_| true, &mut |_, _| {}).err(),
            ] {
                let e = e.map(|e| e.to_string()).unwrap_or_default();
                assert!(e.contains(want), "{e}");
            }
        }
    }

    #[test]
    fn the_fast_scan_still_notices_a_truncated_file() {
        let xml = r#"<filelists packages="2"><package pkgid="abc" name="foo" arch="x86_64"><file>/a</file></package>"#;
        assert!(scan_filelists_for(xml.as_bytes(), &["/a"], &mut |_, _| {}).is_err());
    }
}
