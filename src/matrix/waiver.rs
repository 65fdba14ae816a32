//! Waivers: known failures that are reported (as skipped) but do not fail
//! the run, until they expire. A waiver names packages (a glob), optionally
//! cells and the dependencies it accepts (`dep`, a glob): without `dep` it
//! waives every finding of the packages it names, including ones that break
//! later for another reason. A waiver that waives nothing is stale.

use globset::GlobMatcher;

/// One `[[waivers]]` entry, resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Waiver {
    /// Package name or glob.
    pub package: String,
    /// Cell name or glob; `None` = every cell.
    pub cell: Option<String>,
    /// Dependency (capability) glob; `None` = every finding of the package.
    #[serde(default)]
    pub dep: Option<String>,
    /// Why the failure is accepted.
    pub reason: String,
    /// From this day on the waiver no longer waives (`YYYY-MM-DD` in JSON).
    #[serde(with = "date_opt")]
    pub expires: Option<jiff::civil::Date>,
    /// `file:line` of the entry.
    pub origin: String,
}

/// `Option<Date>` as `"YYYY-MM-DD"` or null.
mod date_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<jiff::civil::Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<jiff::civil::Date>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| t.parse().map_err(serde::de::Error::custom)).transpose()
    }
}

fn matcher(pattern: &str) -> Option<GlobMatcher> {
    globset::Glob::new(pattern).ok().map(|g| g.compile_matcher())
}

impl Waiver {
    /// Whether this waiver covers the cell.
    pub fn covers_cell(&self, cell: &str) -> bool {
        match &self.cell {
            None => true,
            Some(c) => c == cell || matcher(c).is_some_and(|m| m.is_match(cell)),
        }
    }

    /// Whether this waiver names this finding of this package in this cell
    /// (regardless of expiry). `key` is the finding's capability without
    /// versions, `problem` as reported: `dep` may match either.
    pub fn matches(&self, cell: &str, package: &str, key: &str, problem: &str) -> bool {
        let dep_ok = match &self.dep {
            None => true,
            Some(d) => d == key || d == problem || matcher(d).is_some_and(|m| m.is_match(key) || m.is_match(problem)),
        };
        self.covers_cell(cell)
            && dep_ok
            && (self.package == package || matcher(&self.package).is_some_and(|m| m.is_match(package)))
    }

    /// Whether the waiver has expired on `today`.
    pub fn expired(&self, today: jiff::civil::Date) -> bool {
        self.expires.is_some_and(|e| today >= e)
    }
}

/// What the waivers say about one failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// Not named by any waiver.
    None,
    /// Waived by this (unexpired) waiver.
    Waived(&'a Waiver),
    /// Only expired waivers name it.
    Expired(&'a Waiver),
}

/// The first unexpired waiver naming the finding (`key`, `problem`) of the
/// package in the cell, else the first expired one.
pub fn judge<'a>(
    waivers: &'a [Waiver],
    cell: &str,
    package: &str,
    key: &str,
    problem: &str,
    today: jiff::civil::Date,
) -> Verdict<'a> {
    let mut expired = None;
    for w in waivers.iter().filter(|w| w.matches(cell, package, key, problem)) {
        if w.expired(today) {
            expired.get_or_insert(w);
        } else {
            return Verdict::Waived(w);
        }
    }
    expired.map_or(Verdict::None, Verdict::Expired)
}

/// Whether a waiver that waived `waived` findings is stale: unexpired, it
/// waived nothing, and it covers at least one of `cells` while none of the
/// cells it covers had an error (an errored cell has no findings to judge).
pub fn is_stale(waiver: &Waiver, expired: bool, waived: usize, cells: &[super::CellReport]) -> bool {
    let covered: Vec<&super::CellReport> = cells.iter().filter(|c| waiver.covers_cell(&c.cell.name)).collect();
    !expired && waived == 0 && !covered.is_empty() && covered.iter().all(|c| c.error.is_none())
}

/// What became of each waiver in these cells.
pub fn reports(waivers: &[Waiver], cells: &[super::CellReport], today: jiff::civil::Date) -> Vec<super::WaiverReport> {
    waivers
        .iter()
        .map(|w| {
            let expired = w.expired(today);
            let waived = cells
                .iter()
                .flat_map(|c| &c.failures)
                .flat_map(|f| &f.findings)
                .filter(|f| f.waived.as_ref().is_some_and(|r| r.origin == w.origin))
                .count();
            super::WaiverReport {
                waiver: w.clone(),
                expired,
                waived,
                stale: is_stale(w, expired, waived, cells),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(package: &str, cell: Option<&str>, expires: Option<&str>) -> Waiver {
        Waiver {
            package: package.into(),
            cell: cell.map(Into::into),
            dep: None,
            reason: "r".into(),
            expires: expires.and_then(|e| e.parse().ok()),
            origin: "m.toml:1".into(),
        }
    }

    #[test]
    fn globs_cells_and_expiry() {
        let today: jiff::civil::Date = "2025-06-01".parse().unwrap_or_default();
        let ws = vec![
            w("python-*", Some("ocata*"), Some("2025-06-01")),
            w("app-old", None, None),
        ];
        assert_eq!(
            judge(&ws, "ocata-c75", "python-nova", "d", "d", today),
            Verdict::Expired(&ws[0])
        );
        assert_eq!(judge(&ws, "mitaka", "python-nova", "d", "d", today), Verdict::None);
        assert_eq!(judge(&ws, "any", "app-old", "d", "d", today), Verdict::Waived(&ws[1]));
        let earlier: jiff::civil::Date = "2025-05-31".parse().unwrap_or_default();
        assert_eq!(
            judge(&ws, "ocata-c75", "python-nova", "d", "d", earlier),
            Verdict::Waived(&ws[0])
        );
    }

    #[test]
    fn a_dep_scope_waives_only_the_matching_capabilities() {
        let today: jiff::civil::Date = "2025-06-01".parse().unwrap_or_default();
        let mut scoped = w("python-*", None, None);
        scoped.dep = Some("python-oslo-*".into());
        let ws = vec![scoped];
        assert_eq!(
            judge(
                &ws,
                "c",
                "python-nova",
                "python-oslo-db",
                "python-oslo-db >= 4.1",
                today
            ),
            Verdict::Waived(&ws[0])
        );
        assert_eq!(
            judge(&ws, "c", "python-nova", "python-gevent", "python-gevent", today),
            Verdict::None
        );
    }
}
