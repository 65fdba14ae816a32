//! Modular filtering as dnf does it (libdnf's module excludes): module
//! streams, their default and active state, and which packages they hide,
//! for any machine and per base arch.

use rustc_hash::{FxHashMap, FxHashSet};

use std::collections::BTreeMap;

use super::{Package, Pool};
use crate::core::arch;
use crate::core::ids::{NO_STR, PkgId, StrId};

/// One module stream as dnf's modular filtering sees it: all documents
/// (versions and contexts) of one `module:stream`, taken together.
#[derive(Clone, Debug, Default)]
pub(super) struct StreamGroup {
    /// The stream is its module's default: every repository that names a
    /// default for the module names this one (contradicting defaults leave
    /// the module without one, as libmodulemd's merge does).
    default: bool,
    /// The arches of its documents.
    arches: Vec<String>,
    /// The pool's packages it lists (outside `module_hotfixes` repos).
    members: Vec<PkgId>,
    /// The names of the binary packages it lists (whether in the pool or not).
    binary_names: Vec<StrId>,
    /// The names of the source packages it lists.
    source_names: Vec<StrId>,
}

/// What the documents of one `module:stream` say, gathered at finish.
#[derive(Default)]
struct StreamDocs {
    /// Their arches.
    arches: Vec<String>,
    /// The packages they list.
    artifacts: Vec<Artifact>,
}

/// A package a module stream lists, `name-epoch:version-release.arch`.
#[derive(Clone, Debug)]
struct Artifact {
    /// The whole NEVRA as listed.
    nevra: String,
    /// Its name.
    name: String,
    /// A source package (`src`, `nosrc`).
    source: bool,
}

impl Artifact {
    /// Reads a listed NEVRA. dnf matches artifacts strictly: one without an
    /// epoch (`foo-1.0-1.noarch`) matches nothing and names nothing.
    fn parse(nevra: &str) -> Option<Artifact> {
        let (nevr, arch) = nevra.rsplit_once('.')?;
        let (nev, _release) = nevr.rsplit_once('-')?;
        let (name, ev) = nev.rsplit_once('-')?;
        let (epoch, _version) = ev.split_once(':')?;
        if name.is_empty() || epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Artifact {
            nevra: nevra.to_owned(),
            name: name.to_owned(),
            source: arch::is_source(arch),
        })
    }
}

impl Pool {
    /// Hides packages as dnf's modular filtering does (libdnf's module
    /// excludes, checked case by case against dnf in fixtures/random):
    ///
    /// * a module's default stream is active; a module whose repositories
    ///   name different defaults has none;
    /// * packages listed by an active stream stay; packages listed only by
    ///   other streams are hidden;
    /// * other packages are hidden when they bear the name of a binary
    ///   package an active stream lists (whether that package exists or
    ///   not), when they are source packages named as a source package it
    ///   lists, or when they can provide (are installable) and provide such
    ///   a binary name;
    /// * repositories with `module_hotfixes` are exempt.
    ///
    /// Two of these depend on the machine: a default stream is active only
    /// if one of its documents has an arch it can install, and only
    /// installable packages are hidden for what they provide. `hidden`
    /// assumes every default stream is active and every binary package
    /// installable (what diff and drift, which have no machine, see); a
    /// closure asks [`hidden_on`](Self::hidden_on) for its base arch.
    pub(super) fn apply_modules(&mut self) {
        let pending = std::mem::take(&mut self.pending_modules);
        if pending.is_empty() {
            return;
        }
        let mut named: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (_, idx) in &pending {
            for (module, streams) in &idx.defaults {
                let all = named.entry(module).or_default();
                for s in streams {
                    if !all.contains(&s.as_str()) {
                        all.push(s);
                    }
                }
            }
        }
        // Per `module:stream`, its documents' arches and listed packages.
        let mut listed: BTreeMap<(&str, &str), StreamDocs> = BTreeMap::new();
        for (_, idx) in &pending {
            for st in &idx.streams {
                let docs = listed.entry((&st.name, &st.stream)).or_default();
                if !docs.arches.contains(&st.arch) {
                    docs.arches.push(st.arch.clone());
                }
                docs.artifacts
                    .extend(st.artifacts.iter().filter_map(|a| Artifact::parse(a)));
            }
        }
        let artifact_names: FxHashSet<StrId> = listed
            .values()
            .flat_map(|docs| &docs.artifacts)
            .filter_map(|a| self.strings.lookup(&a.name))
            .collect();
        // Which streams list each NEVRA; then, once, which packages those are.
        let mut streams_of: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
        for (g, docs) in listed.values().enumerate() {
            for a in &docs.artifacts {
                streams_of.entry(&a.nevra).or_default().push(g);
            }
        }
        let mut members: Vec<Vec<PkgId>> = vec![Vec::new(); listed.len()];
        for (i, p) in self.packages.iter().enumerate() {
            // Only packages named like some artifact can be one: the other
            // packages cost no formatting.
            if self.repos[p.repo as usize].module_hotfixes || !artifact_names.contains(&p.name) {
                continue;
            }
            for &g in streams_of
                .get(self.artifact_key(i as PkgId).as_str())
                .into_iter()
                .flatten()
            {
                members[g].push(i as PkgId);
            }
        }
        let groups: Vec<StreamGroup> = listed
            .into_iter()
            .zip(members)
            .map(|(((module, stream), StreamDocs { arches, artifacts }), members)| {
                let (source, binary): (Vec<&Artifact>, Vec<&Artifact>) = artifacts.iter().partition(|a| a.source);
                let ids = |list: Vec<&Artifact>| {
                    let mut ids: Vec<StrId> = list.iter().filter_map(|a| self.strings.lookup(&a.name)).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    ids
                };
                StreamGroup {
                    default: named.get(module).is_some_and(|d| d.as_slice() == [stream]),
                    arches,
                    members,
                    binary_names: ids(binary),
                    source_names: ids(source),
                }
            })
            .collect();
        self.module_streams = groups;
        // The providers index is built: ask it rather than every dependency.
        self.artifact_name_providers = artifact_names
            .iter()
            .flat_map(|&name| self.providers_of(name).iter().map(move |&(pkg, _)| (pkg, name)))
            .collect();
        self.filtered_out = self.packages.iter().map(|p| p.hidden).collect();
        let hide = self.modular_hide(&|_| true, &|p| !arch::is_source(self.str(p.arch)));
        for (p, h) in self.packages.iter_mut().zip(hide) {
            p.hidden |= h;
        }
    }

