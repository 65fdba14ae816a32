//! The `rpmatrix` command line, as one table: every subcommand's arguments
//! (this file) built from the shared flag groups of [`flags`]. `--help`, the
//! shell completions, the man page and the README's synopsis blocks are all
//! generated from these definitions ([`synopsis`] renders and checks the
//! README's).

pub mod flags;
pub mod man;
pub mod synopsis;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use rpmatrix::closure::RichMode;
use rpmatrix::exit;
use rpmatrix::fetch;
use rpmatrix::matrix::FailOn;

use flags::{BasearchArg, CacheDirArg, DetailArgs, FetchArgs, RepoArgs, ReportArgs, SelectionArgs};

/// Prove that RPM repositories shipped together are dependency-consistent.
#[derive(Parser, Debug)]
#[command(name = "rpmatrix", version, about, long_about = None, after_help = top_after_help())]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

fn top_after_help() -> String {
    format!(
        "{}\n\nStart with: rpmatrix run matrices/demo.toml   (offline, on the fixtures)",
        exit::overview()
    )
}

/// Examples, then what the exit codes mean for `command`.
fn examples(command: &str, examples: &[&str]) -> String {
    let mut s = String::from("Examples:");
    for e in examples {
        s.push_str("\n  ");
        s.push_str(e);
    }
    s.push_str("\n\n");
    s.push_str(&exit::summary(command));
    s
}

fn closure_help() -> String {
    examples(
        "closure",
        &[
            "rpmatrix closure --repo base=fixtures/repos/base --repo app=fixtures/repos/app --check app",
            "rpmatrix closure --repofrompath c75,/srv/centos/7.5/os/x86_64 --repo ocata=./ocata --check ocata --newest",
        ],
    )
}

fn installcheck_help() -> String {
    examples(
        "installcheck",
        &[
            "rpmatrix installcheck --repo ocata=./ocata --repo c75=/srv/centos/7.5/os/x86_64 --check ocata",
            "rpmatrix installcheck --repo install=fixtures/repos/install --format json",
        ],
    )
}

fn run_help() -> String {
    examples(
        "run",
        &[
            "rpmatrix run matrices/demo.toml",
            "rpmatrix run matrices/demo.toml --drift-only --json drift.json",
            "rpmatrix run matrices/rdo-cs9.toml --cell epoxy-testing-x86_64 --junit junit.xml --json result.json",
            "rpmatrix run m.toml --baseline yesterday.json --summary \"$GITHUB_STEP_SUMMARY\"",
        ],
    ) + "\nThe [drift] section runs after the cells (not with --cell unless --drift; never with --no-drift); its policy violations count as failures."
}

fn change_help() -> String {
    examples(
        "change",
        &[
            "rpmatrix change --repo base=fixtures/change/repos/base --repo rel=fixtures/change/repos/rel --check rel --add fixtures/change/builds/libb-2.0-1",
            "rpmatrix change --repo cs9=... --repo release=... --check release --add testing=URL --nvr foo-1.2-1.el9 --junit junit.xml",
            "rpmatrix change --repo cs9=... --repo release=... --check release --remove-source foo",
        ],
    )
}

fn drift_help() -> String {
    examples(
        "drift",
        &[
            "rpmatrix drift --ours ours=fixtures/drift/ours --theirs fedora=fixtures/drift/fedora",
            "rpmatrix drift --ours rdoinfo:cloud9s-openstack-epoxy-release --rdoinfo ../rdoinfo --theirs f40=./f40 --policy policy.toml --format junit",
        ],
    )
}

fn completions_help() -> String {
    examples(
        "completions",
        &[
            "rpmatrix completions bash > /etc/bash_completion.d/rpmatrix",
            "rpmatrix completions zsh > \"${fpath[1]}/_rpmatrix\"",
            "rpmatrix completions fish > ~/.config/fish/completions/rpmatrix.fish",
        ],
    )
}

fn man_help() -> String {
    examples("man", &["rpmatrix man > rpmatrix.1 && man ./rpmatrix.1"])
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check that every Requires of the checked packages can be satisfied (dnf repoclosure).
    #[command(after_help = closure_help())]
    Closure(Box<ClosureArgs>),
    /// Check that each checked package can be installed: Requires, Conflicts, Obsoletes, one version per name (as libsolv).
    #[command(after_help = installcheck_help())]
    Installcheck(Box<InstallcheckArgs>),
    /// Run a matrix of closures over shared repositories (exit 0 ok, 1 failures, 2 error).
    #[command(after_help = run_help())]
    Run(RunArgs),
    /// List a matrix's cells (for a CI system's job matrix).
    Cells(CellsArgs),
    /// Merge per-cell results (from `run --json`) into one report.
    #[command(after_help = exit::summary("merge"))]
    Merge(MergeArgs),
    /// Compare two snapshots of one repository: packages and closure findings.
    #[command(after_help = exit::summary("diff"))]
    Diff(DiffArgs),
    /// Inspect or empty the download cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Compare our source packages with reference distributions (fork drift), optionally gated by a policy.
    #[command(after_help = drift_help())]
    Drift(DriftArgs),
    /// What would tagging (or untagging) these builds break? Before/after, a verdict per build.
    #[command(after_help = change_help())]
    Change(Box<ChangeArgs>),
    /// Print a shell completion script (bash, zsh, fish) to stdout.
    #[command(after_help = completions_help())]
    Completions(CompletionsArgs),
    /// Print the man page (roff) to stdout.
    #[command(after_help = man_help())]
    Man,
}

