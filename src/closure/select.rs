//! What a closure checks and what may provide: dnf repoclosure's choice of
//! packages (`--check`, `--arch`, `--newest`, `--pkg`, the arch policy of
//! the base arch, modular filtering and withdrawn packages), decided once
//! per closure as a [`Selection`].

use rustc_hash::{FxHashMap, FxHashSet};

use super::{ClosureError, ClosureOptions, Selection};
use crate::core::arch;
use crate::core::ids::{NO_STR, PkgId, StrId};
use crate::pool::Pool;

/// Decides what the closure `opts` describes checks, and which packages may
/// provide, for [`check_selected`](super::check_selected).
pub fn selection(pool: &Pool, opts: &ClosureOptions) -> Result<Selection, ClosureError> {
    let (to_check, available) = select(pool, opts)?;
    Ok(Selection {
        to_check,
        available,
        repos: enabled_repos(pool, opts),
        paths_asked: false,
        pending: None,
        settled: Vec::new(),
    })
}

/// The spellings of a package dnf's `Subject` matches `--pkg` against:
/// name, name.arch, name-version, name-version-release, and the full NEVRA,
/// with and without the epoch.
fn subject_forms(pool: &Pool, pkg: PkgId) -> Vec<String> {
    let p = &pool.packages[pkg as usize];
    let name = pool.str(p.name);
    let arch = pool.str(p.arch);
    let e = pool.evr_parts(p.evr);
    let version = pool.str(e.version);
    let release = if e.release == NO_STR { "" } else { pool.str(e.release) };
    let epoch = if e.epoch == NO_STR { "0" } else { pool.str(e.epoch) };
    vec![
        name.to_owned(),
        format!("{name}.{arch}"),
        format!("{name}-{version}"),
        format!("{name}-{version}-{release}"),
        format!("{name}-{version}-{release}.{arch}"),
        format!("{name}-{epoch}:{version}-{release}"),
        format!("{name}-{epoch}:{version}-{release}.{arch}"),
    ]
}

/// The repositories whose packages exist for this closure
/// ([`ClosureOptions::providers_from`], all when empty), as pool indexes.
pub(super) fn enabled_repos(pool: &Pool, opts: &ClosureOptions) -> Vec<u32> {
    (0..pool.repos.len() as u32)
        .filter(|&r| opts.providers_from.is_empty() || opts.providers_from.contains(&pool.repos[r as usize].name))
        .collect()
}

/// Decides the packages to check and the packages that may provide.
fn select(pool: &Pool, opts: &ClosureOptions) -> Result<(Vec<PkgId>, Vec<bool>), ClosureError> {
    for name in opts.check.iter().chain(&opts.providers_from) {
        if !pool.repos.iter().any(|r| &r.name == name) {
            let loaded: Vec<&str> = pool.repos.iter().map(|r| r.name.as_str()).collect();
            return Err(ClosureError::UnknownRepo(name.clone(), loaded.join(", ")));
        }
    }
    let n = pool.packages.len();
    let enabled: Vec<bool> = pool
        .repos
        .iter()
        .map(|r| opts.providers_from.is_empty() || opts.providers_from.contains(&r.name))
        .collect();
    // Modular filtering can depend on the machine: a default stream built
    // only for foreign arches is not active.
    let hidden_here = pool.hidden_on(&opts.basearch);
    let visible: Vec<bool> = pool
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let hidden = hidden_here.as_ref().map_or(p.hidden, |h| h[i]) || pool.is_withdrawn(i as PkgId);
            !hidden && enabled[p.repo as usize]
        })
        .collect();

    // --newest: per repository, the highest EVR of each name.arch.
    let base: Vec<bool> = if opts.newest {
        let mut keep = vec![false; n];
        for repo in &pool.repos {
            let mut best: FxHashMap<(StrId, StrId), Vec<PkgId>> = FxHashMap::default();
            for i in repo.packages.clone() {
                if !visible[i as usize] {
                    continue;
                }
                let p = &pool.packages[i as usize];
                let entry = best.entry((p.name, p.arch)).or_default();
                match entry.first() {
                    None => entry.push(i),
                    Some(&top) => match pool.evr_cmp(p.evr, pool.packages[top as usize].evr) {
                        std::cmp::Ordering::Greater => {
                            entry.clear();
                            entry.push(i);
                        }
                        std::cmp::Ordering::Equal => entry.push(i),
                        std::cmp::Ordering::Less => {}
                    },
                }
            }
            for ids in best.values() {
                for &i in ids {
                    keep[i as usize] = true;
                }
            }
        }
        keep
    } else {
        visible.clone()
    };

    let mut to_check: Vec<PkgId> = (0..n as PkgId).filter(|&i| base[i as usize]).collect();
    if !opts.pkgs.is_empty() {
        let mut matched = vec![false; n];
        let mut missing = Vec::new();
        for pattern in &opts.pkgs {
            let glob = globset::Glob::new(pattern)
                .map_err(|e| ClosureError::BadPattern(pattern.clone(), e.to_string()))?
                .compile_matcher();
            let mut any = false;
            for &i in &to_check {
                if subject_forms(pool, i).iter().any(|form| glob.is_match(form)) {
                    matched[i as usize] = true;
                    any = true;
                }
            }
            if !any {
                missing.push(pattern.clone());
            }
        }
        if !missing.is_empty() {
            return Err(ClosureError::NoPackageMatched(missing.join(", ")));
        }
        to_check.retain(|&i| matched[i as usize]);
    }
    if !opts.check.is_empty() {
        to_check.retain(|&i| opts.check.iter().any(|c| c == pool.repo_name(i)));
    }
    if !opts.arches.is_empty() {
        to_check.retain(|&i| {
            opts.arches
                .iter()
                .any(|a| a == pool.str(pool.packages[i as usize].arch))
        });
    }

    // Providers: installable on basearch, never source packages.
    let compatible: FxHashSet<&str> = arch::compatible(&opts.basearch).into_iter().collect();
    let mut available: Vec<bool> = (0..n)
        .map(|i| {
            let arch = pool.str(pool.packages[i].arch);
            base[i] && compatible.contains(arch)
        })
        .collect();
    if opts.best {
        // --best: only the newest of each name.arch across all repositories.
        let mut top: FxHashMap<(StrId, StrId), PkgId> = FxHashMap::default();
        for i in 0..n as PkgId {
            if !available[i as usize] {
                continue;
            }
            let p = &pool.packages[i as usize];
            top.entry((p.name, p.arch))
                .and_modify(|t| {
                    if pool.evr_cmp(p.evr, pool.packages[*t as usize].evr).is_gt() {
                        *t = i;
                    }
                })
                .or_insert(i);
        }
        let evr_of_top: FxHashMap<(StrId, StrId), u32> =
            top.iter().map(|(k, v)| (*k, pool.packages[*v as usize].evr)).collect();
        for (i, avail) in available.iter_mut().enumerate() {
            if *avail {
                let p = &pool.packages[i];
                let top_evr = evr_of_top.get(&(p.name, p.arch)).copied();
                *avail = top_evr.is_some_and(|e| pool.evr_cmp(p.evr, e).is_eq());
            }
        }
    }
    Ok((to_check, available))
}
