//! The `rpmatrix` command: dispatches the parsed arguments ([`cli`]) to the
//! library and prints what it returns, exiting with the codes of
//! [`rpmatrix::exit`].

mod cli;

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use clap::{CommandFactory, Parser};

use rpmatrix::exit;
use rpmatrix::fetch;
use rpmatrix::matrix::{self, FailOn, MatrixReport, Plan};
use rpmatrix::{engine, report};

use cli::{
    CacheCommand, CellsArgs, CellsFormat, ChangeArgs, ChangeMode, Cli, ClosureArgs, ClosureFormat, Command,
    CompletionsArgs, DiffArgs, DiffFormat, DriftArgs, DriftFormat, InstallcheckArgs, MergeArgs, RunArgs,
};

/// Writes to stdout. A closed pipe (`rpmatrix ... | head`) ends the
/// printing, never the program: report files are still written and the exit
/// code still gives the verdict.
macro_rules! out {
    ($($arg:tt)*) => {
        rpmatrix::report::output::print(format_args!($($arg)*))
    };
}

/// [`out!`] with a newline.
macro_rules! outln {
    ($($arg:tt)*) => {{
        out!($($arg)*);
        out!("\n");
    }};
}

/// The exit code of a verdict (see [`rpmatrix::report::output::exit_code`]).
fn verdict(code: u8) -> ExitCode {
    ExitCode::from(report::output::exit_code(code))
}

/// glibc gives every thread that allocates an arena of its own, up to eight
/// per core, and memory freed into one arena is not reused by another: the
/// parser threads' records, freed once the pool holds them, stayed resident
/// beside the pool (peak RSS 80 MB for a 37 MB heap peak). One arena fixed
/// that but made every worker wait on its lock in turn: the installability
/// check's parallel SAT searches and explanations, which allocate as they
/// go, ran slower on two workers than on one. One arena per worker keeps
/// both: no waiting, and at most one arena's worth of holes per worker (the
/// closure runs at the same speed either way, with ≈ 2.5 MB more peak RSS;
/// BENCHMARKS.md, "Memory").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas(workers: usize) {
    let arenas = i32::try_from(workers.max(1)).unwrap_or(i32::MAX);
    // SAFETY: mallopt only sets a malloc tunable; it is called before any
    // worker thread exists, and an unknown or refused setting just returns 0.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas(_workers: usize) {}

/// A failed allocation is exit 2 naming the file being read, not an abort.
#[global_allocator]
static ALLOCATOR: rpmatrix::threads::ReportingAlloc = rpmatrix::threads::ReportingAlloc;

fn main() -> ExitCode {
    let workers = rpmatrix::threads::pool_size();
    limit_malloc_arenas(workers);
    if let Err(e) = rpmatrix::threads::init_pool(workers) {
        return fail(&e);
    }
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
        Command::Change(args) => run_change(*args),
        Command::Completions(args) => completions(args),
        Command::Man => man(),
    }
}

