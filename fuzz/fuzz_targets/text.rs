//! cargo-fuzz target `text`: its body is `fuzz/bodies/text.rs`, which
//! `tests/fuzz_replay.rs` also runs over `fuzz/seeds/text` and their
//! mutations on stable Rust (fuzz/README.md).
#![no_main]

#[path = "../bodies/text.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
