//! Runs a drift from a description: where each side comes from
//! ([`SideSpec`]), the files to read ([`DriftPlan`], or a matrix file's
//! [`DriftSection`]), then load, group, compare and judge ([`run`]).
//! Rendering is `report::drift`'s job.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{CompareOptions, DriftError, DriftResult, DriftTimings, NameMap, Policy, Side, compare, rdoinfo};
use crate::core::ms_since;
use crate::engine;
use crate::fetch::RepoSpec;

/// Where one side's packages come from.
#[derive(Clone, Debug)]
pub enum SideSpec {
    /// An rpm-md repository.
    Repo(RepoSpec),
    /// rdoinfo's `buildsys-tags/TAG.yml` (needs [`DriftPlan::rdoinfo`]).
    RdoinfoTag(String),
}

impl SideSpec {
    /// Parses a command-line `NAME=LOCATION` or `rdoinfo:TAG`.
    pub fn parse(s: &str) -> Result<SideSpec, DriftError> {
        if let Some(tag) = s.strip_prefix("rdoinfo:") {
            if tag.is_empty() || tag.contains('/') {
                return Err(DriftError::Input(format!("{s:?}: expected rdoinfo:TAG")));
            }
            return Ok(SideSpec::RdoinfoTag(tag.to_owned()));
        }
        match s.split_once('=') {
            Some((n, l)) if !n.is_empty() && !l.is_empty() => Ok(SideSpec::Repo(RepoSpec::new(n, l))),
            _ => Err(DriftError::Input(format!(
                "{s:?}: expected NAME=LOCATION or rdoinfo:TAG"
            ))),
        }
    }

    fn label(&self) -> String {
        match self {
            SideSpec::Repo(r) => r.name.clone(),
            SideSpec::RdoinfoTag(t) => format!("rdoinfo:{t}"),
        }
    }
}

/// Everything a drift run needs; what the CLI and a matrix `[drift]` section fill in.
#[derive(Clone, Debug, Default)]
pub struct DriftPlan {
    /// Our repositories (merged into one side: newest build across them).
    pub ours: Vec<SideSpec>,
    /// The references, each compared separately.
    pub theirs: Vec<SideSpec>,
    /// A policy file (TOML).
    pub policy: Option<PathBuf>,
    /// An rdoinfo checkout (its `deps.yml` gives name mappings and origins).
    pub rdoinfo: Option<PathBuf>,
    /// A TOML mapping file (`[map] ours = "theirs"`); wins over rdoinfo.
    pub map: Option<PathBuf>,
    /// Name globs to keep (all when empty).
    pub only: Vec<String>,
    /// Repository loading options.
    pub load: engine::Options,
}

/// A `[drift]` section as a matrix file (TOML) would spell it; the fields
/// mirror the command-line options:
///
/// ```toml
/// [drift]
/// ours = ["ocata=./rdo-ocata", "rdoinfo:cloud7-openstack-train-release"]
/// theirs = ["c75=./centos7.5"]
/// policy = "drift-policy.toml"   # optional
/// rdoinfo = "../rdoinfo"         # optional
/// map = "names.toml"             # optional
/// only = ["python-*"]            # optional
/// ```
///
/// Paths are taken as written; resolving them against the matrix file's
/// directory is the caller's job.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSection {
    /// `--ours` values.
    pub ours: Vec<String>,
    /// `--theirs` values.
    pub theirs: Vec<String>,
    /// `--policy`.
    #[serde(default)]
    pub policy: Option<PathBuf>,
    /// `--rdoinfo`.
    #[serde(default)]
    pub rdoinfo: Option<PathBuf>,
    /// `--map`.
    #[serde(default)]
    pub map: Option<PathBuf>,
    /// `--only`.
    #[serde(default)]
    pub only: Vec<String>,
}

impl DriftSection {
    /// The plan this section describes (`--theirs` must be `NAME=LOCATION`).
    pub fn to_plan(&self, load: engine::Options) -> Result<DriftPlan, DriftError> {
        let parse = |v: &[String]| v.iter().map(|s| SideSpec::parse(s)).collect::<Result<Vec<_>, _>>();
        let theirs = parse(&self.theirs)?;
        if let Some(SideSpec::RdoinfoTag(t)) = theirs.iter().find(|s| matches!(s, SideSpec::RdoinfoTag(_))) {
            return Err(DriftError::Input(format!(
                "theirs: rdoinfo:{t}: references must be NAME=LOCATION (rdoinfo:TAG is for ours)"
            )));
        }
        Ok(DriftPlan {
            ours: parse(&self.ours)?,
            theirs,
            policy: self.policy.clone(),
            rdoinfo: self.rdoinfo.clone(),
            map: self.map.clone(),
            only: self.only.clone(),
            load,
        })
    }
}

