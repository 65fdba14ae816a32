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
}
