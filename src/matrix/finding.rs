//! What a gate judges: a failure's identity, which stays the same from night
//! to night while the same thing is broken, and changes when something new
//! breaks.
//!
//! A failure is identified by (cell, package name, arch, kind, problem):
//! the problem of an unresolved dependency is its capability with the
//! versions left out, so a rebuild (a new EVR of the package, or a bumped
//! version in the dependency) keeps its identity, while a package that
//! already failed and now also misses another capability has a new failure.
//! Waivers and the baseline judge each identity; JUnit renders one testcase
//! per identity. Another kind of failure (installability) adds a
//! [`FailureKind`] and fills [`Finding`]s of its own.

/// What kind of problem a [`Finding`] is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// A requirement nothing provides (repoclosure).
    #[default]
    Unresolved,
    /// The package cannot be installed (installcheck): the problem is its
    /// root cause.
    Uninstallable,
}

impl FailureKind {
    /// The word used in reports and JUnit types.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Unresolved => "unresolved",
            FailureKind::Uninstallable => "uninstallable",
        }
    }
}

/// The identity of a failure within a cell: package name, arch, kind and
/// problem (see the module documentation). The cell is the one holding it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FailureId {
    /// Package name.
    pub name: String,
    /// Package architecture.
    pub arch: String,
    /// Kind of problem.
    pub kind: FailureKind,
    /// The problem with versions left out ([`capability`] for unresolved deps).
    pub problem: String,
}

impl std::fmt::Display for FailureId {
    /// `NAME.ARCH: PROBLEM`, the JUnit testcase name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}: {}", self.name, self.arch, self.problem)
    }
}

/// One problem of a failing package, as judged by waivers and the baseline.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    /// Kind of problem.
    pub kind: FailureKind,
    /// The problem as reported (an unresolved dependency as libsolv prints it).
    pub problem: String,
    /// The problem without versions: the identity's last part.
    pub key: String,
    /// The waiver that waives it.
    pub waived: Option<super::WaiverRef>,
    /// An expired waiver that named it (it is not waived).
    pub expired_waiver: Option<super::WaiverRef>,
    /// Compared with `--baseline` (absent without one).
    pub baseline: Option<super::Change>,
}

impl Finding {
    /// An unresolved dependency, not yet judged.
    pub fn unresolved(dep: &str) -> Finding {
        Finding {
            kind: FailureKind::Unresolved,
            problem: dep.to_owned(),
            key: capability(dep),
            waived: None,
            expired_waiver: None,
            baseline: None,
        }
    }

    /// A package that cannot be installed, for `root_cause` (installcheck's
    /// sentence). Its identity leaves out the versions of the packages the
    /// sentence names (`involved`, NEVRAs) and of the capabilities, so that a
    /// rebuild keeps it.
    pub fn uninstallable(root_cause: &str, involved: &[String]) -> Finding {
        let mut key = root_cause.to_owned();
        for nevra in involved {
            if let Some(na) = name_arch(nevra) {
                key = key.replace(nevra.as_str(), &na);
            }
        }
        Finding {
            kind: FailureKind::Uninstallable,
            problem: root_cause.to_owned(),
            key: capability(&key),
            waived: None,
            expired_waiver: None,
            baseline: None,
        }
    }
}

/// `NAME.ARCH` of a `NAME-[E:]V-R.ARCH`.
fn name_arch(nevra: &str) -> Option<String> {
    let (nvr, arch) = nevra.rsplit_once('.')?;
    let mut parts = nvr.rsplitn(3, '-');
    let (_release, _version, name) = (parts.next()?, parts.next()?, parts.next()?);
    Some(format!("{name}.{arch}"))
}

const OPERATORS: &[&str] = &["<", "<=", "=", "==", ">=", ">", "<>"];

/// A dependency without its versions: `python-gevent >= 1.1` is
/// `python-gevent`, `(foo >= 1.2 with bar < 3)` is `(foo with bar)`.
/// Parentheses closing after a version are kept.
pub fn capability(dep: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut tokens = dep.split_whitespace();
    while let Some(t) = tokens.next() {
        if OPERATORS.contains(&t) {
            if let Some(version) = tokens.next() {
                let closing = version.len() - version.trim_end_matches(')').len();
                if closing > 0
                    && let Some(last) = out.last_mut()
                {
                    last.push_str(&")".repeat(closing));
                }
            }
            continue;
        }
        out.push(t.to_owned());
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::capability;

    #[test]
    fn an_uninstallable_identity_survives_a_rebuild() {
        let a = super::Finding::uninstallable(
            "app-1.0-1.noarch conflicts with lib < 2 provided by lib-1.5-1.x86_64",
            &["app-1.0-1.noarch".into(), "lib-1.5-1.x86_64".into()],
        );
        let b = super::Finding::uninstallable(
            "app-1.1-3.noarch conflicts with lib < 2.1 provided by lib-1:1.6-1.x86_64",
            &["app-1.1-3.noarch".into(), "lib-1:1.6-1.x86_64".into()],
        );
        assert_eq!(a.key, b.key);
        assert_eq!(a.key, "app.noarch conflicts with lib provided by lib.x86_64");
    }

    #[test]
    fn versions_are_left_out_of_the_capability() {
        assert_eq!(capability("python-gevent >= 1.1"), "python-gevent");
        assert_eq!(capability("python-gevent"), "python-gevent");
        assert_eq!(capability("/usr/bin/python"), "/usr/bin/python");
        assert_eq!(capability("python(abi) = 2.7"), "python(abi)");
        assert_eq!(capability("(foo >= 1.2 with bar < 3)"), "(foo with bar)");
        assert_eq!(capability("(a or (b >= 2))"), "(a or (b))");
        assert_eq!(capability("(a if b)"), "(a if b)");
    }
}
