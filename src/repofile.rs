//! dnf/yum `.repo` files (INI): each enabled section becomes a repository
//! with its LOCATION (`baseurl`, else `metalink`, else `mirrorlist`),
//! `includepkgs`/`excludepkgs` and `module_hotfixes`.
//!
//! It neither substitutes `$releasever` & co. (fetch does, for every
//! LOCATION) nor reads `gpgkey`, `priority` or `cost`: unknown keys are ignored.

use crate::fetch::RepoSpec;

/// Keys this module reads; the others are ignored.
const KNOWN: &[&str] = &[
    "name",
    "baseurl",
    "metalink",
    "mirrorlist",
    "enabled",
    "includepkgs",
    "excludepkgs",
    "exclude",
    "module_hotfixes",
];

/// Parses the text of a `.repo` file; `origin` names it in messages.
/// Disabled sections (`enabled=0`) are left out.
pub fn parse(text: &str, origin: &str) -> Result<Vec<RepoSpec>, String> {
    parse_with_notes(text, origin).map(|(specs, _)| specs)
}

/// As [`parse`], also returning one note per ignored key (for debug output).
pub fn parse_with_notes(text: &str, origin: &str) -> Result<(Vec<RepoSpec>, Vec<String>), String> {
    let mut notes = Vec::new();
    type Section = (String, usize, Vec<(String, String)>);
    let mut sections: Vec<Section> = Vec::new();
    let mut last_key: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(format!("{origin}:{lineno}: malformed section header {trimmed:?}"));
            };
            let name = name.trim();
            if name.is_empty() || name.contains(char::is_whitespace) {
                return Err(format!("{origin}:{lineno}: bad section name {name:?}"));
            }
            sections.push((name.to_owned(), lineno, Vec::new()));
            last_key = None;
            continue;
        }
        let Some(section) = sections.last_mut() else {
            return Err(format!("{origin}:{lineno}: {trimmed:?} before any [section]"));
        };
        // An indented line continues the previous value (as in baseurl lists).
        if line.starts_with(char::is_whitespace)
            && let Some(key) = &last_key
            && let Some((_, value)) = section.2.iter_mut().rev().find(|(k, _)| k == key)
        {
            value.push('\n');
            value.push_str(trimmed);
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(format!("{origin}:{lineno}: expected KEY=VALUE, found {trimmed:?}"));
        };
        let key = key.trim().to_ascii_lowercase();
        section.2.push((key.clone(), value.trim().to_owned()));
        last_key = Some(key);
    }
    let mut specs = Vec::new();
    for (name, lineno, keys) in sections {
        for (k, _) in keys.iter().filter(|(k, _)| !KNOWN.contains(&k.as_str())) {
            notes.push(format!("{origin}: [{name}] {k}: ignored"));
        }
        let get = |k: &str| keys.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        if let Some(v) = get("enabled")
            && !truthy(v).map_err(|m| format!("{origin}:{lineno}: [{name}] enabled: {m}"))?
        {
            continue;
        }
        let baseurl = get("baseurl").and_then(|v| list(v).into_iter().next());
        let location = if let Some(url) = baseurl {
            url
        } else if let Some(v) = get("metalink").filter(|v| !v.is_empty()) {
            format!("metalink:{v}")
        } else if let Some(v) = get("mirrorlist").filter(|v| !v.is_empty()) {
            format!("mirrorlist:{v}")
        } else {
            return Err(format!(
                "{origin}:{lineno}: [{name}] has no baseurl, metalink or mirrorlist"
            ));
        };
        let mut spec = RepoSpec::new(&name, &location);
        spec.filter.include = get("includepkgs").map(list).unwrap_or_default();
        spec.filter.exclude = get("excludepkgs")
            .or_else(|| get("exclude"))
            .map(list)
            .unwrap_or_default();
        if let Some(v) = get("module_hotfixes") {
            spec.module_hotfixes =
                truthy(v).map_err(|m| format!("{origin}:{lineno}: [{name}] module_hotfixes: {m}"))?;
        }
        specs.push(spec);
    }
    Ok((specs, notes))
}

