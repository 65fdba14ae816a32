//! Where reports go: stdout that may be closed under the program (`| head`),
//! and report files where `-` means stdout.
//!
//! A gate's verdict must not depend on its reader: when stdout is closed the
//! printing stops, but the report files are still written and the exit code
//! still says whether something failed.

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Stdout was closed (or failed): print nothing more.
static CLOSED: AtomicBool = AtomicBool::new(false);
/// Stdout failed for another reason than a closed pipe (a full disk): the
/// output is incomplete, which is an error.
static FAILED: AtomicBool = AtomicBool::new(false);

/// Writes to stdout unless it was closed before. A closed pipe ends the
/// printing quietly; another error is reported once on stderr and makes
/// [`exit_code`] say 2.
pub fn print(args: fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args) {
        stop(&e);
    }
}

/// Flushes stdout (for a terminal showing rows as cells finish).
pub fn flush() {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    if let Err(e) = std::io::stdout().flush() {
        stop(&e);
    }
}

fn stop(e: &std::io::Error) {
    if CLOSED.swap(true, Ordering::Relaxed) {
        return;
    }
    if e.kind() != std::io::ErrorKind::BrokenPipe {
        FAILED.store(true, Ordering::Relaxed);
        eprintln!("error: cannot write to stdout: {e}");
    }
}

/// Whether stdout was closed by its reader (or failed).
pub fn stdout_closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// The exit code for a verdict: `code`, or 2 when stdout failed for another
/// reason than its reader closing it (the printed report is incomplete).
/// A closed pipe never changes the verdict.
pub fn exit_code(code: u8) -> u8 {
    let _ = std::io::stdout().flush();
    if FAILED.load(Ordering::Relaxed) {
        code.max(2)
    } else {
        code
    }
}

/// Writes a report to `path`, `-` meaning stdout. With `append` the file is
/// appended to (`$GITHUB_STEP_SUMMARY` is, as GitHub documents).
pub fn write_report(path: &Path, text: &str, append: bool) -> Result<(), super::ReportError> {
    let failed = |source| super::ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    if path.as_os_str() == "-" {
        print(format_args!("{text}"));
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
        .map_err(failed)?;
    f.write_all(text.as_bytes()).map_err(failed)
}
