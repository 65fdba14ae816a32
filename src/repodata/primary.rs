//! Streaming parser of `primary.xml`: package records without a DOM.
//!
//! The decompressed text is cut into chunks that end at a `</package>`
//! boundary (found with memchr), so a chunk can be parsed on its own with
//! quick-xml's byte events (the chunk was checked as UTF-8 once) while the
//! next one is being decompressed. Strings are interned as they are read
//! (through [`Intern`], the pool's shared interner, behind a per-chunk cache
//! each parser keeps), so records are small integers and the pool
//! never hashes a string a second time. A package's elements (`<name>`,
//! `<version .../>`, the dependency lists' `<rpm:entry .../>`, `<file>`...)
//! are read straight from the chunk while they are spelled as createrepo_c
//! writes them; quick-xml reads the document around them and anything
//! spelled otherwise (entities, CDATA, comments, other quoting or
//! attribute order), and the tests and the `primary` fuzz target hold the
//! two readings to the same packages.

use std::borrow::Cow;
use std::io::Read;
use std::ops::Range;

use hashbrown::HashTable;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use rustc_hash::FxHashMap;

use crate::core::dep::{Dep, DepKind};
use crate::core::evr::Op;
use crate::core::ids::{EvrId, Intern, NO_EVR, NO_STR, StrId, str_hash, table_hash};
use crate::core::locked;

/// Marks a chunk-local id: a string (or EVR) first seen in the chunk being
/// parsed is named by its place in the chunk's pending list until the
/// chunk's strings are interned together, at the chunk's end. Interned ids
/// never reach this bit (2³¹ strings would not fit in memory first).
const PENDING: u32 = 1 << 31;

/// Whether `id` is a chunk-local id (absent values are not).
fn is_pending(id: u32) -> bool {
    id != NO_STR && id & PENDING != 0
}

/// What a parser remembers of the chunk it is parsing, so that the
/// shared interner is asked once per distinct string (and EVR) per chunk.
/// Emptied for each chunk but kept for the next one a parsing task takes,
/// so its tables are allocated a few times per file, not once per chunk.
/// Strings are named by their place in the chunk: the tables outlive any
/// one chunk's text.
pub struct ChunkCaches {
    /// The ids of the strings seen in this chunk.
    strings: ChunkTable<StrId>,
    /// Whole `<rpm:entry>` attribute texts already parsed in this chunk:
    /// most requires (`libc.so.6()(64bit)`, `rtld(GNU_HASH)`...) repeat
    /// verbatim, so a repeat costs one hash instead of an attribute walk and
    /// four interns.
    entries: ChunkTable<Dep>,
    /// EVRs interned in this chunk: a package's `<version>` comes back in
    /// its self-provide and in its subpackages'.
    evrs: FxHashMap<(StrId, StrId, StrId), EvrId>,
    /// EVR attribute texts read by hand in this chunk (`epoch="0"
    /// ver="1.2" rel="3.el9"`): the same text comes back in entries that
    /// are not repeats as a whole (`foo(x86-64) = 1.2-3.el9`,
    /// `config(foo) = ...`), and one lookup replaces three strings' and
    /// an EVR's.
    evr_texts: ChunkTable<EvrId>,
    /// The chunk's strings not yet interned: hash and place in the chunk.
    pending: Vec<(u64, u32, u32)>,
    /// The chunk's EVRs not yet interned (their parts may be pending).
    pending_evrs: Vec<(StrId, StrId, StrId)>,
    /// The interned ids of `pending` and `pending_evrs`, once known.
    resolved: Vec<StrId>,
    resolved_evrs: Vec<EvrId>,
}

/// Starting sizes of the per-chunk caches. They last from chunk to chunk,
/// so they grow to what a [`PRIMARY_CHUNK`] holds once each;
/// twice these sizes measured the same.
const CHUNK_STRINGS: usize = 3 * 1024;
const CHUNK_ENTRIES: usize = 2 * 1024;

impl Default for ChunkCaches {
    fn default() -> Self {
        ChunkCaches {
            strings: ChunkTable::with_capacity(CHUNK_STRINGS),
            entries: ChunkTable::with_capacity(CHUNK_ENTRIES),
            evrs: FxHashMap::with_capacity_and_hasher(CHUNK_ENTRIES, Default::default()),
            evr_texts: ChunkTable::with_capacity(CHUNK_ENTRIES),
            pending: Vec::with_capacity(CHUNK_STRINGS),
            pending_evrs: Vec::with_capacity(CHUNK_ENTRIES),
            resolved: Vec::with_capacity(CHUNK_STRINGS),
            resolved_evrs: Vec::with_capacity(CHUNK_ENTRIES),
        }
    }
}

impl ChunkCaches {
    fn clear(&mut self) {
        self.strings.table.clear();
        self.entries.table.clear();
        self.evrs.clear();
        self.evr_texts.table.clear();
        self.pending.clear();
        self.pending_evrs.clear();
    }
}

/// Values keyed by a text of the chunk being parsed. A key is its place in
/// the chunk and the low half of its [`str_hash`] (12 bytes, so the table
/// stays in the core's cache and outlives any one chunk's text).
struct ChunkTable<V> {
    table: HashTable<(u32, u32, u32, V)>,
}

impl<V: Copy> ChunkTable<V> {
    fn with_capacity(n: usize) -> Self {
        ChunkTable {
            table: HashTable::with_capacity(n),
        }
    }

    /// The value of `key`, a text of `chunk` whose hash's low half is `low`.
    fn get(&self, chunk: &str, low: u32, key: &str) -> Option<V> {
        self.table
            .find(table_hash(low), |&(h, start, end, _)| {
                h == low && chunk.get(start as usize..end as usize) == Some(key)
            })
            .map(|&(.., value)| value)
    }

    /// Adds `key` (known to be absent).
    fn insert(&mut self, low: u32, key: ChunkText<'_>, value: V) {
        self.table
            .insert_unique(table_hash(low), (low, key.start, key.end, value), |&(h, ..)| {
                table_hash(h)
            });
    }
}

/// A text that lies in the chunk being parsed, with its place there.
#[derive(Clone, Copy, Default)]
struct ChunkText<'c> {
    text: &'c str,
    start: u32,
    end: u32,
}

/// Interns the strings of one chunk through the thread's [`ChunkCaches`].
struct ChunkStrings<'c, 'i> {
    chunk: &'c str,
    interner: &'i dyn Intern,
    caches: &'i mut ChunkCaches,
}

