//! What the criterion benches share: the real repositories of
//! `../shared/data/real` (absent from a user's clone: a bench that needs
//! them says so and measures nothing).

use std::path::PathBuf;

use rpmatrix::closure::ClosureOptions;
use rpmatrix::fetch::RepoSpec;

/// CentOS Stream 9 AppStream (January 2025).
pub const APPSTREAM: &str = "cs9-appstream-x86_64-2025-01";
/// CentOS Stream 9 BaseOS (February 2022).
pub const BASEOS: &str = "cs9-baseos-x86_64-2022-02";

/// The real repository `dir`, if the data is there.
pub fn real(dir: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/real")
        .join(dir);
    p.is_dir().then_some(p)
}

/// CS9 AppStream + BaseOS as `appstream` and `baseos`, with the x86_64
/// options every check over them uses; `None` (said on stderr, naming the
/// `benches` skipped) without the data.
pub fn cs9_pair(benches: &str) -> Option<([RepoSpec; 2], ClosureOptions)> {
    let (Some(a), Some(b)) = (real(APPSTREAM), real(BASEOS)) else {
        eprintln!("{benches} benches: ../shared/data/real/{APPSTREAM} or {BASEOS} is missing, nothing measured");
        return None;
    };
    let specs = [
        RepoSpec::new("appstream", &a.display().to_string()),
        RepoSpec::new("baseos", &b.display().to_string()),
    ];
    let opts = ClosureOptions {
        basearch: "x86_64".into(),
        ..ClosureOptions::default()
    };
    Some((specs, opts))
}
