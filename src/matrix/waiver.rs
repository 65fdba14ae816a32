//! Waivers: known failures that are reported (as skipped) but do not fail
//! the run, until they expire.

use globset::GlobMatcher;

/// One `[[waivers]]` entry, resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Waiver {
    /// Package name or glob.
    pub package: String,
    /// Cell name or glob; `None` = every cell.
    pub cell: Option<String>,
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
    /// Whether this waiver names this package in this cell (regardless of expiry).
    pub fn matches(&self, cell: &str, package: &str) -> bool {
        let cell_ok = match &self.cell {
            None => true,
            Some(c) => c == cell || matcher(c).is_some_and(|m| m.is_match(cell)),
        };
        cell_ok && (self.package == package || matcher(&self.package).is_some_and(|m| m.is_match(package)))
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

/// The first unexpired waiver naming the package in the cell, else the first expired one.
pub fn judge<'a>(waivers: &'a [Waiver], cell: &str, package: &str, today: jiff::civil::Date) -> Verdict<'a> {
    let mut expired = None;
    for w in waivers.iter().filter(|w| w.matches(cell, package)) {
        if w.expired(today) {
            expired.get_or_insert(w);
        } else {
            return Verdict::Waived(w);
        }
    }
    expired.map_or(Verdict::None, Verdict::Expired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(package: &str, cell: Option<&str>, expires: Option<&str>) -> Waiver {
        Waiver {
            package: package.into(),
            cell: cell.map(Into::into),
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
        assert_eq!(judge(&ws, "ocata-c75", "python-nova", today), Verdict::Expired(&ws[0]));
        assert_eq!(judge(&ws, "mitaka", "python-nova", today), Verdict::None);
        assert_eq!(judge(&ws, "any", "app-old", today), Verdict::Waived(&ws[1]));
        let earlier: jiff::civil::Date = "2025-05-31".parse().unwrap_or_default();
        assert_eq!(judge(&ws, "ocata-c75", "python-nova", earlier), Verdict::Waived(&ws[0]));
    }
}