fn run_cache(cmd: CacheCommand) -> ExitCode {
    match cmd {
        CacheCommand::List { cache } => {
            let cache = match cache.cache() {
                Ok(c) => c,
                Err(e) => return fail(&e),
            };
            let listing = match cache.list() {
                Ok(l) => l,
                Err(e) => return fail(&e),
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
        CacheCommand::Clean { cache, older_than } => {
            let cache = match cache.cache() {
                Ok(c) => c,
                Err(e) => return fail(&e),
            };
            match cache.clean(older_than) {
                Ok(c) => {
                    outln!("removed {} files, {}", c.files, fetch::progress::human_bytes(c.bytes));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e),
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

/// Reports an error that stops the command (exit 2): the library's typed
/// errors and the CLI's own messages alike end here, as one line.
fn fail(msg: &(impl std::fmt::Display + ?Sized)) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(exit::ERROR)
}

fn run_closure(args: ClosureArgs) -> ExitCode {
    let specs = match args.repos.specs() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if let Some(e) = args
        .selection
        .arches
        .iter()
        .find_map(|a| rpmatrix::core::arch::check_package_arch(a).err())
    {
        return fail(&format!("--arch: {e}"));
    }
    let basearch = &args.basearch.basearch;
    let mut opts = args.selection.closure_options(basearch, args.rich, args.no_filelists);
    // Only the JSON shows them: dnf's text format has no place for them.
    opts.nearest = matches!(args.format, ClosureFormat::Json);
    let load_opts = args.fetch.options(basearch);
    let mut loaded = match engine::load(&specs, &load_opts) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let (result, timings) = match loaded.closure(&opts) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    match args.format {
        ClosureFormat::Text => {
            out!("{}", report::closure_text(&result));
            if let Some(line) = report::closure_summary_line(&result) {
                eprintln!("{line}");
            }
        }
        ClosureFormat::Json => match report::closure_json(&result, loaded.loaded_repos(), timings) {
            Ok(j) => outln!("{j}"),
            Err(e) => return fail(&e),
        },
    }
    let code = result.exit_code();
    // The pool holds millions of small allocations; freeing them one by one
    // costs more than the closure. The OS reclaims them at once.
    std::process::exit(i32::from(report::output::exit_code(code)))
}

fn run_change(args: ChangeArgs) -> ExitCode {
    use rpmatrix::change;
    let targets = match args.repos.specs() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if targets.is_empty() {
        return fail("no target repositories: give at least one --repo NAME=LOCATION");
    }
    let adds = args
        .add
        .iter()
        .enumerate()
        .map(|(i, a)| match a.split_once('=') {
            Some((name, loc)) if !name.is_empty() && !name.contains('/') => change::Add::new(name, loc),
            _ => match args.add.len() {
                1 => change::Add::new("proposed", a),
                _ => change::Add::new(&format!("proposed{}", i + 1), a),
            },
        })
        .collect();
    let basearch = &args.basearch.basearch;
    let request = change::ChangeRequest {
        targets,
        adds,
        nvrs: args.nvr,
        sources: args.source,
        remove_sources: args.remove_sources,
        mode: match args.mode {
            ChangeMode::Closure => change::Mode::Closure,
            ChangeMode::Install => change::Mode::Install,
        },
        closure: rpmatrix::closure::ClosureOptions {
            check: args.check,
            arches: args.arches,
            basearch: basearch.clone(),
            rich: args.rich,
            ..Default::default()
        },
        load: args.fetch.options(basearch),
    };
    let result = match change::run(&request) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    out!("{}", report::change::text(&result));
    let written = (|| {
        use report::output::write_report;
        if let Some(p) = &args.json {
            write_report(p, &report::change::json(&result), false)?;
        }
        if let Some(p) = &args.junit {
            write_report(p, &report::change::junit(&result)?, false)?;
        }
        if let Some(p) = &args.summary {
            // Appended, as $GITHUB_STEP_SUMMARY is.
            write_report(p, &report::change::markdown(&result), true)?;
        }
        Ok::<(), report::ReportError>(())
    })();
    if let Err(e) = written {
        return fail(&e);
    }
    verdict(result.exit_code())
}

fn run_installcheck(args: InstallcheckArgs) -> ExitCode {
    let specs = match args.repos.specs() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let basearch = &args.basearch.basearch;
    let opts = args
        .selection
        .closure_options(basearch, rpmatrix::closure::RichMode::Dnf, args.no_filelists);
    let load_opts = args.fetch.options(basearch);
    let mut loaded = match engine::load(&specs, &load_opts) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let (result, timings) = match loaded.installcheck(&opts) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    match args.format {
        ClosureFormat::Text => {
            out!("{}", report::installcheck::text(&result));
            eprintln!("{}", report::installcheck::summary_line(&result));
        }
        ClosureFormat::Json => outln!("{}", report::installcheck::json(&result, &timings)),
    }
    let code = result.exit_code();
    let _ = std::io::Write::flush(&mut std::io::stdout());
    std::process::exit(i32::from(code))
}

fn print_outcome(report: &MatrixReport, level: report::table::Detail) {
    out!("{}", report::table::details_at(report, level));
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
        outln!("{line}");
    }
}

fn run_matrix(args: RunArgs) -> ExitCode {
    let plan = match Plan::from_path(&args.matrix) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    let today = match &args.today {
        Some(t) => match t.parse::<jiff::civil::Date>() {
            Ok(d) => d,
            Err(e) => return fail(&format!("--today {t}: {e}")),
        },
        None => jiff::Zoned::now().date(),
    };
    let baseline = match &args.baseline {
        Some(p) => match matrix::baseline::read(p) {
            Ok(b) => {
                let name = p.display().to_string();
                let cells: Vec<&str> = plan.cells.iter().map(|c| c.name.as_str()).collect();
                if let Some(why) = matrix::baseline::mismatch(&b, &args.matrix, &cells) {
                    eprintln!("warning: --baseline {name} {why}");
                }
                Some((name, b))
            }
            Err(e) => return fail(&format!("--baseline {e}")),
        },
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
        load: args.fetch.options(rpmatrix::core::arch::DEFAULT_BASEARCH),
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
            report::output::flush();
        }
    };
    let result = match matrix::run(&plan, &opts, &on_done) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    print_outcome(&result, args.detail.level());
    if let Some((name, b)) = &opts.baseline {
        let d = matrix::baseline::unified_diff(b, &result, name, "this run");
        if !d.is_empty() {
            outln!("\nfailures compared with the baseline:\n{d}");
        }
    }
    if let Err(e) = args.reports.write(&result) {
        return fail(&e);
    }
    verdict(result.exit_code())
}

fn list_cells(args: CellsArgs) -> ExitCode {
    let plan = match Plan::from_path(&args.matrix) {
        Ok(p) => p,
        Err(e) => return fail(&e),
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
            Err(e) => return fail(&e),
        },
    }
    ExitCode::SUCCESS
}

fn merge(args: MergeArgs) -> ExitCode {
    let plan = match &args.matrix {
        Some(m) => match Plan::from_path(m) {
            Ok(p) => Some(p),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    let mut parts = Vec::new();
    for p in &args.results {
        match matrix::baseline::read(p) {
            Ok(r) => parts.push((p.display().to_string(), r)),
            Err(e) => return fail(&e),
        }
    }
    let merged = match MatrixReport::merge(parts, plan.as_ref()) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    outln!("{}", report::table::header());
    for c in &merged.cells {
        outln!("{}", report::table::row(c));
    }
    print_outcome(&merged, args.detail.level());
    if let Err(e) = args.reports.write(&merged) {
        return fail(&e);
    }
    verdict(merged.exit_code())
}

fn diff(args: DiffArgs) -> ExitCode {
    let opts = rpmatrix::diff::DiffOptions {
        by_arch: args.by_arch,
        lookaside: args.lookaside,
        no_filelists: args.no_filelists,
        load: args.fetch.options(&args.basearch.basearch),
        basearch: args.basearch.basearch,
    };
    let d = match rpmatrix::diff::diff(&args.old, &args.new, &opts) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    match args.format {
        DiffFormat::Text => out!("{}", report::diff::text(&d)),
        DiffFormat::Json => match report::diff::json(&d) {
            Ok(j) => outln!("{j}"),
            Err(e) => return fail(&e),
        },
        DiffFormat::Markdown => out!("{}", report::diff::markdown(&d)),
    }
    verdict(d.exit_code())
}

fn run_drift(args: DriftArgs) -> ExitCode {
    use rpmatrix::drift::{self, DriftPlan, SideSpec};
    use rpmatrix::report::drift as drift_report;
    let sides = |v: &[String]| v.iter().map(|s| SideSpec::parse(s)).collect::<Result<Vec<_>, _>>();
    let (ours, theirs) = match (sides(&args.ours), sides(&args.theirs)) {
        (Ok(o), Ok(t)) => (o, t),
        (Err(e), _) | (_, Err(e)) => return fail(&e),
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
        load: args.fetch.options(&args.basearch.basearch),
    };
    let mut result = match drift::run(&plan) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    result.show_statuses = args.status;
    let changes = match &args.baseline {
        Some(path) => match drift_report::read_baseline(&result, path) {
            Ok(c) => Some(c),
            Err(e) => return fail(&e),
        },
        None => None,
    };
    let changes = changes.as_deref();
    let out = match args.format {
        DriftFormat::Table => {
            use std::io::IsTerminal;
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            drift_report::table(&result, changes, color)
        }
        DriftFormat::Json => match drift_report::json(&result, changes) {
            Ok(j) => j + "\n",
            Err(e) => return fail(&e),
        },
        DriftFormat::Markdown => drift_report::markdown(&result, changes),
        DriftFormat::Csv => drift_report::csv(&result, changes),
        DriftFormat::Junit => match drift_report::junit(&result) {
            Ok(x) => x,
            Err(e) => return fail(&e),
        },
    };
    out!("{out}");
    verdict(result.exit_code())
}

fn completions(args: CompletionsArgs) -> ExitCode {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "rpmatrix", &mut script);
    out!("{}", String::from_utf8_lossy(&script));
    ExitCode::SUCCESS
}

fn man() -> ExitCode {
    let mut page = Vec::new();
    if let Err(e) = cli::man::render(&Cli::command(), &mut page) {
        return fail(&format!("cannot render the man page: {e}"));
    }
    out!("{}", String::from_utf8_lossy(&page));
    ExitCode::SUCCESS
}
