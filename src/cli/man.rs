//! `rpmatrix man`: one man page, rpmatrix(1), from the same definitions as
//! `--help`: clap_mangen's title, name, synopsis and description, then the
//! command list, a section per subcommand (its synopsis, what it does, every
//! option with its help, default and values), the download and cache options
//! once, and the exit codes of [`rpmatrix::exit`].

use std::io::Write;

use clap::{Arg, Command};
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

use super::flags::FETCH_HEADING;
use super::synopsis::{self, FETCH_WORD, shown};

/// Writes the page as roff.
pub fn render(cli: &Command, w: &mut dyn Write) -> std::io::Result<()> {
    let mut cli = cli.clone();
    cli.build();
    let man = Man::new(cli.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    let subs: Vec<&Command> = cli
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .collect();
    let mut roff = Roff::default();
    roff.control("SH", ["COMMANDS"]);
    for sub in &subs {
        roff.control("TP", []);
        roff.text([bold(sub.get_name().to_owned())]);
        roff.text([roman(sub.get_about().map(|a| a.to_string()).unwrap_or_default())]);
    }
    for sub in &subs {
        command_section(&mut roff, sub, &format!("{} {}", cli.get_name(), sub.get_name()), "SH");
    }
    if let Some(loading) = subs.iter().find(|s| shown(s).any(is_fetch)) {
        roff.control("SH", [FETCH_WORD.trim_matches(['[', ']'])]);
        roff.text([roman(
            "Every command that loads repositories takes these options (shown as ",
        )]);
        roff.text([roman(FETCH_WORD), roman(" in the synopses above).")]);
        for arg in shown(loading).filter(|a| is_fetch(a)) {
            option(&mut roff, arg);
        }
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in rpmatrix::exit::CODES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(*meaning)]);
    }
    for c in rpmatrix::exit::COMMANDS {
        roff.control("PP", []);
        roff.text([
            bold(format!("rpmatrix {}", c.command)),
            roman(": "),
            roman(rpmatrix::exit::summary(c.command)),
        ]);
    }
    w.write_all(roff.to_roff().as_bytes())?;
    man.render_version_section(w)
}

fn is_fetch(a: &Arg) -> bool {
    a.get_help_heading() == Some(FETCH_HEADING)
}

/// A subcommand's section (`SH`), or subsection (`SS`) for the subcommands
/// of a subcommand (`rpmatrix cache list`).
fn command_section(roff: &mut Roff, cmd: &Command, path: &str, level: &str) {
    roff.control(level, [path.to_uppercase().as_str()]);
    if let Some(about) = cmd.get_about() {
        roff.text([roman(about.to_string())]);
    }
    let subs: Vec<&Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if !subs.is_empty() {
        for sub in subs {
            command_section(roff, sub, &format!("{path} {}", sub.get_name()), "SS");
        }
        return;
    }
    roff.control("PP", []);
    roff.control("nf", []);
    roff.text([bold(synopsis::synopsis(cmd, path))]);
    roff.control("fi", []);
    for arg in shown(cmd).filter(|a| !is_fetch(a)) {
        option(roff, arg);
    }
    if let Some(after) = cmd.get_after_help() {
        roff.control("PP", []);
        roff.control("nf", []);
        roff.text([roman(after.to_string())]);
        roff.control("fi", []);
    }
}

/// One option (or positional): its heading, help, default and values.
fn option(roff: &mut Roff, arg: &Arg) {
    roff.control("TP", []);
    roff.text(arg_heading(arg));
    let mut help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        help.push_str(&format!(" [default: {}]", defaults.join(", ")));
    }
    roff.text([roman(help)]);
    for v in arg.get_possible_values().iter().filter(|v| !v.is_hide_set()) {
        // A line break, not a new paragraph: the values stay under the option.
        roff.control("br", []);
        let mut line = vec![bold(v.get_name().to_owned())];
        if let Some(h) = v.get_help() {
            line.push(roman(format!(": {h}")));
        }
        roff.text(line);
    }
}

/// `-n, --newest` or `--repo NAME=LOCATION` or `MATRIX`.
fn arg_heading(a: &Arg) -> Vec<Inline> {
    let mut out = Vec::new();
    if let Some(s) = a.get_short() {
        out.push(bold(format!("-{s}")));
        if a.get_long().is_some() {
            out.push(roman(", "));
        }
    }
    if let Some(l) = a.get_long() {
        out.push(bold(format!("--{l}")));
    }
    if a.get_action().takes_values() {
        let names = a
            .get_value_names()
            .map(|n| n.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
        if !out.is_empty() {
            out.push(roman(" "));
        }
        out.push(italic(names));
    }
    out
}
