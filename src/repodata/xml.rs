//! quick-xml over a chunk already checked as UTF-8, as both the primary and
//! filelists parsers use it: the reader, text and entity content, attribute
//! values unescaped and normalized.
//!
//! It knows no element of rpm-md: which ones matter is each parser's
//! business.

use std::borrow::Cow;
use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::BytesStart;

use super::chunks::ParseError;

/// `bytes` as text, when they are a slice of `text` (as quick-xml's borrowed
/// events and unescaped attribute values are): the chunk was checked as
/// UTF-8 once, so this costs a bounds check instead of a second validation.
pub(crate) fn in_text<'c>(text: &'c str, bytes: &[u8]) -> Option<&'c str> {
    text.get(place_in(text, bytes)?)
}

/// Where `bytes` lie in `text`, when they are a slice of it.
pub(crate) fn place_in(text: &str, bytes: &[u8]) -> Option<Range<usize>> {
    let start = (bytes.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let end = start + bytes.len();
    (end <= text.len()).then_some(start..end)
}

/// A quick-xml reader over a chunk already checked as UTF-8. It reads bytes
/// (quick-xml's byte events do not validate each event again) and lets
/// unmatched end tags through, since a chunk starts mid-document.
pub(crate) fn chunk_reader(chunk: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(chunk.as_bytes());
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    reader
}

/// Text content of an event, entities left to [`push_ref`].
pub(crate) fn push_text(value: &mut String, t: &quick_xml::events::BytesText<'_>) -> Result<(), ParseError> {
    value.push_str(&t.xml10_content().map_err(|e| ParseError::Xml(e.to_string()))?);
    Ok(())
}

/// CDATA content of an event.
pub(crate) fn push_cdata(value: &mut String, t: &quick_xml::events::BytesCData<'_>) -> Result<(), ParseError> {
    value.push_str(&t.xml10_content().map_err(|e| ParseError::Xml(e.to_string()))?);
    Ok(())
}

/// Appends the text an entity or character reference stands for.
pub(crate) fn push_ref(value: &mut String, r: &quick_xml::events::BytesRef<'_>) -> Result<(), ParseError> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| ParseError::Xml(e.to_string()))? {
        value.push(c);
        return Ok(());
    }
    let s = match &**r {
        b"amp" => "&",
        b"lt" => "<",
        b"gt" => ">",
        b"quot" => "\"",
        b"apos" => "'",
        other => {
            return Err(ParseError::Xml(format!(
                "unknown entity &{};",
                String::from_utf8_lossy(other)
            )));
        }
    };
    value.push_str(s);
    Ok(())
}

/// An attribute's value as text: borrowed from the document when it has
/// nothing to unescape or normalize, owned otherwise.
pub(crate) fn attr_value<'a>(a: quick_xml::events::attributes::Attribute<'a>) -> Result<Cow<'a, str>, ParseError> {
    if needs_normalizing(&a.value) {
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| ParseError::Xml(e.to_string()))?;
        return Ok(Cow::Owned(v.into_owned()));
    }
    match a.value {
        Cow::Borrowed(b) => std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|e| ParseError::Xml(format!("invalid UTF-8 in an attribute: {e}"))),
        Cow::Owned(b) => String::from_utf8(b)
            .map(Cow::Owned)
            .map_err(|e| ParseError::Xml(format!("invalid UTF-8 in an attribute: {}", e.utf8_error()))),
    }
}

/// Whether an attribute value has an entity to resolve or whitespace that
/// XML's attribute normalization turns into spaces.
pub(crate) fn needs_normalizing(value: &[u8]) -> bool {
    value.iter().any(|&b| matches!(b, b'&' | b'\t' | b'\n' | b'\r'))
}

/// The attribute `key` of a tag, as quick-xml gives it.
fn find_attr<'a>(
    e: &'a BytesStart<'_>,
    key: &[u8],
) -> Result<Option<quick_xml::events::attributes::Attribute<'a>>, ParseError> {
    for a in e.attributes() {
        let a = a.map_err(|e| ParseError::Xml(e.to_string()))?;
        if a.key.as_ref() == key {
            return Ok(Some(a));
        }
    }
    Ok(None)
}

/// The value of an attribute, unescaped.
pub(crate) fn attr<'a>(e: &'a BytesStart<'_>, key: &[u8]) -> Result<Option<Cow<'a, str>>, ParseError> {
    find_attr(e, key)?.map(attr_value).transpose()
}
