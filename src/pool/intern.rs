//! String interning, after libsolv's `strpool`: every distinct string is
//! stored once and named by a `u32`; so is every distinct EVR (its three
//! parts as string ids), which the parser threads intern chunk by chunk.
//!
//! Loading interns from several parsing threads at once through
//! [`SharedInterner`] (sharded by hash, one lock per shard, taken once per
//! shard for a chunk's new strings); once loading is done it is frozen into
//! an [`Interner`] whose reads take no lock.

use std::hash::BuildHasher;
use std::sync::Mutex;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::core::ids::{EvrId, Intern, NO_EVR, NO_STR, StrId, str_hash, table_hash};
use crate::core::locked;

/// An interned epoch:version-release, parts kept apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EvrParts {
    /// Epoch, or [`NO_STR`].
    pub epoch: StrId,
    /// Version.
    pub version: StrId,
    /// Release, or [`NO_STR`].
    pub release: StrId,
}

/// One shard of the EVR table.
#[derive(Default)]
struct EvrShard {
    ids: FxHashMap<EvrParts, StrId>,
    parts: Vec<EvrParts>,
}

impl EvrShard {
    fn intern(&mut self, parts: EvrParts) -> StrId {
        if let Some(&local) = self.ids.get(&parts) {
            return local;
        }
        let local = self.parts.len() as StrId;
        self.parts.push(parts);
        self.ids.insert(parts, local);
        local
    }
}

fn evr_shard_of(parts: &EvrParts) -> usize {
    shard_of(FxBuildHasher.hash_one(parts))
}

const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;

/// One shard: its strings back to back in one buffer (no allocation per
/// string), their (start, len), and a hash table of indexes into them.
#[derive(Default)]
struct Shard {
    /// (index, low half of the string's hash): the hash half spares a probe
    /// that only meets another string with the same 7-bit tag from reading
    /// that string, and a resize from reading any.
    table: HashTable<(StrId, u32)>,
    spans: Vec<(u32, u32)>,
    text: String,
}

impl Shard {
    fn str(&self, local: StrId) -> &str {
        match self.spans.get(local as usize) {
            Some(&(start, len)) => self.text.get(start as usize..(start + len) as usize).unwrap_or(""),
            None => "",
        }
    }

    fn find(&self, hash: u64, s: &str) -> Option<StrId> {
        let low = hash as u32;
        self.table
            .find(table_hash(low), |&(local, l)| l == low && self.str(local) == s)
            .map(|&(local, _)| local)
    }

    /// The index of `s` in the shard, adding it if new.
    fn intern(&mut self, hash: u64, s: &str) -> StrId {
        match self.find(hash, s) {
            Some(local) => local,
            None => self.insert(hash, s),
        }
    }

    /// Adds `s` (known to be absent); returns its index in the shard.
    fn insert(&mut self, hash: u64, s: &str) -> StrId {
        let local = self.spans.len() as StrId;
        self.spans.push((self.text.len() as u32, s.len() as u32));
        self.text.push_str(s);
        self.table
            .insert_unique(table_hash(hash as u32), (local, hash as u32), |&(_, l)| table_hash(l));
        local
    }
}

/// Middle bits choose the shard: hashbrown uses the low bits for the bucket
/// and the top seven as the tag it compares first, so taking either would
/// leave every table in a shard with clustered buckets or identical tags.
fn shard_of(hash: u64) -> usize {
    ((hash >> 32) as usize) & (SHARDS - 1)
}

fn make_id(local: StrId, shard: usize) -> StrId {
    (local << SHARD_BITS) | shard as StrId
}

/// An interner many threads can add to at once.
pub struct SharedInterner {
    shards: Vec<Mutex<Shard>>,
    evr_shards: Vec<Mutex<EvrShard>>,
}

impl Default for SharedInterner {
    fn default() -> Self {
        SharedInterner {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            evr_shards: (0..SHARDS).map(|_| Mutex::new(EvrShard::default())).collect(),
        }
    }
}

