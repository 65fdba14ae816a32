//! cargo-fuzz target `rich`: its body is `fuzz/bodies/rich.rs`, which
//! `tests/fuzz_replay.rs` also runs over `fuzz/seeds/rich` and their
//! mutations on stable Rust (fuzz/README.md).
#![no_main]

#[path = "../bodies/rich.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
