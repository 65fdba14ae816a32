//! rpm's version order and dependency range overlap.
//!
//! Ordering of single EVRs is delegated to the `rpm-version` crate, whose
//! `rpmvercmp` agrees with rpm 4.18 (tested against `python3-rpm` in
//! `tests/rpm_oracle.rs`). What the crate does not get right is whether a
//! *range* in a Requires overlaps a range in a Provides (rpm's
//! `rpmdsCompare`), so that lives here.
//!
//! This module knows nothing of packages, repositories or the pool.

use std::cmp::Ordering;

use rpm_version::Evr as CrateEvr;

/// The comparison operator of a versioned dependency (`<`, `<=`, `=`, `>=`, `>`).
///
/// Stored as rpm's sense bits: LESS = 2, GREATER = 4, EQUAL = 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Op(u8);

impl Op {
    /// `<`
    pub const LT: Op = Op(2);
    /// `<=`
    pub const LE: Op = Op(2 | 8);
    /// `=`
    pub const EQ: Op = Op(8);
    /// `>=`
    pub const GE: Op = Op(4 | 8);
    /// `>`
    pub const GT: Op = Op(4);

    /// Reads the `flags` attribute of an rpm-md `<rpm:entry>` (`LT`, `LE`, `EQ`, `GE`, `GT`).
    pub fn from_rpmmd(flags: &str) -> Option<Op> {
        Op::from_rpmmd_bytes(flags.as_bytes())
    }

    /// As [`from_rpmmd`](Self::from_rpmmd), from the attribute's bytes as
    /// the XML parser hands them out (no UTF-8 check for two ASCII letters).
    pub fn from_rpmmd_bytes(flags: &[u8]) -> Option<Op> {
        Some(match flags {
            b"LT" => Op::LT,
            b"LE" => Op::LE,
            b"EQ" => Op::EQ,
            b"GE" => Op::GE,
            b"GT" => Op::GT,
            _ => return None,
        })
    }

    /// Reads an operator as written in a spec file or a rich dependency.
    pub fn from_symbol(sym: &str) -> Option<Op> {
        Some(match sym {
            "<" => Op::LT,
            "<=" | "=<" => Op::LE,
            "=" | "==" => Op::EQ,
            ">=" | "=>" => Op::GE,
            ">" => Op::GT,
            _ => return None,
        })
    }

    /// The operator as libsolv and rpm print it.
    pub fn symbol(self) -> &'static str {
        match self.0 {
            2 => "<",
            10 => "<=",
            8 => "=",
            12 => ">=",
            4 => ">",
            _ => "?",
        }
    }

    fn less(self) -> bool {
        self.0 & 2 != 0
    }
    fn greater(self) -> bool {
        self.0 & 4 != 0
    }
    fn equal(self) -> bool {
        self.0 & 8 != 0
    }
}

/// An epoch:version-release as written in metadata, each part kept apart.
///
/// A missing epoch compares as 0; a missing release matters in range
/// overlap (rpm then compares epoch:version only).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Evr {
    /// The epoch, `None` when the metadata gave none.
    pub epoch: Option<String>,
    /// The version.
    pub version: String,
    /// The release, `None` when the metadata gave none (common in Requires).
    pub release: Option<String>,
}

impl Evr {
    /// Builds an EVR from its parts; empty strings count as absent, as in rpm-md.
    pub fn new(epoch: Option<&str>, version: &str, release: Option<&str>) -> Evr {
        Evr {
            epoch: epoch.filter(|e| !e.is_empty()).map(str::to_owned),
            version: version.to_owned(),
            release: release.filter(|r| !r.is_empty()).map(str::to_owned),
        }
    }

    /// Parses `[E:]V[-R]` the way rpm does: the epoch is everything before
    /// the first `:` when it is all digits, the release everything after the
    /// last `-`.
    pub fn parse(s: &str) -> Evr {
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) if e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), rest),
            _ => (None, s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r)),
            None => (rest, None),
        };
        Evr::new(epoch, version, release)
    }

    /// The epoch as rpm compares it (absent means 0).
    pub fn epoch_or_zero(&self) -> &str {
        self.epoch.as_deref().unwrap_or("0")
    }

    /// A borrowed view, for comparisons that should not allocate.
    pub fn as_ref(&self) -> EvrRef<'_> {
        EvrRef {
            epoch: self.epoch.as_deref(),
            version: &self.version,
            release: self.release.as_deref(),
        }
    }
}

/// A borrowed EVR: what the pool hands out from interned strings, so the hot
/// comparison loop never allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvrRef<'a> {
    /// The epoch, `None` when absent.
    pub epoch: Option<&'a str>,
    /// The version.
    pub version: &'a str,
    /// The release, `None` when absent.
    pub release: Option<&'a str>,
}

