//! The quick-xml reader of a primary.xml chunk: the document around the
//! packages, and anything in them spelled otherwise than createrepo_c
//! writes it (entities, CDATA, comments, other quoting or attribute order).
//! Between a package's elements it hands over to the hand-read scanner
//! ([`super::scan`]) and reads on from where that stopped.
//!
//! It builds no record itself ([`super::records`] does) and interns
//! through the chunk's caches ([`super::caches`]).

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::caches::{ChunkCaches, ChunkStrings};
use super::records::{AttrValue, Batch, EntryAttributes, EvrAttributes, Field, PkgRec, dep_kind_of_tag, dep_list_tag};
use super::scan::{AttrPlace, PLAIN_ATTRIBUTES, attributes_at, entry_run, package_run, plain_attributes};
use crate::core::dep::{Dep, DepKind};
use crate::core::ids::{Intern, NO_EVR, NO_STR};
use crate::repodata::chunks::{DocState, ParseError, package_near};
use crate::repodata::xml::{attr, chunk_reader, in_text, place_in, push_cdata, push_ref, push_text};

/// The text of the element being read. While it is one plain text event (a
/// name, an arch, a path: nearly always) it stays the chunk slice it is, so
/// the chunk's cache can look it up in place; an entity, a CDATA section, a
/// second event or a carriage return to normalize makes it a copy.
#[derive(Default)]
struct FieldText<'c> {
    borrowed: Option<&'c str>,
    owned: String,
}

impl<'c> FieldText<'c> {
    fn clear(&mut self) {
        self.borrowed = None;
        self.owned.clear();
    }

    fn push_text(&mut self, chunk: &'c str, t: &quick_xml::events::BytesText<'_>) -> Result<(), ParseError> {
        if self.borrowed.is_none()
            && self.owned.is_empty()
            && memchr::memchr(b'\r', t).is_none()
            && let Some(s) = in_text(chunk, t)
        {
            self.borrowed = Some(s);
            return Ok(());
        }
        push_text(self.owned(), t)
    }

    /// The text as an owned string, to append to.
    fn owned(&mut self) -> &mut String {
        if let Some(b) = self.borrowed.take() {
            self.owned.push_str(b);
        }
        &mut self.owned
    }

    fn as_str(&self) -> &str {
        self.borrowed.unwrap_or(&self.owned)
    }
}

/// The elements open at the reader's place in a chunk, outermost first, as
/// slices of the chunk. quick-xml's own check of end tags is off (a chunk
/// starts inside `<metadata>`, opened in the first chunk), and the hand-read
/// runs pass over `<format>`, `</format>` and a dependency list's start tag
/// behind its back: this stack sees both, so an end tag that closes another
/// element than the innermost open one (`</summarx>` closing `<summary>`)
/// and an element left open are errors, as they are to libsolv. A push or a
/// pop per tag quick-xml reads: the hand-read runs read most of them, and
/// check their own end tags by name.
#[derive(Default)]
pub(super) struct OpenElements<'c> {
    names: Vec<&'c [u8]>,
}

impl<'c> OpenElements<'c> {
    /// `name` was opened.
    pub(super) fn push(&mut self, name: &'c [u8]) {
        self.names.push(name);
    }

    /// The innermost open element.
    pub(super) fn innermost(&self) -> Option<&'c [u8]> {
        self.names.last().copied()
    }

    /// `</name>` was read: it must close the innermost open element, or
    /// `</metadata>` the root opened in an earlier chunk.
    pub(super) fn close(&mut self, name: &[u8]) -> Result<(), ParseError> {
        match self.names.pop() {
            Some(open) if open == name => Ok(()),
            Some(open) => Err(ParseError::Xml(format!(
                "</{}> closes <{}>",
                String::from_utf8_lossy(name),
                String::from_utf8_lossy(open)
            ))),
            None if name == b"metadata" => Ok(()),
            None => Err(ParseError::Xml(format!(
                "</{}> without its start tag",
                String::from_utf8_lossy(name)
            ))),
        }
    }

    /// Whether a `<package>` may open here: in `<metadata>` (or at the top
    /// of a chunk after the first, which is inside it).
    fn at_package_level(&self) -> bool {
        match self.names.as_slice() {
            [] => true,
            [root] => *root == b"metadata",
            _ => false,
        }
    }

    /// At the end of a chunk (which ends after a `</package>`): nothing but
    /// the root may still be open.
    fn finish(&self) -> Result<(), ParseError> {
        if self.at_package_level() {
            return Ok(());
        }
        let open: Vec<String> = self
            .names
            .iter()
            .map(|n| format!("<{}>", String::from_utf8_lossy(n)))
            .collect();
        Err(ParseError::Xml(format!("{} not closed", open.join(" "))))
    }
}

