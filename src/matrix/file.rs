//! Stage one of reading a matrix: the TOML file becomes plain settings
//! ([`MatrixFile`]), every value still carrying its byte span so later
//! errors can name the line. Nothing here knows about repositories or
//! closures; [`super::plan`] resolves these settings into a [`super::Plan`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::closure::RichMode;

/// A matrix file as written (see README, "Matrix files").
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixFile {
    /// `[axes]`: axis name → values; `{axis}` in a repo or cell name expands over them.
    #[serde(default)]
    pub axes: BTreeMap<String, Spanned<Vec<String>>>,
    /// `[repos.NAME]`.
    #[serde(default)]
    pub repos: BTreeMap<String, Spanned<RepoEntry>>,
    /// `[[cells]]`.
    #[serde(default)]
    pub cells: Vec<Spanned<CellEntry>>,
    /// `[[waivers]]`.
    #[serde(default)]
    pub waivers: Vec<Spanned<WaiverEntry>>,
    /// `[drift]`: fork drift of some of the repos against others.
    pub drift: Option<Spanned<DriftEntry>>,
    /// `[[changes]]`: proposed builds checked against a cell's repositories.
    #[serde(default)]
    pub changes: Vec<Spanned<ChangeEntry>>,
}

/// `[[changes]]`: what tagging the builds of some repos into a cell's
/// repositories would break (`rpmatrix change` against the cell).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeEntry {
    /// Unique name; `{axis}` expands as in a cell name.
    pub name: Spanned<String>,
    /// The cell whose repositories are the targets, and whose `check`,
    /// `basearch`, filters and `installable` rule the check.
    pub cell: Spanned<String>,
    /// Repos of `[repos]` holding the proposed builds (a `-testing` tag).
    pub add: Vec<Spanned<String>>,
    /// Only the builds of these source NVRs.
    #[serde(default)]
    pub nvr: Vec<String>,
    /// Only the builds of these source package names.
    #[serde(default)]
    pub source: Vec<String>,
    /// Source packages untagged from the targets.
    #[serde(default)]
    pub remove_source: Vec<String>,
}

/// `[drift]`: which of the matrix's repos are ours and which are the
/// references, and the files that judge the comparison. Unlike
/// `rpmatrix drift`'s `NAME=LOCATION`, sides name repos of `[repos]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftEntry {
    /// Our repos (names from `[repos]`) or `rdoinfo:TAG`; merged, newest build wins.
    pub ours: Vec<Spanned<String>>,
    /// The references (names from `[repos]`), each compared separately.
    pub theirs: Vec<Spanned<String>>,
    /// A policy file (relative to the matrix file's directory).
    pub policy: Option<Spanned<String>>,
    /// An rdoinfo checkout (relative to the matrix file's directory).
    pub rdoinfo: Option<Spanned<String>>,
    /// A name mapping file (relative to the matrix file's directory).
    pub map: Option<Spanned<String>>,
    /// Only source packages whose name matches one of these globs.
    #[serde(default)]
    pub only: Vec<Spanned<String>>,
}

/// `[repos.NAME]`: where a repository is and what to keep of it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoEntry {
    /// A directory (relative to the matrix file's directory) or `file://` URL.
    pub path: Option<String>,
    /// A `baseurl`.
    pub url: Option<String>,
    /// A metalink URL.
    pub metalink: Option<String>,
    /// A mirrorlist URL.
    pub mirrorlist: Option<String>,
    /// dnf's includepkgs (globs on names).
    #[serde(default)]
    pub includepkgs: Vec<String>,
    /// dnf's excludepkgs (globs on names).
    #[serde(default)]
    pub excludepkgs: Vec<String>,
    /// dnf's module_hotfixes.
    #[serde(default)]
    pub module_hotfixes: bool,
}

/// `[[cells]]`: one closure.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellEntry {
    /// The cell's name (may contain `{axis}` placeholders).
    pub name: Spanned<String>,
    /// Repositories whose packages are checked.
    pub check: Vec<Spanned<String>>,
    /// Repositories that only provide.
    #[serde(default)]
    pub lookaside: Vec<Spanned<String>>,
    /// The machine architecture (default x86_64).
    pub basearch: Option<String>,
    /// `--newest`.
    #[serde(default)]
    pub newest: bool,
    /// `--best`.
    #[serde(default)]
    pub best: bool,
    /// `--arch` filters.
    #[serde(default)]
    pub arch: Vec<String>,
    /// `--pkg` filters.
    #[serde(default)]
    pub pkg: Vec<String>,
    /// `--rich`.
    pub rich: Option<RichMode>,
    /// `--no-filelists`.
    #[serde(default)]
    pub no_filelists: bool,
    /// Also check that every checked package can be installed (as
    /// `rpmatrix installcheck`: Conflicts, Obsoletes, one version per name).
    #[serde(default)]
    pub installable: bool,
}

/// `[[waivers]]`: a known failure that does not fail the run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverEntry {
    /// A package name or glob.
    pub package: Spanned<String>,
    /// A cell name or glob; all cells when absent.
    pub cell: Option<Spanned<String>>,
    /// A dependency (capability) glob: the waiver accepts only these
    /// unresolved dependencies; all of the package's when absent.
    pub dep: Option<Spanned<String>>,
    /// Why the failure is accepted (required).
    pub reason: Spanned<String>,
    /// A TOML date (`expires = 2026-01-31`); from that day on the waiver no longer waives.
    pub expires: Option<Spanned<toml::value::Datetime>>,
}

/// A matrix file that cannot be used: where and what.
#[derive(Debug, thiserror::Error)]
pub enum MatrixError {
    /// The file cannot be read.
    #[error("{file}: {message}")]
    Io {
        /// The file.
        file: PathBuf,
        /// What failed.
        message: String,
    },
    /// Something at a place in the file is wrong.
    #[error("{file}:{line}:{col}: {message}")]
    At {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        message: String,
    },
}

/// The text of a matrix file with its name, for turning byte offsets into lines.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file's path as given.
    pub path: PathBuf,
    /// Its contents.
    pub text: String,
}

impl Source {
    /// Reads a file.
    pub fn read(path: &Path) -> Result<Source, MatrixError> {
        let text = std::fs::read_to_string(path).map_err(|e| MatrixError::Io {
            file: path.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Source {
            path: path.to_owned(),
            text,
        })
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
            + 1;
        (line, col)
    }

    /// An error at the start of `span`.
    pub fn error_at(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> MatrixError {
        let (line, col) = self.line_col(span.start);
        MatrixError::At {
            file: self.path.clone(),
            line,
            col,
            message: message.into(),
        }
    }

    /// `file:line`, for naming where a setting came from in reports.
    pub fn origin(&self, span: std::ops::Range<usize>) -> String {
        format!("{}:{}", self.path.display(), self.line_col(span.start).0)
    }

    /// Parses the TOML into [`MatrixFile`]; unknown keys, missing required
    /// keys and wrong types are errors at their line.
    pub fn parse(&self) -> Result<MatrixFile, MatrixError> {
        toml::from_str::<MatrixFile>(&self.text).map_err(|e| {
            let message = e.message().trim().to_owned();
            match e.span() {
                Some(span) => self.error_at(span, message),
                None => MatrixError::At {
                    file: self.path.clone(),
                    line: 1,
                    col: 1,
                    message,
                },
            }
        })
    }
}
