//! cargo-fuzz target `primary`: its body is `fuzz/bodies/primary.rs`, which
//! `tests/fuzz_replay.rs` also runs over `fuzz/seeds/primary` and their
//! mutations on stable Rust (fuzz/README.md).
#![no_main]

#[path = "../bodies/primary.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
