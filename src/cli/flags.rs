//! The flag groups several subcommands share, each defined once and
//! flattened (`#[command(flatten)]`) into every subcommand that takes it, so
//! a flag is spelled, documented and defaulted in one place:
//!
//! | group | flags | used by |
//! |---|---|---|
//! | [`RepoArgs`] | `--repo`, `--repofrompath`, `--repos-from`, `--module-hotfixes` | closure |
//! | [`SelectionArgs`] | `--check`, `--arch`, `--newest`, `--best`, `--pkg` | closure |
//! | [`BasearchArg`] | `--basearch` (default [`DEFAULT_BASEARCH`]) | closure, diff, drift |
//! | [`ReportArgs`] | `--junit`, `--json`, `--summary` | run, merge |
//! | [`FetchArgs`] | [`CacheDirArg`] and the download flags | closure, run, diff, drift |
//! | [`CacheDirArg`] | `--cache-dir` | cache list, cache clean (and inside [`FetchArgs`]) |
//!
//! Library enums are used as they are (`ValueEnum` derives in the library),
//! and every conversion to library options is a method here, so a
//! subcommand's function only calls and prints.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use rpmatrix::closure::{ClosureOptions, RichMode};
use rpmatrix::core::arch::DEFAULT_BASEARCH;
use rpmatrix::engine;
use rpmatrix::fetch::{self, FetchOptions, ProgressMode, RepoSpec, cache::Cache};
use rpmatrix::repodata::LoadOptions;
use rpmatrix::{repofile, report};

/// The `--help` heading of [`FetchArgs`]; synopses show the group as
/// `[FETCH-OPTIONS]`.
pub const FETCH_HEADING: &str = "Download and cache options";

/// The repositories to load, as dnf names them.
#[derive(Args, Debug)]
#[command(next_help_heading = "Repositories")]
pub struct RepoArgs {
    /// A repository: NAME=LOCATION, where LOCATION is a directory, file://URL,
    /// http(s)://BASEURL, metalink:URL or mirrorlist:URL ($releasever,
    /// $basearch, $arch substituted). Repeat for each repo.
    #[arg(long = "repo", value_name = "NAME=LOCATION")]
    pub repos: Vec<String>,
    /// dnf's spelling of --repo: NAME,LOCATION.
    #[arg(long = "repofrompath", value_name = "NAME,LOCATION")]
    pub repofrompath: Vec<String>,
    /// Also load the enabled repositories of this dnf/yum .repo file (repeatable).
    #[arg(long, value_name = "FILE.repo")]
    pub repos_from: Vec<PathBuf>,
    /// Exempt this repo from modular filtering (dnf's module_hotfixes=1; repeatable).
    #[arg(long = "module-hotfixes", value_name = "NAME")]
    pub module_hotfixes: Vec<String>,
}

impl RepoArgs {
    /// The repositories, in the order given (see [`repofile::from_command_line`]).
    pub fn specs(&self) -> Result<Vec<RepoSpec>, String> {
        repofile::from_command_line(&self.repos, &self.repofrompath, &self.repos_from, &self.module_hotfixes)
    }
}

/// Which packages are checked, as dnf repoclosure's options choose them.
#[derive(Args, Debug)]
#[command(next_help_heading = "Selection")]
pub struct SelectionArgs {
    /// Check only the packages of this repo (repeatable); the others only provide (lookaside).
    #[arg(long, value_name = "NAME")]
    pub check: Vec<String>,
    /// Check only packages of this architecture (repeatable, exact match).
    #[arg(long = "arch", value_name = "ARCH")]
    pub arches: Vec<String>,
    /// Check only the newest packages of each repo.
    #[arg(long, short = 'n')]
    pub newest: bool,
    /// Only the newest version of each name.arch across all repos may provide.
    #[arg(long)]
    pub best: bool,
    /// Check only this package (name, glob or NEVRA; repeatable).
    #[arg(long = "pkg", value_name = "NAME")]
    pub pkgs: Vec<String>,
}

impl SelectionArgs {
    /// The closure's options for this selection; the rest at their defaults.
    pub fn closure_options(&self, basearch: &str, rich: RichMode, no_filelists: bool) -> ClosureOptions {
        ClosureOptions {
            check: self.check.clone(),
            arches: self.arches.clone(),
            newest: self.newest,
            best: self.best,
            pkgs: self.pkgs.clone(),
            basearch: basearch.to_owned(),
            no_filelists,
            providers_from: Vec::new(),
            rich,
            nearest: false,
        }
    }
}

