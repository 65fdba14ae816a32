//! Running a plan: every repository the selected cells need is loaded once
//! into one pool, cells run in parallel (closure, then installability for
//! `installable` cells), filelists are read in rounds for the paths the
//! cells ask for, failures are judged by waivers and the baseline, and the
//! `[drift]` section runs last.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;

use super::drift_run::run_drift;
use super::result::{CellReport, Checked, Failure, MatrixReport, RepoReport, RunTimings, Status};
use super::{Cell, FailOn, Finding, MATRIX_KIND, MATRIX_SCHEMA, Plan, baseline, waiver};
use crate::closure::{self, FilelistsRequest, Outcome};
use crate::drift::DriftInputs;
use crate::engine;
use crate::installcheck;
use crate::repodata;

/// How to run a plan.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Only these cells (empty = all).
    pub cells: Vec<String>,
    /// The day waiver expiry is judged on.
    pub today: jiff::civil::Date,
    /// Loading options.
    pub load: engine::Options,
    /// The previous run's results and their file name.
    pub baseline: Option<(String, MatrixReport)>,
    /// Exit policy.
    pub fail_on: FailOn,
    /// Run the plan's `[drift]` section (when it has one).
    pub drift: bool,
    /// Run no cells (only the drift).
    pub no_cells: bool,
}

/// Where an `installable = true` cell's installability check stands.
enum Install {
    /// Checked (`None`: the cell does not ask for it).
    Done(Option<installcheck::InstallcheckResult>),
    /// The conflicting file paths must be looked up in filelists first.
    Need(FilelistsRequest),
    /// The check could not run (the message says why).
    Failed(String),
}

/// Runs the installability check of a cell that asks for it, once the
/// filelists hold every path a file Conflicts or file Requires names.
fn installability(loaded: &engine::Loaded, cell: &Cell) -> Install {
    if !cell.installable {
        return Install::Done(None);
    }
    let selection = match closure::selection(&loaded.pool, &cell.options()) {
        Ok(s) => s,
        Err(e) => return Install::Failed(e.to_string()),
    };
    if !cell.no_filelists {
        let paths = installcheck::paths_needed(&loaded.pool, selection.available());
        if selection
            .repos()
            .iter()
            .any(|&r| loaded.first_unscanned(r, &paths).is_some())
        {
            return Install::Need(FilelistsRequest {
                paths,
                repos: selection.repos().to_vec(),
            });
        }
    }
    match installcheck::check_selection(&loaded.pool, &selection, &cell.basearch) {
        Ok(r) => Install::Done(Some(r)),
        Err(e) => Install::Failed(format!("installability check: {e}")),
    }
}

fn judge_failures(
    pool: &crate::pool::Pool,
    cell: &Cell,
    result: closure::ClosureResult,
    install: Option<installcheck::InstallcheckResult>,
    closure_ms: f64,
    plan: &Plan,
    opts: &RunOptions,
) -> CellReport {
    if result.checked == 0 {
        // A cell that checks nothing would pass every night whatever breaks.
        return error_cell(
            cell,
            format!(
                "the cell checks no package (check: {}; arch: {}): fix its repos or filters",
                cell.check.join(", "),
                if cell.arch.is_empty() {
                    "any".to_owned()
                } else {
                    cell.arch.join(", ")
                }
            ),
            opts,
        );
    }
    let failures = result
        .problems
        .into_iter()
        .map(|p| {
            let mut findings: Vec<Finding> = p.unresolved.iter().map(|d| Finding::unresolved(d)).collect();
            for f in &mut findings {
                match waiver::judge(&plan.waivers, &cell.name, &p.name, &f.key, &f.problem, opts.today) {
                    waiver::Verdict::None => {}
                    waiver::Verdict::Waived(w) => f.waived = Some(w.into()),
                    waiver::Verdict::Expired(w) => f.expired_waiver = Some(w.into()),
                }
            }
            Failure {
                package: p,
                findings,
                waived: None,
                expired_waiver: None,
                baseline: None,
            }
        })
        .collect::<Vec<Failure>>();
    let mut failures = failures;
    // A package with an unresolved dependency is uninstallable too, for the
    // same reason: it is reported once, as the closure failure.
    let unresolved: std::collections::HashSet<String> = failures.iter().map(|f| f.package.nevra.clone()).collect();
    for u in install.map(|r| r.uninstallable).unwrap_or_default() {
        if unresolved.contains(&u.nevra) {
            continue;
        }
        let involved: Vec<String> = u.problems.last().map(|p| p.packages.clone()).unwrap_or_default();
        let mut finding = Finding::uninstallable(&u.root_cause, &involved);
        match waiver::judge(
            &plan.waivers,
            &cell.name,
            &u.name,
            &finding.key,
            &finding.problem,
            opts.today,
        ) {
            waiver::Verdict::None => {}
            waiver::Verdict::Waived(w) => finding.waived = Some(w.into()),
            waiver::Verdict::Expired(w) => finding.expired_waiver = Some(w.into()),
        }
        failures.push(Failure {
            package: closure::Problem {
                nevra: u.nevra,
                name: u.name,
                arch: u.arch,
                repo: u.repo,
                unresolved: Vec::new(),
                explanations: u.problems.into_iter().map(|p| p.text).collect(),
                nearest: Vec::new(),
            },
            findings: vec![finding],
            waived: None,
            expired_waiver: None,
            baseline: None,
        });
    }
    let mut report = CellReport {
        cell: cell.clone(),
        status: Status::Pass,
        error: None,
        checked: result.checked,
        providers: result.providers,
        packages: result
            .checked_packages
            .into_iter()
            .map(|pkg| Checked {
                name: pool.str(pool.packages[pkg as usize].name).to_owned(),
                nevra: pool.nevra(pkg),
                repo: pool.repo_name(pkg).to_owned(),
            })
            .collect(),
        failures,
        fixed: Vec::new(),
        closure_ms,
    };
    finish_cell(&mut report, opts);
    report
}