impl SharedInterner {
    /// An empty interner.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops sharing: the result reads without locks.
    pub fn freeze(self) -> Interner {
        Interner {
            shards: self
                .shards
                .into_iter()
                .map(|m| {
                    let mut shard = m.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
                    // Loading is over: what growing by doubling left unused
                    // in the string buffers (a third on average) goes back
                    // before the pool's indexes are built.
                    shard.text.shrink_to_fit();
                    shard.spans.shrink_to_fit();
                    shard
                })
                .collect(),
            evr_shards: self
                .evr_shards
                .into_iter()
                .map(|m| m.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner()))
                .collect(),
        }
    }
}

impl Intern for SharedInterner {
    fn intern(&self, s: &str) -> StrId {
        self.intern_hashed(str_hash(s), s)
    }

    fn intern_hashed(&self, hash: u64, s: &str) -> StrId {
        let shard_index = shard_of(hash);
        let mut shard = locked(&self.shards[shard_index]);
        make_id(shard.intern(hash, s), shard_index)
    }

    fn intern_all(&self, strings: &[(u64, &str)], ids: &mut Vec<StrId>) {
        ids.clear();
        ids.resize(strings.len(), NO_STR);
        for_each_shard(
            strings,
            |&(hash, _)| shard_of(hash),
            |shard_index, order| {
                let mut shard = locked(&self.shards[shard_index]);
                for &i in order {
                    let (hash, s) = strings[i as usize];
                    ids[i as usize] = make_id(shard.intern(hash, s), shard_index);
                }
            },
        );
    }

    fn intern_evrs(&self, evrs: &[(StrId, StrId, StrId)], ids: &mut Vec<EvrId>) {
        let parts = |&(epoch, version, release): &(StrId, StrId, StrId)| EvrParts {
            epoch,
            version,
            release,
        };
        ids.clear();
        ids.resize(evrs.len(), NO_EVR);
        for_each_shard(
            evrs,
            |evr| evr_shard_of(&parts(evr)),
            |shard_index, order| {
                let mut shard = locked(&self.evr_shards[shard_index]);
                for &i in order {
                    ids[i as usize] = make_id(shard.intern(parts(&evrs[i as usize])), shard_index);
                }
            },
        );
    }

    fn intern_evr(&self, epoch: StrId, version: StrId, release: StrId) -> EvrId {
        let parts = EvrParts {
            epoch,
            version,
            release,
        };
        let shard_index = evr_shard_of(&parts);
        let mut shard = locked(&self.evr_shards[shard_index]);
        make_id(shard.intern(parts), shard_index)
    }
}

/// Calls `f` once per shard that `items` fall in (by `shard`), with the
/// indexes of those items in order: one lock per shard for a whole batch,
/// and the lookups under it independent of each other, so their cache
/// misses overlap instead of waiting one by one behind a lock's fences.
fn for_each_shard<T>(items: &[T], shard: impl Fn(&T) -> usize, mut f: impl FnMut(usize, &[u32])) {
    let shards: Vec<u8> = items.iter().map(|item| shard(item) as u8).collect();
    let mut starts = [0u32; SHARDS + 1];
    for &s in &shards {
        starts[s as usize + 1] += 1;
    }
    for i in 1..=SHARDS {
        starts[i] += starts[i - 1];
    }
    let mut next = starts;
    let mut order = vec![0u32; items.len()];
    for (i, &s) in shards.iter().enumerate() {
        order[next[s as usize] as usize] = i as u32;
        next[s as usize] += 1;
    }
    for s in 0..SHARDS {
        let group = &order[starts[s] as usize..starts[s + 1] as usize];
        if !group.is_empty() {
            f(s, group);
        }
    }
}

/// Interned strings and EVRs, read without locks: equal strings (EVRs) have
/// equal ids.
pub struct Interner {
    shards: Vec<Shard>,
    evr_shards: Vec<EvrShard>,
}

impl Default for Interner {
    fn default() -> Self {
        SharedInterner::new().freeze()
    }
}