/// The machine's base architecture.
#[derive(Args, Debug)]
pub struct BasearchArg {
    /// The machine architecture (dnf's --forcearch): which packages can
    /// provide, and the value of $basearch and $arch in LOCATIONs.
    #[arg(long, default_value = DEFAULT_BASEARCH, value_name = "ARCH")]
    pub basearch: String,
}

/// The report files of a matrix run (and of other commands gating CI).
#[derive(Args, Debug)]
#[command(next_help_heading = "Reports")]
pub struct ReportArgs {
    /// Write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the results JSON here (the input of --baseline and merge).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Append a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
}

impl ReportArgs {
    /// Writes the matrix report to each file asked for.
    pub fn write(&self, result: &rpmatrix::matrix::MatrixReport) -> Result<(), report::ReportError> {
        report::write_files(
            result,
            self.junit.as_deref(),
            self.json.as_deref(),
            self.summary.as_deref(),
        )
    }
}

/// How much of the failures the terminal (or CI log) gets; the report files
/// always hold everything.
#[derive(Args, Debug)]
#[command(next_help_heading = "Output")]
pub struct DetailArgs {
    /// Print only the cells table and the outcome, no failing packages.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print every failing package, also in cells with more than 30 (by
    /// default those are grouped by problem; new failures are always listed).
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

impl DetailArgs {
    /// The level of detail these flags ask for.
    pub fn level(&self) -> report::table::Detail {
        use report::table::Detail;
        match (self.quiet, self.verbose) {
            (true, _) => Detail::None,
            (_, true) => Detail::Full,
            _ => Detail::Grouped,
        }
    }
}

/// Where downloads are cached.
#[derive(Args, Debug)]
pub struct CacheDirArg {
    /// Where downloads are cached [default: ~/.cache/rpmatrix].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl CacheDirArg {
    /// The cache this flag names, or the default one.
    pub fn cache(&self) -> Result<Cache, fetch::FetchError> {
        fetch::cache_at(self.cache_dir.clone())
    }
}

/// How metadata is downloaded, cached and read: the same flags for every
/// command that loads repositories.
#[derive(Args, Debug)]
#[command(next_help_heading = FETCH_HEADING)]
pub struct FetchArgs {
    #[command(flatten)]
    pub cache: CacheDirArg,
    /// Use only the cache; never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Reuse a cached repomd.xml younger than this without asking the server (e.g. 6h).
    #[arg(long, value_name = "DURATION", value_parser = fetch::parse_duration)]
    pub max_age: Option<Duration>,
    /// Value of $releasever in LOCATIONs.
    #[arg(long, value_name = "VERSION")]
    pub releasever: Option<String>,
    /// Connect and read timeout; a file stalled this long is given up (e.g. 30s).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = fetch::parse_duration)]
    pub timeout: Duration,
    /// Retries of a download after a connection error, a stall, 5xx or 429 (with backoff).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
    /// How downloads are shown (on stderr).
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Refuse to decompress more than this many bytes from one metadata file.
    #[arg(long, default_value_t = rpmatrix::repodata::DEFAULT_MAX_DECOMPRESSED, value_name = "BYTES")]
    pub max_decompressed_size: u64,
    /// Load a repository whose repomd.xml names an absent filelists file (dnf
    /// refuses it) as one without filelists, instead of failing with exit 2.
    #[arg(long)]
    pub allow_missing_filelists: bool,
}

impl FetchArgs {
    /// The engine's options; `basearch` fills `$basearch` and `$arch` in LOCATIONs.
    pub fn options(&self, basearch: &str) -> engine::Options {
        engine::Options {
            load: LoadOptions {
                max_decompressed: self.max_decompressed_size,
                allow_missing_filelists: self.allow_missing_filelists,
            },
            fetch: FetchOptions {
                cache_dir: self.cache.cache_dir.clone(),
                offline: self.offline,
                max_age: self.max_age,
                timeout: self.timeout,
                retries: self.retries,
                releasever: self.releasever.clone(),
                basearch: basearch.to_owned(),
                progress: self.progress,
            },
        }
    }
}
