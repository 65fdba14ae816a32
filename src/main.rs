//! The `rpmatrix` command: parses arguments, calls the library, prints, and
//! maps outcomes to exit codes (closure: 0 closed, 1 unresolved dependencies;
//! drift: 0 no policy violation, 1 a violation; 2 error for both).

use std::process::ExitCode;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use clap::{Args, Parser, Subcommand, ValueEnum};

use std::time::Duration;

use rpmatrix::closure::{ClosureOptions, RichMode};
use rpmatrix::engine::{self, RepoSpec};
use rpmatrix::fetch::{self, FetchOptions, ProgressMode, cache::Cache};
use rpmatrix::matrix::{self, FailOn, MatrixReport, Plan};
use rpmatrix::repodata::LoadOptions;
use rpmatrix::{repofile, report};

/// Writes to stdout. A closed pipe (`rpmatrix ... | head`) ends the program
/// quietly, as Unix tools do, instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = write!(std::io::stdout(), $($arg)*) {
            quit_on_stdout_error(e);
        }
    }};
}

/// [`out!`] with a newline.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            quit_on_stdout_error(e);
        }
    }};
}

fn quit_on_stdout_error(e: std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("error: cannot write to stdout: {e}");
    std::process::exit(2);
}

/// Prove that RPM repositories shipped together are dependency-consistent.
#[derive(Parser)]
#[command(name = "rpmatrix", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit codes (every command):\n  0  success: everything closed, no gating failure, no policy violation\n  1  findings: unresolved dependencies, unwaived (new) matrix failures, drift policy violations\n  2  error: bad arguments or matrix file, a repository that cannot be loaded, corrupt metadata\n\nStart with: rpmatrix run matrices/demo.toml   (offline, on the fixtures)";

#[derive(Subcommand)]
enum Command {
    /// Check that every Requires of the checked packages can be satisfied (dnf repoclosure).
    #[command(after_help = CLOSURE_EXAMPLES)]
    Closure(Box<ClosureArgs>),
    /// Check that each checked package can be installed: Requires, Conflicts, Obsoletes, one version per name (as libsolv).
    #[command(after_help = INSTALLCHECK_EXAMPLES)]
    Installcheck(Box<ClosureArgs>),
    /// Run a matrix of closures over shared repositories (exit 0 ok, 1 failures, 2 error).
    #[command(after_help = RUN_HELP)]
    Run(RunArgs),
    /// List a matrix's cells (for a CI system's job matrix).
    Cells(CellsArgs),
    /// Merge per-cell results (from `run --json`) into one report.
    Merge(MergeArgs),
    /// Compare two snapshots of one repository: packages and closure findings.
    Diff(DiffArgs),
    /// Inspect or empty the download cache.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Compare our source packages with reference distributions (fork drift), optionally gated by a policy.
    #[command(after_help = DRIFT_EXAMPLES)]
    Drift(DriftArgs),
}

const RUN_HELP: &str = "Examples:\n  rpmatrix run matrices/demo.toml\n  rpmatrix run matrices/demo.toml --drift-only --json drift.json\n  rpmatrix run matrices/rdo-cs9.toml --cell epoxy-testing-x86_64 --junit junit.xml --json result.json\n  rpmatrix run m.toml --baseline yesterday.json --summary \"$GITHUB_STEP_SUMMARY\"\n\nExit codes: 0 no gating failure, 1 unwaived failures (only new ones with --baseline, unless --fail-on any), 2 matrix error or a repository that cannot be loaded.\nThe [drift] section runs after the cells (not with --cell unless --drift; never with --no-drift); its policy violations count as failures.";