/// Reads and parses a `.repo` file; ignored keys are noted on stderr when
/// the environment has `RPMATRIX_DEBUG` set.
pub fn read(path: &std::path::Path) -> Result<Vec<RepoSpec>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (specs, notes) = parse_with_notes(&text, &path.display().to_string())?;
    if std::env::var_os("RPMATRIX_DEBUG").is_some() {
        for n in notes {
            eprintln!("debug: {n}");
        }
    }
    Ok(specs)
}

fn truthy(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        other => Err(format!("expected 0 or 1, found {other:?}")),
    }
}

/// A dnf list value: items separated by commas and/or whitespace.
fn list(v: &str) -> Vec<String> {
    v.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The repositories a command line names, in order: `--repo NAME=LOCATION`,
/// dnf's `--repofrompath NAME,LOCATION`, the enabled sections of each
/// `--repos-from FILE.repo`; then `--module-hotfixes NAME` exempts the repos
/// so named from modular filtering. At least one repository is needed.
pub fn from_command_line(
    repos: &[String],
    repofrompath: &[String],
    repos_from: &[std::path::PathBuf],
    module_hotfixes: &[String],
) -> Result<Vec<RepoSpec>, String> {
    let mut specs = Vec::new();
    for r in repos {
        specs.push(named_location(r, '=', "--repo")?);
    }
    for r in repofrompath {
        specs.push(named_location(r, ',', "--repofrompath")?);
    }
    for path in repos_from {
        specs.extend(read(path)?);
    }
    for name in module_hotfixes {
        match specs.iter_mut().find(|s| &s.name == name) {
            Some(s) => s.module_hotfixes = true,
            None => return Err(format!("--module-hotfixes {name}: no such --repo")),
        }
    }
    if specs.is_empty() {
        return Err("no repositories: give at least one --repo NAME=LOCATION or --repos-from FILE.repo".to_owned());
    }
    Ok(specs)
}

/// `NAME<sep>LOCATION` as `flag` takes it.
fn named_location(spec: &str, sep: char, flag: &str) -> Result<RepoSpec, String> {
    match spec.split_once(sep) {
        Some((name, loc)) if !name.is_empty() && !loc.is_empty() => Ok(RepoSpec::new(name, loc)),
        _ => Err(format!("{flag} {spec:?}: expected NAME{sep}LOCATION")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delorean_style() {
        let text = "\
# comment
[delorean]
name=delorean-openstack-nova
baseurl=https://trunk.rdoproject.org/centos9/current/
        https://mirror2/current/
enabled=1
gpgcheck=0
priority=1
includepkgs=openstack-*, python3-nova

[delorean-deps]
metalink=https://mirrors.centos.org/metalink?repo=centos-baseos-9-stream&arch=$basearch
excludepkgs=foo bar
module_hotfixes=1

[off]
baseurl=http://x/
enabled=0

[ml]
mirrorlist=http://m/list
";
        let specs = parse(text, "t.repo").unwrap_or_default();
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[0].name, "delorean");
        assert_eq!(specs[0].location, "https://trunk.rdoproject.org/centos9/current/");
        assert_eq!(specs[0].filter.include, vec!["openstack-*", "python3-nova"]);
        assert_eq!(
            specs[1].location,
            "metalink:https://mirrors.centos.org/metalink?repo=centos-baseos-9-stream&arch=$basearch"
        );
        assert_eq!(specs[1].filter.exclude, vec!["foo", "bar"]);
        assert!(specs[1].module_hotfixes);
        assert_eq!(specs[2].location, "mirrorlist:http://m/list");
        let (_, notes) = parse_with_notes(text, "t.repo").unwrap_or_default();
        assert!(
            notes.iter().any(|n| n.contains("[delorean] gpgcheck: ignored")),
            "{notes:?}"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("[a]\nbaseurl\n", "x.repo").err().unwrap_or_default();
        assert!(e.contains("x.repo:2"), "{e}");
        let e = parse("key=v\n", "x.repo").err().unwrap_or_default();
        assert!(e.contains("before any"), "{e}");
        let e = parse("[a]\nname=x\n", "x.repo").err().unwrap_or_default();
        assert!(e.contains("no baseurl"), "{e}");
        let e = parse("[a]\nbaseurl=http://x\nenabled=maybe\n", "x.repo")
            .err()
            .unwrap_or_default();
        assert!(e.contains("enabled"), "{e}");
    }
}
