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
//! * [`fetch`]: a LOCATION becomes readable files (the one I/O seam).
//! * [`repodata`]: repomd.xml, decompression, streaming primary/filelists/modules parsing.
//! * [`pool`]: interned strings, packages, providers and file indexes, modular filtering.
//! * [`evr`], [`dep`], [`arch`]: rpm's version order, range overlap, rich deps, arch policy.
//! * [`closure`]: dnf repoclosure's rules.
//! * [`engine`]: runs the stages in order, loading filelists only on demand.
//! * [`report`]: text (dnf's format) and JSON.
//! * [`drift`], [`drift_report`]: fork drift against reference distributions, and its reports.

pub mod arch;
pub mod closure;
pub mod dep;
pub mod drift;
pub mod drift_report;
pub mod engine;
pub mod evr;
pub mod fetch;
pub mod pool;
pub mod repodata;
pub mod report;