#[derive(Args)]
struct RunArgs {
    /// The matrix file (TOML).
    matrix: PathBuf,
    /// Run only this cell (repeatable).
    #[arg(long = "cell", value_name = "NAME")]
    cells: Vec<String>,
    /// Write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write the results JSON here (input of --baseline and merge).
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// The previous run's results JSON: failures are classified new / still failing / fixed.
    #[arg(long, value_name = "PREVIOUS.json")]
    baseline: Option<PathBuf>,
    /// Which unwaived failures exit 1 (default: new with --baseline, else any).
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Skip the matrix's [drift] section.
    #[arg(long, conflicts_with_all = ["drift", "drift_only"])]
    no_drift: bool,
    /// Run the [drift] section even with --cell (it runs by default without --cell).
    #[arg(long)]
    drift: bool,
    /// Run only the [drift] section, no cells (a CI fan-out's drift job).
    #[arg(long, conflicts_with = "cells")]
    drift_only: bool,
    /// Judge waiver expiry on this date instead of today (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", hide = true)]
    today: Option<String>,
    #[command(flatten)]
    fetch: FetchArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum CellsFormat {
    /// One line per cell: name, check, lookaside, basearch.
    Text,
    /// A JSON array of cell objects (GitHub Actions `matrix.include: ${{ fromJSON(...) }}`).
    Json,
}

#[derive(Args)]
struct CellsArgs {
    /// The matrix file (TOML).
    matrix: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: CellsFormat,
}

#[derive(Args)]
struct MergeArgs {
    /// Results JSON files written by `run --json`.
    #[arg(required = true)]
    results: Vec<PathBuf>,
    /// Write JUnit XML here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a Markdown summary here.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
    /// Write the merged results JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiffFormat {
    /// Plain text.
    Text,
    /// JSON.
    Json,
    /// Markdown.
    Markdown,
}

#[derive(Args)]
struct DiffArgs {
    /// The old snapshot (LOCATION).
    old: String,
    /// The new snapshot (LOCATION).
    new: String,
    /// Key packages by name.arch instead of name.
    #[arg(long)]
    by_arch: bool,
    /// Close both snapshots against these repositories (LOCATIONs; repeatable).
    #[arg(long, value_name = "LOCATION", num_args = 1..)]
    lookaside: Vec<String>,
    /// The machine architecture.
    #[arg(long, default_value = "x86_64", value_name = "ARCH")]
    basearch: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: DiffFormat,
    #[command(flatten)]
    fetch: FetchArgs,
}

#[derive(Subcommand)]
enum CacheCommand {
    /// List the cached repositories and the size of the cache.
    List {
        /// The cache directory [default: ~/.cache/rpmatrix].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Remove cached files (all, or those unused for DURATION).
    Clean {
        /// The cache directory [default: ~/.cache/rpmatrix].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Remove only files not used for this long (e.g. 30d, 12h).
        #[arg(long, value_name = "DURATION", value_parser = fetch::parse_duration)]
        older_than: Option<Duration>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Progress {
    /// Bars on a terminal, otherwise one line per repository.
    Auto,
    /// A bar per repository.
    Bar,
    /// One line per repository when it is downloaded.
    Lines,
    /// Nothing.
    Never,
}

const DRIFT_EXAMPLES: &str = "Examples:\n  rpmatrix drift --ours ours=fixtures/drift/ours --theirs fedora=fixtures/drift/fedora\n  rpmatrix drift --ours rdoinfo:cloud9s-openstack-epoxy-release --rdoinfo ../rdoinfo --theirs f40=./f40 --policy policy.toml --format junit\n\nExit codes: 0 no policy violation, 1 a policy violation, 2 error.";

#[derive(Clone, Copy, ValueEnum)]
enum DriftFormat {
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

#[derive(Args)]
struct DriftArgs {
    /// Our packages: NAME=LOCATION, or rdoinfo:TAG (rdoinfo's buildsys-tags/TAG.yml). Repeatable; merged.
    #[arg(long, value_name = "NAME=LOCATION", required = true)]
    ours: Vec<String>,
    /// A reference: NAME=LOCATION. Repeatable; each is compared separately.
    #[arg(long, value_name = "NAME=LOCATION", required = true)]
    theirs: Vec<String>,
    /// A policy file (TOML) to gate on.
    #[arg(long, value_name = "FILE")]
    policy: Option<std::path::PathBuf>,
    /// An rdoinfo checkout: deps.yml gives Fedora names and origins.
    #[arg(long, value_name = "DIR")]
    rdoinfo: Option<std::path::PathBuf>,
    /// A name mapping file (TOML: [map] ours-name = "theirs-name").
    #[arg(long, value_name = "FILE")]
    map: Option<std::path::PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: DriftFormat,
    /// A previous --format json output: report which packages changed status.
    #[arg(long, value_name = "PREVIOUS.json")]
    baseline: Option<std::path::PathBuf>,
    /// Only source packages whose name matches one of these globs.
    #[arg(long, value_name = "NAME-GLOB", num_args = 1..)]
    only: Vec<String>,
    /// The architecture filling $basearch and $arch in LOCATIONs.
    #[arg(long, default_value = "x86_64", value_name = "ARCH")]
    basearch: String,
    #[command(flatten)]
    fetch: FetchArgs,
}

const CLOSURE_EXAMPLES: &str = "Examples:\n  rpmatrix closure --repo base=fixtures/repos/base --repo app=fixtures/repos/app --check app\n  rpmatrix closure --repofrompath c75,/srv/centos/7.5/os/x86_64 --repo ocata=./ocata --check ocata --newest\n\nExit codes: 0 closed, 1 unresolved dependencies, 2 error.";

const INSTALLCHECK_EXAMPLES: &str = "Examples:\n  rpmatrix installcheck --repo ocata=./ocata --repo c75=/srv/centos/7.5/os/x86_64 --check ocata\n  rpmatrix installcheck --repo app=fixtures/repos/install --format json\n\nThe flags are closure's (--rich does not apply: rich dependencies are boolean, as in libsolv).\nExit codes: 0 all installable, 1 some cannot be installed, 2 error.";

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// dnf repoclosure's format (summary line on stderr).
    Text,
    /// A JSON document (schema in the README).
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Rich {
    /// As dnf repoclosure (libsolv whatprovides).
    Dnf,
    /// Boolean evaluation, as dnf5 5.4.
    Strict,
}

#[derive(Args)]
struct ClosureArgs {
    /// A repository: NAME=LOCATION, where LOCATION is a directory, file://URL,
    /// http(s)://BASEURL, metalink:URL or mirrorlist:URL ($releasever,
    /// $basearch, $arch substituted). Repeat for each repo.
    #[arg(long = "repo", value_name = "NAME=LOCATION")]
    repos: Vec<String>,
    /// dnf's spelling of --repo: NAME,LOCATION.
    #[arg(long = "repofrompath", value_name = "NAME,LOCATION")]
    repofrompath: Vec<String>,
    /// Check only the packages of this repo (repeatable); the others only provide (lookaside).
    #[arg(long, value_name = "NAME")]
    check: Vec<String>,
    /// Check only packages of this architecture (repeatable, exact match).
    #[arg(long = "arch", value_name = "ARCH")]
    arches: Vec<String>,
    /// Check only the newest packages of each repo.
    #[arg(long, short = 'n')]
    newest: bool,
    /// Only the newest version of each name.arch across all repos may provide.
    #[arg(long)]
    best: bool,
    /// Check only this package (name, glob or NEVRA; repeatable).
    #[arg(long = "pkg", value_name = "NAME")]
    pkgs: Vec<String>,
    /// The machine architecture deciding which packages can provide.
    #[arg(long, default_value = "x86_64", value_name = "ARCH")]
    basearch: String,
    /// How rich dependencies are judged.
    #[arg(long, value_enum, default_value = "dnf")]
    rich: Rich,
    /// Exempt this repo from modular filtering (dnf's module_hotfixes=1; repeatable).
    #[arg(long = "module-hotfixes", value_name = "NAME")]
    module_hotfixes: Vec<String>,
    /// Never read filelists.xml: file requires that primary cannot answer are
    /// reported unresolved (what dnf does with a repo that has no filelists).
    #[arg(long)]
    no_filelists: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Also load the enabled repositories of this dnf/yum .repo file (repeatable).
    #[arg(long, value_name = "FILE.repo")]
    repos_from: Vec<PathBuf>,
    #[command(flatten)]
    fetch: FetchArgs,
}

/// How metadata is downloaded, cached and read: the same flags for every
/// command that loads repositories.
#[derive(Args)]
struct FetchArgs {
    /// Where downloads are cached [default: ~/.cache/rpmatrix].
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Use only the cache; never touch the network.
    #[arg(long)]
    offline: bool,
    /// Reuse a cached repomd.xml younger than this without asking the server (e.g. 6h).
    #[arg(long, value_name = "DURATION", value_parser = fetch::parse_duration)]
    max_age: Option<Duration>,
    /// Value of $releasever in LOCATIONs.
    #[arg(long, value_name = "VERSION")]
    releasever: Option<String>,
    /// Connect and read timeout; a file stalled this long is given up (e.g. 30s).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = fetch::parse_duration)]
    timeout: Duration,
    /// Retries of a download after a connection error, a stall, 5xx or 429 (with backoff).
    #[arg(long, value_name = "N", default_value_t = 3)]
    retries: u32,
    /// How downloads are shown (on stderr).
    #[arg(long, value_enum, default_value = "auto")]
    progress: Progress,
    /// Refuse to decompress more than this many bytes from one metadata file.
    #[arg(long, default_value_t = rpmatrix::repodata::DEFAULT_MAX_DECOMPRESSED, value_name = "BYTES")]
    max_decompressed_size: u64,
}

impl FetchArgs {
    /// The engine's options; `basearch` fills `$basearch` and `$arch` in LOCATIONs.
    fn options(&self, basearch: &str) -> engine::Options {
        engine::Options {
            load: LoadOptions {
                max_decompressed: self.max_decompressed_size,
            },
            fetch: FetchOptions {
                cache_dir: self.cache_dir.clone(),
                offline: self.offline,
                max_age: self.max_age,
                timeout: self.timeout,
                retries: self.retries,
                releasever: self.releasever.clone(),
                basearch: basearch.to_owned(),
                progress: match self.progress {
                    Progress::Auto => ProgressMode::Auto,
                    Progress::Bar => ProgressMode::Bar,
                    Progress::Lines => ProgressMode::Lines,
                    Progress::Never => ProgressMode::Off,
                },
            },
        }
    }
}

/// glibc gives every thread that allocates its own arena, and memory freed
/// into one arena is not reused by another: the parser threads' records,
/// freed once the pool holds them, stayed resident beside the pool (peak RSS
/// 80 MB for a 37 MB heap peak). With one arena freed memory is reused; the
/// parsers allocate little per event, so sharing it cost no measurable time
/// (BENCHMARKS.md, "Memory").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets a malloc tunable; it is called first thing in
    // main, before any other thread exists, and an unknown or refused
    // setting just returns 0.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}

/// See [`limit_malloc_arenas`].
const MALLOC_ARENAS: i32 = 1;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    match cli.command {
        Command::Closure(args) => run_closure(*args),
        Command::Installcheck(args) => run_installcheck(*args),
        Command::Run(args) => run_matrix(args),
        Command::Cells(args) => list_cells(args),
        Command::Merge(args) => merge(args),
        Command::Diff(args) => diff(args),
        Command::Cache(cmd) => run_cache(cmd),
        Command::Drift(args) => run_drift(args),
    }
}

fn cache_at(dir: Option<PathBuf>) -> Result<Cache, String> {
    dir.or_else(fetch::default_cache_dir)
        .map(|d| Cache::new(&d))
        .ok_or_else(|| "no cache directory on this platform: give --cache-dir".to_owned())
}

fn run_cache(cmd: CacheCommand) -> ExitCode {
    match cmd {
        CacheCommand::List { cache_dir } => {
            let cache = match cache_at(cache_dir) {
                Ok(c) => c,
                Err(e) => return fail(&e),
            };
            let listing = match cache.list() {
                Ok(l) => l,
                Err(e) => return fail(&e.to_string()),
            };
            let now = fetch::cache::now_unix();
            outln!("cache: {}", cache.dir().display());
            for r in &listing.repos {
                let age = Duration::from_secs(now.saturating_sub(r.fetched_unix));
                outln!(
                    "  {}  (repomd.xml sha256 {:.12}, checked {} ago)",
                    r.location,
                    r.sha256,
                    age_text(age)
                );
            }
            outln!(
                "{} repositories, {} files, {}",
                listing.repos.len(),
                listing.objects,
                fetch::progress::human_bytes(listing.bytes)
            );
            ExitCode::SUCCESS
        }
        CacheCommand::Clean { cache_dir, older_than } => {
            let cache = match cache_at(cache_dir) {
                Ok(c) => c,
                Err(e) => return fail(&e),
            };
            match cache.clean(older_than) {
                Ok(c) => {
                    outln!("removed {} files, {}", c.files, fetch::progress::human_bytes(c.bytes));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            }
        }
    }
}

fn age_text(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

fn parse_repo(spec: &str, sep: char, flag: &str) -> Result<RepoSpec, String> {
    match spec.split_once(sep) {
        Some((name, loc)) if !name.is_empty() && !loc.is_empty() => Ok(RepoSpec::new(name, loc)),
        _ => Err(format!("{flag} {spec:?}: expected NAME{sep}LOCATION")),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// The repositories and the closure options the closure flags describe.
fn closure_inputs(args: &ClosureArgs) -> Result<(Vec<RepoSpec>, ClosureOptions), String> {
    let mut specs = Vec::new();
    for r in &args.repos {
        specs.push(parse_repo(r, '=', "--repo")?);
    }
    for r in &args.repofrompath {
        specs.push(parse_repo(r, ',', "--repofrompath")?);
    }
    for path in &args.repos_from {
        specs.extend(repofile::read(path)?);
    }
    for name in &args.module_hotfixes {
        match specs.iter_mut().find(|s| &s.name == name) {
            Some(s) => s.module_hotfixes = true,
            None => return Err(format!("--module-hotfixes {name}: no such --repo")),
        }
    }
    if specs.is_empty() {
        return Err("no repositories: give at least one --repo NAME=LOCATION or --repos-from FILE.repo".to_owned());
    }
    let opts = ClosureOptions {
        check: args.check.clone(),
        arches: args.arches.clone(),
        newest: args.newest,
        best: args.best,
        pkgs: args.pkgs.clone(),
        basearch: args.basearch.clone(),
        no_filelists: args.no_filelists,
        providers_from: Vec::new(),
        rich: match args.rich {
            Rich::Dnf => RichMode::Dnf,
            Rich::Strict => RichMode::Strict,
        },
    };
    Ok((specs, opts))
}

fn run_installcheck(args: ClosureArgs) -> ExitCode {
    let (specs, opts) = match closure_inputs(&args) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let load_opts = args.fetch.options(&args.basearch);
    let mut loaded = match engine::load(&specs, &load_opts) {
        Ok(l) => l,
        Err(e) => return fail(&e.to_string()),
    };
    let (result, timings) = match loaded.installcheck(&opts) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    match args.format {
        Format::Text => {
            out!("{}", report::installcheck::text(&result));
            eprintln!("{}", report::installcheck::summary_line(&result));
        }
        Format::Json => outln!("{}", report::installcheck::json(&result, &timings)),
    }
    let code = if result.uninstallable.is_empty() { 0 } else { 1 };
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(code)
}

fn run_closure(args: ClosureArgs) -> ExitCode {
    let (specs, opts) = match closure_inputs(&args) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let load_opts = args.fetch.options(&args.basearch);
    let mut loaded = match engine::load(&specs, &load_opts) {
        Ok(l) => l,
        Err(e) => return fail(&e.to_string()),
    };
    let (result, timings) = match loaded.closure(&opts) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    match args.format {
        Format::Text => {
            out!("{}", report::closure_text(&result));
            if let Some(line) = report::closure_summary_line(&result) {
                eprintln!("{line}");
            }
        }
        Format::Json => outln!("{}", report::closure_json(&result, loaded.loaded_repos(), timings)),
    }
    let code = if result.problems.is_empty() { 0 } else { 1 };
    // The pool holds millions of small allocations; freeing them one by one
    // costs more than the closure. The OS reclaims them at once.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(code)
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn write_reports(
    report: &MatrixReport,
    junit: Option<&Path>,
    json: Option<&Path>,
    summary: Option<&Path>,
) -> Result<(), String> {
    if let Some(p) = junit {
        write_file(p, &report::junit::render(report)?)?;
    }
    if let Some(p) = json {
        write_file(p, &report.to_json())?;
    }
    if let Some(p) = summary {
        // $GITHUB_STEP_SUMMARY is appended to, as GitHub documents.
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .map_err(|e| format!("{}: {e}", p.display()))?;
        f.write_all(report::markdown::render(report).as_bytes())
            .map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

fn print_outcome(report: &MatrixReport) {
    out!("{}", report::table::details(report));
    let count = |s: matrix::Status| report.cells.iter().filter(|c| c.status == s).count();
    outln!(
        "\n{} cells: {} pass, {} fail, {} waived, {} error",
        report.cells.len(),
        count(matrix::Status::Pass),
        count(matrix::Status::Fail),
        count(matrix::Status::Waived),
        count(matrix::Status::Error)
    );
    if let Some(line) = report::table::drift_line(report) {
        println!("{line}");
    }
}

fn run_matrix(args: RunArgs) -> ExitCode {
    let plan = match Plan::from_path(&args.matrix) {
        Ok(p) => p,
        Err(e) => return fail(&e.to_string()),
    };
    let today = match &args.today {
        Some(t) => match t.parse::<jiff::civil::Date>() {
            Ok(d) => d,
            Err(e) => return fail(&format!("--today {t}: {e}")),
        },
        None => jiff::Zoned::now().date(),
    };
    let baseline = match &args.baseline {
        Some(p) => {
            let name = p.display().to_string();
            match std::fs::read_to_string(p)
                .map_err(|e| format!("{name}: {e}"))
                .and_then(|t| MatrixReport::from_json(&t, &name))
            {
                Ok(b) => Some((name, b)),
                Err(e) => return fail(&format!("--baseline {e}")),
            }
        }
        None => None,
    };
    let fail_on = args
        .fail_on
        .unwrap_or(if baseline.is_some() { FailOn::New } else { FailOn::Any });
    if (args.drift || args.drift_only) && plan.drift.is_none() {
        return fail(&format!("--drift: {} has no [drift] section", args.matrix.display()));
    }
    let opts = matrix::RunOptions {
        cells: args.cells.clone(),
        today,
        load: args.fetch.options("x86_64"),
        baseline,
        fail_on,
        drift: !args.no_drift && (args.cells.is_empty() || args.drift || args.drift_only),
        no_cells: args.drift_only,
    };
    let tty = std::io::stdout().is_terminal() && std::env::var_os("CI").is_none();
    outln!("{}", report::table::header());
    let out = Mutex::new(());
    let on_done = |c: &matrix::CellReport| {
        let _guard = out.lock();
        outln!("{}", report::table::row(c));
        if tty {
            use std::io::Write;
            let _ = std::io::stdout().flush();
        }
    };
    let result = match matrix::run(&plan, &opts, &on_done) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    print_outcome(&result);
    if let Some((name, b)) = &opts.baseline {
        let d = matrix::baseline::unified_diff(b, &result, name, "this run");
        if !d.is_empty() {
            outln!("\nfailures compared with the baseline:\n{d}");
        }
    }
    if let Err(e) = write_reports(
        &result,
        args.junit.as_deref(),
        args.json.as_deref(),
        args.summary.as_deref(),
    ) {
        return fail(&e);
    }
    ExitCode::from(result.exit_code())
}

fn list_cells(args: CellsArgs) -> ExitCode {
    let plan = match Plan::from_path(&args.matrix) {
        Ok(p) => p,
        Err(e) => return fail(&e.to_string()),
    };
    match args.format {
        CellsFormat::Text => {
            for c in &plan.cells {
                outln!(
                    "{}\tcheck={}\tlookaside={}\tbasearch={}",
                    c.name,
                    c.check.join(","),
                    c.lookaside.join(","),
                    c.basearch
                );
            }
        }
        CellsFormat::Json => match serde_json::to_string(&plan.cells) {
            Ok(j) => outln!("{j}"),
            Err(e) => return fail(&e.to_string()),
        },
    }
    ExitCode::SUCCESS
}

fn merge(args: MergeArgs) -> ExitCode {
    let mut parts = Vec::new();
    for p in &args.results {
        let name = p.display().to_string();
        match std::fs::read_to_string(p)
            .map_err(|e| format!("{name}: {e}"))
            .and_then(|t| MatrixReport::from_json(&t, &name))
        {
            Ok(r) => parts.push(r),
            Err(e) => return fail(&e),
        }
    }
    let merged = match MatrixReport::merge(parts) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    outln!("{}", report::table::header());
    for c in &merged.cells {
        outln!("{}", report::table::row(c));
    }
    print_outcome(&merged);
    if let Err(e) = write_reports(
        &merged,
        args.junit.as_deref(),
        args.json.as_deref(),
        args.summary.as_deref(),
    ) {
        return fail(&e);
    }
    ExitCode::from(merged.exit_code())
}

fn diff(args: DiffArgs) -> ExitCode {
    let opts = rpmatrix::diff::DiffOptions {
        by_arch: args.by_arch,
        lookaside: args.lookaside,
        load: args.fetch.options(&args.basearch),
        basearch: args.basearch,
    };
    let d = match rpmatrix::diff::diff(&args.old, &args.new, &opts) {
        Ok(d) => d,
        Err(e) => return fail(&e.to_string()),
    };
    match args.format {
        DiffFormat::Text => out!("{}", d.text()),
        DiffFormat::Json => outln!("{}", d.json()),
        DiffFormat::Markdown => out!("{}", d.markdown()),
    }
    if d.appeared.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn run_drift(args: DriftArgs) -> ExitCode {
    use rpmatrix::drift::{self, DriftPlan, SideSpec};
    use rpmatrix::drift_report;
    let sides = |v: &[String]| v.iter().map(|s| SideSpec::parse(s)).collect::<Result<Vec<_>, _>>();
    let (ours, theirs) = match (sides(&args.ours), sides(&args.theirs)) {
        (Ok(o), Ok(t)) => (o, t),
        (Err(e), _) | (_, Err(e)) => return fail(&e.to_string()),
    };
    if theirs.iter().any(|s| matches!(s, SideSpec::RdoinfoTag(_))) {
        return fail("--theirs takes NAME=LOCATION (rdoinfo:TAG is for --ours)");
    }
    let plan = DriftPlan {
        ours,
        theirs,
        policy: args.policy,
        rdoinfo: args.rdoinfo,
        map: args.map,
        only: args.only,
        load: args.fetch.options(&args.basearch),
    };
    let result = match drift::run(&plan) {
        Ok(r) => r,
        Err(e) => return fail(&e.to_string()),
    };
    let changes = match &args.baseline {
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => return fail(&format!("baseline {}: {e}", path.display())),
            };
            match drift_report::baseline_changes(&result, &text, &path.display().to_string()) {
                Ok(c) => Some(c),
                Err(e) => return fail(&e),
            }
        }
        None => None,
    };
    let changes = changes.as_deref();
    let out = match args.format {
        DriftFormat::Table => {
            use std::io::IsTerminal;
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            drift_report::table(&result, changes, color)
        }
        DriftFormat::Json => drift_report::json(&result, changes) + "\n",
        DriftFormat::Markdown => drift_report::markdown(&result, changes),
        DriftFormat::Csv => drift_report::csv(&result, changes),
        DriftFormat::Junit => match drift_report::junit(&result) {
            Ok(x) => x,
            Err(e) => return fail(&e),
        },
    };
    out!("{out}");
    if result.has_violations() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
