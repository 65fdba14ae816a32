//! Drift speed: loading two real repositories (CentOS 7.2, 9k packages, and
//! CentOS Stream 9 AppStream, 17.6k packages) against grouping them by source
//! package and comparing; plus a synthetic 20k vs 20k comparison.
//! Run: `cargo bench --bench drift` (figures in BENCHMARKS.md and
//! benches/notes/drift.md).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use rpmatrix::core::evr::Evr;
use rpmatrix::drift::{self, CompareOptions, Side};
use rpmatrix::engine;
use rpmatrix::fetch::RepoSpec;

fn specs() -> Option<Vec<RepoSpec>> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/real");
    let a = data.join("centos7.2.1511-os-x86_64");
    let b = data.join("cs9-appstream-x86_64-2025-01");
    (a.is_dir() && b.is_dir()).then(|| {
        vec![
            RepoSpec::new("c72", &a.display().to_string()),
            RepoSpec::new("cs9app", &b.display().to_string()),
        ]
    })
}

fn real(c: &mut Criterion) {
    let Some(specs) = specs() else {
        eprintln!("../shared/data/real is missing: skipping the real-data drift benchmarks");
        return;
    };
    let opts = engine::Options::default();
    let mut g = c.benchmark_group("real c72 vs cs9-appstream");
    g.sample_size(10);
    g.bench_function("load both repos", |b| {
        b.iter(|| black_box(engine::load(&specs, &opts).map(|l| l.pool.packages.len()).unwrap_or(0)))
    });
    let Ok(loaded) = engine::load(&specs, &opts) else {
        eprintln!("cannot load the real repositories");
        return;
    };
    let pool = &loaded.pool;
    g.bench_function("group by source package", |b| {
        b.iter(|| {
            black_box((
                Side::from_pool(pool, &[0], "c72").builds.len(),
                Side::from_pool(pool, &[1], "cs9app").builds.len(),
            ))
        })
    });
    let ours = Side::from_pool(pool, &[0], "c72");
    let theirs = [Side::from_pool(pool, &[1], "cs9app")];
    bench_compare(&mut g, &ours, &theirs);
    g.finish();
}

/// Benches `drift::compare` of `ours` against `theirs` with default options.
fn bench_compare(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    ours: &Side,
    theirs: &[Side],
) {
    let copts = CompareOptions::default();
    g.bench_function("compare", |b| {
        b.iter(|| {
            black_box(
                drift::compare(ours, theirs, &copts)
                    .map(|r| r.packages.len())
                    .unwrap_or(0),
            )
        })
    });
}

fn synthetic(c: &mut Criterion) {
    let mk = |name: &str, dist: &str, bump: usize| {
        Side::from_builds(
            name,
            (0..20_000).map(|i| {
                let v = format!("{}.{}.{}", i % 7, (i + bump) % 13, i % 5);
                (
                    format!("pkg-{i}"),
                    Evr::new(None, &v, Some(&format!("{}.{dist}", 1 + i % 3))),
                )
            }),
            true,
        )
    };
    let ours = mk("ours", "el9", 0);
    let theirs = [mk("fedora", "fc40", usize::from(true))];
    let mut g = c.benchmark_group("synthetic 20k vs 20k");
    g.sample_size(20);
    bench_compare(&mut g, &ours, &theirs);
    g.finish();
}

criterion_group!(benches, real, synthetic);
criterion_main!(benches);
