//! The comparison rules on single EVRs: dist-tag stripping, the drift
//! [`Status`] of a pair, the [`Distance`] between versions, and the names
//! derived from `sourcerpm` and N-V-R strings. Pure functions: no packages,
//! repositories or I/O.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::core::evr::{self, Evr};

/// Where a package stands against a reference, after dist-tag stripping.
///
/// The declaration order is the report order: the most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The reference has a newer epoch:version.
    Behind,
    /// Same epoch:version, the reference's stripped release is newer.
    ReleaseBehind,
    /// Our epoch:version is newer.
    Ahead,
    /// Same epoch:version, our stripped release is newer (a patched or rebuilt package).
    ReleaseAhead,
    /// Only we have the package.
    OursOnly,
    /// Only the reference has the package.
    TheirsOnly,
    /// Same epoch:version and the stripped releases compare equal (rpmvercmp).
    Same,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 7] = [
        Status::Behind,
        Status::ReleaseBehind,
        Status::Ahead,
        Status::ReleaseAhead,
        Status::OursOnly,
        Status::TheirsOnly,
        Status::Same,
    ];

    /// The name used in every output format (`release-ahead`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Behind => "behind",
            Status::ReleaseBehind => "release-behind",
            Status::Ahead => "ahead",
            Status::ReleaseAhead => "release-ahead",
            Status::OursOnly => "ours-only",
            Status::TheirsOnly => "theirs-only",
            Status::Same => "same",
        }
    }

    /// Parses [`Status::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far apart two epoch:versions are: the first dot-separated version
/// component that differs (`major` = first, `minor` = second, `patch` = any
/// later one), or `epoch` when the epochs differ. Ordered from near to far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Distance {
    /// Third or later version component.
    Patch,
    /// Second version component.
    Minor,
    /// First version component.
    Major,
    /// The epochs differ.
    Epoch,
}

impl Distance {
    /// `patch`, `minor`, `major` or `epoch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Distance::Patch => "patch",
            Distance::Minor => "minor",
            Distance::Major => "major",
            Distance::Epoch => "epoch",
        }
    }
}

impl std::fmt::Display for Distance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn dist_tag_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        #[allow(clippy::expect_used)]
        Regex::new(r"\.(el\d+(_\d+)*(\.centos)?s?|fc\d+|eln\d+|module_[^.]+)").expect("constant regex compiles")
    })
}

/// Removes the first dist tag (`.el9`, `.el7_9`, `.el7.centos`, `.el9s`,
/// `.fc40`, `.eln130`, `.module_el8...` up to the next dot) from a release,
/// keeping what precedes and follows it: `30.el7_9.0.1` → `30.0.1`.
pub fn strip_dist_tag(release: &str) -> std::borrow::Cow<'_, str> {
    dist_tag_regex().replacen(release, 1, "")
}

/// Compares epoch and version only, as `rpm.labelCompare` with both releases absent.
pub fn compare_ev(a: &Evr, b: &Evr) -> Ordering {
    evr::vercmp(a.epoch_or_zero(), b.epoch_or_zero()).then_with(|| evr::vercmp(&a.version, &b.version))
}

/// Compares the releases after [`strip_dist_tag`] (an absent release sorts lowest).
pub fn compare_stripped_release(a: &Evr, b: &Evr) -> Ordering {
    match (&a.release, &b.release) {
        (Some(ra), Some(rb)) => evr::vercmp(&strip_dist_tag(ra), &strip_dist_tag(rb)),
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
    }
}

/// The order used to pick the newest reference: epoch:version, then stripped release.
pub fn compare_stripped(a: &Evr, b: &Evr) -> Ordering {
    compare_ev(a, b).then_with(|| compare_stripped_release(a, b))
}

