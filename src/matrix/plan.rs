//! Stage two of reading a matrix: the plain settings of [`super::file`]
//! are checked and resolved into a [`Plan`]: repositories with their
//! LOCATION strings, cells naming defined repositories, waivers with dates,
//! the `[drift]` section naming defined repositories ([`DriftSpec`]).
//! Axes are expanded here. Nothing after the plan looks at TOML.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::closure::{ClosureOptions, RichMode};
use crate::fetch::{PackageFilter, RepoSpec};

use super::file::{DriftEntry, MatrixError, MatrixFile, RepoEntry, Source};
use super::waiver::Waiver;

/// What a matrix run does: repositories to load once, cells to run on them.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The matrix file the plan came from.
    pub source: PathBuf,
    /// Every repository the file defines (after axis expansion), in name order.
    pub repos: Vec<RepoSpec>,
    /// The cells, in file order (axis expansions in axis value order).
    pub cells: Vec<Cell>,
    /// The waivers.
    pub waivers: Vec<Waiver>,
    /// The `[drift]` section, if any.
    pub drift: Option<DriftSpec>,
    /// The `[[changes]]`, in file order (axis expansions in axis value order).
    pub changes: Vec<ChangeSpec>,
}

/// One `[[changes]]` entry after axis expansion: proposed builds checked
/// against one cell's repositories, as `rpmatrix change` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSpec {
    /// Unique name.
    pub name: String,
    /// The cell whose repositories are the targets.
    pub cell: String,
    /// The repos (of [`Plan::repos`]) holding the proposed builds.
    pub add: Vec<String>,
    /// Only the builds of these source NVRs.
    pub nvrs: Vec<String>,
    /// Only the builds of these source package names.
    pub sources: Vec<String>,
    /// Source packages untagged from the targets.
    pub remove_sources: Vec<String>,
    /// `FILE:LINE` of the entry.
    pub origin: String,
}

/// One side of `[drift]`'s `ours`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriftSource {
    /// A repo of the plan, by name.
    Repo(String),
    /// rdoinfo's `buildsys-tags/TAG.yml` (needs [`DriftSpec::rdoinfo`]).
    RdoinfoTag(String),
}

/// A resolved `[drift]` section: repo names checked against the plan's
/// repos, paths made relative to the current directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftSpec {
    /// Our side (merged: newest build per source package wins).
    pub ours: Vec<DriftSource>,
    /// The references (repo names of the plan), in order.
    pub theirs: Vec<String>,
    /// The policy file.
    pub policy: Option<PathBuf>,
    /// The rdoinfo checkout.
    pub rdoinfo: Option<PathBuf>,
    /// The name mapping file.
    pub map: Option<PathBuf>,
    /// Name globs to keep (all when empty).
    pub only: Vec<String>,
    /// `file:line` of the section.
    pub origin: String,
}

impl DriftSpec {
    /// The plan's repos this drift reads (ours, then the references), without repeats.
    pub fn repos(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let ours = self.ours.iter().filter_map(|s| match s {
            DriftSource::Repo(r) => Some(r),
            DriftSource::RdoinfoTag(_) => None,
        });
        for r in ours.chain(&self.theirs) {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }
}

/// One closure of the matrix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cell {
    /// Unique name.
    pub name: String,
    /// Repositories whose packages are checked.
    pub check: Vec<String>,
    /// Repositories that only provide.
    pub lookaside: Vec<String>,
    /// The machine architecture.
    pub basearch: String,
    /// `--newest`.
    pub newest: bool,
    /// `--best`.
    pub best: bool,
    /// `--arch` filters.
    pub arch: Vec<String>,
    /// `--pkg` filters.
    pub pkg: Vec<String>,
    /// `--rich`.
    pub rich: RichMode,
    /// `--no-filelists`.
    pub no_filelists: bool,
    /// Uninstallable packages fail the cell too (`installable = true`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub installable: bool,
}

impl Cell {
    /// The repositories this cell needs (checked, then lookaside), without repeats.
    pub fn repos(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.check.iter().chain(&self.lookaside) {
            if !out.contains(r) {
                out.push(r.clone());
            }
        }
        out
    }

    /// The closure options of this cell on a pool shared with other cells.
    pub fn options(&self) -> ClosureOptions {
        ClosureOptions {
            check: self.check.clone(),
            arches: self.arch.clone(),
            newest: self.newest,
            best: self.best,
            pkgs: self.pkg.clone(),
            basearch: self.basearch.clone(),
            rich: self.rich,
            no_filelists: self.no_filelists,
            providers_from: self.repos(),
            // The terminal, JSON and JUnit of a matrix run show them.
            nearest: true,
        }
    }
}