/// Checks the attributes of a tag no one reads the attributes of (as
/// quick-xml reads them: well formed, none twice). Most such tags
/// (`<package type="rpm">`, `<description>`) have none or have them spelled
/// as createrepo_c writes them, which the hand-read attribute scan (which
/// refuses a key given twice) passes in a fraction of quick-xml's walk.
fn check_attributes(chunk: &str, e: &BytesStart<'_>) -> Result<(), ParseError> {
    let raw = e.attributes_raw();
    if raw.is_empty() {
        return Ok(());
    }
    if let Some(place) = place_in(chunk, raw) {
        let mut places: [AttrPlace; PLAIN_ATTRIBUTES] = Default::default();
        let whole = chunk.as_bytes().get(..place.end).unwrap_or_default();
        if plain_attributes(whole, place.start, &mut places).is_some_and(|(stop, _)| stop == place.end) {
            return Ok(());
        }
    }
    for a in e.attributes() {
        a.map_err(|e| ParseError::Xml(e.to_string()))?;
    }
    Ok(())
}

/// `bytes` (a tag name quick-xml read) as the slice of `chunk` it is.
fn in_chunk<'c>(chunk: &'c str, bytes: &[u8]) -> Result<&'c [u8], ParseError> {
    place_in(chunk, bytes)
        .and_then(|place| chunk.as_bytes().get(place))
        .ok_or_else(|| ParseError::Xml("a tag name outside its chunk (a bug)".into()))
}

/// Parses one chunk of primary.xml into a batch.
pub fn parse_primary_chunk(
    chunk: &str,
    doc: &mut DocState,
    interner: &dyn Intern,
    caches: &mut ChunkCaches,
) -> Result<Batch, ParseError> {
    parse_chunk(chunk, doc, interner, caches, true)
}

/// [`parse_primary_chunk`], with the hand-read runs (`hand_read`) or with
/// quick-xml reading every tag (the tests compare the two).
pub(super) fn parse_chunk(
    chunk: &str,
    doc: &mut DocState,
    interner: &dyn Intern,
    caches: &mut ChunkCaches,
    hand_read: bool,
) -> Result<Batch, ParseError> {
    // Where the package being read starts, to name it in an error.
    let mut package_at = None;
    parse_chunk_at(chunk, doc, interner, caches, hand_read, &mut package_at).map_err(|e| match e {
        ParseError::Xml(msg) => {
            let package = package_at.and_then(|at| package_near(chunk.as_bytes(), at));
            ParseError::Xml(match package {
                Some(p) => format!("{msg} (in package {p})"),
                None => msg,
            })
        }
        other => other,
    })
}

