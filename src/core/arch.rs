//! Which package architectures a machine of a given base architecture can
//! install, as dnf (with Fedora's libsolv arch policies) defines them.

/// The base architecture when none is given (dnf's default on the machines
/// rpmatrix's users check for): every command's `--basearch` and a matrix
/// cell without `basearch` use it.
pub const DEFAULT_BASEARCH: &str = "x86_64";

/// The architectures installable on `basearch`, best first, `noarch` last.
/// Unknown base architectures accept themselves and `noarch` only.
pub fn compatible(basearch: &str) -> Vec<&str> {
    let list: &[&str] = match basearch {
        "x86_64" | "amd64" => &["x86_64", "amd64", "ia32e", "athlon", "i686", "i586", "i486", "i386"],
        "x86_64_v2" => &["x86_64_v2", "x86_64", "athlon", "i686", "i586", "i486", "i386"],
        "x86_64_v3" => &[
            "x86_64_v3",
            "x86_64_v2",
            "x86_64",
            "athlon",
            "i686",
            "i586",
            "i486",
            "i386",
        ],
        "i686" => &["i686", "i586", "i486", "i386"],
        "i586" => &["i586", "i486", "i386"],
        "i386" => &["i386"],
        "athlon" => &["athlon", "i686", "i586", "i486", "i386"],
        "aarch64" | "arm64" => &["aarch64"],
        "ppc64le" => &["ppc64le"],
        "ppc64" => &["ppc64", "ppc"],
        "s390x" => &["s390x", "s390"],
        "armv7hl" | "armhfp" => &["armv7hl", "armv7hnl", "armv6hl"],
        "armv7l" => &[
            "armv7l",
            "armv6l",
            "armv5tejl",
            "armv5tel",
            "armv5l",
            "armv4tl",
            "armv4l",
            "armv3l",
        ],
        "riscv64" => &["riscv64"],
        "loongarch64" => &["loongarch64"],
        other => return vec![other, "noarch"],
    };
    let mut v = list.to_vec();
    v.push("noarch");
    v
}

/// The base architectures [`compatible`] knows (dnf's `basearch` values and
/// the machine arches that map to them).
pub const BASEARCHES: &[&str] = &[
    "x86_64",
    "amd64",
    "x86_64_v2",
    "x86_64_v3",
    "i686",
    "i586",
    "i386",
    "athlon",
    "aarch64",
    "arm64",
    "ppc64le",
    "ppc64",
    "s390x",
    "armv7hl",
    "armhfp",
    "armv7l",
    "riscv64",
    "loongarch64",
];

/// An architecture no known machine has: the message names the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchError {
    /// Not a base architecture (`--basearch`, a cell's `basearch`).
    #[error("unknown basearch '{arch}' (known: {known})")]
    UnknownBasearch {
        /// What was given.
        arch: String,
        /// The known base architectures, comma-separated.
        known: String,
    },
    /// Not a package architecture (`--arch`, a cell's `arch`).
    #[error("unknown package arch '{arch}' (known: {known})")]
    UnknownPackageArch {
        /// What was given.
        arch: String,
        /// The known package architectures, comma-separated.
        known: String,
    },
}

/// Checks a base architecture: a typo (`x86-64`) would make every package
/// of the repositories uninstallable, a flood of bogus failures.
pub fn check_basearch(basearch: &str) -> Result<(), ArchError> {
    if BASEARCHES.contains(&basearch) {
        Ok(())
    } else {
        Err(ArchError::UnknownBasearch {
            arch: basearch.to_owned(),
            known: BASEARCHES.join(", "),
        })
    }
}

/// Checks a package architecture (a `--arch` filter): one that some known
/// base architecture installs, `noarch`, or a source arch. A typo would
/// select no package and pass.
pub fn check_package_arch(arch: &str) -> Result<(), ArchError> {
    if is_source(arch) || BASEARCHES.iter().any(|b| compatible(b).contains(&arch)) {
        return Ok(());
    }
    let mut known: Vec<&str> = BASEARCHES.iter().flat_map(|b| compatible(b)).collect();
    known.extend(["src", "nosrc"]);
    known.sort_unstable();
    known.dedup();
    Err(ArchError::UnknownPackageArch {
        arch: arch.to_owned(),
        known: known.join(", "),
    })
}

/// Source package architectures: never providers, always checkable.
pub fn is_source(arch: &str) -> bool {
    arch == "src" || arch == "nosrc"
}

#[cfg(test)]
mod tests {
    #[test]
    fn x86_64_takes_i686_not_aarch64() {
        let c = super::compatible("x86_64");
        assert!(c.contains(&"i686") && c.contains(&"noarch") && !c.contains(&"aarch64"));
    }

    #[test]
    fn typos_are_refused_naming_the_known_arches() {
        assert!(super::check_basearch("x86_64").is_ok());
        let e = super::check_basearch("x86-64")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("'x86-64'") && e.contains("x86_64, amd64"), "{e}");
        assert!(super::check_package_arch("i686").is_ok() && super::check_package_arch("noarch").is_ok());
        assert!(super::check_package_arch("src").is_ok());
        let e = super::check_package_arch("x86-64")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("unknown package arch 'x86-64'") && e.contains("aarch64"),
            "{e}"
        );
    }
}