impl Interner {
    /// The id of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> StrId {
        let hash = str_hash(s);
        let shard_index = shard_of(hash);
        make_id(self.shards[shard_index].intern(hash, s), shard_index)
    }

    /// The id of `s` if it was ever interned.
    pub fn lookup(&self, s: &str) -> Option<StrId> {
        let hash = str_hash(s);
        let shard_index = shard_of(hash);
        self.shards[shard_index]
            .find(hash, s)
            .map(|local| make_id(local, shard_index))
    }

    /// The string of an id (empty for an unknown id).
    pub fn get(&self, id: StrId) -> &str {
        self.shards
            .get(id as usize & (SHARDS - 1))
            .map_or("", |shard| shard.str(id >> SHARD_BITS))
    }

    /// The id of an EVR, adding it if new.
    pub fn intern_evr(&mut self, parts: EvrParts) -> EvrId {
        let shard_index = evr_shard_of(&parts);
        make_id(self.evr_shards[shard_index].intern(parts), shard_index)
    }

    /// The id of an EVR if it was ever interned.
    pub fn lookup_evr(&self, parts: &EvrParts) -> Option<EvrId> {
        let shard_index = evr_shard_of(parts);
        self.evr_shards[shard_index]
            .ids
            .get(parts)
            .map(|&local| make_id(local, shard_index))
    }

    /// The parts of an EVR id (an unknown id reads as an empty version).
    pub fn evr(&self, id: EvrId) -> EvrParts {
        self.evr_shards
            .get(id as usize & (SHARDS - 1))
            .and_then(|shard| shard.parts.get((id >> SHARD_BITS) as usize))
            .copied()
            .unwrap_or(EvrParts {
                epoch: NO_STR,
                version: NO_STR,
                release: NO_STR,
            })
    }

    /// One more than the largest string id handed out so far: ids are dense
    /// below it (every shard fills its ids in order), so arrays indexed by
    /// id are small.
    pub fn id_bound(&self) -> StrId {
        self.shards
            .iter()
            .enumerate()
            .filter(|(_, shard)| !shard.spans.is_empty())
            .map(|(index, shard)| make_id(shard.spans.len() as StrId - 1, index) + 1)
            .max()
            .unwrap_or(0)
    }

    /// Calls `f(id, string)` for every interned string, shard by shard:
    /// reading the text in order, not one lookup per id.
    pub fn for_each(&self, mut f: impl FnMut(StrId, &str)) {
        for (index, shard) in self.shards.iter().enumerate() {
            for local in 0..shard.spans.len() {
                f(make_id(local as StrId, index), shard.str(local as StrId));
            }
        }
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.spans.len()).sum()
    }

    /// Whether nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_equal_ids_across_freeze() {
        let shared = SharedInterner::new();
        let a = shared.intern("libc.so.6()(64bit)");
        let b = shared.intern("glibc");
        assert_eq!(a, shared.intern("libc.so.6()(64bit)"));
        assert_ne!(a, b);
        let mut frozen = shared.freeze();
        assert_eq!(frozen.get(a), "libc.so.6()(64bit)");
        assert_eq!(frozen.lookup("glibc"), Some(b));
        assert_eq!(frozen.intern("glibc"), b);
        assert_eq!(frozen.lookup("nope"), None);
    }

    #[test]
    fn a_batch_gets_the_ids_one_by_one_interning_gives() {
        let shared = SharedInterner::new();
        let before = shared.intern("glibc");
        // Enough strings to fall in every shard, some twice, one already in.
        let texts: Vec<String> = (0..500)
            .map(|i| format!("lib{}.so.{}()(64bit)", i % 400, i % 7))
            .collect();
        let mut batch: Vec<(u64, &str)> = texts.iter().map(|t| (str_hash(t), t.as_str())).collect();
        batch.push((str_hash("glibc"), "glibc"));
        let mut ids = vec![7; 3];
        shared.intern_all(&batch, &mut ids);
        assert_eq!(ids.len(), batch.len());
        assert_eq!(ids[500], before);
        for (&(_, text), &id) in batch.iter().zip(&ids) {
            assert_eq!(shared.intern(text), id, "{text}");
        }
        let evrs: Vec<(StrId, StrId, StrId)> = ids.iter().map(|&v| (NO_STR, v, before)).collect();
        let mut evr_ids = Vec::new();
        shared.intern_evrs(&evrs, &mut evr_ids);
        for (&(e, v, r), &id) in evrs.iter().zip(&evr_ids) {
            assert_eq!(shared.intern_evr(e, v, r), id);
        }
        let frozen = shared.freeze();
        for (&(_, text), &id) in batch.iter().zip(&ids) {
            assert_eq!(frozen.get(id), text);
        }
    }
}