impl<'c> ChunkStrings<'c, '_> {
    /// `bytes` as text of the chunk, when they are a slice of it (as
    /// unescaped attribute values and plain text events are).
    fn in_chunk(&self, bytes: &[u8]) -> Option<ChunkText<'c>> {
        let place = place_in(self.chunk, bytes)?;
        Some(ChunkText {
            text: self.chunk.get(place.clone())?,
            start: place.start as u32,
            end: place.end as u32,
        })
    }

    /// The id of an attribute's value; a plain value is looked up as the
    /// chunk slice it is, without copying or validating it again.
    fn attr_id(&mut self, value: AttrValue<'c, '_>) -> Result<StrId, ParseError> {
        let a = match value {
            AttrValue::Plain(t) => return Ok(self.cached_id(t)),
            AttrValue::Xml(a) => a,
        };
        if let Cow::Borrowed(b) = a.value
            && !needs_normalizing(b)
            && let Some(t) = self.in_chunk(b)
        {
            return Ok(self.cached_id(t));
        }
        let v = attr_value(a.clone())?;
        Ok(self.id(&v))
    }

    /// As [`attr_id`](Self::attr_id), an empty value counting as absent.
    fn attr_id_or_absent(&mut self, value: AttrValue<'c, '_>) -> Result<StrId, ParseError> {
        if value.is_empty() {
            return Ok(NO_STR);
        }
        self.attr_id(value)
    }

    /// The id of `s`: through the chunk's cache when it lies in the chunk,
    /// straight from the shared interner when it was unescaped elsewhere.
    fn id(&mut self, s: &str) -> StrId {
        match self.in_chunk(s.as_bytes()) {
            Some(t) => self.cached_id(t),
            None => self.interner.intern(s),
        }
    }

    fn cached_id(&mut self, t: ChunkText<'c>) -> StrId {
        let hash = str_hash(t.text);
        let low = hash as u32;
        if let Some(id) = self.caches.strings.get(self.chunk, low, t.text) {
            return id;
        }
        let id = PENDING | self.caches.pending.len() as StrId;
        self.caches.pending.push((hash, t.start, t.end));
        self.caches.strings.insert(low, t, id);
        id
    }

    /// The dependency an `<rpm:entry>` whose attribute text is `raw` stands
    /// for: most requires (`libc.so.6()(64bit)`...) repeat verbatim, so the
    /// chunk's cache answers a text it has seen; `parse` reads any other,
    /// and the cache keeps the answer.
    fn entry(
        &mut self,
        raw: ChunkText<'c>,
        kind: DepKind,
        parse: impl FnOnce(&mut Self) -> Result<Dep, ParseError>,
    ) -> Result<Dep, ParseError> {
        let low = str_hash(raw.text) as u32;
        if let Some(seen) = self.seen_entry(raw, low, kind) {
            return Ok(seen);
        }
        self.new_entry(raw, low, parse)
    }

    /// The dependency of an `<rpm:entry>` whose attribute text `raw` (its
    /// hash's low half `low`) this chunk has already parsed.
    fn seen_entry(&self, raw: ChunkText<'c>, low: u32, kind: DepKind) -> Option<Dep> {
        let seen = self.caches.entries.get(self.chunk, low, raw.text)?;
        Some(Dep { kind, ..seen })
    }

    /// Parses an `<rpm:entry>` the chunk has not seen, and remembers it.
    fn new_entry(
        &mut self,
        raw: ChunkText<'c>,
        low: u32,
        parse: impl FnOnce(&mut Self) -> Result<Dep, ParseError>,
    ) -> Result<Dep, ParseError> {
        let dep = parse(self)?;
        self.caches.entries.insert(low, raw, dep);
        Ok(dep)
    }

    /// The id of an EVR, asking the shared interner once per chunk.
    fn evr_id(&mut self, epoch: StrId, version: StrId, release: StrId) -> EvrId {
        let key = (epoch, version, release);
        if let Some(&id) = self.caches.evrs.get(&key) {
            return id;
        }
        let id = PENDING | self.caches.pending_evrs.len() as EvrId;
        self.caches.pending_evrs.push(key);
        self.caches.evrs.insert(key, id);
        id
    }

    /// The EVR of hand-read attributes `places` (others than `epoch`,
    /// `ver` and `rel` ignored). The text from the first of those three
    /// to the end of the last one's value holds all of them, so it alone
    /// decides the EVR: the chunk's cache of such texts answers a text it
    /// has read.
    fn evr_of(&mut self, places: &[AttrPlace]) -> Result<EvrId, ParseError> {
        let chunk = self.chunk;
        let is_evr = |p: &AttrPlace| chunk.as_bytes().get(p.0.clone()).is_some_and(is_evr_key);
        let first = places.iter().position(is_evr);
        let last = places.iter().rposition(is_evr);
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(NO_EVR);
        };
        let together = places.get(first..=last).unwrap_or_default();
        let read = |strings: &mut Self| {
            let mut evr = EvrAttributes::default();
            for (key, value) in attributes_at(chunk, together) {
                evr.take(strings, key, AttrValue::Plain(value))?;
            }
            Ok(evr.intern(strings))
        };
        let text = together
            .first()
            .zip(together.last())
            .and_then(|(f, l)| chunk_text(chunk, f.0.start..l.1.end));
        let Some(text) = text else {
            return read(self);
        };
        let low = str_hash(text.text) as u32;
        if let Some(evr) = self.caches.evr_texts.get(chunk, low, text.text) {
            return Ok(evr);
        }
        let evr = read(self)?;
        self.caches.evr_texts.insert(low, text, evr);
        Ok(evr)
    }

    /// Interns the chunk's pending strings, then its pending EVRs, and
    /// gives `batch` their interned ids.
    fn resolve(&mut self, batch: &mut Batch) {
        let chunk = self.chunk;
        let caches = &mut *self.caches;
        let strings: Vec<(u64, &str)> = caches
            .pending
            .iter()
            .map(|&(hash, start, end)| (hash, chunk.get(start as usize..end as usize).unwrap_or_default()))
            .collect();
        self.interner.intern_all(&strings, &mut caches.resolved);
        let resolved = &caches.resolved;
        let string = |id: StrId| match is_pending(id) {
            true => resolved.get((id & !PENDING) as usize).copied().unwrap_or(NO_STR),
            false => id,
        };
        for evr in &mut caches.pending_evrs {
            *evr = (string(evr.0), string(evr.1), string(evr.2));
        }
        self.interner
            .intern_evrs(&caches.pending_evrs, &mut caches.resolved_evrs);
        let resolved_evrs = &caches.resolved_evrs;
        let evr = |id: EvrId| match is_pending(id) {
            true => resolved_evrs.get((id & !PENDING) as usize).copied().unwrap_or(NO_EVR),
            false => id,
        };
        for pkg in &mut batch.packages {
            pkg.name = string(pkg.name);
            pkg.arch = string(pkg.arch);
            pkg.sourcerpm = string(pkg.sourcerpm);
            pkg.evr = evr(pkg.evr);
        }
        for dep in &mut batch.deps {
            dep.name = string(dep.name);
            dep.evr = evr(dep.evr);
        }
        for file in &mut batch.files {
            *file = string(*file);
        }
    }
}

/// The dependency kind whose list `tag` opens (`rpm:requires`...).
fn dep_kind_of_tag(tag: &[u8]) -> Option<DepKind> {
    Some(match tag {
        b"rpm:provides" => DepKind::Provides,
        b"rpm:requires" => DepKind::Requires,
        b"rpm:conflicts" => DepKind::Conflicts,
        b"rpm:obsoletes" => DepKind::Obsoletes,
        b"rpm:recommends" => DepKind::Recommends,
        b"rpm:suggests" => DepKind::Suggests,
        b"rpm:supplements" => DepKind::Supplements,
        b"rpm:enhances" => DepKind::Enhances,
        _ => return None,
    })
}

/// The end tag of `kind`'s list.
fn dep_list_end_tag(kind: DepKind) -> &'static [u8] {
    match kind {
        DepKind::Provides => b"</rpm:provides>",
        DepKind::Requires => b"</rpm:requires>",
        DepKind::Conflicts => b"</rpm:conflicts>",
        DepKind::Obsoletes => b"</rpm:obsoletes>",
        DepKind::Recommends => b"</rpm:recommends>",
        DepKind::Suggests => b"</rpm:suggests>",
        DepKind::Supplements => b"</rpm:supplements>",
        DepKind::Enhances => b"</rpm:enhances>",
    }
}

/// One `<package>` of primary.xml.
#[derive(Clone, Debug)]
pub struct PkgRec {
    /// `<name>`
    pub name: StrId,
    /// `<arch>`
    pub arch: StrId,
    /// `<version epoch ver rel>` (an empty epoch or release counts as absent).
    pub evr: EvrId,
    /// `<checksum pkgid="YES">`: links the package to its filelists entry.
    /// A range of [`Batch::pkgids`]: every pkgid is distinct, so interning
    /// them would only hash and store each once more.
    pub pkgid: Range<u32>,
    /// `<rpm:sourcerpm>`, absent for source packages.
    pub sourcerpm: StrId,
    /// Range of [`Batch::deps`].
    pub deps: Range<u32>,
    /// Range of [`Batch::files`] (the few files primary lists).
    pub files: Range<u32>,
}

/// The records parsed from one chunk of primary.xml, strings interned.
#[derive(Debug, Default)]
pub struct Batch {
    /// The packages.
    pub packages: Vec<PkgRec>,
    /// The dependencies of all packages.
    pub deps: Vec<Dep>,
    /// The file paths of all packages.
    pub files: Vec<StrId>,
    /// The pkgids of all packages, back to back.
    pub pkgids: String,
}

/// What went wrong reading primary.xml (or filelists.xml).
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Reading or decompressing the bytes failed.
    #[error("cannot decompress: {0} (truncated or corrupt file?)")]
    Io(#[from] std::io::Error),
    /// The XML is not well formed or not rpm-md.
    #[error("malformed XML: {0}")]
    Xml(String),
}

/// Bytes of primary.xml per chunk: big enough that the per-chunk caches see
/// most repeats (each string of a chunk reaches the shared interner once,
/// and that lookup is mostly cache misses), small enough that the chunks in
/// flight stay a few MiB. For CS9, 1 MiB rather than 512 KiB: 1 % fewer
/// instructions, about 5 % less time, 1 MB more peak RSS; 2 MiB: slower, and
/// 7 MB more.
pub(crate) const PRIMARY_CHUNK: usize = 1024 << 10;

/// Reads decompressed XML and hands out text chunks that each end right after
/// a closing tag `end_tag` (or at the end of the document).
///
/// Chunks are filled into buffers the caller hands back once parsed: a
/// buffer is allocated (and its pages faulted in) once, not once per chunk,
/// and is read into directly, not zeroed first as `read_to_end` would.
pub struct Chunker<R> {
    inner: R,
    chunk_size: usize,
    /// What was read past the last cut: the start of the next chunk.
    carry: Vec<u8>,
    end_tag: &'static [u8],
    done: bool,
}

/// A chunk of text: the first `len` bytes of `buf`.
pub struct Chunk {
    /// The buffer, to be handed back to [`Chunker::next_chunk`] for reuse.
    pub buf: Vec<u8>,
    /// How much of `buf` is the chunk.
    pub len: usize,
}