    /// Which packages a closure on `basearch` must treat as hidden, when
    /// modular filtering applies ([`finish`](Self::finish) applies it);
    /// `None` without modules, where [`Package::hidden`] is the answer. A
    /// document without an arch counts as installable.
    pub fn hidden_on(&self, basearch: &str) -> Option<Vec<bool>> {
        if self.module_streams.is_empty() {
            return None;
        }
        let compatible = arch::compatible(basearch);
        let stream_active = |g: &StreamGroup| {
            g.arches
                .iter()
                .any(|a| a.is_empty() || compatible.contains(&a.as_str()))
        };
        let installable = |p: &Package| compatible.contains(&self.str(p.arch));
        let modular = self.modular_hide(&stream_active, &installable);
        Some(self.filtered_out.iter().zip(modular).map(|(&f, m)| f || m).collect())
    }

    /// The packages modular filtering hides when the default streams that
    /// `stream_active` accepts are active and `installable` tells which
    /// packages can provide.
    fn modular_hide(
        &self,
        stream_active: &dyn Fn(&StreamGroup) -> bool,
        installable: &dyn Fn(&Package) -> bool,
    ) -> Vec<bool> {
        #[derive(Clone, Copy, PartialEq)]
        enum Modular {
            Active,
            Inactive,
            Other,
        }
        let on: Vec<bool> = self
            .module_streams
            .iter()
            .map(|g| g.default && stream_active(g))
            .collect();
        let mut state = vec![Modular::Other; self.packages.len()];
        let mut binary_names: FxHashSet<StrId> = FxHashSet::default();
        let mut source_names: FxHashSet<StrId> = FxHashSet::default();
        for (g, _) in self.module_streams.iter().zip(&on).filter(|&(_, &on)| on) {
            for &p in &g.members {
                state[p as usize] = Modular::Active;
            }
            binary_names.extend(&g.binary_names);
            source_names.extend(&g.source_names);
        }
        // A package an active stream lists stays, whatever else lists it.
        for (g, _) in self.module_streams.iter().zip(&on).filter(|&(_, &on)| !on) {
            for &p in &g.members {
                if state[p as usize] == Modular::Other {
                    state[p as usize] = Modular::Inactive;
                }
            }
        }
        let exempt = |p: &Package| self.repos[p.repo as usize].module_hotfixes;
        let mut hide: Vec<bool> = self
            .packages
            .iter()
            .zip(&state)
            .map(|(p, state)| match state {
                _ if exempt(p) => false,
                Modular::Active => false,
                Modular::Inactive => true,
                Modular::Other => {
                    binary_names.contains(&p.name)
                        || (arch::is_source(self.str(p.arch)) && source_names.contains(&p.name))
                }
            })
            .collect();
        for &(pkg, name) in &self.artifact_name_providers {
            let i = pkg as usize;
            let p = &self.packages[i];
            if state[i] == Modular::Other && !exempt(p) && binary_names.contains(&name) && installable(p) {
                hide[i] = true;
            }
        }
        hide
    }

    /// `name-epoch:version-release.arch`, the form modules.yaml lists artifacts in.
    fn artifact_key(&self, pkg: PkgId) -> String {
        let p = &self.packages[pkg as usize];
        let e = self.strings.evr(p.evr);
        let epoch = if e.epoch == NO_STR { "0" } else { self.str(e.epoch) };
        let release = if e.release == NO_STR { "" } else { self.str(e.release) };
        format!(
            "{}-{}:{}-{}.{}",
            self.str(p.name),
            epoch,
            self.str(e.version),
            release,
            self.str(p.arch)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Artifact;

    #[test]
    fn artifacts_need_an_epoch_as_dnf_matches_them() {
        let a = Artifact::parse("nodejs-1:18.1.0-1.module_el9+1+ab.x86_64").unwrap_or_else(|| panic!("no parse"));
        assert_eq!((a.name.as_str(), a.source), ("nodejs", false));
        let s = Artifact::parse("python3.11-0:3.11.2-1.el9.src").unwrap_or_else(|| panic!("no parse"));
        assert_eq!((s.name.as_str(), s.source), ("python3.11", true));
        // dnf ignores these: no epoch, or no arch.
        assert!(Artifact::parse("nodejs-18.1.0-1.x86_64").is_none());
        assert!(Artifact::parse("nodejs-x:18.1.0-1.x86_64").is_none());
        assert!(Artifact::parse("nodejs").is_none());
    }
}
