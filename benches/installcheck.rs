//! criterion benches of `rpmatrix installcheck` over CentOS Stream 9
//! AppStream + BaseOS (18.3k packages checked) from `../shared/data/real`:
//! the whole check with loading, the check on a loaded pool, and its two
//! halves (building the rules; the search without explanations). Without
//! that data the benches say so and do nothing. BENCHMARKS.md, "installcheck
//! vs libsolv", has the figures and the comparison with libsolv.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rpmatrix::closure;
use rpmatrix::engine;
use rpmatrix::installcheck::{self, rules::Rules};

mod common;

fn cs9_installcheck(c: &mut Criterion) {
    let Some((specs, opts)) = common::cs9_pair("installcheck") else {
        return;
    };
    let mut group = c.benchmark_group("installcheck");
    group.sample_size(10);
    group.bench_function("cs9_appstream_baseos_end_to_end", |bench| {
        bench.iter(|| {
            let mut loaded = engine::load(&specs, &engine::Options::default()).unwrap_or_else(|e| panic!("{e}"));
            let (result, _) = loaded.installcheck(&opts).unwrap_or_else(|e| panic!("{e}"));
            black_box(result.uninstallable.len())
        })
    });
    let mut loaded = engine::load(&specs, &engine::Options::default()).unwrap_or_else(|e| panic!("{e}"));
    // The first check reads the filelists; the benches below measure the
    // check alone.
    let (first, _) = loaded.installcheck(&opts).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "installcheck: {} checked, {} uninstallable, {:?}",
        first.checked,
        first.uninstallable.len(),
        first.stats
    );
    group.bench_function("cs9_appstream_baseos_check_only", |bench| {
        bench.iter(|| {
            let (result, _) = loaded.installcheck(&opts).unwrap_or_else(|e| panic!("{e}"));
            black_box(result.uninstallable.len())
        })
    });
    let pool = &loaded.pool;
    let selection = closure::selection(pool, &opts).unwrap_or_else(|e| panic!("{e}"));
    group.bench_function("cs9_appstream_baseos_rules", |bench| {
        bench.iter(|| {
            let rules = Rules::build(pool, selection.available()).unwrap_or_else(|e| panic!("{e:?}"));
            black_box(rules.clauses.len())
        })
    });
    let rules = Rules::build(pool, selection.available()).unwrap_or_else(|e| panic!("{e:?}"));
    let to_check: Vec<_> = selection.checked().to_vec();
    group.bench_function("cs9_appstream_baseos_search_only", |bench| {
        bench.iter(|| black_box(installcheck::verdicts(pool, &rules, &to_check).len()))
    });
    group.finish();
}

criterion_group!(benches, cs9_installcheck);
criterion_main!(benches);