impl Chunk {
    /// The chunk's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl<R: Read> Chunker<R> {
    /// Chunks `inner` at `end_tag` boundaries (e.g. `</package>`), at most
    /// `chunk_size` bytes each unless one element is longer.
    pub fn new(inner: R, end_tag: &'static [u8], chunk_size: usize) -> Self {
        Chunker {
            inner,
            chunk_size,
            carry: Vec::new(),
            end_tag,
            done: false,
        }
    }

    /// The next chunk, filled into `buf` (a buffer of an earlier chunk, or a
    /// new empty one), or `None` at the end.
    pub fn next_chunk(&mut self, mut buf: Vec<u8>) -> Result<Option<Chunk>, ParseError> {
        if self.done {
            return Ok(None);
        }
        let size = self.chunk_size.max(self.carry.len() * 2).max(self.end_tag.len() * 2);
        if buf.len() < size {
            buf.resize(size, 0);
        }
        buf[..self.carry.len()].copy_from_slice(&self.carry);
        let mut filled = self.carry.len();
        let mut searched_from = filled.saturating_sub(self.end_tag.len());
        loop {
            while filled < buf.len() {
                match self.inner.read(&mut buf[filled..]) {
                    Ok(0) => {
                        self.done = true;
                        self.carry.clear();
                        return Ok(Some(Chunk { buf, len: filled }));
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if let Some(pos) = memchr::memmem::rfind(&buf[searched_from..filled], self.end_tag) {
                let cut = searched_from + pos + self.end_tag.len();
                self.carry.clear();
                self.carry.extend_from_slice(&buf[cut..filled]);
                return Ok(Some(Chunk { buf, len: cut }));
            }
            // One element longer than the buffer: grow it and read on.
            searched_from = filled.saturating_sub(self.end_tag.len());
            buf.resize(buf.len() * 2, 0);
        }
    }
}

/// Checks that a chunk is UTF-8 and views it as text. simdutf8 is several
/// times std's speed, and this runs over every byte of every primary.xml;
/// std only words the error.
fn as_text(bytes: &[u8]) -> Result<&str, ParseError> {
    simdutf8::basic::from_utf8(bytes)
        .or_else(|_| std::str::from_utf8(bytes).map_err(|e| ParseError::Xml(format!("invalid UTF-8: {e}"))))
}

/// State carried across chunks of one document: whether the root element was
/// seen and how many packages it announced.
#[derive(Debug, Default)]
pub struct DocState {
    /// The root element was seen.
    pub root_seen: bool,
    /// The root element was closed.
    pub root_closed: bool,
    /// `packages="N"` on the root, if given.
    pub announced: Option<usize>,
    /// Packages parsed so far.
    pub parsed: usize,
}

impl DocState {
    /// Adds what a later chunk saw.
    pub fn merge(&mut self, later: &DocState) {
        self.root_seen |= later.root_seen;
        self.root_closed |= later.root_closed;
        self.announced = self.announced.or(later.announced);
        self.parsed += later.parsed;
    }

    /// Checks, after the last chunk, that the document was complete.
    pub fn finish(&self, root: &str) -> Result<(), ParseError> {
        if !self.root_seen {
            return Err(ParseError::Xml(format!("no <{root}> element")));
        }
        if !self.root_closed {
            return Err(ParseError::Xml(format!("document ends before </{root}> (truncated?)")));
        }
        if let Some(n) = self.announced
            && n != self.parsed
        {
            return Err(ParseError::Xml(format!(
                "<{root} packages=\"{n}\"> but {} packages found",
                self.parsed
            )));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    None,
    Name,
    Arch,
    Pkgid,
    SourceRpm,
    File,
}

impl Field {
    /// Keeps `text`, the content of this field's element, in the package
    /// being read, whoever read it (quick-xml or [`package_run`]).
    fn store(self, text: &str, strings: &mut ChunkStrings<'_, '_>, pkg: &mut PkgRec, batch: &mut Batch) {
        match self {
            Field::Name => pkg.name = strings.id(text),
            Field::Arch => pkg.arch = strings.id(text),
            Field::Pkgid => {
                let start = batch.pkgids.len() as u32;
                batch.pkgids.push_str(text);
                pkg.pkgid = start..batch.pkgids.len() as u32;
            }
            // A source package's is empty: absent, as when the tag is.
            Field::SourceRpm if text.is_empty() => pkg.sourcerpm = NO_STR,
            Field::SourceRpm => pkg.sourcerpm = strings.id(text),
            Field::File => batch.files.push(strings.id(text)),
            Field::None => {}
        }
    }
}

/// `bytes` as text, when they are a slice of `text` (as quick-xml's borrowed
/// events and unescaped attribute values are): the chunk was checked as
/// UTF-8 once, so this costs a bounds check instead of a second validation.
pub(crate) fn in_text<'c>(text: &'c str, bytes: &[u8]) -> Option<&'c str> {
    text.get(place_in(text, bytes)?)
}

/// Where `bytes` lie in `text`, when they are a slice of it.
fn place_in(text: &str, bytes: &[u8]) -> Option<Range<usize>> {
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
fn push_cdata(value: &mut String, t: &quick_xml::events::BytesCData<'_>) -> Result<(), ParseError> {
    value.push_str(&t.xml10_content().map_err(|e| ParseError::Xml(e.to_string()))?);
    Ok(())
}

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
fn parse_chunk(
    chunk: &str,
    doc: &mut DocState,
    interner: &dyn Intern,
    caches: &mut ChunkCaches,
    hand_read: bool,
) -> Result<Batch, ParseError> {
    let mut reader = chunk_reader(chunk);
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
                match name.as_ref() {
                    b"package" => {
                        if current.is_some() {
                            return Err(ParseError::Xml("<package> inside <package>".into()));
                        }
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
                            let (read, open) = package_run(&mut strings, at, pkg, &mut batch)?;
                            pass_over(&mut reader, &mut skipped, read);
                            kind = open;
                        }
                    }
                    b"metadata" => {
                        doc.root_seen = true;
                        doc.root_closed |= empty;
                        doc.announced = attr(e, b"packages")?.and_then(|v| v.parse().ok());
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
                        pkg.deps.end = batch.deps.len() as u32;
                        pkg.files.end = batch.files.len() as u32;
                        batch.packages.push(pkg);
                        doc.parsed += 1;
                    }
                    b"metadata" => doc.root_closed = true,
                    t if dep_kind_of_tag(t).is_some() => kind = None,
                    _ => {
                        if let Some(pkg) = current.as_mut() {
                            field.store(value.as_str(), &mut strings, pkg, &mut batch);
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
                    let (read, open) = package_run(&mut strings, at, pkg, &mut batch)?;
                    pass_over(&mut reader, &mut skipped, read);
                    kind = open;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if current.is_some() {
        return Err(ParseError::Xml("document ends inside a <package> (truncated?)".into()));
    }
    strings.resolve(&mut batch);
    // The pool keeps these arrays as they are: give back what growing by
    // doubling left unused (a third on average).
    batch.packages.shrink_to_fit();
    batch.deps.shrink_to_fit();
    batch.files.shrink_to_fit();
    batch.pkgids.shrink_to_fit();
    Ok(batch)
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

/// The index of the first byte of `b` from `i` on that is not XML
/// whitespace.
fn skip_whitespace(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\n' | b'\t' | b'\r')) {
        i += 1;
    }
    i
}

/// Reads the `<rpm:entry .../>` tags of a dependency list straight from the
/// chunk, from byte `at` (just after the list's start tag), as createrepo_c
/// writes them: whitespace, `<rpm:entry`, attributes ` key="value"` with
/// nothing to unescape or normalize, `/>`. Half a million such tags make up
/// most of a big primary.xml's tags; quick-xml would find each one's end
/// by a search per quote. Stops before the first thing spelled otherwise,
/// which quick-xml then reads as it reads everything else. Returns how many
/// bytes it read and whether the last thing read was the list's end tag.
fn entry_run<'c>(
    strings: &mut ChunkStrings<'c, '_>,
    at: usize,
    kind: DepKind,
    deps: &mut Vec<Dep>,
) -> Result<(usize, bool), ParseError> {
    const TAG: &[u8] = b"<rpm:entry";
    let chunk = strings.chunk;
    let b = chunk.as_bytes();
    let mut places: [AttrPlace; PLAIN_ATTRIBUTES] = Default::default();
    let mut read = at;
    loop {
        let i = skip_whitespace(b, read);
        let rest = b.get(i..).unwrap_or_default();
        if rest.starts_with(dep_list_end_tag(kind)) {
            return Ok((i + dep_list_end_tag(kind).len() - at, true));
        }
        if !rest.starts_with(TAG) {
            return Ok((read - at, false));
        }
        let attrs_start = i + TAG.len();
        // Most entries repeat one the chunk has parsed: the text up to the
        // first `/>` is then found by one memchr and one lookup, without
        // reading its attributes. The cache holds only texts that
        // `plain_attributes` read whole up to a `/>`, so an equal text is
        // read the same way here; a `>` inside a value only makes a text
        // that is in no cache (see `seen_entry_text`).
        let candidate = seen_entry_text(chunk, attrs_start).map(|raw| (raw, str_hash(raw.text) as u32));
        if let Some((raw, low)) = candidate
            && let Some(dep) = strings.seen_entry(raw, low, kind)
        {
            deps.push(dep);
            read = raw.end as usize + 2;
            continue;
        }
        let Some((attrs_end, n)) = plain_attributes(b, attrs_start, &mut places) else {
            return Ok((read - at, false));
        };
        let (Some(b"/>"), Some(raw)) = (
            b.get(attrs_end..attrs_end + 2),
            chunk_text(chunk, attrs_start..attrs_end),
        ) else {
            return Ok((read - at, false));
        };
        let attributes = places.get(..n).unwrap_or_default();
        let parse = move |strings: &mut ChunkStrings<'c, '_>| entry_from_places(strings, attributes, kind);
        let dep = match candidate {
            // The text just looked up in vain: its hash is known.
            Some((seen, low)) if seen.end == raw.end => strings.new_entry(raw, low, parse)?,
            _ => strings.entry(raw, kind, parse)?,
        };
        deps.push(dep);
        read = attrs_end + 2;
    }
}

/// The text from `attrs_start` up to the first `/>` after it, when the
/// first `>` is one (a `>` inside a value makes another text, which
/// `plain_attributes` would not have read whole: it is then looked up in
/// vain and the entry read attribute by attribute).
fn seen_entry_text(chunk: &str, attrs_start: usize) -> Option<ChunkText<'_>> {
    let b = chunk.as_bytes();
    let gt = attrs_start + memchr::memchr(b'>', b.get(attrs_start..)?)?;
    let slash = gt
        .checked_sub(1)
        .filter(|&s| s >= attrs_start && b.get(s) == Some(&b'/'))?;
    chunk_text(chunk, attrs_start..slash)
}

/// Elements of a `<package>` that nothing reads, whose content is text.
const IGNORED_TEXT: [&[u8]; 8] = [
    b"summary",
    b"description",
    b"packager",
    b"url",
    b"rpm:license",
    b"rpm:vendor",
    b"rpm:group",
    b"rpm:buildhost",
];

/// Elements of a `<package>` that nothing reads, written empty.
const IGNORED_EMPTY: [&[u8]; 4] = [b"time", b"size", b"location", b"rpm:header-range"];

/// Where the element at `i` (a `<`) ends when it is one nothing reads,
/// spelled as createrepo_c writes it: `<summary>`, `<description>` and the
/// like with text holding no markup and no entity, `<time .../>` and the
/// like with plain attributes, or the `<format>` start tag. `None` for any
/// other element or spelling.
fn ignored_element(b: &[u8], i: usize, name: &[u8], places: &mut [AttrPlace]) -> Option<usize> {
    let after_name = i + 1 + name.len();
    if IGNORED_TEXT.contains(&name) {
        match b.get(after_name) {
            Some(b'>') => {
                // Text up to the next `<`, which must open this element's
                // end tag; no entity to check.
                let text_start = after_name + 1;
                let lt = memchr::memchr2(b'<', b'&', b.get(text_start..)?)?;
                end_tag_at(b, text_start + lt, name)
            }
            Some(b'/') if b.get(after_name + 1) == Some(&b'>') => Some(after_name + 2),
            _ => None,
        }
    } else if name == b"format" && b.get(after_name) == Some(&b'>') {
        // Only its start tag: its content is read tag by tag.
        Some(after_name + 1)
    } else if IGNORED_EMPTY.contains(&name) {
        match plain_attributes(b, after_name, places) {
            Some((end, _)) if b.get(end..end + 2) == Some(b"/>") => Some(end + 2),
            _ => None,
        }
    } else {
        None
    }
}

/// Where `</name>` starting at `at` ends, when it is spelled so.
fn end_tag_at(b: &[u8], at: usize, name: &[u8]) -> Option<usize> {
    let rest = b.get(at..)?;
    (rest.get(..2) == Some(b"</")
        && rest.get(2..2 + name.len()) == Some(name)
        && rest.get(2 + name.len()) == Some(&b'>'))
    .then_some(at + 2 + name.len() + 1)
}

/// The element name at `i` (a `<`): up to a space, `>`, `/` or newline.
fn element_name(b: &[u8], i: usize) -> &[u8] {
    let tag = b.get(i + 1..).unwrap_or_default();
    let len = tag
        .iter()
        .position(|&c| matches!(c, b' ' | b'>' | b'/' | b'\n' | b'\t' | b'\r'))
        .unwrap_or(tag.len());
    &tag[..len]
}

/// Where the text of a `<file>` starts, `at` being just after its name:
/// `<file>`, `<file type="dir">` or `<file type="ghost">`.
fn file_text_start(b: &[u8], at: usize) -> Option<usize> {
    let rest = b.get(at..)?;
    [&b">"[..], b" type=\"dir\">", b" type=\"ghost\">"]
        .iter()
        .find(|open| rest.starts_with(open))
        .map(|open| at + open.len())
}

/// Where the text of a `<checksum>` starts, `at` being just after its name,
/// when it is spelled `<checksum type="..." pkgid="YES">`.
fn pkgid_text_start(b: &[u8], at: usize) -> Option<usize> {
    const TYPE: &[u8] = b" type=\"";
    const PKGID: &[u8] = b" pkgid=\"YES\">";
    if !b.get(at..)?.starts_with(TYPE) {
        return None;
    }
    let quote = closing_quote(b, at + TYPE.len())?;
    b.get(quote + 1..)?
        .starts_with(PKGID)
        .then_some(quote + 1 + PKGID.len())
}

/// The text of an element from `start` up to its end tag `</name>`, when
/// it holds no markup, no entity and no carriage return (which XML turns
/// into a line feed): the text, and where the end tag ends.
fn plain_text<'c>(chunk: &'c str, start: usize, name: &[u8]) -> Option<(&'c str, usize)> {
    let b = chunk.as_bytes();
    let close = start + memchr::memchr3(b'<', b'&', b'\r', b.get(start..)?)?;
    let end = end_tag_at(b, close, name)?;
    Some((chunk.get(start..close)?, end))
}

/// Reads a package's elements straight from the chunk, from byte `at`
/// (between two elements of a `<package>`), as createrepo_c writes them:
/// `<name>`, `<arch>`, `<rpm:sourcerpm>` and `<file>` with plain text,
/// `<version .../>` with plain attributes, `<checksum type="..."
/// pkgid="YES">`, the elements nothing reads, dependency lists (their
/// entries by [`entry_run`]) and `</format>`. quick-xml would make three
/// events of most (four with the whitespace) for the parser to look at.
/// Stops before the first thing spelled otherwise, which quick-xml then
/// reads as it reads everything else. Returns how many bytes it read, and
/// the kind of a dependency list it left open (its entries not all read).
fn package_run(
    strings: &mut ChunkStrings<'_, '_>,
    at: usize,
    pkg: &mut PkgRec,
    batch: &mut Batch,
) -> Result<(usize, Option<DepKind>), ParseError> {
    let chunk = strings.chunk;
    let b = chunk.as_bytes();
    let mut places: [AttrPlace; PLAIN_ATTRIBUTES] = Default::default();
    let mut read = at;
    loop {
        let i = skip_whitespace(b, read);
        if b.get(i) != Some(&b'<') {
            return Ok((read - at, None));
        }
        if b.get(i..i + 9) == Some(b"</format>") {
            read = i + 9;
            continue;
        }
        let name = element_name(b, i);
        let after_name = i + 1 + name.len();
        if let Some(end) = ignored_element(b, i, name, &mut places) {
            read = end;
            continue;
        }
        let bare = (b.get(after_name) == Some(&b'>')).then_some(after_name + 1);
        let (field, text_start) = match name {
            b"name" => (Field::Name, bare),
            b"arch" => (Field::Arch, bare),
            b"rpm:sourcerpm" => (Field::SourceRpm, bare),
            b"file" => (Field::File, file_text_start(b, after_name)),
            b"checksum" => (Field::Pkgid, pkgid_text_start(b, after_name)),
            b"version" => {
                let Some((end, n)) = plain_attributes(b, after_name, &mut places) else {
                    return Ok((read - at, None));
                };
                if b.get(end..end + 2) != Some(b"/>") {
                    return Ok((read - at, None));
                }
                pkg.evr = strings.evr_of(places.get(..n).unwrap_or_default())?;
                read = end + 2;
                continue;
            }
            _ => {
                let Some(kind) = dep_kind_of_tag(name).filter(|_| b.get(after_name) == Some(&b'>')) else {
                    return Ok((read - at, None));
                };
                let (n, closed) = entry_run(strings, after_name + 1, kind, &mut batch.deps)?;
                read = after_name + 1 + n;
                if !closed {
                    return Ok((read - at, Some(kind)));
                }
                continue;
            }
        };
        let Some((text, end)) = text_start.and_then(|start| plain_text(chunk, start, name)) else {
            return Ok((read - at, None));
        };
        field.store(text, strings, pkg, batch);
        read = end;
    }
}

/// The places of one attribute's key and value in a tag read by hand.
type AttrPlace = (Range<usize>, Range<usize>);

/// Reads attributes spelled ` key="value"`, with nothing XML would change
/// in the value, from `b[from..]` until the end of `b` or a `/>`; their
/// places go to `out`. Returns where it stopped and how many it read;
/// `None` for any other spelling, or for more attributes than `out` holds:
/// quick-xml reads those.
fn plain_attributes(b: &[u8], from: usize, out: &mut [AttrPlace]) -> Option<(usize, usize)> {
    let mut i = from;
    let mut n = 0;
    loop {
        let before = i;
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        if i == b.len() || b.get(i..i + 2) == Some(b"/>") {
            return Some((i, n));
        }
        if i == before {
            return None;
        }
        let key_start = i;
        // The keys createrepo_c writes, known at a glance; any other is
        // read byte by byte.
        let known = match b.get(i..i + 6) {
            Some([b'n', b'a', b'm', b'e', b'=', _]) => 4,
            Some([b'f', b'l', b'a', b'g', b's', b'=']) | Some([b'e', b'p', b'o', b'c', b'h', b'=']) => 5,
            Some([b'v', b'e', b'r', b'=', ..])
            | Some([b'r', b'e', b'l', b'=', ..])
            | Some([b'p', b'r', b'e', b'=', ..]) => 3,
            _ => 0,
        };
        i += known;
        if known == 0 {
            loop {
                match *b.get(i)? {
                    b'=' => break,
                    b' ' | b'"' | b'\'' | b'\t' | b'\n' | b'\r' | b'<' | b'>' | b'/' | b'&' => return None,
                    _ => i += 1,
                }
            }
        }
        if i == key_start || b.get(i + 1) != Some(&b'"') {
            return None;
        }
        let value_start = i + 2;
        let value_end = closing_quote(b, value_start)?;
        *out.get_mut(n)? = (key_start..i, value_start..value_end);
        n += 1;
        i = value_end + 1;
    }
}

/// The text of `range` of the chunk, with its place there.
fn chunk_text(chunk: &str, range: Range<usize>) -> Option<ChunkText<'_>> {
    Some(ChunkText {
        text: chunk.get(range.clone())?,
        start: range.start as u32,
        end: range.end as u32,
    })
}

/// The attributes [`plain_attributes`] found in `chunk`, as keys and texts.
fn attributes_at<'c>(chunk: &'c str, places: &[AttrPlace]) -> impl Iterator<Item = (&'c [u8], ChunkText<'c>)> {
    places
        .iter()
        .filter_map(move |(key, value)| Some((chunk.as_bytes().get(key.clone())?, chunk_text(chunk, value.clone())?)))
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
fn attr_value<'a>(a: quick_xml::events::attributes::Attribute<'a>) -> Result<Cow<'a, str>, ParseError> {
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
fn needs_normalizing(value: &[u8]) -> bool {
    value.iter().any(|&b| matches!(b, b'&' | b'\t' | b'\n' | b'\r'))
}

/// The attribute `key` of a tag, as quick-xml gives it.
fn find_attr<'a>(
    e: &'a BytesStart<'_>,
    key: &[u8],
) -> Result<Option<quick_xml::events::attributes::Attribute<'a>>, ParseError> {
    for a in e.attributes().with_checks(false) {
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

/// An attribute's value as [`walk_attributes`] hands it out.
#[derive(Clone, Copy)]
enum AttrValue<'c, 'a> {
    /// Read by hand: a slice of the chunk with nothing to unescape.
    Plain(ChunkText<'c>),
    /// Read by quick-xml.
    Xml(&'a quick_xml::events::attributes::Attribute<'a>),
}

impl AttrValue<'_, '_> {
    fn bytes(&self) -> &[u8] {
        match self {
            AttrValue::Plain(t) => t.text.as_bytes(),
            AttrValue::Xml(a) => &a.value,
        }
    }

    fn is_empty(&self) -> bool {
        self.bytes().is_empty()
    }

    /// `pre="1"`
    fn is_one(&self) -> bool {
        self.bytes() == b"1"
    }

    /// The operator of a `flags` value.
    fn op(&self) -> Result<Option<Op>, ParseError> {
        match self {
            AttrValue::Xml(a) if needs_normalizing(&a.value) => Ok(Op::from_rpmmd(&attr_value((*a).clone())?)),
            _ => Ok(Op::from_rpmmd_bytes(self.bytes())),
        }
    }
}

/// Most attributes an rpm-md tag has (`<rpm:entry>` has six at most).
const PLAIN_ATTRIBUTES: usize = 8;

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
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| ParseError::Xml(e.to_string()))?;
        f(strings, a.key.as_ref(), AttrValue::Xml(&a))?;
    }
    Ok(())
}

