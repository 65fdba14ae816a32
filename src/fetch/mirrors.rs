//! Metalinks and mirrorlists: which base URLs serve a repository, in which
//! order, and (from a metalink) which checksums its repomd.xml may have.
//!
//! This module only parses; downloading them is `fetch::remote`'s job.

use quick_xml::Reader;
use quick_xml::events::Event;

/// The mirrors of a repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mirrors {
    /// Base URLs (each ending in `/`), best first.
    pub bases: Vec<String>,
    /// Checksums (type, lowercase hex) a current repomd.xml may have; empty when unknown.
    pub repomd_hashes: Vec<(String, String)>,
}

/// Ensures a base URL's path ends with `/` so that hrefs join under it
/// (a query, such as a signed token, stays after it: see [`join`]).
pub fn base_url(url: &str) -> String {
    let (path, query) = split_query(url);
    if path.ends_with('/') {
        url.to_owned()
    } else {
        format!("{path}/{query}")
    }
}

/// The URL of `href` under base URL `base`: the href goes into the path,
/// before any `?query` of the base, not after it.
pub fn join(base: &str, href: &str) -> String {
    let (path, query) = split_query(base);
    format!("{path}{href}{query}")
}

/// (path, `?query#fragment` or "").
fn split_query(url: &str) -> (&str, &str) {
    match url.find(['?', '#']) {
        Some(at) => url.split_at(at),
        None => (url, ""),
    }
}

fn is_http(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// Parses a mirrorlist: one URL per line, `#` comments. A body that is a
/// metalink (some servers answer a mirrorlist request with one) is parsed as such.
pub(crate) fn parse_mirrorlist(body: &[u8]) -> Result<Mirrors, String> {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim_start();
    if trimmed.starts_with("<?xml") || trimmed.starts_with("<metalink") {
        return parse_metalink(body);
    }
    let bases: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && is_http(l))
        .map(base_url)
        .collect();
    if bases.is_empty() {
        return Err("the mirrorlist names no http(s) mirror".into());
    }
    Ok(Mirrors {
        bases,
        repomd_hashes: Vec::new(),
    })
}

