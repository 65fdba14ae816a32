//! Two snapshots of one repository compared: which packages were added,
//! removed, upgraded, downgraded or rebuilt (same epoch and version, other
//! release), and which closure findings appear or disappear against the
//! same lookaside: what a tag change or an untagged build would break.
//!
//! Both snapshots and the lookaside are loaded into one pool; each snapshot
//! is closed against the lookaside with [`ClosureOptions::providers_from`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::closure::ClosureOptions;
use crate::core::evr;
use crate::core::ids::PkgId;
use crate::engine::{self, EngineError};
use crate::fetch::RepoSpec;
use crate::pool::Pool;

/// Version of the diff JSON document.
pub const DIFF_SCHEMA: u32 = 1;

/// What changed for one package key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Only in NEW.
    Added,
    /// Only in OLD.
    Removed,
    /// Higher EVR in NEW.
    Upgraded,
    /// Lower EVR in NEW.
    Downgraded,
    /// Same epoch and version, other release.
    Rebuilt,
}

impl Change {
    /// The word used in text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Upgraded => "upgraded",
            Change::Downgraded => "downgraded",
            Change::Rebuilt => "rebuilt",
        }
    }
}

/// One changed package.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageChange {
    /// `name` or, with `--by-arch`, `name.arch`.
    pub key: String,
    /// What changed.
    pub change: Change,
    /// Newest EVR in OLD.
    pub old: Option<String>,
    /// Newest EVR in NEW.
    pub new: Option<String>,
}

/// One unresolved dependency of one package.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// Package key (as [`PackageChange::key`]).
    pub key: String,
    /// The NEVRA that has it.
    pub nevra: String,
    /// The unresolved dependency.
    pub dep: String,
}

/// The comparison.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiffReport {
    /// [`DIFF_SCHEMA`].
    pub schema: u32,
    /// OLD's LOCATION.
    pub old: String,
    /// NEW's LOCATION.
    pub new: String,
    /// The lookaside LOCATIONs.
    pub lookaside: Vec<String>,
    /// Keyed by name.arch instead of name.
    pub by_arch: bool,
    /// Changed packages, by key.
    pub packages: Vec<PackageChange>,
    /// Unresolved in NEW but not in OLD.
    pub appeared: Vec<Finding>,
    /// Unresolved in OLD but not in NEW.
    pub disappeared: Vec<Finding>,
}

/// How to compare.
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Key by name.arch.
    pub by_arch: bool,
    /// Repositories both snapshots are closed against.
    pub lookaside: Vec<String>,
    /// The machine architecture.
    pub basearch: String,
    /// Never read filelists (`closure --no-filelists`).
    pub no_filelists: bool,
    /// Loading options.
    pub load: engine::Options,
}

fn key(pool: &Pool, pkg: PkgId, by_arch: bool) -> String {
    let p = &pool.packages[pkg as usize];
    if by_arch {
        format!("{}.{}", pool.str(p.name), pool.str(p.arch))
    } else {
        pool.str(p.name).to_owned()
    }
}

fn newest(pool: &Pool, repo: usize, by_arch: bool) -> BTreeMap<String, PkgId> {
    let mut out: BTreeMap<String, PkgId> = BTreeMap::new();
    for i in pool.repos[repo].packages.clone() {
        if pool.packages[i as usize].hidden {
            continue;
        }
        let k = key(pool, i, by_arch);
        let replace = out.get(&k).is_none_or(|&top| {
            pool.evr_cmp(pool.packages[i as usize].evr, pool.packages[top as usize].evr)
                .is_gt()
        });
        if replace {
            out.insert(k, i);
        }
    }
    out
}

