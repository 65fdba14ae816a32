//! The ids everything after the parser speaks in, and the interning
//! vocabulary that makes them: strings and EVRs become `u32`s as they are
//! read, packages are indexes into the pool.
//!
//! This module only names the ids and the [`Intern`] trait a parser interns
//! through; the interner itself (sharded, then frozen) is the pool's.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

/// An interned string (see [`Intern`]).
pub type StrId = u32;

/// Marks an absent value.
pub const NO_STR: StrId = u32::MAX;

/// An interned epoch:version-release (see [`Intern::intern_evr`]).
pub type EvrId = u32;

/// Marks an absent EVR (an unversioned dependency).
pub const NO_EVR: EvrId = u32::MAX;

/// A package's index in the pool's packages.
pub type PkgId = u32;

/// Where parsed strings go: the pool's interner, shared by the threads that
/// parse chunks, so equal strings become equal integers as they are read.
pub trait Intern: Sync {
    /// The id of `s`, adding it if new.
    fn intern(&self, s: &str) -> StrId;
    /// As [`intern`](Self::intern), `hash` being `s`'s [`str_hash`]: the
    /// parser hashed it already for its own cache.
    fn intern_hashed(&self, hash: u64, s: &str) -> StrId {
        let _ = hash;
        self.intern(s)
    }
    /// The id of an EVR from interned parts, adding it if new; an absent
    /// epoch or release is [`NO_STR`]. Interning EVRs while parsing, on the
    /// parser threads, leaves a dependency record in its final form.
    fn intern_evr(&self, epoch: StrId, version: StrId, release: StrId) -> EvrId;
    /// Interns a chunk's new strings at once: `ids[i]` becomes the id of
    /// `strings[i]`, whose [`str_hash`] is given beside it. A shared
    /// interner takes each lock once per batch instead of once per string.
    fn intern_all(&self, strings: &[(u64, &str)], ids: &mut Vec<StrId>) {
        ids.clear();
        ids.extend(strings.iter().map(|&(hash, s)| self.intern_hashed(hash, s)));
    }
    /// As [`intern_all`](Self::intern_all) for EVRs, given as (epoch,
    /// version, release) ids.
    fn intern_evrs(&self, evrs: &[(StrId, StrId, StrId)], ids: &mut Vec<EvrId>) {
        ids.clear();
        ids.extend(evrs.iter().map(|&(e, v, r)| self.intern_evr(e, v, r)));
    }
}

/// The hash strings are interned by, in the parser's caches and in the
/// pool's interner alike, so a string is hashed once.
pub fn str_hash(s: &str) -> u64 {
    FxBuildHasher.hash_one(s)
}

/// A hash table's hash made from the low half of a [`str_hash`], which the
/// tables keep instead of the whole: its low bits pick the bucket, its top
/// seven are hashbrown's tag.
pub fn table_hash(low: u32) -> u64 {
    (u64::from(low) << 32) | u64::from(low)
}
