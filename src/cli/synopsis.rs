//! One-line-per-command synopses (`rpmatrix closure --repo NAME=LOCATION...
//! [--check NAME]...`) rendered from the clap definitions: the man page
//! shows them, and the README's usage blocks are these synopses, checked by a
//! test here (`RPMATRIX_BLESS=1 cargo test --bin rpmatrix readme` rewrites
//! them after a flag changes).
//!
//! In the README a block is a fenced block right after a marker naming the
//! commands it shows, e.g. `<!-- synopsis: closure cache -->`; a command
//! with subcommands (`cache`) shows each of them.

use clap::{Arg, ArgAction, Command};

use super::flags::FETCH_HEADING;

/// Lines are wrapped to this width, continuation lines indented under the
/// first argument.
const WIDTH: usize = 100;

#[cfg(test)]
/// The synopsis of `cmd` (named `path`, e.g. `rpmatrix closure`), or of
/// each of its subcommands when it has some; one entry per command.
pub fn synopses(cmd: &Command, path: &str) -> Vec<String> {
    let subs: Vec<&Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if subs.is_empty() {
        return vec![synopsis(cmd, path)];
    }
    subs.iter()
        .flat_map(|s| synopses(s, &format!("{path} {}", s.get_name())))
        .collect()
}

/// One command's synopsis, wrapped.
pub fn synopsis(cmd: &Command, path: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for a in shown(cmd) {
        if a.get_help_heading() != Some(FETCH_HEADING) {
            words.push(word(a));
        } else if !words.iter().any(|w| w == FETCH_WORD) {
            words.push(FETCH_WORD.to_owned());
        }
    }
    wrap(path, words)
}

/// The word standing for the flags of [`FETCH_HEADING`] in a synopsis.
pub const FETCH_WORD: &str = "[FETCH-OPTIONS]";

#[cfg(test)]
/// What [`FETCH_WORD`] stands for in `cmd`'s synopsis (`FETCH-OPTIONS:
/// [--cache-dir DIR] ...`), or `None` when it takes none of those flags.
pub fn fetch_options(cmd: &Command) -> Option<String> {
    let words: Vec<String> = shown(cmd)
        .filter(|a| a.get_help_heading() == Some(FETCH_HEADING))
        .map(word)
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(wrap("FETCH-OPTIONS:", words))
    }
}

/// The arguments a synopsis and the man page show: positionals first, then
/// options, without the hidden ones and `--help`/`--version`.
pub fn shown(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_positionals()
        .chain(cmd.get_arguments().filter(|a| !a.is_positional()))
        .filter(|a| !a.is_hide_set() && !matches!(a.get_action(), ArgAction::Help | ArgAction::Version))
}

/// `path` and the words, wrapped at [`WIDTH`].
fn wrap(path: &str, words: Vec<String>) -> String {
    let indent = path.len() + 1;
    let mut out = path.to_owned();
    let mut line_len = out.len();
    for w in words {
        if line_len + 1 + w.len() > WIDTH && line_len > indent {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line_len = indent;
        } else {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(&w);
        line_len += w.len();
    }
    out
}

/// How one argument reads in a synopsis: `--repo NAME=LOCATION` in brackets
/// unless required, `...` when it repeats, possible values instead of the
/// value name (`--format text|json`).
fn word(a: &Arg) -> String {
    let repeats = matches!(a.get_action(), ArgAction::Append | ArgAction::Count);
    let many_values = a.get_num_args().is_some_and(|n| n.max_values() > 1);
    let value = || {
        let possible: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_owned())
            .collect();
        if !possible.is_empty() {
            possible.join("|")
        } else {
            a.get_value_names()
                .map(|n| n.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| a.get_id().as_str().to_uppercase())
        }
    };
    let flag = match (a.get_short(), a.get_long()) {
        (Some(short), Some(long)) => Some(format!("-{short}|--{long}")),
        (None, Some(long)) => Some(format!("--{long}")),
        (Some(short), None) => Some(format!("-{short}")),
        (None, None) => None,
    };
    let core = match flag {
        Some(flag) if a.get_action().takes_values() => format!("{flag} {}", value()),
        Some(flag) => flag,
        None => value(),
    };
    let core = if many_values { format!("{core}...") } else { core };
    match (a.is_required_set(), repeats && !many_values) {
        (true, true) => format!("{core}..."),
        (true, false) => core,
        (false, true) => format!("[{core}]..."),
        (false, false) => format!("[{core}]"),
    }
}

