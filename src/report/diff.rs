//! Renders a [`DiffReport`]: plain text, the JSON document and Markdown.
//! Knows nothing of how the snapshots were compared.

use std::fmt::Write;

use super::markdown::escape as esc;
use super::{JsonError, to_json};
use crate::diff::{Change, DiffReport, PackageChange};

fn counts(d: &DiffReport) -> String {
    let n = |c: Change| d.packages.iter().filter(|p| p.change == c).count();
    format!(
        "{} added, {} removed, {} upgraded, {} downgraded, {} rebuilt",
        n(Change::Added),
        n(Change::Removed),
        n(Change::Upgraded),
        n(Change::Downgraded),
        n(Change::Rebuilt)
    )
}

fn evrs(p: &PackageChange) -> String {
    match (&p.old, &p.new) {
        (Some(o), Some(n)) => format!("{o} -> {n}"),
        (Some(o), None) => o.clone(),
        (None, Some(n)) => n.clone(),
        (None, None) => String::new(),
    }
}

/// Plain text.
pub fn text(d: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "packages: {}", counts(d));
    for p in &d.packages {
        let _ = writeln!(out, "  {:<10} {} {}", p.change.as_str(), p.key, evrs(p));
    }
    let against = if d.lookaside.is_empty() {
        "alone".to_owned()
    } else {
        format!("against {}", d.lookaside.join(", "))
    };
    let _ = writeln!(
        out,
        "closure ({against}): {} appear, {} disappear",
        d.appeared.len(),
        d.disappeared.len()
    );
    for f in &d.appeared {
        let _ = writeln!(out, "  + {}: {}", f.nevra, f.dep);
    }
    for f in &d.disappeared {
        let _ = writeln!(out, "  - {}: {}", f.nevra, f.dep);
    }
    out
}

/// The JSON document (schema [`crate::diff::DIFF_SCHEMA`]).
pub fn json(d: &DiffReport) -> Result<String, JsonError> {
    to_json("diff", d)
}

/// Markdown.
pub fn markdown(d: &DiffReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## rpmatrix diff\n\n`{}` → `{}`\n", esc(&d.old), esc(&d.new));
    let _ = writeln!(out, "**Packages:** {}\n", counts(d));
    if !d.packages.is_empty() {
        let _ = writeln!(out, "| package | change | old | new |\n|---|---|---|---|");
        for p in &d.packages {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                esc(&p.key),
                p.change.as_str(),
                esc(p.old.as_deref().unwrap_or("")),
                esc(p.new.as_deref().unwrap_or(""))
            );
        }
    }
    for (title, list) in [
        ("Newly unresolved", &d.appeared),
        ("No longer unresolved", &d.disappeared),
    ] {
        let _ = writeln!(out, "\n### {title} ({})\n", list.len());
        for f in list {
            let _ = writeln!(out, "- `{}`: `{}`", esc(&f.nevra), esc(&f.dep));
        }
    }
    out
}