/// Where the double-quoted value starting at `from` ends: the index of its
/// closing `"`. `None` when an `&` or a control character (tab, newline...)
/// comes first, since XML would unescape or normalize those, or when there
/// is no closing quote. Eight bytes at a time: values (versions, sonames,
/// perl and python module names) are mostly longer than that.
fn closing_quote(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `v` that is zero; a byte above a zero one
    // may be marked too, but the lowest mark is always a real one.
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = from;
    while let Some(word) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().ok()?);
        let stops = zeros(w ^ (ONES * u64::from(b'"')))
            | zeros(w ^ (ONES * u64::from(b'&')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGHS);
        if stops != 0 {
            i += (stops.trailing_zeros() / 8) as usize;
            return (b.get(i) == Some(&b'"')).then_some(i);
        }
        i += 8;
    }
    loop {
        match *b.get(i)? {
            b'"' => return Some(i),
            b'&' | 0..0x20 => return None,
            _ => i += 1,
        }
    }
}

/// The `epoch`, `ver` and `rel` attributes of a `<version>` or an
/// `<rpm:entry>`, gathered in one walk over its attributes.
struct EvrAttributes {
    epoch: StrId,
    version: StrId,
    release: StrId,
}

impl Default for EvrAttributes {
    fn default() -> Self {
        EvrAttributes {
            epoch: NO_STR,
            version: NO_STR,
            release: NO_STR,
        }
    }
}

