//! What stops a matrix run, or the reading and merging of its results,
//! before there are findings (the CLI exits 2 with the message).

use super::{MATRIX_KIND, MATRIX_SCHEMA};

/// Reading a results document (`--baseline`, a part to `merge`) or merging
/// several failed. Every variant names the file it is about.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file cannot be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not JSON.
    #[error("{file}: not JSON: {source}")]
    NotJson {
        /// The file.
        file: String,
        /// Where the JSON is wrong.
        source: serde_json::Error,
    },
    /// The JSON is not a matrix result (another `kind`).
    #[error("{file}: not an rpmatrix matrix result (kind is not '{MATRIX_KIND}')")]
    NotAResult {
        /// The file.
        file: String,
    },
    /// A schema this rpmatrix does not read.
    #[error("{file}: schema {found:?} is not supported (this rpmatrix reads schema {MATRIX_SCHEMA})")]
    Schema {
        /// The file.
        file: String,
        /// Its `schema`, if it has one.
        found: Option<u64>,
    },
    /// A matrix result whose members are not what the schema says.
    #[error("{file}: {source}")]
    Malformed {
        /// The file.
        file: String,
        /// What does not fit.
        source: serde_json::Error,
    },
    /// `merge` was given nothing.
    #[error("nothing to merge")]
    NothingToMerge,
    /// Two parts hold the same cell.
    #[error("cell '{cell}' is in more than one result")]
    DuplicateCell {
        /// The cell.
        cell: String,
    },
    /// Parts of different matrix files.
    #[error("{file} is a result of matrix {matrix:?}, {first} of {first_matrix:?}: merge the results of one matrix")]
    OtherMatrix {
        /// The part that differs.
        file: String,
        /// Its matrix file.
        matrix: String,
        /// The first part.
        first: String,
        /// The first part's matrix file.
        first_matrix: String,
    },
    /// A part holds a cell the matrix given to `merge` does not have.
    #[error("{file}: cell '{cell}' is not in {plan} (a result of matrix {matrix:?}?); its cells: {known}")]
    ForeignCell {
        /// The part.
        file: String,
        /// The cell.
        cell: String,
        /// The matrix file given to `merge`.
        plan: String,
        /// The matrix file the part names.
        matrix: String,
        /// The plan's cells, comma-separated.
        known: String,
    },
}

/// What stops a matrix run before any cell ran.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `--cell` names no cell of the matrix.
    #[error("--cell {name}: no such cell (cells: {known})")]
    UnknownCell {
        /// The name given.
        name: String,
        /// The matrix's cells, comma-separated.
        known: String,
    },
    /// The `[drift]` section's policy, map or rdoinfo cannot be read.
    #[error("[drift] ({origin}): {source}")]
    Drift {
        /// `file:line` of `[drift]`.
        origin: String,
        /// What is wrong (boxed: a drift error is large, and a run's
        /// result travels through every caller).
        source: Box<crate::drift::DriftError>,
    },
    /// Loading could not start (a repository that fails only fails its cells).
    #[error(transparent)]
    Load(#[from] Box<crate::engine::EngineError>),
}
