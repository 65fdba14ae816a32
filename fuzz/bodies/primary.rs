//! primary.xml of any bytes: parsed (chunked, hand-read runs, quick-xml)
//! into batches or refused with an error, never a panic. And the hand-read
//! runs must read exactly what quick-xml alone reads: the same packages
//! when both succeed, an error from both or from neither.
use rpmatrix::pool::SharedInterner;
use rpmatrix::repodata::primary::{packages_as_text, parse_primary};

/// Runs the target on one input; panics on a finding.
pub fn run(data: &[u8]) {
    let strings = SharedInterner::new();
    let _ = parse_primary(data, &strings);
    if let Ok(xml) = std::str::from_utf8(data) {
        match (packages_as_text(xml, true), packages_as_text(xml, false)) {
            (Ok(hand), Ok(quick)) => assert_eq!(hand, quick),
            (Err(_), Err(_)) => {}
            (hand, quick) => panic!("hand-read {hand:?}, quick-xml alone {quick:?}"),
        }
    }
}
