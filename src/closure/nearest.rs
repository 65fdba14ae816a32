//! The nearest candidates for an unresolved Requires: the other versions of
//! the capability (or of the package name) that the enabled repositories do
//! have, so that a report can say "wanted libattr = 2.4.46-12.el7; c75 has
//! libattr-2.4.46-13.el7" instead of only "nothing provides".

use std::cmp::Ordering;

use crate::core::evr::{self, Evr, Op};
use crate::core::ids::{NO_EVR, PkgId};
use crate::pool::{NameKind, Pool};

/// A package that provides another version of what was wanted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    /// Its NEVRA (epoch shown when not zero).
    pub nevra: String,
    /// Its repository.
    pub repo: String,
    /// What it provides under the wanted name, as libsolv prints a
    /// dependency (`libattr = 2.4.46-13.el7`; the bare name when unversioned).
    pub provides: String,
}

/// Up to `max` packages among `available` (per pool package: may it
/// provide, as [`Selection::available`](super::Selection::available)
/// says) that provide the name of the unresolved Requires `requires` (as
/// closure prints it: `name`, or `name OP [E:]V[-R]`) at some version,
/// nearest first: those whose provided version is closest to the wanted one
/// in rpm order (the next newer before the next older at the same distance),
/// then by NEVRA. A file path, a rich dependency or a name nothing provides
/// at any version has no candidates.
pub fn nearest_candidates(pool: &Pool, available: &[bool], requires: &str, max: usize) -> Vec<Candidate> {
    let mut parts = requires.splitn(3, ' ');
    let name = parts.next().unwrap_or_default();
    let wanted: Option<Evr> = match (parts.next().and_then(Op::from_symbol), parts.next()) {
        (Some(_), Some(e)) => Some(Evr::parse(e)),
        _ => None,
    };
    let Some(id) = pool.strings.lookup(name) else {
        return Vec::new();
    };
    if matches!(pool.name_kind(id), NameKind::Rich | NameKind::Path | NameKind::Ignored) {
        return Vec::new();
    }
    // (provided EVR, package, provide text), one per package.
    let mut found: Vec<(Option<Evr>, PkgId, String)> = Vec::new();
    for &(pkg, di) in pool.providers_of(id) {
        if !available.get(pkg as usize).copied().unwrap_or(false) || found.iter().any(|f| f.1 == pkg) {
            continue;
        }
        let (op, e) = pool.provide_constraint(pkg, di);
        let (evr, text) = match op {
            Some(op) if e != NO_EVR => {
                let evr = pool.evr(e);
                let text = format!("{name} {} {evr}", op.symbol());
                (Some(evr), text)
            }
            _ => (None, name.to_owned()),
        };
        found.push((evr, pkg, text));
    }
    // Distance in rpm order: the how-manieth distinct provided version this
    // is, counted outwards from the wanted one (1 for the next newer and the
    // next older).
    let mut versions: Vec<Evr> = found.iter().filter_map(|f| f.0.clone()).collect();
    versions.sort_by(evr::compare);
    versions.dedup_by(|a, b| evr::compare(a, b) == Ordering::Equal);
    let rank = |e: &Option<Evr>| -> (usize, bool) {
        match (e, &wanted) {
            (Some(e), Some(w)) => {
                let at = versions.partition_point(|v| evr::compare(v, w) == Ordering::Less);
                let here = versions.partition_point(|v| evr::compare(v, e) == Ordering::Less);
                match evr::compare(e, w) {
                    Ordering::Less => (at - here, true),
                    Ordering::Equal => (0, false),
                    Ordering::Greater => (here - at + 1, false),
                }
            }
            _ => (usize::MAX, false),
        }
    };
    found.sort_by(|a, b| {
        rank(&a.0)
            .cmp(&rank(&b.0))
            .then_with(|| pool.nevra(a.1).cmp(&pool.nevra(b.1)))
    });
    found
        .into_iter()
        .take(max)
        .map(|(_, pkg, provides)| Candidate {
            nevra: pool.nevra(pkg),
            repo: pool.repo_name(pkg).to_owned(),
            provides,
        })
        .collect()
}
