//! Rich dependencies of any text: parsed or refused with an error, never a
//! panic or a stack overflow (nesting is bounded by `MAX_RICH_DEPTH`). What
//! parses prints back to text that parses to the same dependency, and
//! walking its leaves sees every simple dependency once.
use rpmatrix::core::dep;

/// Runs the target on one input; panics on a finding.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(d) = dep::parse_rich(&text) else { return };
    let mut leaves = 0usize;
    d.for_each_leaf(&mut |_| leaves += 1);
    assert!(leaves > 0, "{text:?} parsed to no simple dependency");
    let printed = d.to_string();
    // What we print, we (and libsolv) read back as the same thing.
    if printed.starts_with('(') {
        match dep::parse_rich(&printed) {
            Ok(again) => {
                assert_eq!(again.to_string(), printed, "{text:?}");
                let mut again_leaves = 0usize;
                again.for_each_leaf(&mut |_| again_leaves += 1);
                assert_eq!(again_leaves, leaves, "{text:?} printed as {printed:?}");
            }
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
        }
    }
}
