//! The `[[changes]]` of a matrix run: each is `rpmatrix change` against one
//! cell's repositories (the cell's `check`, `basearch` and filters rule it,
//! and `installable = true` makes it `--mode install`),
//! with the builds of the repos it names proposed. With a baseline, a
//! rejection the baseline's same change did not have is new.

use super::result::ChangeCheck;
use super::run::RunOptions;
use super::{Cell, ChangeSpec, Plan};
use crate::change::{self, Add, ChangeRequest};
use crate::closure::ClosureOptions;

/// Runs the changes whose cell is among `cells` (the selected ones), in plan order.
pub(super) fn run_changes(plan: &Plan, cells: &[Cell], opts: &RunOptions) -> Vec<ChangeCheck> {
    plan.changes
        .iter()
        .filter_map(|spec| {
            let cell = cells.iter().find(|c| c.name == spec.cell)?;
            Some(run_change(plan, spec, cell, opts))
        })
        .collect()
}

fn run_change(plan: &Plan, spec: &ChangeSpec, cell: &Cell, opts: &RunOptions) -> ChangeCheck {
    let repo = |name: &String| plan.repos.iter().find(|r| &r.name == name).cloned();
    let request = ChangeRequest {
        targets: cell.repos().iter().filter_map(repo).collect(),
        adds: spec
            .add
            .iter()
            .filter_map(|name| {
                repo(name).map(|r| Add {
                    filter: r.filter,
                    module_hotfixes: r.module_hotfixes,
                    ..Add::new(name, &r.location)
                })
            })
            .collect(),
        nvrs: spec.nvrs.clone(),
        sources: spec.sources.clone(),
        remove_sources: spec.remove_sources.clone(),
        closure: ClosureOptions {
            // The change sets which repositories provide before and after.
            providers_from: Vec::new(),
            ..cell.options()
        },
        // An `installable` cell judges its changes by installability too.
        mode: if cell.installable {
            change::Mode::Install
        } else {
            change::Mode::Closure
        },
        load: opts.load.clone(),
    };
    let (result, error) = match change::run(&request) {
        Ok(r) => (Some(r), None),
        Err(e) => (
            None,
            Some(format!("change '{}' on cell '{}': {e}", spec.name, spec.cell)),
        ),
    };
    let mut check = ChangeCheck {
        name: spec.name.clone(),
        cell: spec.cell.clone(),
        origin: spec.origin.clone(),
        error,
        result,
        new_rejections: None,
    };
    if let Some((_, baseline)) = &opts.baseline {
        let before = baseline
            .changes
            .iter()
            .find(|c| c.name == check.name && c.cell == check.cell)
            .map(ChangeCheck::rejected)
            .unwrap_or_default();
        check.new_rejections = Some(check.rejected().into_iter().filter(|r| !before.contains(r)).collect());
    }
    check
}