#[cfg(test)]
/// The README's text with every synopsis block rendered anew from `cli`;
/// errors for a marker naming no command, a marker without a fenced block,
/// and a visible command no block shows.
pub fn readme_with_synopses(readme: &str, cli: &Command) -> Result<String, String> {
    const MARKER: &str = "<!-- synopsis:";
    let mut out = String::with_capacity(readme.len());
    let mut shown = Vec::new();
    // The fetch flags are spelled out once, in the first block needing them.
    let mut fetch_shown: Option<String> = None;
    let mut fetch_text = String::new();
    let mut rest = readme;
    while let Some(at) = rest.find(MARKER) {
        let (before, from_marker) = rest.split_at(at);
        out.push_str(before);
        let end = from_marker.find("-->").ok_or("a synopsis marker without -->")?;
        let names: Vec<&str> = from_marker[MARKER.len()..end].split_whitespace().collect();
        let marker_line_end = from_marker[end..].find('\n').map_or(from_marker.len(), |i| end + i + 1);
        out.push_str(&from_marker[..marker_line_end]);
        let block = &from_marker[marker_line_end..];
        if !block.starts_with("```\n") {
            return Err(format!("{MARKER} {}: no ``` block on the next line", names.join(" ")));
        }
        let close = block[4..]
            .find("```\n")
            .ok_or("an unclosed ``` block after a synopsis marker")?
            + 4;
        let mut text = String::new();
        for name in &names {
            let sub = cli
                .find_subcommand(name)
                .ok_or_else(|| format!("{MARKER} {name}: no such command"))?;
            for s in synopses(sub, &format!("{} {name}", cli.get_name())) {
                text.push_str(&s);
                text.push('\n');
            }
            if fetch_shown.is_none() {
                fetch_shown = fetch_options(sub);
                if let Some(f) = &fetch_shown {
                    fetch_text = format!("{f}\n");
                }
            }
            shown.push((*name).to_owned());
        }
        text.push_str(&std::mem::take(&mut fetch_text));
        out.push_str("```\n");
        out.push_str(&text);
        rest = &block[close..];
    }
    out.push_str(rest);
    let missing: Vec<&str> = cli
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help" && !shown.iter().any(|n| n == s.get_name()))
        .map(|s| s.get_name())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the README shows no synopsis of: {} (add it to a `{MARKER} ... -->` marker)",
            missing.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use crate::cli::Cli;

    fn readme_path() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")
    }

    /// The README's usage blocks are what `--help` is made from; with
    /// `RPMATRIX_BLESS=1` they are rewritten instead of compared.
    #[test]
    fn readme_synopses_match_the_flag_definitions() {
        let path = readme_path();
        let readme = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let want = readme_with_synopses(&readme, &Cli::command()).unwrap_or_else(|e| panic!("README.md: {e}"));
        if std::env::var_os("RPMATRIX_BLESS").is_some() {
            std::fs::write(&path, &want).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            return;
        }
        if readme != want {
            let diff = similar::TextDiff::from_lines(&readme, &want);
            panic!(
                "README.md's synopses differ from the flag definitions \
                 (RPMATRIX_BLESS=1 cargo test --bin rpmatrix readme rewrites them):\n{}",
                diff.unified_diff().header("README.md", "from the flags")
            );
        }
    }

    #[test]
    fn readme_exit_codes_table_is_the_library_one() {
        let readme = std::fs::read_to_string(readme_path()).unwrap_or_default();
        for (code, meaning) in rpmatrix::exit::CODES {
            let row = format!("| {code} | {meaning} |");
            assert!(readme.contains(&row), "README.md lacks the exit code row {row:?}");
        }
    }

    #[test]
    fn synopsis_marks_optional_repeated_and_required_arguments() {
        let cmd = Cli::command();
        let closure = synopsis(
            cmd.find_subcommand("closure").unwrap_or_else(|| panic!("closure")),
            "rpmatrix closure",
        );
        for w in [
            "[--repo NAME=LOCATION]...",
            "[--module-hotfixes NAME]...",
            "[-n|--newest]",
            "[--rich dnf|strict]",
            "[--basearch ARCH]",
        ] {
            assert!(closure.contains(w), "{w} in\n{closure}");
        }
        let drift = synopsis(
            cmd.find_subcommand("drift").unwrap_or_else(|| panic!("drift")),
            "rpmatrix drift",
        );
        assert!(
            drift.contains("--ours NAME=LOCATION... ") && drift.contains("[--only NAME-GLOB...]"),
            "{drift}"
        );
        assert!(closure.lines().all(|l| l.len() <= WIDTH), "{closure}");
    }
}