impl Plan {
    /// Reads and resolves a matrix file.
    pub fn from_path(path: &Path) -> Result<Plan, MatrixError> {
        let src = Source::read(path)?;
        let file = src.parse()?;
        resolve(&src, file)
    }

    /// Only the named cells (in plan order); an unknown name is an error.
    pub fn select(&self, names: &[String]) -> Result<Vec<Cell>, super::RunError> {
        if names.is_empty() {
            return Ok(self.cells.clone());
        }
        for n in names {
            if !self.cells.iter().any(|c| &c.name == n) {
                let known: Vec<&str> = self.cells.iter().map(|c| c.name.as_str()).collect();
                return Err(super::RunError::UnknownCell {
                    name: n.clone(),
                    known: known.join(", "),
                });
            }
        }
        Ok(self.cells.iter().filter(|c| names.contains(&c.name)).cloned().collect())
    }
}

type Binding = BTreeMap<String, String>;

/// `{axis}` placeholders of a string, in order of appearance, without repeats.
fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                if !name.is_empty() && !out.iter().any(|o: &String| o == name) {
                    out.push(name.to_owned());
                }
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    out
}

struct Resolver<'a> {
    src: &'a Source,
    axes: BTreeMap<String, Vec<String>>,
}

impl Resolver<'_> {
    /// Every combination of the axes named in `name`.
    fn expand(&self, name: &str, span: Range<usize>) -> Result<Vec<Binding>, MatrixError> {
        let mut bindings = vec![Binding::new()];
        for axis in placeholders(name) {
            let Some(values) = self.axes.get(&axis) else {
                let known: Vec<&str> = self.axes.keys().map(String::as_str).collect();
                return Err(self.src.error_at(
                    span,
                    format!(
                        "'{name}': {{{axis}}} is not an axis (axes: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            };
            let mut next = Vec::new();
            for b in &bindings {
                for v in values {
                    let mut nb = b.clone();
                    nb.insert(axis.clone(), v.clone());
                    next.push(nb);
                }
            }
            bindings = next;
        }
        Ok(bindings)
    }

    /// Substitutes `{axis}`; an axis the name does not bind is an error.
    fn subst(&self, s: &str, b: &Binding, what: &str, span: Range<usize>) -> Result<String, MatrixError> {
        let mut out = s.to_owned();
        for axis in placeholders(s) {
            match b.get(&axis) {
                Some(v) => out = out.replace(&format!("{{{axis}}}"), v),
                None => {
                    return Err(self.src.error_at(
                        span,
                        format!("{what} '{s}' uses {{{axis}}}, but the name does not (put {{{axis}}} in the name)"),
                    ));
                }
            }
        }
        Ok(out)
    }

    fn subst_all(
        &self,
        v: &[String],
        b: &Binding,
        what: &str,
        span: &Range<usize>,
    ) -> Result<Vec<String>, MatrixError> {
        v.iter().map(|s| self.subst(s, b, what, span.clone())).collect()
    }
}

fn check_globs(src: &Source, globs: &[String], what: &str, span: &Range<usize>) -> Result<(), MatrixError> {
    for g in globs {
        globset::Glob::new(g).map_err(|e| src.error_at(span.clone(), format!("{what} '{g}': {e}")))?;
    }
    Ok(())
}

fn location(src: &Source, base: &Path, name: &str, e: &RepoEntry, span: &Range<usize>) -> Result<String, MatrixError> {
    let given: Vec<(&str, &String)> = [
        ("path", &e.path),
        ("url", &e.url),
        ("metalink", &e.metalink),
        ("mirrorlist", &e.mirrorlist),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    .collect();
    match given.as_slice() {
        [("path", p)] => {
            if p.contains("://") || Path::new(p.as_str()).is_absolute() {
                Ok((*p).clone())
            } else {
                Ok(base.join(p.as_str()).display().to_string())
            }
        }
        [("url", u)] => Ok((*u).clone()),
        [(kind, u)] => Ok(format!("{kind}:{u}")),
        [] => Err(src.error_at(
            span.clone(),
            format!("repo '{name}': give one of path, url, metalink, mirrorlist"),
        )),
        many => {
            let keys: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
            Err(src.error_at(
                span.clone(),
                format!(
                    "repo '{name}': give only one of path, url, metalink, mirrorlist (got {})",
                    keys.join(", ")
                ),
            ))
        }
    }
}

/// Checks the settings and resolves them into a [`Plan`].
pub fn resolve(src: &Source, file: MatrixFile) -> Result<Plan, MatrixError> {
    let base = match src.path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut axes = BTreeMap::new();
    for (name, values) in &file.axes {
        let ok_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !ok_name {
            return Err(src.error_at(values.span(), format!("axis '{name}': use letters, digits, '-' or '_'")));
        }
        if values.get_ref().is_empty() {
            return Err(src.error_at(values.span(), format!("axis '{name}' has no values")));
        }
        let mut seen = BTreeSet::new();
        for v in values.get_ref() {
            if !seen.insert(v) {
                return Err(src.error_at(values.span(), format!("axis '{name}': value '{v}' is given twice")));
            }
        }
        axes.insert(name.clone(), values.get_ref().clone());
    }
    let r = Resolver { src, axes };

    let mut repos: BTreeMap<String, RepoSpec> = BTreeMap::new();
    for (key, entry) in &file.repos {
        let span = entry.span();
        let e = entry.get_ref();
        for b in r.expand(key, span.clone())? {
            let name = r.subst(key, &b, "repo", span.clone())?;
            let loc_template = location(src, &base, &name, e, &span)?;
            let location = r.subst(&loc_template, &b, "location", span.clone())?;
            let include = r.subst_all(&e.includepkgs, &b, "includepkgs", &span)?;
            let exclude = r.subst_all(&e.excludepkgs, &b, "excludepkgs", &span)?;
            check_globs(src, &include, "includepkgs", &span)?;
            check_globs(src, &exclude, "excludepkgs", &span)?;
            if repos.contains_key(&name) {
                return Err(src.error_at(span, format!("repo '{name}' is defined twice (after axis expansion)")));
            }
            let mut spec = RepoSpec::new(&name, &location);
            spec.filter = PackageFilter { include, exclude };
            spec.module_hotfixes = e.module_hotfixes;
            repos.insert(name, spec);
        }
    }

    let mut cells: Vec<Cell> = Vec::new();
    let mut cell_lines: BTreeMap<String, usize> = BTreeMap::new();
    for entry in &file.cells {
        let e = entry.get_ref();
        let name_span = e.name.span();
        for b in r.expand(e.name.get_ref(), name_span.clone())? {
            let name = r.subst(e.name.get_ref(), &b, "cell", name_span.clone())?;
            if name.trim().is_empty() {
                return Err(src.error_at(name_span, "a cell needs a non-empty name"));
            }
            if let Some(first) = cell_lines.get(&name) {
                return Err(src.error_at(
                    name_span,
                    format!("duplicate cell name '{name}' (first defined at line {first})"),
                ));
            }
            if e.check.is_empty() {
                return Err(src.error_at(entry.span(), format!("cell '{name}': check is empty")));
            }
            let mut lists = Vec::new();
            for (what, list) in [("check", &e.check), ("lookaside", &e.lookaside)] {
                let mut out = Vec::new();
                for item in list {
                    let repo = r.subst(item.get_ref(), &b, what, item.span())?;
                    if !repos.contains_key(&repo) {
                        let known: Vec<&str> = repos.keys().map(String::as_str).collect();
                        return Err(src.error_at(
                            item.span(),
                            format!(
                                "cell '{name}': {what} names undefined repo '{repo}' (repos: {})",
                                known.join(", ")
                            ),
                        ));
                    }
                    if !out.contains(&repo) {
                        out.push(repo);
                    }
                }
                lists.push(out);
            }
            let span = entry.span();
            let lookaside = lists.pop().unwrap_or_default();
            let check = lists.pop().unwrap_or_default();
            let basearch = match &e.basearch {
                Some(a) => r.subst(a, &b, "basearch", span.clone())?,
                None => crate::core::arch::DEFAULT_BASEARCH.to_owned(),
            };
            crate::core::arch::check_basearch(&basearch)
                .map_err(|e| src.error_at(span.clone(), format!("cell '{name}': {e}")))?;
            let arch = r.subst_all(&e.arch, &b, "arch", &span)?;
            for a in &arch {
                crate::core::arch::check_package_arch(a)
                    .map_err(|e| src.error_at(span.clone(), format!("cell '{name}': arch: {e}")))?;
            }
            let pkg = r.subst_all(&e.pkg, &b, "pkg", &span)?;
            check_globs(src, &pkg, "pkg", &span)?;
            cell_lines.insert(name.clone(), src.line_col(name_span.start).0);
            cells.push(Cell {
                name,
                lookaside: lookaside.into_iter().filter(|l| !check.contains(l)).collect(),
                check,
                basearch,
                newest: e.newest,
                best: e.best,
                arch,
                pkg,
                rich: e.rich.unwrap_or_default(),
                no_filelists: e.no_filelists,
                installable: e.installable,
            });
        }
    }

    let mut waivers = Vec::new();
    for entry in &file.waivers {
        let w = entry.get_ref();
        let package = w.package.get_ref().trim().to_owned();
        if package.is_empty() {
            return Err(src.error_at(w.package.span(), "waiver: package is empty"));
        }
        check_globs(src, std::slice::from_ref(&package), "waiver package", &w.package.span())?;
        if w.reason.get_ref().trim().is_empty() {
            return Err(src.error_at(
                w.reason.span(),
                "waiver: reason is empty (say why the failure is accepted)",
            ));
        }
        let cell = match &w.cell {
            Some(c) => {
                let pattern = c.get_ref().clone();
                let glob = globset::Glob::new(&pattern)
                    .map_err(|e| src.error_at(c.span(), format!("waiver cell '{pattern}': {e}")))?
                    .compile_matcher();
                if !cells.iter().any(|cell| glob.is_match(&cell.name)) {
                    return Err(src.error_at(c.span(), format!("waiver: cell '{pattern}' matches no cell")));
                }
                Some(pattern)
            }
            None => None,
        };
        let expires = match &w.expires {
            Some(d) => {
                let text = d.get_ref().to_string();
                let date: jiff::civil::Date = text.parse().map_err(|e| {
                    src.error_at(
                        d.span(),
                        format!("waiver expires '{text}': expected a date like 2026-01-31 ({e})"),
                    )
                })?;
                if d.get_ref().time.is_some() {
                    return Err(src.error_at(d.span(), format!("waiver expires '{text}': give a date without a time")));
                }
                Some(date)
            }
            None => None,
        };
        let dep = match &w.dep {
            Some(d) => {
                let pattern = d.get_ref().trim().to_owned();
                if pattern.is_empty() {
                    return Err(src.error_at(
                        d.span(),
                        "waiver: dep is empty (leave it out to waive every dependency)",
                    ));
                }
                check_globs(src, std::slice::from_ref(&pattern), "waiver dep", &d.span())?;
                Some(pattern)
            }
            None => None,
        };
        waivers.push(Waiver {
            package,
            cell,
            dep,
            reason: w.reason.get_ref().trim().to_owned(),
            expires,
            origin: src.origin(entry.span()),
        });
    }

    let drift = match &file.drift {
        Some(d) => Some(resolve_drift(src, &base, d, &repos)?),
        None => None,
    };
    let changes = resolve_changes(&r, &file.changes, &repos, &cells)?;
    // A gate over nothing would pass every night.
    if cells.is_empty() && drift.is_none() {
        return Err(MatrixError::Io {
            file: src.path.clone(),
            message: "the matrix has no [[cells]] (and no [drift]): nothing to check".to_owned(),
        });
    }

    Ok(Plan {
        source: src.path.clone(),
        repos: repos.into_values().collect(),
        cells,
        waivers,
        drift,
        changes,
    })
}

fn resolve_changes(
    r: &Resolver<'_>,
    entries: &[toml::Spanned<super::file::ChangeEntry>],
    repos: &BTreeMap<String, RepoSpec>,
    cells: &[Cell],
) -> Result<Vec<ChangeSpec>, MatrixError> {
    let src = r.src;
    let mut out: Vec<ChangeSpec> = Vec::new();
    for entry in entries {
        let e = entry.get_ref();
        let name_span = e.name.span();
        for b in r.expand(e.name.get_ref(), name_span.clone())? {
            let name = r.subst(e.name.get_ref(), &b, "change", name_span.clone())?;
            if name.trim().is_empty() {
                return Err(src.error_at(name_span, "a change needs a non-empty name"));
            }
            if out.iter().any(|c| c.name == name) {
                return Err(src.error_at(name_span, format!("duplicate change name '{name}'")));
            }
            let cell = r.subst(e.cell.get_ref(), &b, "cell", e.cell.span())?;
            let Some(target) = cells.iter().find(|c| c.name == cell) else {
                let known: Vec<&str> = cells.iter().map(|c| c.name.as_str()).collect();
                return Err(src.error_at(
                    e.cell.span(),
                    format!("change '{name}': no cell '{cell}' (cells: {})", known.join(", ")),
                ));
            };
            if e.add.is_empty() && e.remove_source.is_empty() {
                return Err(src.error_at(
                    entry.span(),
                    format!("change '{name}': nothing proposed (give add, remove_source or both)"),
                ));
            }
            let mut add = Vec::new();
            for item in &e.add {
                let repo = r.subst(item.get_ref(), &b, "add", item.span())?;
                if !repos.contains_key(&repo) {
                    let known: Vec<&str> = repos.keys().map(String::as_str).collect();
                    return Err(src.error_at(
                        item.span(),
                        format!(
                            "change '{name}': add names undefined repo '{repo}' (repos: {})",
                            known.join(", ")
                        ),
                    ));
                }
                if target.repos().contains(&repo) {
                    return Err(src.error_at(
                        item.span(),
                        format!(
                            "change '{name}': repo '{repo}' is one of cell '{cell}''s repositories, not a proposal"
                        ),
                    ));
                }
                if !add.contains(&repo) {
                    add.push(repo);
                }
            }
            out.push(ChangeSpec {
                name,
                cell,
                add,
                nvrs: e.nvr.clone(),
                sources: e.source.clone(),
                remove_sources: e.remove_source.clone(),
                origin: src.origin(entry.span()),
            });
        }
    }
    Ok(out)
}

fn resolve_drift(
    src: &Source,
    base: &Path,
    entry: &toml::Spanned<DriftEntry>,
    repos: &BTreeMap<String, RepoSpec>,
) -> Result<DriftSpec, MatrixError> {
    let d = entry.get_ref();
    let known = || repos.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
    let repo = |what: &str, item: &toml::Spanned<String>| -> Result<String, MatrixError> {
        let name = item.get_ref();
        if repos.contains_key(name) {
            Ok(name.clone())
        } else {
            Err(src.error_at(
                item.span(),
                format!("drift: {what} names undefined repo '{name}' (repos: {})", known()),
            ))
        }
    };
    let path = |item: &Option<toml::Spanned<String>>, what: &str| -> Result<Option<PathBuf>, MatrixError> {
        let Some(item) = item else { return Ok(None) };
        let p = Path::new(item.get_ref().as_str());
        let p = if p.is_absolute() { p.to_owned() } else { base.join(p) };
        if !p.exists() {
            return Err(src.error_at(
                item.span(),
                format!("drift: {what} '{}': no such file or directory", p.display()),
            ));
        }
        Ok(Some(p))
    };
    let rdoinfo = path(&d.rdoinfo, "rdoinfo")?;
    if d.ours.is_empty() {
        return Err(src.error_at(entry.span(), "drift: ours is empty (name the repos that are ours)"));
    }
    if d.theirs.is_empty() {
        return Err(src.error_at(entry.span(), "drift: theirs is empty (name the reference repos)"));
    }
    let mut ours = Vec::new();
    for item in &d.ours {
        let side = match item.get_ref().strip_prefix("rdoinfo:") {
            Some(tag) => {
                if tag.is_empty() || tag.contains('/') {
                    return Err(src.error_at(item.span(), "drift: expected rdoinfo:TAG"));
                }
                if rdoinfo.is_none() {
                    return Err(src.error_at(
                        item.span(),
                        format!("drift: ours 'rdoinfo:{tag}' needs rdoinfo = \"DIR\" in [drift]"),
                    ));
                }
                DriftSource::RdoinfoTag(tag.to_owned())
            }
            None => DriftSource::Repo(repo("ours", item)?),
        };
        if !ours.contains(&side) {
            ours.push(side);
        }
    }
    let mut theirs: Vec<String> = Vec::new();
    for item in &d.theirs {
        let r = repo("theirs", item)?;
        if ours.contains(&DriftSource::Repo(r.clone())) {
            return Err(src.error_at(item.span(), format!("drift: repo '{r}' is both ours and theirs")));
        }
        if !theirs.contains(&r) {
            theirs.push(r);
        }
    }
    let mut only = Vec::new();
    for g in &d.only {
        check_globs(src, std::slice::from_ref(g.get_ref()), "drift only", &g.span())?;
        only.push(g.get_ref().clone());
    }
    Ok(DriftSpec {
        ours,
        theirs,
        policy: path(&d.policy, "policy")?,
        rdoinfo,
        map: path(&d.map, "map")?,
        only,
        origin: src.origin(entry.span()),
    })
}
