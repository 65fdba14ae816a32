//! primary.xml of any bytes: parsed (chunked, hand-read attributes, quick-xml)
//! into batches or refused with an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rpmatrix::pool::SharedInterner;
use rpmatrix::repodata::primary::parse_primary;

fuzz_target!(|data: &[u8]| {
    let strings = SharedInterner::new();
    let _ = parse_primary(data, &strings);
});
