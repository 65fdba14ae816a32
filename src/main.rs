//! The `rpmatrix` command: parses arguments, calls the library, prints, and
//! maps outcomes to exit codes (closure: 0 closed, 1 unresolved dependencies;
//! drift: 0 no policy violation, 1 a violation; 2 error for both).

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use rpmatrix::closure::{ClosureOptions, RichMode};
use rpmatrix::engine::{self, RepoSpec};
use rpmatrix::repodata::LoadOptions;
use rpmatrix::report;

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
    Closure(ClosureArgs),
    /// Compare our source packages with reference distributions (fork drift), optionally gated by a policy.
    #[command(after_help = DRIFT_EXAMPLES)]
    Drift(DriftArgs),
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
    /// A repository: NAME=LOCATION (a directory or file:// URL). Repeat for each repo.
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Closure(args) => run_closure(args),
        Command::Drift(args) => run_drift(args),
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
    for name in &args.module_hotfixes {
        match specs.iter_mut().find(|s| &s.name == name) {
            Some(s) => s.module_hotfixes = true,
            None => return fail(&format!("--module-hotfixes {name}: no such --repo")),
        }
    }
    if specs.is_empty() {
        return fail("no repositories: give at least one --repo NAME=LOCATION");
    }
    let opts = ClosureOptions {
        check: args.check,
        arches: args.arches,
        newest: args.newest,
        best: args.best,
        pkgs: args.pkgs,
        basearch: args.basearch,
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
        load: engine::Options::default(),
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
    print!("{out}");
    if result.has_violations() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
