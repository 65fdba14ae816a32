//! The `rpmatrix` command: parses arguments, calls the library, prints, and
//! maps outcomes to exit codes (0 closed, 1 unresolved dependencies, 2 error).

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use std::path::PathBuf;
use std::time::Duration;

use rpmatrix::closure::{ClosureOptions, RichMode};
use rpmatrix::engine::{self, RepoSpec};
use rpmatrix::fetch::{self, FetchOptions, ProgressMode, cache::Cache};
use rpmatrix::repodata::LoadOptions;
use rpmatrix::{repofile, report};

/// Prove that RPM repositories shipped together are dependency-consistent.
#[derive(Parser)]
#[command(name = "rpmatrix", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit codes:\n  0  every checked package's requires are satisfied\n  1  unresolved dependencies were found\n  2  error: bad arguments, a repository that cannot be loaded, corrupt metadata";

#[derive(Subcommand)]
enum Command {
    /// Check that every Requires of the checked packages can be satisfied (dnf repoclosure).
    #[command(after_help = CLOSURE_EXAMPLES)]
    Closure(Box<ClosureArgs>),
    /// Inspect or empty the download cache.
    #[command(subcommand)]
    Cache(CacheCommand),
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

const CLOSURE_EXAMPLES: &str = "Examples:\n  rpmatrix closure --repo base=fixtures/repos/base --repo app=fixtures/repos/app --check app\n  rpmatrix closure --repofrompath c75,/srv/centos/7.5/os/x86_64 --repo ocata=./ocata --check ocata --newest\n\nExit codes: 0 closed, 1 unresolved dependencies, 2 error.";

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
    /// Refuse to decompress more than this many bytes from one metadata file.
    #[arg(long, default_value_t = rpmatrix::repodata::DEFAULT_MAX_DECOMPRESSED, value_name = "BYTES")]
    max_decompressed_size: u64,
    /// Also load the enabled repositories of this dnf/yum .repo file (repeatable).
    #[arg(long, value_name = "FILE.repo")]
    repos_from: Vec<PathBuf>,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Closure(args) => run_closure(*args),
        Command::Cache(cmd) => run_cache(cmd),
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
            println!("cache: {}", cache.dir().display());
            for r in &listing.repos {
                let age = Duration::from_secs(now.saturating_sub(r.fetched_unix));
                println!(
                    "  {}  (repomd.xml sha256 {:.12}, checked {} ago)",
                    r.location,
                    r.sha256,
                    age_text(age)
                );
            }
            println!(
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
                    println!("removed {} files, {}", c.files, fetch::progress::human_bytes(c.bytes));
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

fn run_closure(args: ClosureArgs) -> ExitCode {
    let mut specs = Vec::new();
    for r in &args.repos {
        match parse_repo(r, '=', "--repo") {
            Ok(s) => specs.push(s),
            Err(e) => return fail(&e),
        }
    }
    for r in &args.repofrompath {
        match parse_repo(r, ',', "--repofrompath") {
            Ok(s) => specs.push(s),
            Err(e) => return fail(&e),
        }
    }
    for path in &args.repos_from {
        match repofile::read(path) {
            Ok(found) => specs.extend(found),
            Err(e) => return fail(&e),
        }
    }
    for name in &args.module_hotfixes {
        match specs.iter_mut().find(|s| &s.name == name) {
            Some(s) => s.module_hotfixes = true,
            None => return fail(&format!("--module-hotfixes {name}: no such --repo")),
        }
    }
    if specs.is_empty() {
        return fail("no repositories: give at least one --repo NAME=LOCATION or --repos-from FILE.repo");
    }
    let opts = ClosureOptions {
        check: args.check,
        arches: args.arches,
        newest: args.newest,
        best: args.best,
        pkgs: args.pkgs,
        basearch: args.basearch.clone(),
        no_filelists: args.no_filelists,
        rich: match args.rich {
            Rich::Dnf => RichMode::Dnf,
            Rich::Strict => RichMode::Strict,
        },
    };
    let load_opts = engine::Options {
        load: LoadOptions {
            max_decompressed: args.max_decompressed_size,
        },
        fetch: FetchOptions {
            cache_dir: args.cache_dir,
            offline: args.offline,
            max_age: args.max_age,
            timeout: args.timeout,
            retries: args.retries,
            releasever: args.releasever,
            basearch: args.basearch,
            progress: match args.progress {
                Progress::Auto => ProgressMode::Auto,
                Progress::Bar => ProgressMode::Bar,
                Progress::Lines => ProgressMode::Lines,
                Progress::Never => ProgressMode::Off,
            },
        },
    };
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
            print!("{}", report::closure_text(&result));
            if let Some(line) = report::closure_summary_line(&result) {
                eprintln!("{line}");
            }
        }
        Format::Json => println!("{}", report::closure_json(&result, loaded.loaded_repos(), timings)),
    }
    if result.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