/// `rpmatrix closure`.
#[derive(Args, Debug)]
pub struct ClosureArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub basearch: BasearchArg,
    /// How rich dependencies are judged.
    #[arg(long, value_enum, default_value_t = RichMode::Dnf)]
    pub rich: RichMode,
    /// Never read filelists.xml: file requires that primary cannot answer are
    /// reported unresolved (what dnf does with a repo that has no filelists).
    #[arg(long)]
    pub no_filelists: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ClosureFormat,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// `rpmatrix installcheck`: closure's repository and selection flags.
#[derive(Args, Debug)]
pub struct InstallcheckArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    #[command(flatten)]
    pub selection: SelectionArgs,
    #[command(flatten)]
    pub basearch: BasearchArg,
    /// Never read filelists.xml: only primary's file lists answer file
    /// requires and conflicts.
    #[arg(long)]
    pub no_filelists: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ClosureFormat,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// `rpmatrix change`.
#[derive(Args, Debug)]
pub struct ChangeArgs {
    #[command(flatten)]
    pub repos: RepoArgs,
    /// The repositories the change is made to (repeatable; default: every --repo); the others are lookasides.
    #[arg(long, value_name = "NAME")]
    pub check: Vec<String>,
    /// Check only packages of this architecture (repeatable, exact match).
    #[arg(long = "arch", value_name = "ARCH")]
    pub arches: Vec<String>,
    /// Proposed builds: a directory of .rpm files, or a repository ([NAME=]LOCATION). Repeatable.
    #[arg(long, value_name = "[NAME=]LOCATION", required_unless_present = "remove_sources")]
    pub add: Vec<String>,
    /// Propose only the build of this source N-V-R from the --add repositories (repeatable).
    #[arg(long, value_name = "N-V-R")]
    pub nvr: Vec<String>,
    /// Propose only the builds of this source package from the --add repositories (repeatable).
    #[arg(long, value_name = "NAME")]
    pub source: Vec<String>,
    /// Untag this source package: every binary built from it leaves the checked repos (repeatable).
    #[arg(long = "remove-source", value_name = "NAME")]
    pub remove_sources: Vec<String>,
    /// What must hold before and after.
    #[arg(long, value_enum, default_value = "closure")]
    pub mode: ChangeMode,
    #[command(flatten)]
    pub basearch: BasearchArg,
    /// How rich dependencies are judged.
    #[arg(long, value_enum, default_value_t = RichMode::Dnf)]
    pub rich: RichMode,
    /// Write the JSON report here (schema in the README).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write JUnit XML here: one testcase per proposed build, named with its NVR.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Append a Markdown summary here (a review comment, $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// `change --mode`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ChangeMode {
    /// Every Requires has a provider (dnf repoclosure's rules).
    Closure,
    /// Every package can be installed (installcheck).
    Install,
}

/// `closure --format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ClosureFormat {
    /// dnf repoclosure's format (summary line on stderr).
    Text,
    /// A JSON document (schema in the README).
    Json,
}

/// `rpmatrix run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The matrix file (TOML).
    pub matrix: PathBuf,
    /// Run only this cell (repeatable).
    #[arg(long = "cell", value_name = "NAME")]
    pub cells: Vec<String>,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub detail: DetailArgs,
    /// The previous run's results JSON: failures are classified new / still failing / fixed.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// Which unwaived failures exit 1 (default: new with --baseline, else any).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Skip the matrix's [drift] section.
    #[arg(long, conflicts_with_all = ["drift", "drift_only"])]
    pub no_drift: bool,
    /// Run the [drift] section even with --cell (it runs by default without --cell).
    #[arg(long)]
    pub drift: bool,
    /// Run only the [drift] section, no cells (a CI fan-out's drift job).
    #[arg(long, conflicts_with = "cells")]
    pub drift_only: bool,
    /// Judge waiver expiry on this date instead of today (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", hide = true)]
    pub today: Option<String>,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// `rpmatrix cells`.