/// The files a drift reads besides repositories: the policy, the name
/// mapping (a `--map` file, then rdoinfo's `deps.yml` under it) and rdoinfo.
#[derive(Debug, Default)]
pub struct DriftInputs {
    /// The parsed policy, if one was given.
    pub policy: Option<Policy>,
    /// Name mapping and origins (`--map` entries win over rdoinfo's).
    pub map: NameMap,
    /// The rdoinfo checkout, for `rdoinfo:TAG` sides.
    pub rdoinfo: Option<rdoinfo::Rdoinfo>,
}

impl DriftInputs {
    /// Reads and checks the given files; any error names the file.
    pub fn read(policy: Option<&Path>, map: Option<&Path>, rdoinfo: Option<&Path>) -> Result<DriftInputs, DriftError> {
        let policy = policy.map(Policy::from_file).transpose()?;
        let mut names = match map {
            Some(p) => NameMap::from_toml_file(p)?,
            None => NameMap::default(),
        };
        let rdo = rdoinfo.map(rdoinfo::Rdoinfo::open).transpose()?;
        if let Some(rdo) = &rdo {
            names.merge_under(rdo.name_map());
        }
        Ok(DriftInputs {
            policy,
            map: names,
            rdoinfo: rdo,
        })
    }

    /// The side of an `rdoinfo:TAG` (an error without rdoinfo).
    pub fn rdoinfo_side(&self, tag: &str) -> Result<Side, DriftError> {
        match &self.rdoinfo {
            Some(rdo) => rdo.buildsys_tag(tag),
            None => Err(DriftError::Input(format!("rdoinfo:{tag} needs --rdoinfo DIR"))),
        }
    }
}

/// Loads every side, compares and judges: the whole `rpmatrix drift`.
pub fn run(plan: &DriftPlan) -> Result<DriftResult, DriftError> {
    if plan.ours.is_empty() {
        return Err(DriftError::Input("no --ours given".into()));
    }
    if plan.theirs.is_empty() {
        return Err(DriftError::Input("no --theirs given".into()));
    }
    let started = Instant::now();
    let inputs = DriftInputs::read(plan.policy.as_deref(), plan.map.as_deref(), plan.rdoinfo.as_deref())?;
    let mut specs = Vec::new();
    for s in plan.ours.iter().chain(&plan.theirs) {
        if let SideSpec::Repo(r) = s {
            specs.push(r.clone());
        }
    }
    let loaded = if specs.is_empty() {
        None
    } else {
        Some(engine::load(&specs, &plan.load)?)
    };
    let load_ms = ms_since(started);
    let started = Instant::now();
    let side_of = |spec: &SideSpec| -> Result<Side, DriftError> {
        match spec {
            SideSpec::Repo(r) => {
                let pool = &loaded
                    .as_ref()
                    .ok_or_else(|| DriftError::Input("internal: no pool".into()))?
                    .pool;
                let idx: Vec<usize> = pool
                    .repos
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.name == r.name)
                    .map(|(i, _)| i)
                    .collect();
                Ok(Side::from_pool(pool, &idx, &r.name))
            }
            SideSpec::RdoinfoTag(tag) => inputs.rdoinfo_side(tag),
        }
    };
    let mut ours = Side {
        name: plan.ours.iter().map(SideSpec::label).collect::<Vec<_>>().join("+"),
        ..Side::default()
    };
    for s in &plan.ours {
        ours.merge_newer(side_of(s)?);
    }
    let refs = plan.theirs.iter().map(side_of).collect::<Result<Vec<_>, _>>()?;
    let mut result = compare(
        &ours,
        &refs,
        &CompareOptions {
            map: inputs.map,
            only: plan.only.clone(),
            policy: inputs.policy,
        },
    )?;
    result.timings = DriftTimings {
        load_ms,
        compare_ms: ms_since(started),
    };
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_section() {
        #[derive(Deserialize)]
        struct M {
            drift: DriftSection,
        }
        let m: Result<M, _> = toml::from_str("[drift]\nours = [\"o=./o\", \"rdoinfo:t\"]\ntheirs = [\"f=./f\"]\n");
        let plan = m
            .map_err(|e| e.to_string())
            .and_then(|m| m.drift.to_plan(engine::Options::default()).map_err(|e| e.to_string()));
        assert!(
            matches!(plan.as_ref().map(|p| (p.ours.len(), p.theirs.len())), Ok((2, 1))),
            "{:?}",
            plan.err()
        );
        let bad: Result<M, _> = toml::from_str("[drift]\nours = []\ntheirs = []\npolicyy = \"x\"\n");
        assert!(bad.is_err());
    }
}