/// [`parse_chunk`], keeping in `package_at` where the package it reads
/// starts.
fn parse_chunk_at(
    chunk: &str,
    doc: &mut DocState,
    interner: &dyn Intern,
    caches: &mut ChunkCaches,
    hand_read: bool,
    package_at: &mut Option<usize>,
) -> Result<Batch, ParseError> {
    let mut reader = chunk_reader(chunk);
    let mut open = OpenElements::default();
    // Sized from the chunk's length (CentOS Stream 9: an `<rpm:entry>` per
    // 104 bytes, a package per 2.8 KB, a file per 1.3 KB), so that the
    // arrays are not copied as they grow; what is left over goes back below.
    let mut batch = Batch {
        packages: Vec::with_capacity(chunk.len() / 2048),
        deps: Vec::with_capacity(chunk.len() / 80),
        files: Vec::with_capacity(chunk.len() / 1024),
        pkgids: String::with_capacity(chunk.len() / 2048 * 64),
    };
    caches.clear();
    let mut strings = ChunkStrings {
        chunk,
        interner,
        caches,
    };
    let mut current: Option<PkgRec> = None;
    let mut kind: Option<DepKind> = None;
    let mut field = Field::None;
    let mut value = FieldText::default();
    // Bytes read by `entry_run` behind quick-xml's back: its positions lag
    // by that much.
    let mut skipped = 0u64;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(&reader, skipped, e))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.name();
                let tag = in_chunk(chunk, name.as_ref())?;
                if doc.root_closed {
                    return Err(ParseError::Xml(format!(
                        "<{}> after </metadata>",
                        String::from_utf8_lossy(tag)
                    )));
                }
                // `<rpm:entry>` and `<version>` have theirs read, and checked.
                if !matches!(tag, b"rpm:entry" | b"version") {
                    check_attributes(chunk, e)?;
                }
                if tag == b"package" && !open.at_package_level() {
                    let outer = open.innermost().unwrap_or_default();
                    return Err(ParseError::Xml(format!(
                        "<package> inside <{}>",
                        String::from_utf8_lossy(outer)
                    )));
                }
                if !empty {
                    open.push(tag);
                }
                match tag {
                    b"package" => {
                        if current.is_some() {
                            return Err(ParseError::Xml("<package> inside <package>".into()));
                        }
                        *package_at = Some(position(chunk, &reader));
                        let pkg = current.insert(PkgRec {
                            name: NO_STR,
                            arch: NO_STR,
                            evr: NO_EVR,
                            pkgid: 0..0,
                            sourcerpm: NO_STR,
                            deps: batch.deps.len() as u32..batch.deps.len() as u32,
                            files: batch.files.len() as u32..batch.files.len() as u32,
                        });
                        // A dependency list or a field left open in the
                        // package before still takes what follows: then
                        // quick-xml reads on, as it would alone.
                        if hand_read && !empty && kind.is_none() && field == Field::None {
                            let at = position(chunk, &reader);
                            let (read, list) = package_run(&mut strings, at, pkg, &mut batch, &mut open)?;
                            pass_over(&mut reader, &mut skipped, read);
                            kind = list;
                        }
                    }
                    b"metadata" => {
                        doc.root_seen = true;
                        doc.root_closed |= empty;
                        doc.announced = announced(e)?;
                    }
                    tag => {
                        let Some(pkg) = current.as_mut() else { continue };
                        match tag {
                            b"rpm:entry" => {
                                if let Some(k) = kind {
                                    let dep = parse_entry(&mut strings, e, k)?;
                                    batch.deps.push(dep);
                                }
                            }
                            b"name" if !empty => field = Field::Name,
                            b"arch" if !empty => field = Field::Arch,
                            b"version" => {
                                let mut evr = EvrAttributes::default();
                                walk_attributes(&mut strings, e, |strings, key, value| evr.take(strings, key, value))?;
                                pkg.evr = evr.intern(&mut strings);
                            }
                            b"checksum" if !empty => {
                                if attr(e, b"pkgid")?.as_deref() == Some("YES") {
                                    field = Field::Pkgid;
                                }
                            }
                            b"rpm:sourcerpm" if !empty => field = Field::SourceRpm,
                            b"file" if !empty => field = Field::File,
                            t => {
                                if let Some(k) = dep_kind_of_tag(t)
                                    && !empty
                                {
                                    kind = Some(k);
                                    // Reading by hand skips text events, which
                                    // matter only while a field collects them
                                    // (in a well-formed document, never here).
                                    if hand_read && field == Field::None {
                                        let at = position(chunk, &reader);
                                        let (read, closed) = entry_run(&mut strings, at, k, &mut batch.deps)?;
                                        pass_over(&mut reader, &mut skipped, read);
                                        if closed {
                                            kind = None;
                                            open.close(dep_list_tag(k))?;
                                        }
                                    }
                                }
                            }
                        }
                        value.clear();
                    }
                }
            }
            Event::Text(t) if field != Field::None => value.push_text(chunk, &t)?,
            Event::CData(t) if field != Field::None => push_cdata(value.owned(), &t)?,
            Event::GeneralRef(r) if field != Field::None => push_ref(value.owned(), &r)?,
            Event::End(e) => {
                let name = e.name();
                open.close(name.as_ref())?;
                match name.as_ref() {
                    b"package" => {
                        let Some(mut pkg) = current.take() else {
                            return Err(ParseError::Xml("</package> without <package>".into()));
                        };
                        if pkg.name == NO_STR || pkg.arch == NO_STR || pkg.evr == NO_EVR {
                            return Err(ParseError::Xml(format!(
                                "a package after {} others in its chunk lacks <name>, <arch> or <version>",
                                doc.parsed
                            )));
                        }
                        *package_at = None;
                        pkg.deps.end = batch.deps.len() as u32;
                        pkg.files.end = batch.files.len() as u32;
                        batch.packages.push(pkg);
                        doc.parsed += 1;
                    }
                    b"metadata" => doc.root_closed = true,
                    t if dep_kind_of_tag(t).is_some() => kind = None,
                    _ => {
                        if let Some(pkg) = current.as_mut() {
                            field.store(value.as_str(), &mut strings, pkg, &mut batch)?;
                        }
                        field = Field::None;
                    }
                }
                // Inside a package, between its elements: what follows may
                // be read by hand again (what quick-xml read was spelled
                // otherwise, or was a dependency list's end).
                if hand_read
                    && kind.is_none()
                    && field == Field::None
                    && let Some(pkg) = current.as_mut()
                {
                    let at = position(chunk, &reader);
                    let (read, list) = package_run(&mut strings, at, pkg, &mut batch, &mut open)?;
                    pass_over(&mut reader, &mut skipped, read);
                    kind = list;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if current.is_some() {
        return Err(ParseError::Xml("document ends inside a <package> (truncated?)".into()));
    }
    open.finish()?;
    strings.resolve(&mut batch);
    // The pool keeps these arrays as they are: give back what growing by
    // doubling left unused (a third on average).
    batch.packages.shrink_to_fit();
    batch.deps.shrink_to_fit();
    batch.files.shrink_to_fit();
    batch.pkgids.shrink_to_fit();
    Ok(batch)
}

/// The `packages` attribute of `<metadata>`: a count, if given.
pub(crate) fn announced(e: &BytesStart<'_>) -> Result<Option<usize>, ParseError> {
    attr(e, b"packages")?.map(|v| package_count(&v)).transpose()
}

/// The value of a root element's `packages` attribute as a count.
pub(crate) fn package_count(v: &str) -> Result<usize, ParseError> {
    v.parse()
        .map_err(|_| ParseError::Xml(format!("packages=\"{v}\" is not a count of packages")))
}

fn xml_error(reader: &Reader<&[u8]>, skipped: u64, e: quick_xml::Error) -> ParseError {
    ParseError::Xml(format!(
        "{e} (near byte {} of a chunk)",
        reader.error_position() + skipped
    ))
}

/// Where quick-xml stands in `chunk`.
fn position(chunk: &str, reader: &Reader<&[u8]>) -> usize {
    chunk.len() - reader.get_ref().len()
}

/// Moves quick-xml past `n` bytes read by hand. quick-xml's own count of
/// its position (for error messages) then lags by `skipped`.
fn pass_over(reader: &mut Reader<&[u8]>, skipped: &mut u64, n: usize) {
    let rest = reader.get_mut();
    *rest = rest.get(n..).unwrap_or_default();
    *skipped += n as u64;
}

/// Calls `f` with each attribute of `e`, in order. Attributes spelled the
/// way createrepo_c writes them (` key="value"`, double quotes, nothing to
/// unescape or normalize) are read straight from the chunk: on the half
/// million `<rpm:entry>` tags of a big primary.xml that costs a fraction of
/// quick-xml's general attribute walk, which reads any other spelling.
fn walk_attributes<'c>(
    strings: &mut ChunkStrings<'c, '_>,
    e: &BytesStart<'_>,
    mut f: impl FnMut(&mut ChunkStrings<'c, '_>, &[u8], AttrValue<'c, '_>) -> Result<(), ParseError>,
) -> Result<(), ParseError> {
    if let Some(raw) = strings.in_chunk(e.attributes_raw()) {
        let chunk = strings.chunk;
        let (start, end) = (raw.start as usize, raw.end as usize);
        let mut places: [AttrPlace; PLAIN_ATTRIBUTES] = Default::default();
        let whole = chunk.as_bytes().get(..end).unwrap_or_default();
        if let Some((stop, n)) = plain_attributes(whole, start, &mut places)
            && stop == end
        {
            for (key, value) in attributes_at(chunk, places.get(..n).unwrap_or_default()) {
                f(strings, key, AttrValue::Plain(value))?;
            }
            return Ok(());
        }
    }
    for a in e.attributes() {
        let a = a.map_err(|e| ParseError::Xml(e.to_string()))?;
        f(strings, a.key.as_ref(), AttrValue::Xml(&a))?;
    }
    Ok(())
}

/// An `<rpm:entry>` quick-xml read: a repeat of the same text in the chunk
/// comes from the cache.
fn parse_entry(strings: &mut ChunkStrings<'_, '_>, e: &BytesStart<'_>, kind: DepKind) -> Result<Dep, ParseError> {
    match strings.in_chunk(e.attributes_raw()) {
        Some(raw) => strings.entry(raw, kind, |strings| parse_entry_attributes(strings, e, kind)),
        None => parse_entry_attributes(strings, e, kind),
    }
}

/// A [`Dep`] from the attributes of an `<rpm:entry>` quick-xml read.
fn parse_entry_attributes(
    strings: &mut ChunkStrings<'_, '_>,
    e: &BytesStart<'_>,
    kind: DepKind,
) -> Result<Dep, ParseError> {
    let mut entry = EntryAttributes::new(kind);
    walk_attributes(strings, e, |strings, key, value| entry.take(strings, key, value))?;
    entry.finish(strings)
}