#[derive(Args, Debug)]
pub struct CellsArgs {
    /// The matrix file (TOML).
    pub matrix: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: CellsFormat,
}

/// `cells --format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CellsFormat {
    /// One line per cell: name, check, lookaside, basearch.
    Text,
    /// A JSON array of cell objects (GitHub Actions `matrix.include: ${{ fromJSON(...) }}`).
    Json,
}

/// `rpmatrix merge`.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Results JSON files written by `run --json`.
    #[arg(required = true, value_name = "RESULT.json")]
    pub results: Vec<PathBuf>,
    /// The matrix the results come from: cells of it with no result are
    /// errors (a CI job that never reported), and results of cells it does
    /// not have are refused. Cells are then listed in the matrix's order.
    #[arg(long, value_name = "MATRIX.toml")]
    pub matrix: Option<PathBuf>,
    #[command(flatten)]
    pub reports: ReportArgs,
    #[command(flatten)]
    pub detail: DetailArgs,
}

/// `rpmatrix diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old snapshot (LOCATION).
    pub old: String,
    /// The new snapshot (LOCATION).
    pub new: String,
    /// Key packages by name.arch instead of name.
    #[arg(long)]
    pub by_arch: bool,
    /// Close both snapshots against this repository (a LOCATION; one per
    /// flag, repeat the flag for more, so OLD and NEW are never taken as
    /// lookasides).
    #[arg(long, value_name = "LOCATION")]
    pub lookaside: Vec<String>,
    /// Never read filelists.xml (file requires only primary.xml's files
    /// answer are unresolved), as `closure --no-filelists`.
    #[arg(long)]
    pub no_filelists: bool,
    #[command(flatten)]
    pub basearch: BasearchArg,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

/// `diff --format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DiffFormat {
    /// Plain text.
    Text,
    /// JSON.
    Json,
    /// Markdown.
    Markdown,
}

/// `rpmatrix cache`.
#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// List the cached repositories and the size of the cache.
    List {
        #[command(flatten)]
        cache: CacheDirArg,
    },
    /// Remove cached files (all, or those unused for DURATION).
    Clean {
        #[command(flatten)]
        cache: CacheDirArg,
        /// Remove only files not used for this long (e.g. 30d, 12h).
        #[arg(long, value_name = "DURATION", value_parser = fetch::parse_duration)]
        older_than: Option<Duration>,
    },
}

/// `rpmatrix drift`.
#[derive(Args, Debug)]
pub struct DriftArgs {
    /// Our packages: NAME=LOCATION, or rdoinfo:TAG (rdoinfo's buildsys-tags/TAG.yml). Repeatable; merged.
    #[arg(long, value_name = "NAME=LOCATION", required = true)]
    pub ours: Vec<String>,
    /// A reference: NAME=LOCATION. Repeatable; each is compared separately.
    #[arg(long, value_name = "NAME=LOCATION", required = true)]
    pub theirs: Vec<String>,
    /// A policy file (TOML) to gate on.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// An rdoinfo checkout: deps.yml gives Fedora names and origins.
    #[arg(long, value_name = "DIR")]
    pub rdoinfo: Option<PathBuf>,
    /// A name mapping file (TOML: [map] ours-name = "theirs-name").
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: DriftFormat,
    /// A previous --format json output: report which packages changed status.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub baseline: Option<PathBuf>,
    /// Only source packages whose name matches one of these globs.
    #[arg(long, value_name = "NAME-GLOB", num_args = 1..)]
    pub only: Vec<String>,
    /// List only packages of these statuses in the table, Markdown and CSV
    /// (comma-separated: behind, release-behind, ahead, release-ahead, same,
    /// ours-only, theirs-only). Policy violations are always listed; counts,
    /// JSON and the exit code cover every package.
    #[arg(long, value_name = "STATUS,...", value_delimiter = ',', value_parser = parse_status)]
    pub status: Vec<rpmatrix::drift::Status>,
    #[command(flatten)]
    pub basearch: BasearchArg,
    #[command(flatten)]
    pub fetch: FetchArgs,
}

fn parse_status(s: &str) -> Result<rpmatrix::drift::Status, String> {
    use rpmatrix::drift::Status;
    Status::parse(s).ok_or_else(|| {
        let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        format!("unknown status {s:?} (known: {})", known.join(", "))
    })
}

/// `drift --format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DriftFormat {
    /// An aligned table (colours on a TTY).
    Table,
    /// JSON (schema in the README).
    Json,
    /// A Markdown report.
    Markdown,
    /// CSV, one row per source package.
    Csv,
    /// JUnit XML: a testsuite per reference, a testcase per source package.
    Junit,
}

/// `rpmatrix completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