impl EvrAttributes {
    /// Keeps `value` if `key` is one of the three; an empty epoch or
    /// release counts as absent.
    fn take<'c>(
        &mut self,
        strings: &mut ChunkStrings<'c, '_>,
        key: &[u8],
        value: AttrValue<'c, '_>,
    ) -> Result<(), ParseError> {
        match key {
            b"epoch" => self.epoch = strings.attr_id_or_absent(value)?,
            b"ver" => self.version = strings.attr_id(value)?,
            b"rel" => self.release = strings.attr_id_or_absent(value)?,
            _ => {}
        }
        Ok(())
    }

    /// The interned EVR, or [`NO_EVR`] without a version.
    fn intern(&self, strings: &mut ChunkStrings<'_, '_>) -> EvrId {
        if self.version == NO_STR {
            return NO_EVR;
        }
        strings.evr_id(self.epoch, self.version, self.release)
    }
}

/// An `<rpm:entry>` quick-xml read: a repeat of the same text in the chunk
/// comes from the cache.
fn parse_entry(strings: &mut ChunkStrings<'_, '_>, e: &BytesStart<'_>, kind: DepKind) -> Result<Dep, ParseError> {
    match strings.in_chunk(e.attributes_raw()) {
        Some(raw) => strings.entry(raw, kind, |strings| parse_entry_attributes(strings, e, kind)),
        None => parse_entry_attributes(strings, e, kind),
    }
}

/// The attributes of one `<rpm:entry>`, gathered as they come.
struct EntryAttributes {
    dep: Dep,
    evr: EvrAttributes,
}

impl EntryAttributes {
    fn new(kind: DepKind) -> Self {
        EntryAttributes {
            dep: Dep {
                kind,
                name: NO_STR,
                op: None,
                evr: NO_EVR,
                pre: false,
            },
            evr: EvrAttributes::default(),
        }
    }

    fn take<'c>(
        &mut self,
        strings: &mut ChunkStrings<'c, '_>,
        key: &[u8],
        value: AttrValue<'c, '_>,
    ) -> Result<(), ParseError> {
        match key {
            b"name" => self.dep.name = strings.attr_id(value)?,
            b"flags" => self.dep.op = value.op()?,
            b"pre" => self.dep.pre = value.is_one(),
            _ => self.evr.take(strings, key, value)?,
        }
        Ok(())
    }

    fn finish(self, strings: &mut ChunkStrings<'_, '_>) -> Result<Dep, ParseError> {
        let evr = self.evr.intern(strings);
        self.with_evr(evr)
    }

    /// The dependency, with `evr` as its EVR; an entry must have a name.
    fn with_evr(mut self, evr: EvrId) -> Result<Dep, ParseError> {
        if self.dep.name == NO_STR {
            return Err(ParseError::Xml("<rpm:entry> without a name".into()));
        }
        self.dep.evr = evr;
        Ok(self.dep)
    }
}