/// Parses a metalink (v3 or v4) for `repomd.xml`: its mirrors, sorted by
/// preference, and the hashes it gives for repomd.xml (including `alternates`).
pub(crate) fn parse_metalink(body: &[u8]) -> Result<Mirrors, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("metalink is not UTF-8: {e}"))?;
    let mut reader = Reader::from_str(text);
    let mut in_repomd = false;
    let mut hash_type: Option<String> = None;
    let mut url_pref: Option<i64> = None;
    let mut urls: Vec<(i64, usize, String)> = Vec::new();
    let mut hashes = Vec::new();
    let mut saw_file = false;
    let mut text_buf = String::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("malformed metalink at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(ref e) => match e.local_name().as_ref() {
                b"file" => {
                    in_repomd = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.local_name().as_ref() == b"name" && a.value.as_ref() == b"repomd.xml");
                    saw_file |= in_repomd;
                }
                b"hash" if in_repomd => {
                    text_buf.clear();
                    hash_type = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == b"type")
                        .map(|a| String::from_utf8_lossy(&a.value).to_lowercase());
                }
                b"url" if in_repomd => {
                    let mut pref = 0;
                    for a in e.attributes().flatten() {
                        let key = a.key.local_name();
                        if key.as_ref() == b"preference" || key.as_ref() == b"priority" {
                            pref = String::from_utf8_lossy(&a.value).trim().parse().unwrap_or(0);
                            // metalink v4 `priority`: lower is better.
                            if key.as_ref() == b"priority" {
                                pref = -pref;
                            }
                        }
                    }
                    text_buf.clear();
                    url_pref = Some(pref);
                }
                _ => {}
            },
            Event::Text(t) if hash_type.is_some() || url_pref.is_some() => {
                text_buf.push_str(&t.xml10_content().map_err(|e| format!("malformed metalink text: {e}"))?);
            }
            Event::GeneralRef(r) if hash_type.is_some() || url_pref.is_some() => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = c {
                    text_buf.push(c);
                }
            }
            Event::End(ref e) => match e.local_name().as_ref() {
                b"file" => in_repomd = false,
                b"hash" => {
                    if let Some(kind) = hash_type.take() {
                        hashes.push((kind, text_buf.trim().to_lowercase()));
                    }
                    text_buf.clear();
                }
                b"url" => {
                    let value = text_buf.trim();
                    if let Some(pref) = url_pref.take()
                        && is_http(value)
                    {
                        let base = value.strip_suffix("repodata/repomd.xml").unwrap_or(value);
                        let n = urls.len();
                        urls.push((pref, n, base_url(base)));
                    }
                    text_buf.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_file {
        return Err("the metalink has no <file name=\"repomd.xml\">".into());
    }
    urls.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut bases: Vec<String> = Vec::new();
    for (_, _, u) in urls {
        if !bases.contains(&u) {
            bases.push(u);
        }
    }
    if bases.is_empty() {
        return Err("the metalink names no http(s) mirror".into());
    }
    Ok(Mirrors {
        bases,
        repomd_hashes: hashes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A base URL with a query (a signed token) gets hrefs in its path,
    /// not after its query (issue 20, point 11).
    #[test]
    fn hrefs_join_before_the_query() {
        let base = base_url("https://cdn.example/repo?token=abc");
        assert_eq!(base, "https://cdn.example/repo/?token=abc");
        assert_eq!(
            join(&base, "repodata/repomd.xml"),
            "https://cdn.example/repo/repodata/repomd.xml?token=abc"
        );
        assert_eq!(join(&base_url("http://m/r"), "x"), "http://m/r/x");
    }

    #[test]
    fn metalink_v3() {
        let xml = br#"<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/" xmlns:mm0="http://fedorahosted.org/mirrormanager">
 <files>
  <file name="repomd.xml">
   <mm0:alternates><mm0:alternate><verification><hash type="sha256">OLD</hash></verification></mm0:alternate></mm0:alternates>
   <size>4242</size>
   <verification><hash type="md5">m</hash><hash type="sha256">ABC</hash></verification>
   <resources maxconnections="1">
    <url protocol="rsync" type="rsync" location="US" preference="100">rsync://x/repodata/repomd.xml</url>
    <url protocol="https" type="https" location="US" preference="90">https://b/os/repodata/repomd.xml</url>
    <url protocol="http" type="http" location="US" preference="99">http://a/os/repodata/repomd.xml</url>
   </resources>
  </file>
 </files>
</metalink>"#;
        let m = parse_metalink(xml).unwrap_or_default();
        assert_eq!(m.bases, vec!["http://a/os/".to_owned(), "https://b/os/".to_owned()]);
        assert!(m.repomd_hashes.contains(&("sha256".into(), "abc".into())));
        assert!(m.repomd_hashes.contains(&("sha256".into(), "old".into())));
        let amp = br#"<metalink><files><file name="repomd.xml"><resources><url preference="1">http://a/x&amp;b=2/repodata/repomd.xml</url></resources></file></files></metalink>"#;
        assert_eq!(
            parse_metalink(amp).unwrap_or_default().bases,
            vec!["http://a/x&b=2/".to_owned()]
        );
        assert!(parse_metalink(b"<metalink/>").is_err());
        assert!(parse_metalink(b"<metalink><file name=\"repomd.xml\"></file></metalink>").is_err());
        assert!(parse_metalink(b"<<<").is_err());
    }

    #[test]
    fn mirrorlist() {
        let m = parse_mirrorlist(b"# comment\n\nhttp://a/x\nftp://no\nhttps://b/y/\n").unwrap_or_default();
        assert_eq!(m.bases, vec!["http://a/x/".to_owned(), "https://b/y/".to_owned()]);
        assert!(parse_mirrorlist(b"# nothing\n").is_err());
    }
}
