//! Renders an installability check: text grouped by root cause (biggest
//! first), and the JSON document of schema 1 (README, "installcheck").

use std::fmt::Write;

use crate::engine::Timings;
use crate::installcheck::{InstallcheckResult, RootCause, Uninstallable};

/// Version of the installcheck JSON schema.
pub const INSTALLCHECK_SCHEMA: u32 = 1;

/// Text: one block per root cause, biggest first; under it each package it
/// sinks with its chain of problems.
pub fn text(result: &InstallcheckResult) -> String {
    let mut out = String::new();
    let by_nevra: std::collections::HashMap<&str, Vec<&Uninstallable>> =
        result.uninstallable.iter().fold(Default::default(), |mut m, u| {
            m.entry(u.nevra.as_str()).or_insert_with(Vec::new).push(u);
            m
        });
    for cause in &result.root_causes {
        let noun = if cause.count == 1 {
            "package cannot"
        } else {
            "packages cannot"
        };
        let _ = writeln!(out, "{} {noun} be installed because {}:", cause.count, cause.text);
        for nevra in &cause.packages {
            for u in by_nevra.get(nevra.as_str()).into_iter().flatten() {
                if u.root_cause != cause.text {
                    continue;
                }
                let _ = writeln!(out, "  package: {} from {}", u.nevra, u.repo);
                for p in &u.problems {
                    let _ = writeln!(out, "    - {}", p.text);
                }
            }
        }
        out.push('\n');
    }
    out
}

/// The closing line (stderr): how many of how many, and in how many causes.
pub fn summary_line(result: &InstallcheckResult) -> String {
    format!(
        "{} of {} checked packages cannot be installed ({} root causes).",
        result.uninstallable.len(),
        result.checked,
        result.root_causes.len()
    )
}

/// Time per stage of an installability check, in milliseconds.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Default)]
pub struct InstallcheckTimings {
    /// Loading the repositories.
    pub load_ms: f64,
    /// Building the pool.
    pub pool_ms: f64,
    /// Reading filelists for the paths the rules ask about.
    pub filelists_ms: f64,
    /// The check itself: the three below and what joins them.
    pub check_ms: f64,
    /// Of the check: building the rules and their indexes.
    pub rules_ms: f64,
    /// Of the check: propagation, greedy picks and SAT searches.
    pub search_ms: f64,
    /// Of the check: explaining and grouping the uninstallable packages.
    pub explain_ms: f64,
}

/// The JSON document (schema 1).
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct InstallcheckJson {
    /// [`INSTALLCHECK_SCHEMA`].
    pub schema: u32,
    /// Packages checked.
    pub checked: usize,
    /// The packages that cannot be installed.
    pub uninstallable: Vec<Uninstallable>,
    /// Root causes, biggest first.
    pub root_causes: Vec<RootCause>,
    /// Time per stage.
    pub timings: InstallcheckTimings,
}

/// Renders the JSON document.
pub fn json(result: &InstallcheckResult, timings: &Timings) -> String {
    let doc = InstallcheckJson {
        schema: INSTALLCHECK_SCHEMA,
        checked: result.checked,
        uninstallable: result.uninstallable.clone(),
        root_causes: result.root_causes.clone(),
        timings: InstallcheckTimings {
            load_ms: timings.load_ms,
            pool_ms: timings.pool_ms,
            filelists_ms: timings.filelists_ms,
            check_ms: timings.closure_ms,
            rules_ms: result.phases.rules_ms,
            search_ms: result.phases.search_ms,
            explain_ms: result.phases.explain_ms,
        },
    };
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
