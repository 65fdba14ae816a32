//! cargo-fuzz target `repomd`: its body is `fuzz/bodies/repomd.rs`, which
//! `tests/fuzz_replay.rs` also runs over `fuzz/seeds/repomd` and their
//! mutations on stable Rust (fuzz/README.md).
#![no_main]

#[path = "../bodies/repomd.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
