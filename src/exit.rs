//! The exit codes of every `rpmatrix` command, in one place.
//!
//! Three codes, the same for every command: the binary exits with these
//! constants, its `--help` texts and man page are written from
//! [`CODES`] and [`COMMANDS`], and the README's tables say the same (a test
//! of the binary compares them). What counts as a *finding* (code 1) is
//! each command's own rule, kept beside the result it judges (for example
//! [`crate::matrix::MatrixReport::exit_code`]); this module only names the
//! codes and says what they mean.

use crate::closure::ClosureResult;
use crate::diff::DiffReport;
use crate::drift::DriftResult;

/// Success: everything closed, no gating failure, no policy violation.
pub const SUCCESS: u8 = 0;
/// Findings: what the command looks for was found (unresolved dependencies,
/// unwaived or new matrix failures, drift policy violations, closure
/// findings appearing in a snapshot).
pub const FINDINGS: u8 = 1;
/// Error: bad arguments or input files, a repository that cannot be loaded,
/// corrupt metadata, a report that cannot be written.
pub const ERROR: u8 = 2;

/// Every code with its meaning for all commands together, lowest first.
pub const CODES: &[(u8, &str)] = &[
    (
        SUCCESS,
        "success: everything closed, no gating failure, no policy violation",
    ),
    (
        FINDINGS,
        "findings: unresolved dependencies, unwaived (new) matrix failures, drift policy violations",
    ),
    (
        ERROR,
        "error: bad arguments or matrix file, a repository that cannot be loaded, corrupt metadata",
    ),
];

/// What the codes mean for one command.
#[derive(Clone, Copy, Debug)]
pub struct CommandCodes {
    /// The subcommand's name (`closure`, `run`, ...).
    pub command: &'static str,
    /// Meaning of [`SUCCESS`].
    pub success: &'static str,
    /// Meaning of [`FINDINGS`], or `None` when the command never exits 1.
    pub findings: Option<&'static str>,
    /// Meaning of [`ERROR`].
    pub error: &'static str,
}

/// The commands whose codes say more than [`CODES`]: their `--help` ends
/// with [`summary`].
pub const COMMANDS: &[CommandCodes] = &[
    CommandCodes {
        command: "change",
        success: "nothing new breaks",
        findings: Some("the change breaks something new"),
        error: "error (a bad build, an --nvr/--source/--remove-source naming nothing, a repository that cannot be loaded)",
    },
    CommandCodes {
        command: "closure",
        success: "closed",
        findings: Some("unresolved dependencies"),
        error: "error",
    },
    CommandCodes {
        command: "installcheck",
        success: "every checked package can be installed",
        findings: Some("some cannot be installed"),
        error: "error",
    },
    CommandCodes {
        command: "run",
        success: "no gating failure",
        findings: Some("unwaived failures (only new ones with --baseline, unless --fail-on any)"),
        error: "matrix error or a repository that cannot be loaded",
    },
    CommandCodes {
        command: "merge",
        success: "no gating failure",
        findings: Some("unwaived failures (only new ones with --baseline, unless --fail-on any)"),
        error: "a results file that cannot be read, or a cell with an infrastructure error",
    },
    CommandCodes {
        command: "diff",
        success: "no closure finding appears in NEW",
        findings: Some("closure findings appear in NEW"),
        error: "error",
    },
    CommandCodes {
        command: "drift",
        success: "no policy violation",
        findings: Some("a policy violation"),
        error: "error",
    },
];

/// The codes of every command, as the top-level `--help` ends.
pub fn overview() -> String {
    let mut s = String::from("Exit codes (every command):");
    for (code, meaning) in CODES {
        s.push_str(&format!("\n  {code}  {meaning}"));
    }
    s
}

/// One line saying what the codes mean for `command`, e.g. `Exit codes: 0
/// closed, 1 unresolved dependencies, 2 error.`; the generic meanings for a
/// command [`COMMANDS`] does not list.
pub fn summary(command: &str) -> String {
    match COMMANDS.iter().find(|c| c.command == command) {
        Some(c) => match c.findings {
            Some(f) => format!(
                "Exit codes: {SUCCESS} {}, {FINDINGS} {f}, {ERROR} {}.",
                c.success, c.error
            ),
            None => format!("Exit codes: {SUCCESS} {}, {ERROR} {}.", c.success, c.error),
        },
        None => format!("Exit codes: {SUCCESS} success, {ERROR} error."),
    }
}

impl ClosureResult {
    /// [`FINDINGS`] when a checked package has an unresolved dependency, else [`SUCCESS`].
    pub fn exit_code(&self) -> u8 {
        if self.problems.is_empty() { SUCCESS } else { FINDINGS }
    }
}

impl crate::installcheck::InstallcheckResult {
    /// [`FINDINGS`] when a checked package cannot be installed, else [`SUCCESS`].
    pub fn exit_code(&self) -> u8 {
        if self.uninstallable.is_empty() {
            SUCCESS
        } else {
            FINDINGS
        }
    }
}

impl DriftResult {
    /// [`FINDINGS`] when a package violates the policy, else [`SUCCESS`].
    pub fn exit_code(&self) -> u8 {
        if self.has_violations() { FINDINGS } else { SUCCESS }
    }
}

impl DiffReport {
    /// [`FINDINGS`] when closure findings appear in NEW, else [`SUCCESS`].
    pub fn exit_code(&self) -> u8 {
        if self.appeared.is_empty() { SUCCESS } else { FINDINGS }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_command_summary_names_the_three_codes_once() {
        for c in super::COMMANDS {
            let s = super::summary(c.command);
            assert!(
                s.starts_with("Exit codes: 0 ") && s.contains(", 2 ") && s.ends_with('.'),
                "{s}"
            );
        }
        assert_eq!(super::summary("cells"), "Exit codes: 0 success, 2 error.");
    }
}