impl EvrRef<'_> {
    fn epoch_or_zero(&self) -> &str {
        self.epoch.unwrap_or("0")
    }
}

impl std::fmt::Display for Evr {
    /// Prints `[E:]V[-R]`, the epoch only when it is present and not zero
    /// (as libsolv prints dependencies and dnf prints NEVRAs).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(e) = &self.epoch
            && e.bytes().any(|b| b != b'0')
        {
            write!(f, "{e}:")?;
        } else if self.version.contains(':') {
            // A version holding a `:` (`::2.3` reads as epoch 0, version
            // `:2.3`, as rpm reads it) needs its epoch printed, or it reads
            // back as another (found by the `rich` fuzz target).
            f.write_str("0:")?;
        }
        f.write_str(&self.version)?;
        if let Some(r) = &self.release {
            write!(f, "-{r}")?;
        } else if self.version.contains('-') {
            // `a-` reads as version `a`, no release: without its `-` a
            // version holding one would read back split (fuzz target `rich`).
            f.write_str("-")?;
        }
        Ok(())
    }
}

/// rpm's `rpmvercmp` on one segment string (a version or a release).
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    CrateEvr::new("0", a, "").cmp(&CrateEvr::new("0", b, ""))
}

/// Compares two EVRs as `rpm.labelCompare` does: epoch (absent = 0), then
/// version, then release, where an absent release sorts below any release.
pub fn compare(a: &Evr, b: &Evr) -> Ordering {
    compare_ref(a.as_ref(), b.as_ref())
}

/// [`compare`] on borrowed EVRs.
pub fn compare_ref(a: EvrRef<'_>, b: EvrRef<'_>) -> Ordering {
    vercmp(a.epoch_or_zero(), b.epoch_or_zero())
        .then_with(|| vercmp(a.version, b.version))
        .then_with(|| match (a.release, b.release) {
            (Some(ra), Some(rb)) => vercmp(ra, rb),
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
        })
}

/// Does the range `a_op a_evr` overlap `b_op b_evr`? This is rpm's
/// `rpmverOverlap` (libsolv's `pool_intersect_evrs` agrees) for two
/// versioned dependencies of the same name; an unversioned side always
/// overlaps and is handled by the caller.
///
/// When epoch and version are equal and only one side has a release, the
/// release is not compared: the ranges overlap if the side without a release
/// includes equality (`foo = 1.0` satisfies `foo > 1.0-1`).
pub fn ranges_overlap(a_op: Op, a_evr: &Evr, b_op: Op, b_evr: &Evr) -> bool {
    ranges_overlap_ref(a_op, a_evr.as_ref(), b_op, b_evr.as_ref())
}

/// [`ranges_overlap`] on borrowed EVRs.
pub fn ranges_overlap_ref(a_op: Op, a_evr: EvrRef<'_>, b_op: Op, b_evr: EvrRef<'_>) -> bool {
    let mut sense =
        vercmp(a_evr.epoch_or_zero(), b_evr.epoch_or_zero()).then_with(|| vercmp(a_evr.version, b_evr.version));
    if sense == Ordering::Equal {
        match (a_evr.release, b_evr.release) {
            (Some(ra), Some(rb)) => sense = vercmp(ra, rb),
            (Some(_), None) if b_op.equal() => return true,
            (None, Some(_)) if a_op.equal() => return true,
            _ => {}
        }
    }
    match sense {
        Ordering::Less => a_op.greater() || b_op.less(),
        Ordering::Greater => a_op.less() || b_op.greater(),
        Ordering::Equal => {
            (a_op.equal() && b_op.equal()) || (a_op.less() && b_op.less()) || (a_op.greater() && b_op.greater())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_splits_release_at_last_dash() {
        let e = Evr::parse("1:2.0-rc-3.el9");
        assert_eq!(e.epoch.as_deref(), Some("1"));
        assert_eq!(e.version, "2.0-rc");
        assert_eq!(e.release.as_deref(), Some("3.el9"));
        assert_eq!(Evr::parse("2.0").release, None);
    }

    #[test]
    fn release_is_ignored_when_one_side_has_none() {
        let p = Evr::parse("2.0-5");
        let r = Evr::parse("2.0");
        assert!(ranges_overlap(Op::EQ, &p, Op::EQ, &r));
        assert!(!ranges_overlap(Op::EQ, &p, Op::GT, &r));
    }

    #[test]
    fn display_drops_zero_epoch() {
        assert_eq!(Evr::parse("0:1.0-1").to_string(), "1.0-1");
        assert_eq!(Evr::parse("3:1.0").to_string(), "3:1.0");
    }
}
