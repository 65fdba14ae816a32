//! The fuzz targets' bodies (`fuzz/bodies/`), run by `cargo test` on stable
//! Rust: each over its committed seeds (`fuzz/seeds/TARGET/`) and a fixed
//! number of mutations of them from a fixed-seed generator, so every run
//! tries the same inputs and a failure reproduces. A body panics on a
//! finding (a panic of rpmatrix, or a property broken); this test names
//! the target, the seed and the mutation, and writes the input to
//! `target/fuzz-replay-failure-TARGET` for `cargo fuzz run TARGET FILE`.
//!
//! Why not cargo-fuzz in CI: it needs `cargo install cargo-fuzz` and an
//! instrumented build of rpmatrix and its dependencies, about 7 minutes on
//! CI's two cores before a single input runs (fuzz/README.md). This replay
//! costs seconds and keeps what the fuzzers found fixed; the coverage-guided
//! search stays a run by hand.

use std::path::{Path, PathBuf};

#[path = "../fuzz/bodies/closure.rs"]
mod closure;
#[path = "../fuzz/bodies/primary.rs"]
mod primary;
#[path = "../fuzz/bodies/repomd.rs"]
mod repomd;
#[path = "../fuzz/bodies/rich.rs"]
mod rich;
#[path = "../fuzz/bodies/text.rs"]
mod text;

/// splitmix64: a fixed-seed generator, so the mutations are the same in
/// every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that make parsers take other paths than the seeds take: markup,
/// entities, quotes, rich-dependency words, limits' edges.
const TOKENS: &[&[u8]] = &[
    b"<",
    b">",
    b"</",
    b"/>",
    b"\"",
    b"'",
    b"&amp;",
    b"&#0;",
    b"&#x41;",
    b"&bogus;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"\0",
    b"\r\n",
    b"\t",
    b"</package>",
    b"<package>",
    b"</format>",
    b"<rpm:entry name=\"x\" flags=\"XX\" ver=\"1\"/>",
    b" flags=\"GE\"",
    b" epoch=\"-1\"",
    b" ver=\"\"",
    b" name=\"\"",
    b"packages=\"-1\"",
    b"(",
    b")",
    b" and ",
    b" or ",
    b" if ",
    b" else ",
    b" unless ",
    b" with ",
    b" without ",
    b">=",
    b"~",
    b"^",
    b":",
    b"\xff",
    b"\xc3\xa9",
    b"../",
    b"/etc/passwd",
    b"4294967296",
    b"18446744073709551616",
];

/// One random change to `input`: a bit flipped, bytes inserted, removed,
/// repeated or replaced by a token, a cut, or a splice of `other`.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8]) {
    let len = input.len();
    let at = rng.below(len + 1);
    match rng.below(8) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            input.splice(at..at, token.iter().copied());
        }
        2 if len > 0 => {
            let end = (at + 1 + rng.below(32)).min(len);
            input.drain(at.min(end)..end);
        }
        3 if len > 0 => {
            // Repeat a run: repeated elements, long chains, deep nesting.
            let end = (at + 1 + rng.below(64)).min(len);
            let run = input[at.min(end)..end].to_vec();
            for _ in 0..1 + rng.below(8) {
                input.splice(end..end, run.iter().copied());
            }
        }
        4 => input.truncate(at),
        5 if !other.is_empty() => {
            let from = rng.below(other.len());
            let end = (from + 1 + rng.below(256)).min(other.len());
            input.splice(at..at, other[from..end].iter().copied());
        }
        6 if len > 0 => {
            let token = TOKENS[rng.below(TOKENS.len())];
            let end = (at + token.len()).min(len);
            input.splice(at.min(end)..end, token.iter().copied());
        }
        _ => input.insert(at, rng.next() as u8),
    }
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|f| {
            let bytes = std::fs::read(f.path()).unwrap_or_else(|e| panic!("{}: {e}", f.path().display()));
            (f.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

/// Runs `body` on every seed of `target` and on `mutations` mutants of each
/// (one to four changes apiece, chained from the seed).
fn replay(target: &str, mutations: usize, body: fn(&[u8])) {
    let seeds = seeds(target);
    let mut rng = Rng(0x5eed_0000 ^ target.len() as u64);
    let run = |name: &str, n: usize, input: &[u8]| {
        if std::panic::catch_unwind(|| body(input)).is_err() {
            let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-replay-failure-{target}"));
            let _ = std::fs::write(&file, input);
            panic!(
                "fuzz target {target}: seed {name}, mutation {n} fails (input in {})",
                file.display()
            );
        }
    };
    for (i, (name, seed)) in seeds.iter().enumerate() {
        run(name, 0, seed);
        let other = &seeds[(i + 1) % seeds.len()].1;
        let mut input = seed.clone();
        for n in 1..=mutations {
            // Mostly build on the last mutant; now and then start again
            // from the seed, so that the changes do not pile up into noise.
            if rng.below(4) == 0 {
                input = seed.clone();
            }
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut input, other);
            }
            input.truncate(1 << 16);
            run(name, n, &input);
        }
    }
}

// The counts keep the whole file to seconds in the dev profile: `closure`
// and `repomd` write and load a repository per input.

#[test]
fn primary_target_replays() {
    replay("primary", 1500, primary::run);
}

#[test]
fn closure_target_replays() {
    replay("closure", 120, closure::run);
}

#[test]
fn text_target_replays() {
    replay("text", 600, text::run);
}

#[test]
fn rich_target_replays() {
    replay("rich", 1500, rich::run);
}

#[test]
fn repomd_target_replays() {
    replay("repomd", 250, repomd::run);
}

/// The generator is deterministic: the same inputs every run.
#[test]
fn mutations_are_the_same_every_run() {
    let make = || {
        let mut rng = Rng(7);
        let mut input = b"<a>b</a>".to_vec();
        for _ in 0..50 {
            mutate(&mut rng, &mut input, b"other");
        }
        input
    };
    assert_eq!(make(), make());
}
