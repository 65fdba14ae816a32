//! Streaming parser of `filelists.xml`, read only when a file dependency is
//! still unresolved after primary's short file lists, and then only for the
//! paths somebody asked about.

use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::primary::{DocState, ParseError, attr, parse_chunks, push_ref};

/// Parses one chunk of filelists.xml, calling `sink(pkgid, path)` for every
/// `<file>` whose path `wanted` accepts.
pub fn parse_filelists_chunk(
    chunk: &str,
    doc: &mut DocState,
    wanted: &dyn Fn(&str) -> bool,
    sink: &mut dyn FnMut(&str, &str),
) -> Result<(), ParseError> {
    let mut reader = Reader::from_str(chunk);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    let mut pkgid: Option<String> = None;
    let mut in_file = false;
    let mut value = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| ParseError::Xml(format!("{e} (near byte {} of a chunk)", reader.error_position())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => match e.name().as_ref() {
                "package" => {
                    pkgid = Some(
                        attr(e, "pkgid")?
                            .ok_or_else(|| ParseError::Xml("<package> without pkgid".into()))?
                            .into_owned(),
                    );
                    if matches!(event, Event::Empty(_)) {
                        doc.parsed += 1;
                        pkgid = None;
                    }
                }
                "filelists" => {
                    doc.root_seen = true;
                    doc.root_closed |= matches!(event, Event::Empty(_));
                    doc.announced = attr(e, "packages")?.and_then(|v| v.parse().ok());
                }
                "file" if matches!(event, Event::Start(_)) => {
                    in_file = true;
                    value.clear();
                }
                _ => {}
            },
            Event::Text(t) if in_file => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_file => push_ref(&mut value, &r)?,
            Event::End(e) => match e.name().as_ref() {
                "file" => {
                    in_file = false;
                    if let Some(id) = &pkgid
                        && wanted(&value)
                    {
                        sink(id, &value);
                    }
                }
                "package" => {
                    pkgid = None;
                    doc.parsed += 1;
                }
                "filelists" => doc.root_closed = true,
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
    let results = parse_chunks(reader, |chunk| {
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
}
