//! criterion benches for the hot paths of a closure: rpm version compare,
//! primary.xml parsing (and, for scale, quick-xml's event loop alone),
//! building the providers index, and a whole closure
//! over CentOS Stream 9 AppStream + BaseOS (18.7k packages) from
//! `../shared/data/real`. Benches that need that data are skipped without it.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rpmatrix::core::evr::{self, Evr};
use rpmatrix::engine;
use rpmatrix::fetch::LocalDir;
use rpmatrix::pool::{Pool, SharedInterner};
use rpmatrix::repodata::{self, LoadOptions};

mod common;

use common::{APPSTREAM, BASEOS, real};

fn vercmp(c: &mut Criterion) {
    let pairs: Vec<(Evr, Evr)> = [
        ("1.0-1.el9", "1.0-1.el9"),
        ("2:1.2.3-4.el9_2", "2:1.2.3-4.el9_10"),
        ("1.0~rc1-1", "1.0-1"),
        ("1.0^git20240101-1", "1.0.1-1"),
        ("0.20.1-2.el7", "0.20.1-10.el7"),
        ("5.14.0-70.13.1.el9_0", "5.14.0-115.el9"),
    ]
    .iter()
    .map(|(a, b)| (Evr::parse(a), Evr::parse(b)))
    .collect();
    c.bench_function("evr_compare_6_pairs", |b| {
        b.iter(|| {
            for (x, y) in &pairs {
                black_box(evr::compare(black_box(x), black_box(y)));
            }
        })
    });
}

fn load_one(dir: &Path, strings: &SharedInterner) -> repodata::RepoData {
    let source = match LocalDir::new(&dir.display().to_string()) {
        Ok(s) => Arc::new(s),
        Err(e) => panic!("{e}"),
    };
    repodata::load("bench", source, &LoadOptions::default(), strings).unwrap_or_else(|e| panic!("{e}"))
}

fn primary_parsing(c: &mut Criterion) {
    let Some(dir) = real(APPSTREAM) else {
        eprintln!("skipping primary parsing bench: ../shared/data/real not found");
        return;
    };
    let mut group = c.benchmark_group("primary");
    group.sample_size(10);
    group.bench_function("load_cs9_appstream_17k_pkgs", |b| {
        b.iter(|| {
            let strings = SharedInterner::new();
            black_box(load_one(&dir, &strings).package_count())
        })
    });
    // The floor under the parser: quick-xml's own event loop over the same
    // primary.xml, decompressed beforehand, on one thread, with none of our
    // code around it.
    let xml = decompressed_primary(&dir);
    group.bench_function("quick_xml_events_only_cs9_appstream", |b| {
        b.iter(|| {
            let mut reader = quick_xml::Reader::from_reader(&xml[..]);
            reader.config_mut().check_end_names = false;
            let mut events = 0usize;
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => events += 1,
                    Err(e) => panic!("{e}"),
                }
            }
            black_box(events)
        })
    });
    group.finish();
}

/// The decompressed primary.xml of the repository at `dir`.
fn decompressed_primary(dir: &Path) -> Vec<u8> {
    let entries = std::fs::read_dir(dir.join("repodata")).unwrap_or_else(|e| panic!("{e}"));
    let gz = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-primary.xml.gz"))
        .unwrap_or_else(|| panic!("no primary.xml.gz in {}", dir.display()));
    let file = std::fs::File::open(&gz).unwrap_or_else(|e| panic!("{e}"));
    let mut xml = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(file), &mut xml)
        .unwrap_or_else(|e| panic!("{e}"));
    xml
}

fn provider_index(c: &mut Criterion) {
    let (Some(a), Some(b)) = (real(APPSTREAM), real(BASEOS)) else {
        eprintln!("skipping provider index bench: ../shared/data/real not found");
        return;
    };
    let mut group = c.benchmark_group("pool");
    group.sample_size(10);
    group.bench_function("build_pool_and_index_cs9_18k_pkgs", |bench| {
        bench.iter_batched(
            // Parsing is the setup, not the measurement.
            || {
                let strings = SharedInterner::new();
                let repos = [load_one(&a, &strings), load_one(&b, &strings)];
                (Pool::with_strings(strings.freeze()), repos)
            },
            |(mut pool, mut repos)| {
                for r in &mut repos {
                    pool.add_repo(r, &Default::default(), false)
                        .unwrap_or_else(|e| panic!("{e}"));
                }
                pool.finish();
                black_box(pool.packages.len())
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn whole_closure(c: &mut Criterion) {
    let Some((specs, opts)) = common::cs9_pair("closure") else {
        return;
    };
    let mut group = c.benchmark_group("closure");
    group.sample_size(10);
    group.bench_function("cs9_appstream_baseos_end_to_end", |bench| {
        bench.iter(|| {
            let mut loaded = engine::load(&specs, &engine::Options::default()).unwrap_or_else(|e| panic!("{e}"));
            let (result, _) = loaded.closure(&opts).unwrap_or_else(|e| panic!("{e}"));
            black_box(result.problems.len())
        })
    });
    let mut loaded = engine::load(&specs, &engine::Options::default()).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("cs9_appstream_baseos_closure_only", |bench| {
        bench.iter(|| {
            let (result, _) = loaded.closure(&opts).unwrap_or_else(|e| panic!("{e}"));
            black_box(result.problems.len())
        })
    });
    group.finish();
}

criterion_group!(benches, vercmp, primary_parsing, provider_index, whole_closure);
criterion_main!(benches);
