//! cargo-fuzz target `closure`: its body is `fuzz/bodies/closure.rs`, which
//! `tests/fuzz_replay.rs` also runs over `fuzz/seeds/closure` and their
//! mutations on stable Rust (fuzz/README.md).
#![no_main]

#[path = "../bodies/closure.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
