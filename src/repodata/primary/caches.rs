//! The caches a primary.xml parser keeps for the chunk it parses, so that
//! each distinct string, EVR and `<rpm:entry>` text of a chunk is looked up
//! once there and reaches the shared interner once: new strings carry
//! chunk-local ids until [`ChunkStrings::resolve`] interns them together at
//! the chunk's end. The tables are kept from chunk to chunk, so they are
//! allocated a few times per file.
//!
//! It finds nothing in the XML: both readers hand it texts of the chunk.

use std::borrow::Cow;
use std::ops::Range;

use hashbrown::HashTable;
use rustc_hash::FxHashMap;

use super::records::{AttrValue, Batch, EvrAttributes, is_evr_key};
use super::scan::{AttrPlace, attributes_at};
use crate::core::dep::{Dep, DepKind};
use crate::core::ids::{EvrId, Intern, NO_EVR, NO_STR, StrId, str_hash, table_hash};
use crate::repodata::chunks::ParseError;
use crate::repodata::xml::{attr_value, needs_normalizing, place_in};

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
/// so they grow to what a [`PRIMARY_CHUNK`](super::PRIMARY_CHUNK) holds once each;
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
    pub(super) fn clear(&mut self) {
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
pub(super) struct ChunkText<'c> {
    pub(super) text: &'c str,
    pub(super) start: u32,
    pub(super) end: u32,
}

/// The text of `range` of the chunk, with its place there.
pub(super) fn chunk_text(chunk: &str, range: Range<usize>) -> Option<ChunkText<'_>> {
    Some(ChunkText {
        text: chunk.get(range.clone())?,
        start: range.start as u32,
        end: range.end as u32,
    })
}

/// Interns the strings of one chunk through the thread's [`ChunkCaches`].
pub(super) struct ChunkStrings<'c, 'i> {
    pub(super) chunk: &'c str,
    pub(super) interner: &'i dyn Intern,
    pub(super) caches: &'i mut ChunkCaches,
}

impl<'c> ChunkStrings<'c, '_> {
    /// `bytes` as text of the chunk, when they are a slice of it (as
    /// unescaped attribute values and plain text events are).
    pub(super) fn in_chunk(&self, bytes: &[u8]) -> Option<ChunkText<'c>> {
        let place = place_in(self.chunk, bytes)?;
        Some(ChunkText {
            text: self.chunk.get(place.clone())?,
            start: place.start as u32,
            end: place.end as u32,
        })
    }

    /// The id of an attribute's value; a plain value is looked up as the
    /// chunk slice it is, without copying or validating it again.
    pub(super) fn attr_id(&mut self, value: AttrValue<'c, '_>) -> Result<StrId, ParseError> {
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
    pub(super) fn attr_id_or_absent(&mut self, value: AttrValue<'c, '_>) -> Result<StrId, ParseError> {
        if value.is_empty() {
            return Ok(NO_STR);
        }
        self.attr_id(value)
    }

    /// The id of `s`: through the chunk's cache when it lies in the chunk,
    /// straight from the shared interner when it was unescaped elsewhere.
    pub(super) fn id(&mut self, s: &str) -> StrId {
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
    pub(super) fn entry(
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
    pub(super) fn seen_entry(&self, raw: ChunkText<'c>, low: u32, kind: DepKind) -> Option<Dep> {
        let seen = self.caches.entries.get(self.chunk, low, raw.text)?;
        Some(Dep { kind, ..seen })
    }

    /// Parses an `<rpm:entry>` the chunk has not seen, and remembers it.
    pub(super) fn new_entry(
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
    pub(super) fn evr_id(&mut self, epoch: StrId, version: StrId, release: StrId) -> EvrId {
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
    pub(super) fn evr_of(&mut self, places: &[AttrPlace]) -> Result<EvrId, ParseError> {
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
    pub(super) fn resolve(&mut self, batch: &mut Batch) {
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