/// The attributes [`EvrAttributes`] keeps.
fn is_evr_key(key: &[u8]) -> bool {
    matches!(key, b"epoch" | b"ver" | b"rel")
}

/// A [`Dep`] from the attributes of an `<rpm:entry>` read by hand (at
/// `places` in the chunk): its EVR through [`ChunkStrings::evr_of`].
fn entry_from_places(
    strings: &mut ChunkStrings<'_, '_>,
    places: &[AttrPlace],
    kind: DepKind,
) -> Result<Dep, ParseError> {
    let mut entry = EntryAttributes::new(kind);
    for (key, value) in attributes_at(strings.chunk, places) {
        if !is_evr_key(key) {
            entry.take(strings, key, AttrValue::Plain(value))?;
        }
    }
    let evr = strings.evr_of(places)?;
    entry.with_evr(evr)
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

/// Cuts `reader` into `</package>`-terminated chunks on the calling thread
/// and parses them as tasks of rayon's pool; results in document order.
///
/// The pool has one worker per CPU, and every repository loaded at once
/// shares it: a worker done with a small repository's chunks takes a big
/// one's. Threads of their own per file (a decompressor and two parsers for
/// each repository, seven threads on two CPUs for CentOS Stream 9's
/// AppStream and BaseOS) cost 15–20 % more CPU in time slices and lock
/// waits (BENCHMARKS.md, "Stop 13"). At most `ahead` chunks wait for a
/// worker; past that the calling thread parses the chunk it just cut
/// before cutting the next, so memory stays a few chunks whatever the file
/// size and however busy the pool is. With `ahead` 0 every chunk is parsed
/// on the calling thread.
pub(crate) fn parse_chunks_on_rayon<R, T, S, F>(
    reader: R,
    chunk_size: usize,
    ahead: usize,
    parse: F,
) -> Result<Vec<T>, ParseError>
where
    R: Read + Send,
    T: Send,
    S: Default + Send,
    F: Fn(&mut S, &str) -> Result<T, ParseError> + Sync,
{
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let slots: Mutex<Vec<Option<Result<T, ParseError>>>> = Mutex::new(Vec::new());
    // Parser states (caches) left by finished tasks, and chunk buffers
    // parsed and free to be filled again: both are reused, not rebuilt.
    let states: Mutex<Vec<S>> = Mutex::new(Vec::new());
    let buffers: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let waiting = AtomicUsize::new(0);
    let (slots, states, buffers, waiting, parse) = (&slots, &states, &buffers, &waiting, &parse);
    let store = move |index: usize, result: Result<T, ParseError>| {
        let mut v = locked(slots);
        if v.len() <= index {
            v.resize_with(index + 1, || None);
        }
        v[index] = Some(result);
    };
    let run = move |index: usize, chunk: Chunk| {
        let mut state = locked(states).pop().unwrap_or_default();
        let result = as_text(chunk.bytes()).and_then(|text| parse(&mut state, text));
        locked(states).push(state);
        locked(buffers).push(chunk.buf);
        store(index, result);
    };
    let mut chunker = Chunker::new(reader, b"</package>", chunk_size);
    // In place: the cutting stays on this thread even outside rayon's pool,
    // where `rayon::scope` would run it on a worker this thread wakes (and
    // the scheduler queues that worker on this thread's CPU).
    rayon::in_place_scope(|scope| {
        for index in 0.. {
            let buf = locked(buffers).pop().unwrap_or_default();
            match chunker.next_chunk(buf) {
                Ok(Some(chunk)) if waiting.load(Ordering::Acquire) < ahead => {
                    waiting.fetch_add(1, Ordering::AcqRel);
                    scope.spawn(move |_| {
                        run(index, chunk);
                        waiting.fetch_sub(1, Ordering::AcqRel);
                    });
                }
                Ok(Some(chunk)) => run(index, chunk),
                Ok(None) => return,
                Err(e) => return store(index, Err(e)),
            }
        }
    });
    // A task that panicked has made rayon::scope panic: every slot up to
    // the last chunk is filled.
    std::mem::take(&mut *locked(slots))
        .into_iter()
        .map(|slot| slot.unwrap_or_else(|| Err(ParseError::Xml("a chunk was not parsed".into()))))
        .collect()
}

/// Every package of `xml` (a whole primary.xml, or a chunk of one) as
/// text, read with or without the hand-read runs: name, arch, EVR, pkgid,
/// sourcerpm, each dependency, each file. For the tests and the fuzz target
/// that hold the hand-read runs to what quick-xml alone reads.
#[cfg(any(test, feature = "fuzzing"))]
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

    /// A minimal interner for parser tests.
    #[derive(Default)]
    struct Strings(
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
        fn evr(&self, id: EvrId) -> (String, String, String) {
            let parts = self.1.lock().map(|v| v.get(id as usize).copied()).ok().flatten();
            let Some((e, v, r)) = parts else {
                return Default::default();
            };
            (self.get(e), self.get(v), self.get(r))
        }

        fn get(&self, id: StrId) -> String {
            self.0
                .lock()
                .map(|v| v.get(id as usize).cloned().unwrap_or_default())
                .unwrap_or_default()
        }
    }

    fn evr_release(strings: &Strings, id: EvrId) -> StrId {
        strings.1.lock().map(|v| v[id as usize].2).unwrap_or(0)
    }

    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
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
        assert_eq!(self::evr_release(&strings, req.evr), NO_STR);
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

    /// The hand-read run of `<rpm:entry>` tags hands over to quick-xml at
    /// the first one spelled otherwise, and quick-xml reads the rest of the
    /// list: the dependencies come out the same, in document order.
    #[test]
    fn entry_runs_hand_over_to_quick_xml_and_back() {
        let odd = [
            r#"<rpm:entry name="a&amp;b"/>"#,
            r#"<rpm:entry name='q'/>"#,
            "<rpm:entry\tname=\"t\"/>",
            r#"<rpm:entry name="e"></rpm:entry>"#,
            r#"<rpm:entry name="x > y"/>"#,
            r#"<rpm:entry name="p/>q"/>"#,
        ];
        for o in odd {
            let list = format!(
                "<rpm:requires>\r\n\t<rpm:entry name=\"r1\" flags=\"LT\" ver=\"2\"/>{o} <rpm:entry name=\"r3\" />\n</rpm:requires>"
            );
            let xml = XML.replace(
                r#"<rpm:requires><rpm:entry name="bar" flags="GE" epoch="0" ver="2" pre="1"/><rpm:entry name="(a or b)"/></rpm:requires>"#,
                &list,
            );
            let strings = Strings::default();
            let batches = parse_primary(xml.as_bytes(), &strings).unwrap_or_else(|e| panic!("{o}: {e}"));
            let names: Vec<String> = batches[0].deps.iter().map(|d| strings.get(d.name)).collect();
            let middle = quick_xml::Reader::from_str(o)
                .read_event()
                .ok()
                .and_then(|e| match e {
                    Event::Empty(e) | Event::Start(e) => attr(&e, b"name").ok().flatten().map(|v| v.into_owned()),
                    _ => None,
                })
                .unwrap_or_default();
            assert_eq!(names, ["foo", "r1", middle.as_str(), "r3"], "{o}");
            assert_eq!(batches[0].deps[1].op, Some(Op::LT), "{o}");
            assert!(batches[0].deps[1..].iter().all(|d| d.kind == DepKind::Requires), "{o}");
        }
    }

    /// What follows `</checksum>` and `</rpm:sourcerpm>` is skipped by hand
    /// only while it is spelled plainly; anything else goes to quick-xml,
    /// and the package reads the same.
    #[test]
    fn ignored_elements_are_skipped_by_hand_or_by_quick_xml_alike() {
        let full = XML.replace(
            "  <summary>s &lt; t</summary>\n",
            "  <summary>s</summary>\n  <description>d</description>\n  <packager/>\n  <url></url>\n  <time file=\"1\" build=\"2\"/>\n  <size package=\"1\" installed=\"2\" archive=\"3\"/>\n",
        )
        .replace(
            "  <format>\n",
            "  <format>\n    <rpm:license>MIT</rpm:license>\n    <rpm:vendor/>\n    <rpm:group>g</rpm:group>\n    <rpm:buildhost>h</rpm:buildhost>\n",
        )
        .replace(
            "</rpm:sourcerpm>\n",
            "</rpm:sourcerpm>\n    <rpm:header-range start=\"1\" end=\"2\"/>\n",
        );
        let variants = [
            full.clone(),
            full.replace("<description>d</description>", "<description>a &amp; b</description>"),
            full.replace(
                "<description>d</description>",
                "<description><![CDATA[<name>x</name>]]></description>",
            ),
            full.replace(
                "<description>d</description>",
                "<description>d</description><!-- <name>x</name> -->",
            ),
            full.replace("<url></url>", "<url >u</url >"),
            full.replace("<packager/>", "<name>foo&amp;bar</name>"),
            full.replace(r#"<time file="1" build="2"/>"#, r#"<time file='1' build="2"/>"#),
            full.replace("<rpm:vendor/>", "<rpm:vendor>v</rpm:vendor >"),
        ];
        for xml in variants {
            let strings = Strings::default();
            let batches = parse_primary(xml.as_bytes(), &strings).unwrap_or_else(|e| panic!("{e}\n{xml}"));
            let b = &batches[0];
            let p = &b.packages[0];
            assert_eq!(strings.get(p.name), "foo&bar", "{xml}");
            assert_eq!(strings.get(p.sourcerpm), "foo-1.0-1.el9.src.rpm", "{xml}");
            assert_eq!(p.deps.len(), 3, "{xml}");
            assert_eq!(strings.get(b.files[0]), "/usr/bin/foo", "{xml}");
        }
    }

    /// The primary.xml files (decompressed) of every repository under `dir`.
    fn primaries_under(dir: &std::path::Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Ok(repos) = std::fs::read_dir(dir) else { return out };
        for repo in repos.flatten() {
            let Ok(files) = std::fs::read_dir(repo.path().join("repodata")) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if !name.contains("primary.xml") {
                    continue;
                }
                let Ok(bytes) = std::fs::read(f.path()) else { continue };
                let Ok((mut r, _)) = super::super::decompress::decompressor(Box::new(&bytes[..])) else {
                    continue;
                };
                let mut xml = String::new();
                if r.read_to_string(&mut xml).is_ok() {
                    out.push((f.path().display().to_string(), xml));
                }
            }
        }
        out
    }

    fn assert_hand_read_agrees(dir: &std::path::Path, at_least: usize) {
        let primaries = primaries_under(dir);
        assert!(
            primaries.len() >= at_least,
            "{}: {} primaries",
            dir.display(),
            primaries.len()
        );
        for (path, xml) in primaries {
            let hand = packages_as_text(&xml, true).unwrap_or_else(|e| panic!("{path}: {e}"));
            let quick = packages_as_text(&xml, false).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                !hand.is_empty() || xml.contains("packages=\"0\""),
                "{path}: no packages"
            );
            assert_eq!(hand, quick, "{path}");
        }
    }

    /// The hand-read runs read every fixture repository exactly as
    /// quick-xml alone does.
    #[test]
    fn hand_read_runs_agree_with_quick_xml_on_the_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_hand_read_agrees(&root.join("fixtures/repos"), 15);
        assert_hand_read_agrees(&root.join("fixtures/random/repos"), 40);
    }

    /// ... and every real repository in ../shared/data/real.
    #[test]
    #[ignore = "needs ../shared/data/real (run by .ci/run)"]
    fn hand_read_runs_agree_with_quick_xml_on_real_data() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_hand_read_agrees(&root.join("../shared/data/real"), 10);
    }

    /// Read by hand and by quick-xml, `xml` gives the same packages, or an
    /// error both ways.
    fn assert_readings_agree(xml: &str) {
        match (packages_as_text(xml, true), packages_as_text(xml, false)) {
            (Ok(hand), Ok(quick)) => assert_eq!(hand, quick, "{xml}"),
            (Err(_), Err(_)) => {}
            (hand, quick) => panic!("hand {hand:?}, quick-xml {quick:?}\n{xml}"),
        }
    }

    /// [`XML`] with these `<rpm:entry>` tags as its requires.
    fn with_requires(entries: &str) -> String {
        const REQUIRES: &str = r#"<rpm:requires><rpm:entry name="bar" flags="GE" epoch="0" ver="2" pre="1"/><rpm:entry name="(a or b)"/></rpm:requires>"#;
        assert!(XML.contains(REQUIRES));
        XML.replace(REQUIRES, &format!("<rpm:requires>{entries}</rpm:requires>"))
    }

    /// The package's own elements read by hand, spelled as createrepo_c
    /// writes them or otherwise: the same packages as quick-xml alone reads,
    /// or an error from both.
    #[test]
    fn package_runs_agree_with_quick_xml_however_fields_are_spelled() {
        let plain = XML.replace("<name>foo&amp;bar</name>", "<name>foo</name>");
        let arch = "<arch>x86_64</arch>";
        let version = r#"<version epoch="0" ver="1.0" rel="1.el9"/>"#;
        let checksum = r#"<checksum type="sha256" pkgid="YES">abc</checksum>"#;
        let source = "<rpm:sourcerpm>foo-1.0-1.el9.src.rpm</rpm:sourcerpm>";
        let file = "<file>/usr/bin/foo</file>";
        let variants: Vec<(&str, &str)> = vec![
            (arch, "<arch>x86_64</arch >"),
            (arch, "<arch >x86_64</arch>"),
            (arch, "<arch>x86_64</name>"),
            (arch, "<arch>x86&#95;64</arch>"),
            (arch, "<arch><![CDATA[x86_64]]></arch>"),
            (arch, "<arch>x86\r\n64</arch>"),
            (arch, "<arch>x86<!-- c -->64</arch>"),
            (arch, "<arch/>"),
            (arch, "<arch></arch>"),
            (arch, "<arch>x86_64</arch><!-- c --><name>again</name>"),
            (arch, "<other><arch>i686</arch></other>"),
            (version, r#"<version epoch="0" ver="1.0" rel="1.el9"></version>"#),
            (version, r#"<version epoch='0' ver="1.0" rel="1.el9"/>"#),
            (version, r#"<version ver="1.0" epoch="1"/>"#),
            (version, r#"<version epoch="" ver="1.0" rel=""/>"#),
            (version, r#"<version epoch="0" ver="1&#46;0" rel="1"/>"#),
            (version, r#"<version  epoch="0" ver="1.0" rel="1"/>"#),
            (checksum, r#"<checksum type="sha256" pkgid="NO">abc</checksum>"#),
            (checksum, r#"<checksum pkgid="YES" type="sha256">abc</checksum>"#),
            (checksum, r#"<checksum type="sha&amp;256" pkgid="YES">abc</checksum>"#),
            (checksum, r#"<checksum type="sha256" pkgid="YES">a&#98;c</checksum>"#),
            (checksum, r#"<checksum type="sha256" pkgid="YES"/>"#),
            (source, "<rpm:sourcerpm></rpm:sourcerpm>"),
            (source, "<rpm:sourcerpm/>"),
            (
                source,
                "<rpm:sourcerpm>a</rpm:sourcerpm><rpm:sourcerpm>b</rpm:sourcerpm>",
            ),
            (file, "<file type=\"dir\">/usr/lib/foo</file>"),
            (
                file,
                "<file type=\"ghost\">/var/log/foo</file><file>/usr/bin/foo</file>",
            ),
            (file, "<file type=\"other\">/x</file>"),
            (file, "<file>/a&amp;b</file><file>/usr/bin/foo</file>"),
            (file, "<file>/usr/bin/foo</file></format ><format><file>/b</file>"),
            ("<rpm:provides>", "<rpm:provides/><rpm:provides>"),
            ("<rpm:requires>", "<rpm:requires >"),
            ("<format>", "<format><rpm:license>x &amp; y</rpm:license>"),
            ("</format>", "</format>\n  <file>/after/format</file>"),
        ];
        for (from, to) in variants {
            assert!(plain.contains(from), "{from}");
            let xml = plain.replace(from, to);
            assert_readings_agree(&xml);
        }
    }

    /// A repeated entry is found by the text up to its first `>`; a `>` or
    /// `/>` inside a value must not make it another entry's repeat.
    #[test]
    fn repeated_entries_with_a_gt_inside_a_value_read_as_quick_xml_reads_them() {
        let entries = [
            r#"<rpm:entry name="x"/>"#,
            r#"<rpm:entry name="x"/>"#,
            r#"<rpm:entry name="x/>" flags="EQ" ver="1"/>"#,
            r#"<rpm:entry name="x/>" flags="EQ" ver="1"/>"#,
            r#"<rpm:entry name="x"/> flags="EQ" ver="1"/>"#,
            r#"<rpm:entry name="y>z" flags="GT" ver="2"/>"#,
            r#"<rpm:entry name="y>z" flags="GT" ver="2"/>"#,
            r#"<rpm:entry name="y"/>"#,
            r#"<rpm:entry name="y"/>"#,
        ];
        for n in 1..=entries.len() {
            assert_readings_agree(&with_requires(&entries[entries.len() - n..].concat()));
        }
    }

    /// An entry's EVR is looked up by its text, from the first of `epoch`,
    /// `ver` and `rel` to the end of the last one's value; spelled in any
    /// order, apart, twice or empty, it must read as quick-xml reads it,
    /// and as the same text read before.
    #[test]
    fn entry_evrs_read_by_their_text_read_as_quick_xml_reads_them() {
        let entries = [
            r#"<rpm:entry name="a" flags="EQ" epoch="0" ver="1.0" rel="1.el9"/>"#,
            r#"<rpm:entry name="b" flags="EQ" epoch="0" ver="1.0" rel="1.el9"/>"#,
            r#"<rpm:entry name="c" flags="GE" epoch="0" ver="1.0"/>"#,
            r#"<rpm:entry name="d" flags="GE" ver="1.0" epoch="0"/>"#,
            r#"<rpm:entry name="e" flags="LT" epoch="2" name="e2" ver="1.0" rel="1.el9"/>"#,
            r#"<rpm:entry name="f" flags="LT" ver="1.0" ver="2.0" rel=""/>"#,
            r#"<rpm:entry name="g" flags="LE" epoch="" ver="1.0" rel="1.el9"/>"#,
            r#"<rpm:entry name="h" flags="EQ" epoch="0" rel="1.el9"/>"#,
            r#"<rpm:entry epoch="0" ver="1.0" rel="1.el9" name="i" flags="EQ"/>"#,
            r#"<rpm:entry name="j" flags="EQ" epoch="0" ver="1&#46;0" rel="1.el9"/>"#,
            r#"<rpm:entry name="k" flags="EQ" epoch="0" ver="1.0" rel="1.el9" pre="1"/>"#,
        ];
        for n in 1..=entries.len() {
            for list in [entries[..n].concat(), entries[entries.len() - n..].concat()] {
                let xml = with_requires(&list);
                let hand = packages_as_text(&xml, true).unwrap_or_else(|e| panic!("{e}\n{xml}"));
                assert_eq!(
                    hand,
                    packages_as_text(&xml, false).unwrap_or_else(|e| panic!("{e}")),
                    "{xml}"
                );
            }
        }
        // The package's own `<version>` text is the same as its provide's.
        let hand = packages_as_text(&with_requires(&entries.concat()), true).unwrap_or_else(|e| panic!("{e}"));
        assert!(hand[0].contains("Requires a Some(Op(8)) 0:1.0-1.el9 false"), "{hand:?}");
    }

    /// Found by the fuzz target: a dependency list whose end tag is
    /// misspelled stays open into the next package, whose entries then
    /// belong to it, read by hand or not.
    #[test]
    fn a_list_left_open_in_one_package_reaches_into_the_next() {
        let two = format!(
            "{}\n{}",
            XML.replace("</metadata>", ""),
            &XML[XML.find("<package").unwrap_or(0)..]
        );
        let xml = two.replacen("</rpm:requires>", "</rpm:reqres>", 1).replacen(
            r#"<checksum type="sha256" pkgid="YES">abc</checksum>"#,
            r#"<checksum type="sha256" pkgid="YES">abc</checksum><rpm:entry name="stray"/>"#,
            2,
        );
        let hand = packages_as_text(&xml, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hand, packages_as_text(&xml, false).unwrap_or_else(|e| panic!("{e}")));
        assert!(hand[1].contains("Requires stray"), "{hand:?}");
    }

    /// Found by the fuzz target: an element left open collects the text
    /// that follows it, so a dependency list inside it is not read by hand.
    #[test]
    fn hand_read_runs_wait_while_a_field_collects_text() {
        let xml = XML
            .replace(
                "<rpm:sourcerpm>foo-1.0-1.el9.src.rpm</rpm:sourcerpm>",
                "<rpm:sourcerpm>foo-1.0-1.el9.src.rpm",
            )
            .replace("<rpm:requires><rpm:entry", "<rpm:requires>\n      <rpm:entry")
            .replace("</rpm:requires>", "\n    </rpm:requires>")
            .replace("\n    <file>/usr/bin/foo</file>", "");
        let hand = packages_as_text(&xml, true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(hand, packages_as_text(&xml, false).unwrap_or_else(|e| panic!("{e}")));
    }

    #[test]
    fn errors_after_a_hand_read_run_name_the_right_byte() {
        let xml = XML.replace(
            r#"<file>/usr/bin/foo</file>"#,
            r#"<file>/usr/bin/foo</file><bad attr=">"#,
        );
        let strings = Strings::default();
        let e = parse_primary(xml.as_bytes(), &strings)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let at = xml.find("<bad").unwrap_or(0);
        assert!(e.contains(&format!("near byte {at} ")), "{e} (expected byte {at})");
    }

    #[test]
    fn attribute_values_that_xml_would_change_go_to_quick_xml() {
        // A tab or newline in a value becomes a space, an entity its text:
        // the hand-read path must hand these to quick-xml, at any place
        // relative to its eight-byte steps.
        for pad in ["", "x", "xxxxxxx", "xxxxxxxx", "xxxxxxxxx"] {
            let tab = '\t';
            let entries = format!(
                r#"<rpm:entry name="{pad}a&#9;b" ver="1"/><rpm:entry name="{pad}c{tab}d"/><rpm:entry name="{pad}e&lt;f"/><rpm:entry name="{pad}g" ver="{pad}1.0" rel=""/>"#
            );
            let xml = XML.replace(r#"<rpm:entry name="(a or b)"/>"#, &entries);
            let strings = Strings::default();
            let batches = parse_primary(xml.as_bytes(), &strings).unwrap_or_else(|e| panic!("{e}"));
            let deps = &batches[0].deps;
            assert_eq!(strings.get(deps[2].name), format!("{pad}a\tb"));
            assert_eq!(strings.get(deps[3].name), format!("{pad}c d"));
            assert_eq!(strings.get(deps[4].name), format!("{pad}e<f"));
            assert_eq!(strings.get(deps[5].name), format!("{pad}g"));
            assert_eq!(strings.evr(deps[5].evr).1, format!("{pad}1.0"));
            assert_eq!(self::evr_release(&strings, deps[5].evr), NO_STR);
        }
    }

    #[test]
    fn closing_quote_stops_at_what_xml_would_change() {
        for (text, want) in [
            (r#"abc""#, Some(3)),
            (r#"abcdefgh""#, Some(8)),
            (r#"abcdefghijklmnop" x="y""#, Some(16)),
            ("abcdefghij&amp;\"", None),
            ("abc\tdefghijk\"", None),
            ("abcdefghijk\n\"", None),
            ("abcdefghijk", None),
            ("", None),
        ] {
            assert_eq!(closing_quote(text.as_bytes(), 0), want, "{text:?}");
        }
    }

    #[test]
    fn chunks_end_at_the_tag_whatever_the_buffers() {
        // Elements shorter and longer than a chunk, buffers handed back or
        // not: the chunks put together are the input, each cut after a tag.
        let text: String = (0..40)
            .map(|i| format!("<package>{}</package>", "x".repeat(i * 7 % 50)))
            .collect();
        for size in [16, 64, 1000] {
            for recycle in [false, true] {
                let mut chunker = Chunker::new(text.as_bytes(), b"</package>", size);
                let mut joined = Vec::new();
                let mut spare = Vec::new();
                while let Some(chunk) = chunker
                    .next_chunk(std::mem::take(&mut spare))
                    .unwrap_or_else(|e| panic!("{e}"))
                {
                    let bytes = chunk.bytes();
                    assert!(bytes.is_empty() || bytes.ends_with(b"</package>"), "{size} {recycle}");
                    joined.extend_from_slice(bytes);
                    if recycle {
                        spare = chunk.buf;
                    }
                }
                assert_eq!(joined, text.as_bytes(), "{size} {recycle}");
            }
        }
    }

    #[test]
    fn chunks_parsed_on_rayon_come_back_in_document_order() {
        // Many small chunks, none or several waiting for a worker, parsed by
        // whichever thread: the results still read as the document does,
        // and a failing chunk fails the whole.
        let text: String = (0..300).map(|i| format!("<package>{i}</package>")).collect();
        let numbers = |state: &mut usize, chunk: &str| -> Result<Vec<u32>, ParseError> {
            *state += 1;
            chunk
                .split("</package>")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let n = p.trim_start_matches("<package>");
                    n.parse().map_err(|_| ParseError::Xml(format!("not a number: {n}")))
                })
                .collect()
        };
        for ahead in [0, 1, 4] {
            let parsed = parse_chunks_on_rayon(text.as_bytes(), 48, ahead, numbers).unwrap_or_else(|e| panic!("{e}"));
            assert!(parsed.len() > 50, "{ahead}");
            assert_eq!(parsed.concat(), (0..300).collect::<Vec<u32>>(), "{ahead}");
            let broken = text.replace("<package>150<", "<package>x<");
            let e = parse_chunks_on_rayon(broken.as_bytes(), 48, ahead, numbers).err();
            assert!(e.is_some_and(|e| e.to_string().contains("not a number: x")), "{ahead}");
        }
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