/// A cell that could not be judged (`error`), compared with the baseline
/// as any other.
fn error_cell(cell: &Cell, error: String, opts: &RunOptions) -> CellReport {
    let mut report = CellReport::errored(cell, error);
    finish_cell(&mut report, opts);
    report
}

fn finish_cell(report: &mut CellReport, opts: &RunOptions) {
    if let Some((_, b)) = &opts.baseline {
        baseline::classify(report, b);
    }
    for f in &mut report.failures {
        f.settle();
    }
    report.update_status();
}

/// Runs the plan's (selected) cells. Every repository they need is loaded
/// once into one pool; cells run in parallel; `on_done` is called for each
/// cell in plan order (a cell that finishes early waits for those before it:
/// the table reads the same every night)
/// cell finishes (from worker threads). A repository that does not load
/// makes the cells using it errors; the others run. `Err` only for problems
/// that stop everything (an unknown `--cell`, a bad filter).
pub fn run(
    plan: &Plan,
    opts: &RunOptions,
    on_done: &(dyn Fn(&CellReport) + Sync),
) -> Result<MatrixReport, super::RunError> {
    let cells = if opts.no_cells {
        Vec::new()
    } else {
        plan.select(&opts.cells)?
    };
    // The drift's files are read first: a bad policy stops the run before any loading.
    let drift_spec = plan.drift.as_ref().filter(|_| opts.drift);
    let drift_inputs = match drift_spec {
        Some(d) => Some(
            DriftInputs::read(d.policy.as_deref(), d.map.as_deref(), d.rdoinfo.as_deref()).map_err(|source| {
                super::RunError::Drift {
                    origin: d.origin.clone(),
                    source: Box::new(source),
                }
            })?,
        ),
        None => None,
    };
    let needed: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for c in &cells {
            for r in c.repos() {
                if !v.contains(&r) {
                    v.push(r);
                }
            }
        }
        v
    };
    let specs: Vec<crate::fetch::RepoSpec> = plan
        .repos
        .iter()
        .filter(|r| needed.contains(&r.name))
        .cloned()
        .collect();
    let (mut loaded, failed) = engine::load_partial(&specs, &opts.load).map_err(Box::new)?;
    let failed: BTreeMap<String, String> = failed.into_iter().map(|(n, e)| (n, e.to_string())).collect();

    let in_order = InOrder {
        state: Mutex::new((0, vec![None; cells.len()])),
        on_done,
    };
    let mut done: Vec<Option<CellReport>> = vec![None; cells.len()];
    let mut pending: Vec<usize> = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let broken: Vec<String> = c
            .repos()
            .iter()
            .filter_map(|r| failed.get(r).map(|e| load_failure(r, e)))
            .collect();
        if broken.is_empty() {
            pending.push(i);
        } else {
            let report = error_cell(c, broken.join("\n"), opts);
            in_order.done(i, &report);
            done[i] = Some(report);
        }
    }

    let started = Instant::now();
    let mut filelists_ms = 0.0;
    let mut spent = vec![0.0_f64; cells.len()];
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        let need = Mutex::new(Vec::<(usize, FilelistsRequest)>::new());
        let outcomes: Vec<(usize, Result<CellReport, f64>)> = pending
            .par_iter()
            .map(|&i| {
                let cell = &cells[i];
                let t = Instant::now();
                let outcome = closure::check(&loaded.pool, &cell.options());
                let ms = round(t.elapsed().as_secs_f64() * 1e3 + spent[i]);
                let report = match outcome {
                    Ok(Outcome::Done(result)) => match installability(&loaded, cell) {
                        Install::Done(install) => {
                            let ms = round(t.elapsed().as_secs_f64() * 1e3 + spent[i]);
                            judge_failures(&loaded.pool, cell, result, install, ms, plan, opts)
                        }
                        Install::Need(request) if rounds < 8 => {
                            if let Ok(mut n) = need.lock() {
                                n.push((i, request));
                            }
                            return (i, Err(ms));
                        }
                        Install::Need(_) => {
                            error_cell(cell, "filelists did not settle the installability check".into(), opts)
                        }
                        Install::Failed(e) => error_cell(cell, e, opts),
                    },
                    Ok(Outcome::NeedFilelists(request)) if rounds < 8 => {
                        if let Ok(mut n) = need.lock() {
                            n.push((i, request));
                        }
                        return (i, Err(ms));
                    }
                    Ok(Outcome::NeedFilelists(_)) => {
                        error_cell(cell, "filelists did not settle the file dependencies".into(), opts)
                    }
                    Err(e) => error_cell(cell, e.to_string(), opts),
                };
                in_order.done(i, &report);
                (i, Ok(report))
            })
            .collect();
        let mut still = Vec::new();
        for (i, r) in outcomes {
            match r {
                Ok(r) => done[i] = Some(r),
                Err(ms) => {
                    spent[i] = ms;
                    still.push(i);
                }
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        // Each cell asked for filelists of its own repositories only; read
        // every file once for the union of what the cells asked of it.
        let mut requests = need.into_inner().unwrap_or_default();
        requests.sort_by_key(|(i, _)| *i);
        let t = Instant::now();
        let scans = {
            let all: Vec<FilelistsRequest> = requests.iter().map(|(_, r)| r.clone()).collect();
            loaded.filelists_scans(&all)
        };
        let failed: BTreeMap<u32, repodata::FilelistsError> = loaded.scan_filelists(&scans).into_iter().collect();
        // A repository whose filelists cannot be read fails only the cells
        // that needed them, naming the dependency that did.
        for (i, request) in &requests {
            let broken = request.repos.iter().find_map(|r| {
                let e = failed.get(r)?;
                // Failed for another cell's paths only: not this cell's problem.
                let why = loaded.first_unscanned(*r, &request.paths)?;
                Some(format!("filelists cannot be loaded: {}", e.needed_by(&why)))
            });
            let Some(msg) = broken else {
                continue;
            };
            let r = error_cell(&cells[*i], msg, opts);
            in_order.done(*i, &r);
            done[*i] = Some(r);
        }
        pending.retain(|&i| done[i].is_none());
        filelists_ms += t.elapsed().as_secs_f64() * 1e3;
    }
    let cells_ms = started.elapsed().as_secs_f64() * 1e3 - filelists_ms;

    let cell_reports: Vec<CellReport> = done.into_iter().flatten().collect();
    let mut loaded_repos = loaded.loaded_repos();
    let mut failed = failed;
    let mut specs = specs;
    let drift = match (drift_spec, drift_inputs) {
        (Some(d), Some(inputs)) => {
            let (report, extra) = run_drift(plan, d, inputs, &loaded, &failed, opts);
            if let Some((extra_specs, extra_loaded, extra_failed)) = extra {
                specs.extend(extra_specs);
                loaded_repos.extend(extra_loaded);
                failed.extend(extra_failed);
            }
            Some(report)
        }
        _ => None,
    };
    let repos = specs
        .iter()
        .map(|s| match loaded_repos.iter().find(|l| l.name == s.name) {
            Some(l) => RepoReport {
                repo: l.clone(),
                error: None,
            },
            None => RepoReport {
                repo: engine::LoadedRepo::unloaded(&s.name, &s.location),
                error: failed.get(&s.name).cloned(),
            },
        })
        .collect();
    let changes = super::change_run::run_changes(plan, &cells, opts);
    let waivers = waiver::reports(&plan.waivers, &cell_reports, opts.today);
    Ok(MatrixReport {
        schema: MATRIX_SCHEMA,
        kind: MATRIX_KIND.to_owned(),
        rpmatrix: env!("CARGO_PKG_VERSION").to_owned(),
        matrix: plan.source.display().to_string(),
        date: opts.today.to_string(),
        fail_on: opts.fail_on,
        baseline: opts.baseline.as_ref().map(|(n, _)| n.clone()),
        baseline_date: opts.baseline.as_ref().map(|(_, b)| b.date.clone()),
        repos,
        cells: cell_reports,
        waivers,
        timings: RunTimings {
            load_ms: round(loaded.timings.load_ms),
            pool_ms: round(loaded.timings.pool_ms),
            filelists_ms: round(filelists_ms),
            cells_ms: round(cells_ms),
        },
        drift,
        changes,
    })
}

/// A repository's load error as its cells report it: the error already
/// names the repository (and its location); say it only once.
pub(super) fn load_failure(repo: &str, error: &str) -> String {
    if error.starts_with(&format!("repo '{repo}'")) {
        error.to_owned()
    } else {
        format!("repo '{repo}': {error}")
    }
}

/// Hands finished cells to a callback in plan order, whatever order they
/// finish in.
struct InOrder<'a> {
    /// The next cell to hand over, and the finished cells waiting for it.
    state: Mutex<(usize, Vec<Option<CellReport>>)>,
    on_done: &'a (dyn Fn(&CellReport) + Sync),
}

impl InOrder<'_> {
    fn done(&self, i: usize, report: &CellReport) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let (next, waiting) = &mut *state;
        if let Some(slot) = waiting.get_mut(i) {
            *slot = Some(report.clone());
        }
        while let Some(r) = waiting.get_mut(*next).and_then(Option::take) {
            (self.on_done)(&r);
            *next += 1;
        }
    }
}
pub(super) fn round(ms: f64) -> f64 {
    (ms * 1e3).round() / 1e3
}
