//! rpmatrix: prove that RPM repositories shipped together are
//! dependency-consistent (a repoclosure that agrees with `dnf repoclosure`),
//! across a whole matrix of repository combinations, and measure how far
//! packages have drifted from a reference distribution.
//!
//! Data flows one way through the modules, all of them standing on `core`:
//!
//! ```text
//! fetch → repodata → pool → closure / diff / drift / change → engine, matrix → report
//! ───────────────────────────────────── core ───────────────────────────────────────────────────────
//! ```
//!
//! * [`crate::core`]: the shared vocabulary, importing nothing of the crate: interned
//!   ids and the `Intern` trait, `Dep`/`DepKind` and rich dependencies, rpm's version order
//!   and range overlap (EVR), arch policy.
//! * [`fetch`]: a LOCATION (directory, URL, metalink, mirrorlist) becomes readable files,
//!   through a content-addressed download cache (the one I/O seam); `RepoSpec` says
//!   which repository to load from where and what to keep of it.
//! * [`repofile`]: dnf `.repo` files become repository specs.
//! * [`repodata`]: repomd.xml, decompression, streaming primary/filelists/modules parsing.
//! * [`pool`]: interned strings, packages, providers and file indexes, modular filtering.
//! * [`closure`]: dnf repoclosure's rules.
//! * [`installcheck`]: can each package be installed (Requires, Conflicts, Obsoletes, one
//!   version per name), as libsolv answers, and why not: greedy picks, an exact SAT search
//!   where they fail, root causes.
//! * [`engine`]: runs the stages in order, loading filelists only on demand.
//! * [`change`]: what tagging (or untagging) builds would break: before/after on one pool,
//!   source-package replacement, a verdict per build.
//! * [`diff`]: two snapshots of a repository compared (packages and closure findings).
//! * [`matrix`]: matrix runs: many cells over shared repositories, waivers, baselines.
//! * [`report`]: every command's output: closure text (dnf's format) and JSON, matrix JUnit,
//!   Markdown and table, drift table/JSON/Markdown/CSV/JUnit, diff text/JSON/Markdown.
//! * [`drift`]: fork drift against reference distributions (rendered by [`report::drift`]).
//! * [`exit`]: the exit codes every command uses, and what they mean.
//! * [`threads`]: running out of threads or memory ends in exit 2 with a message.

#![warn(missing_docs)]

pub mod change;
pub mod closure;
pub mod core;
pub mod diff;
pub mod drift;
pub mod engine;
pub mod exit;
pub mod fetch;
pub mod installcheck;
pub mod matrix;
pub mod pool;
pub mod repodata;
pub mod repofile;
pub mod report;
pub mod threads;