/// Classifies ours against theirs: `behind`/`ahead` on epoch:version, else
/// `same`/`release-behind`/`release-ahead` on the stripped releases.
pub fn classify(ours: &Evr, theirs: &Evr) -> Status {
    match compare_ev(ours, theirs) {
        Ordering::Less => Status::Behind,
        Ordering::Greater => Status::Ahead,
        Ordering::Equal => match compare_stripped_release(ours, theirs) {
            Ordering::Less => Status::ReleaseBehind,
            Ordering::Greater => Status::ReleaseAhead,
            Ordering::Equal => Status::Same,
        },
    }
}

/// How far apart two EVRs' epoch:versions are; `None` when they compare equal.
pub fn distance(a: &Evr, b: &Evr) -> Option<Distance> {
    if evr::vercmp(a.epoch_or_zero(), b.epoch_or_zero()) != Ordering::Equal {
        return Some(Distance::Epoch);
    }
    if evr::vercmp(&a.version, &b.version) == Ordering::Equal {
        return None;
    }
    let mut ca = a.version.split('.');
    let mut cb = b.version.split('.');
    for i in 0.. {
        let differs = match (ca.next(), cb.next()) {
            (Some(x), Some(y)) => evr::vercmp(x, y) != Ordering::Equal,
            (None, None) => break,
            _ => true,
        };
        if differs {
            return Some(match i {
                0 => Distance::Major,
                1 => Distance::Minor,
                _ => Distance::Patch,
            });
        }
    }
    Some(Distance::Patch)
}

/// The source package name of a `sourcerpm` file name: strips `.src.rpm`
/// (or `.nosrc.rpm`) and `-VERSION-RELEASE` by splitting at the last two `-`.
/// `None` when the file name has fewer than two `-`.
pub fn source_name(sourcerpm: &str) -> Option<&str> {
    let base = sourcerpm
        .strip_suffix(".src.rpm")
        .or_else(|| sourcerpm.strip_suffix(".nosrc.rpm"))
        .unwrap_or(sourcerpm);
    let (nv, _release) = base.rsplit_once('-')?;
    let (name, _version) = nv.rsplit_once('-')?;
    (!name.is_empty()).then_some(name)
}

/// Splits an `N-V-R` (as in rdoinfo's buildsys tags) into name and EVR; an
/// `E:` before the version is honoured. `None` when it is not N-V-R shaped.
pub fn parse_nvr(nvr: &str) -> Option<(String, Evr)> {
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    let (epoch, version) = match version.split_once(':') {
        Some((e, v)) if e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), v),
        _ => (None, version),
    };
    Some((name.to_owned(), Evr::new(epoch, version, Some(release))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_names() {
        assert_eq!(
            source_name("python-eventlet-0.20.1-2.el7.src.rpm"),
            Some("python-eventlet")
        );
        assert_eq!(source_name("foo.src.rpm"), None);
    }

    #[test]
    fn strips_first_dist_tag_only() {
        assert_eq!(strip_dist_tag("30.el7_9.0.1"), "30.0.1");
        assert_eq!(strip_dist_tag("3.module_el8.5.0+1+abc"), "3.5.0+1+abc");
        assert_eq!(strip_dist_tag("1.rhel8"), "1.rhel8");
    }

    #[test]
    fn distances() {
        let d = |a: &str, b: &str| distance(&Evr::parse(a), &Evr::parse(b));
        assert_eq!(d("1.2.3-1", "2.0.0-1"), Some(Distance::Major));
        assert_eq!(d("1.2.3-1", "1.3.0-1"), Some(Distance::Minor));
        assert_eq!(d("1.2.3-1", "1.2.4-1"), Some(Distance::Patch));
        assert_eq!(d("1.2-1", "1.2.1-1"), Some(Distance::Patch));
        assert_eq!(d("1:1.0-1", "1.0-1"), Some(Distance::Epoch));
        assert_eq!(d("1.0-1", "1.0-2"), None);
    }

    #[test]
    fn nvr() {
        let (n, e) = parse_nvr("python-UcsSdk-0.8.2.5-1.el7").unwrap_or_default();
        assert_eq!(n, "python-UcsSdk");
        assert_eq!(e.to_string(), "0.8.2.5-1.el7");
        assert!(parse_nvr("foo-1").is_none());
    }
}