/// Compares snapshot `old` with snapshot `new` (LOCATIONs).
pub fn diff(old: &str, new: &str, opts: &DiffOptions) -> Result<DiffReport, EngineError> {
    let mut specs = vec![RepoSpec::new("old", old), RepoSpec::new("new", new)];
    for (i, l) in opts.lookaside.iter().enumerate() {
        specs.push(RepoSpec::new(&format!("lookaside{}", i + 1), l));
    }
    let mut loaded = engine::load(&specs, &opts.load)?;
    let names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();

    let pool = &loaded.pool;
    let a = newest(pool, 0, opts.by_arch);
    let b = newest(pool, 1, opts.by_arch);
    let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    let evr_of = |pkg: PkgId| pool.evr(pool.packages[pkg as usize].evr);
    let mut packages = Vec::new();
    for k in keys {
        let (o, n) = (a.get(k).copied(), b.get(k).copied());
        let change = match (o, n) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            (Some(o), Some(n)) => {
                let (eo, en) = (evr_of(o), evr_of(n));
                match evr::compare(&eo, &en) {
                    std::cmp::Ordering::Equal => continue,
                    ord => {
                        let same_version = evr::vercmp(eo.epoch_or_zero(), en.epoch_or_zero()).is_eq()
                            && evr::vercmp(&eo.version, &en.version).is_eq();
                        if same_version {
                            Change::Rebuilt
                        } else if ord.is_lt() {
                            Change::Upgraded
                        } else {
                            Change::Downgraded
                        }
                    }
                }
            }
            (None, None) => continue,
        };
        packages.push(PackageChange {
            key: k.clone(),
            change,
            old: o.map(|p| evr_of(p).to_string()),
            new: n.map(|p| evr_of(p).to_string()),
        });
    }

    let mut findings = Vec::new();
    for snapshot in ["old", "new"] {
        let mut from = vec![snapshot.to_owned()];
        from.extend(names.iter().skip(2).cloned());
        let copts = ClosureOptions {
            check: vec![snapshot.to_owned()],
            basearch: opts.basearch.clone(),
            providers_from: from,
            no_filelists: opts.no_filelists,
            ..ClosureOptions::default()
        };
        let (result, _) = loaded.closure(&copts)?;
        let set: BTreeSet<Finding> = result
            .problems
            .iter()
            .flat_map(|p| {
                let k = if opts.by_arch {
                    format!("{}.{}", p.name, p.arch)
                } else {
                    p.name.clone()
                };
                p.unresolved.iter().map(move |d| Finding {
                    key: k.clone(),
                    nevra: p.nevra.clone(),
                    dep: d.clone(),
                })
            })
            .collect();
        findings.push(set);
    }
    // A finding is the same across snapshots when its key and dep are (the NEVRA changes).
    let keys = |set: &BTreeSet<Finding>| -> BTreeSet<(String, String)> {
        set.iter().map(|f| (f.key.clone(), f.dep.clone())).collect()
    };
    let (old_keys, new_keys) = (keys(&findings[0]), keys(&findings[1]));
    let appeared = findings[1]
        .iter()
        .filter(|f| !old_keys.contains(&(f.key.clone(), f.dep.clone())))
        .cloned()
        .collect();
    let disappeared = findings[0]
        .iter()
        .filter(|f| !new_keys.contains(&(f.key.clone(), f.dep.clone())))
        .cloned()
        .collect();
    Ok(DiffReport {
        schema: DIFF_SCHEMA,
        old: old.to_owned(),
        new: new.to_owned(),
        lookaside: opts.lookaside.clone(),
        by_arch: opts.by_arch,
        packages,
        appeared,
        disappeared,
    })
}

impl DiffReport {
    fn counts(&self) -> String {
        let n = |c: Change| self.packages.iter().filter(|p| p.change == c).count();
        format!(
            "{} added, {} removed, {} upgraded, {} downgraded, {} rebuilt",
            n(Change::Added),
            n(Change::Removed),
            n(Change::Upgraded),
            n(Change::Downgraded),
            n(Change::Rebuilt)
        )
    }

    fn evrs(p: &PackageChange) -> String {
        match (&p.old, &p.new) {
            (Some(o), Some(n)) => format!("{o} -> {n}"),
            (Some(o), None) => o.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => String::new(),
        }
    }

    /// Plain text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "packages: {}", self.counts());
        for p in &self.packages {
            let _ = writeln!(out, "  {:<10} {} {}", p.change.as_str(), p.key, Self::evrs(p));
        }
        let against = if self.lookaside.is_empty() {
            "alone".to_owned()
        } else {
            format!("against {}", self.lookaside.join(", "))
        };
        let _ = writeln!(
            out,
            "closure ({against}): {} appear, {} disappear",
            self.appeared.len(),
            self.disappeared.len()
        );
        for f in &self.appeared {
            let _ = writeln!(out, "  + {}: {}", f.nevra, f.dep);
        }
        for f in &self.disappeared {
            let _ = writeln!(out, "  - {}: {}", f.nevra, f.dep);
        }
        out
    }

    /// JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// Markdown.
    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|").replace('`', "'");
        let mut out = String::new();
        let _ = writeln!(out, "## rpmatrix diff\n\n`{}` → `{}`\n", esc(&self.old), esc(&self.new));
        let _ = writeln!(out, "**Packages:** {}\n", self.counts());
        if !self.packages.is_empty() {
            let _ = writeln!(out, "| package | change | old | new |\n|---|---|---|---|");
            for p in &self.packages {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    esc(&p.key),
                    p.change.as_str(),
                    esc(p.old.as_deref().unwrap_or("")),
                    esc(p.new.as_deref().unwrap_or(""))
                );
            }
        }
        for (title, list) in [
            ("Newly unresolved", &self.appeared),
            ("No longer unresolved", &self.disappeared),
        ] {
            let _ = writeln!(out, "\n### {title} ({})\n", list.len());
            for f in list {
                let _ = writeln!(out, "- `{}`: `{}`", esc(&f.nevra), esc(&f.dep));
            }
        }
        out
    }
}
