//! `repodata/repomd.xml`: which metadata files a repository has, where, and
//! with which checksums.

use quick_xml::Reader;
use quick_xml::events::Event;

/// One `<data type="...">` entry of repomd.xml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepomdEntry {
    /// The data type: `primary`, `filelists`, `other`, `modules`, `primary_db`...
    pub data_type: String,
    /// `<location href>`, relative to the repository root.
    pub href: String,
    /// Checksum type and hex digest of the file as stored.
    pub checksum: Option<(String, String)>,
    /// Checksum type and hex digest of the decompressed content.
    pub open_checksum: Option<(String, String)>,
    /// Size of the file as stored.
    pub size: Option<u64>,
    /// Size of the decompressed content.
    pub open_size: Option<u64>,
}

/// A parsed repomd.xml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repomd {
    /// `<revision>`, usually a timestamp.
    pub revision: Option<String>,
    /// The data entries in document order.
    pub entries: Vec<RepomdEntry>,
}

impl Repomd {
    /// The entry of the given data type, if any.
    pub fn entry(&self, data_type: &str) -> Option<&RepomdEntry> {
        self.entries.iter().find(|e| e.data_type == data_type)
    }
}

/// Parses repomd.xml. The error says what is wrong, for the caller to wrap
/// with the repository's name.
pub fn parse(xml: &[u8]) -> Result<Repomd, super::Malformed> {
    parse_text(xml).map_err(super::Malformed)
}

fn parse_text(xml: &[u8]) -> Result<Repomd, String> {
    let text = std::str::from_utf8(xml).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut reader = Reader::from_str(text);
    let mut repomd = Repomd::default();
    let mut current: Option<RepomdEntry> = None;
    let mut field: Option<&'static str> = None;
    let mut checksum_type = String::new();
    let mut saw_root = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"repomd" => saw_root = true,
                    b"data" => {
                        let mut entry = RepomdEntry::default();
                        for a in e.attributes().flatten() {
                            if a.key.local_name().as_ref() == b"type" {
                                entry.data_type = attr_value(&a)?;
                            }
                        }
                        current = Some(entry);
                    }
                    b"location" => {
                        if let Some(entry) = current.as_mut() {
                            for a in e.attributes().flatten() {
                                if a.key.local_name().as_ref() == b"href" {
                                    entry.href = attr_value(&a)?;
                                }
                            }
                        }
                    }
                    b"checksum" | b"open-checksum" => {
                        checksum_type.clear();
                        for a in e.attributes().flatten() {
                            if a.key.local_name().as_ref() == b"type" {
                                checksum_type = attr_value(&a)?.to_ascii_lowercase();
                                // yum wrote "sha" for sha1.
                                if checksum_type == "sha" {
                                    checksum_type = "sha1".into();
                                }
                            }
                        }
                        field = Some(if name.as_ref() == b"checksum" {
                            "checksum"
                        } else {
                            "open-checksum"
                        });
                        // Present but empty is an error at </data>, not
                        // a file read without verification.
                        if let (Some(entry), b"checksum") = (current.as_mut(), name.as_ref()) {
                            entry.checksum = Some((checksum_type.clone(), String::new()));
                        }
                    }
                    b"size" => field = Some("size"),
                    b"open-size" => field = Some("open-size"),
                    b"revision" => field = Some("revision"),
                    _ => field = None,
                }
            }
            Event::Text(t) => {
                let Some(f) = field else { continue };
                let value = t
                    .xml10_content()
                    .map_err(|e| format!("malformed text: {e}"))?
                    .trim()
                    .to_owned();
                match (f, current.as_mut()) {
                    ("revision", _) => repomd.revision = Some(value),
                    ("checksum", Some(entry)) => {
                        entry.checksum = Some((checksum_type.clone(), value.to_ascii_lowercase()))
                    }
                    ("open-checksum", Some(entry)) => {
                        entry.open_checksum = Some((checksum_type.clone(), value.to_ascii_lowercase()))
                    }
                    ("size", Some(entry)) => {
                        entry.size = Some(value.parse().map_err(|_| {
                            format!("<size> {value:?} of <data type=\"{}\"> is not a size", entry.data_type)
                        })?)
                    }
                    ("open-size", Some(entry)) => entry.open_size = value.parse().ok(),
                    _ => {}
                }
            }
            Event::End(e) => {
                field = None;
                if e.local_name().as_ref() == b"data"
                    && let Some(entry) = current.take()
                {
                    if entry.href.is_empty() {
                        return Err(format!("<data type=\"{}\"> has no <location href>", entry.data_type));
                    }
                    if let Some((kind, hex)) = &entry.checksum
                        && (kind.is_empty() || hex.is_empty())
                    {
                        return Err(format!(
                            "<data type=\"{}\"> has an empty <checksum>{}: the file could not be verified",
                            entry.data_type,
                            if kind.is_empty() { " type" } else { "" }
                        ));
                    }
                    repomd.entries.push(entry);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        let head = text
            .trim_start()
            .get(..512)
            .unwrap_or(text.trim_start())
            .to_ascii_lowercase();
        let html = head.starts_with("<!doctype html") || head.contains("<html");
        return Err(format!(
            "no <repomd> element: this is not a repomd.xml{}",
            if html {
                " (an HTML page: a proxy's or server's error page?)"
            } else {
                ""
            }
        ));
    }
    Ok(repomd)
}

fn attr_value(a: &quick_xml::events::attributes::Attribute<'_>) -> Result<String, String> {
    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
        .map(|v| v.into_owned())
        .map_err(|e| format!("malformed attribute: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary">
    <checksum type="sha256">ABCDEF</checksum>
    <open-checksum type="sha">0123</open-checksum>
    <location href="repodata/abc-primary.xml.gz"/>
    <size>123</size>
    <open-size>456</open-size>
  </data>
</repomd>"#;
        let r = parse(xml).unwrap_or_default();
        assert_eq!(r.revision.as_deref(), Some("1700000000"));
        let p = r.entry("primary").cloned().unwrap_or_default();
        assert_eq!(p.href, "repodata/abc-primary.xml.gz");
        assert_eq!(p.checksum, Some(("sha256".into(), "abcdef".into())));
        assert_eq!(p.open_checksum, Some(("sha1".into(), "0123".into())));
        assert_eq!(p.size, Some(123));
        assert_eq!(p.open_size, Some(456));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse(b"<html>nope</html>").is_err());
        assert!(parse(b"<repomd><data type=\"x\"></repomd>").is_err());
    }
}
