//! The `[drift]` section of a matrix run: its sides come from the cells'
//! pool where a cell loaded the repository, the others are loaded into a
//! second pool of their own; the outcome is a [`DriftReport`].

use std::collections::BTreeMap;
use std::time::Instant;

use super::result::DriftReport;
use super::run::{RunOptions, load_failure, round};
use super::{DriftSource, DriftSpec, Plan};
use crate::drift::{self, DriftInputs, Side};
use crate::engine;
use crate::report::drift as drift_report;

/// Repositories the drift loaded itself: specs, what loaded, what failed.
type ExtraRepos = (
    Vec<crate::fetch::RepoSpec>,
    Vec<engine::LoadedRepo>,
    BTreeMap<String, String>,
);

/// Runs `[drift]`. Repos the cells already loaded are read from their pool
/// (`Side::from_pool`); only repos no selected cell needs are loaded, into a
/// second pool of their own, so that the cells' pool (its filelists scans,
/// its modular filtering) is unchanged by the drift.
pub(super) fn run_drift(
    plan: &Plan,
    spec: &DriftSpec,
    inputs: DriftInputs,
    cells_pool: &engine::Loaded,
    cells_failed: &BTreeMap<String, String>,
    opts: &RunOptions,
) -> (DriftReport, Option<ExtraRepos>) {
    let started = Instant::now();
    let in_cells = |name: &str| cells_pool.pool.repos.iter().any(|r| r.name == name) || cells_failed.contains_key(name);
    let extra_specs: Vec<crate::fetch::RepoSpec> = spec
        .repos()
        .iter()
        .filter(|r| !in_cells(r))
        .filter_map(|r| plan.repos.iter().find(|s| &s.name == r).cloned())
        .collect();
    let errored = |error: String| DriftReport {
        origin: spec.origin.clone(),
        error: Some(error),
        result: None,
        new_violations: None,
    };
    let (extra_pool, extra) = if extra_specs.is_empty() {
        (None, None)
    } else {
        match engine::load_partial(&extra_specs, &opts.load) {
            Ok((l, f)) => {
                let f: BTreeMap<String, String> = f.into_iter().map(|(n, e)| (n, e.to_string())).collect();
                let lr = l.loaded_repos();
                (Some(l), Some((extra_specs, lr, f)))
            }
            Err(e) => return (errored(e.to_string()), None),
        }
    };
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut broken: Vec<String> = spec
        .repos()
        .iter()
        .filter_map(|r| {
            cells_failed
                .get(r)
                .or_else(|| extra.as_ref().and_then(|(_, _, f)| f.get(r)))
                .map(|e| load_failure(r, e))
        })
        .collect();
    broken.dedup();
    if !broken.is_empty() {
        return (errored(broken.join("\n")), extra);
    }
    let started = Instant::now();
    let side = |name: &str| -> Side {
        let pool = match &extra_pool {
            Some(l) if l.pool.repos.iter().any(|r| r.name == name) => &l.pool,
            _ => &cells_pool.pool,
        };
        let idx: Vec<usize> = pool
            .repos
            .iter()
            .enumerate()
            .filter(|(_, r)| r.name == name)
            .map(|(i, _)| i)
            .collect();
        Side::from_pool(pool, &idx, name)
    };
    let label = |s: &DriftSource| match s {
        DriftSource::Repo(r) => r.clone(),
        DriftSource::RdoinfoTag(t) => format!("rdoinfo:{t}"),
    };
    let mut ours = Side {
        name: spec.ours.iter().map(label).collect::<Vec<_>>().join("+"),
        ..Side::default()
    };
    for s in &spec.ours {
        let part = match s {
            DriftSource::Repo(r) => side(r),
            DriftSource::RdoinfoTag(t) => match inputs.rdoinfo_side(t) {
                Ok(side) => side,
                Err(e) => return (errored(e.to_string()), extra),
            },
        };
        ours.merge_newer(part);
    }
    let refs: Vec<Side> = spec.theirs.iter().map(|r| side(r)).collect();
    let compared = drift::compare(
        &ours,
        &refs,
        &drift::CompareOptions {
            map: inputs.map,
            only: spec.only.clone(),
            policy: inputs.policy,
        },
    );
    let mut result = match compared {
        Ok(r) => r,
        Err(e) => return (errored(e.to_string()), extra),
    };
    result.timings = drift::DriftTimings {
        load_ms: round(load_ms),
        compare_ms: crate::core::ms_since(started),
    };
    let previous = opts
        .baseline
        .as_ref()
        .map(|(_, b)| b.drift.as_ref().and_then(|d| d.result.as_ref()));
    let changes = previous.map(|p| p.map(|p| drift_report::changes_since(&result, p)).unwrap_or_default());
    let doc = drift_report::document(&result, changes.as_deref());
    let report = DriftReport {
        origin: spec.origin.clone(),
        error: None,
        new_violations: previous.map(|p| {
            let before: Vec<&str> = p
                .iter()
                .flat_map(|p| &p.packages)
                .filter(|p| p.verdict.is_violation())
                .map(|p| p.name.as_str())
                .collect();
            doc.packages
                .iter()
                .filter(|p| p.verdict.is_violation() && !before.contains(&p.name.as_str()))
                .map(|p| p.name.clone())
                .collect()
        }),
        result: Some(doc),
    };
    (report, extra)
}
