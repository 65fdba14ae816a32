//! rpmatrix: prove that RPM repositories shipped together are
//! dependency-consistent (a repoclosure that agrees with `dnf repoclosure`),
//! across a whole matrix of repository combinations, and measure how far
//! packages have drifted from a reference distribution.
//!
//! Data flows one way through the modules:
//!
//! ```text
//! fetch → repodata → pool → closure → engine → report
//! ```
//!
//! * [`fetch`]: a LOCATION (directory, URL, metalink, mirrorlist) becomes readable files,
//!   through a content-addressed download cache (the one I/O seam).
//! * [`repofile`]: dnf `.repo` files become repository specs.
//! * [`repodata`]: repomd.xml, decompression, streaming primary/filelists/modules parsing.
//! * [`pool`]: interned strings, packages, providers and file indexes, modular filtering.
//! * [`evr`], [`dep`], [`arch`]: rpm's version order, range overlap, rich deps, arch policy.
//! * [`closure`]: dnf repoclosure's rules.
//! * [`installcheck`]: can each package be installed (Requires, Conflicts, Obsoletes, one
//!   version per name), as libsolv answers, and why not: greedy picks, an exact SAT search
//!   where they fail, root causes.
//! * [`engine`]: runs the stages in order, loading filelists only on demand.
//! * [`diff`]: two snapshots of a repository compared (packages and closure findings).
//! * [`matrix`]: matrix runs: many cells over shared repositories, waivers, baselines.
//! * [`report`]: text (dnf's format) and JSON.
//! * [`drift`], [`drift_report`]: fork drift against reference distributions, and its reports.

#![warn(missing_docs)]

pub mod arch;
pub mod closure;
pub mod dep;
pub mod diff;
pub mod drift;
pub mod drift_report;
pub mod engine;
pub mod evr;
pub mod fetch;
pub mod installcheck;
pub mod matrix;
pub mod pool;
pub mod repodata;
pub mod repofile;
pub mod report;
