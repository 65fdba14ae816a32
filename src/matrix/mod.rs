//! Matrix runs: many closures (cells) over repositories that are loaded
//! once and shared, with waivers and a baseline, producing one
//! [`MatrixReport`] that the JUnit, JSON and Markdown reports render.
//!
//! Reading a matrix has two stages: [`file`](mod@file) turns the TOML into plain
//! settings, [`plan`] resolves them into a [`Plan`]; [`run`](fn@run) executes a plan
//! and never sees TOML. [`waiver`] and [`baseline`] judge each failure.
//! [`result`] is the result schema (what the reports render and `--baseline`
//! and `merge` read back); [`finding`] a failure's identity.
//!
//! A plan's `[drift]` section ([`DriftSpec`]) runs after the cells
//! (`drift_run`): its sides are read from the cells' pool when a cell loaded
//! the repository, the other repositories are loaded into a second pool, and
//! [`crate::drift::compare`] judges them; the outcome is the report's
//! [`DriftReport`], whose violations gate like unwaived failures. The
//! `[[changes]]` run last (`change_run`): each is `rpmatrix change` against
//! one cell's repositories, and its rejected builds gate too.

pub mod baseline;
mod change_run;
mod drift_run;
pub mod error;
pub mod file;
pub mod finding;
pub mod plan;
pub mod result;
mod run;
pub mod waiver;

pub use error::{ResultsError, RunError};
pub use file::MatrixError;
pub use finding::{FailureId, FailureKind, Finding};
pub use plan::{Cell, ChangeSpec, DriftSource, DriftSpec, Plan};
pub use result::{
    CellReport, Change, ChangeCheck, Checked, DriftReport, FailOn, Failure, Fixed, MATRIX_KIND, MATRIX_SCHEMA,
    MatrixReport, RepoReport, RunTimings, Status, WaiverRef, WaiverReport,
};
pub use run::{RunOptions, run};
pub use waiver::Waiver;
