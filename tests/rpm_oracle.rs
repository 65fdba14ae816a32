//! rpm's own answers (python3-rpm) for EVR order and Requires/Provides range
//! overlap, checked against our code: hand-picked cases
//! (tests/oracle/gen_rpm_tables.py) and tens of thousands of random ones
//! drawn to hit rpmvercmp's corners (tests/oracle/gen_rpm_random.py).

use std::io::Read;

use rpmatrix::core::evr::{self, Evr, Op};
use rpmatrix::repodata::decompress::decompressor;

mod common;

fn rows(file: &str) -> Vec<Vec<String>> {
    let path = common::root().join("tests/oracle").join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Plain or gzipped, told apart by content as the loader does.
    let mut text = String::new();
    decompressor(Box::new(&bytes[..]))
        .and_then(|(mut reader, _)| reader.read_to_string(&mut text))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

/// Our order against `rpm.labelCompare` on every row of `file`; the
/// disagreements, at most 30 of them.
fn evr_disagreements(file: &str, at_least: usize) -> Vec<String> {
    let rows = rows(file);
    assert!(rows.len() >= at_least, "{file}: too few rows: {}", rows.len());
    let mut wrong = Vec::new();
    for r in &rows {
        let want: i32 = r[2].parse().unwrap_or(99);
        let got = match evr::compare(&Evr::parse(&r[0]), &Evr::parse(&r[1])) {
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
            std::cmp::Ordering::Greater => 1,
        };
        if got != want {
            wrong.push(format!("{} vs {}: rpm {want}, ours {got}", r[0], r[1]));
        }
    }
    wrong.truncate(30);
    wrong
}

fn parse_dep(s: &str) -> (String, Option<(Op, Evr)>) {
    let parts: Vec<&str> = s.split(' ').collect();
    match parts.as_slice() {
        [name] => ((*name).to_owned(), None),
        [name, op, evr] => ((*name).to_owned(), Op::from_symbol(op).map(|o| (o, Evr::parse(evr)))),
        _ => panic!("bad dep {s}"),
    }
}

/// Our range overlap against `rpm.ds.Compare` on every row of `file`; the
/// disagreements, at most 30 of them.
fn overlap_disagreements(file: &str, at_least: usize) -> Vec<String> {
    let rows = rows(file);
    assert!(rows.len() >= at_least, "{file}: too few rows: {}", rows.len());
    let mut wrong = Vec::new();
    for r in &rows {
        let (pn, pc) = parse_dep(&r[0]);
        let (rn, rc) = parse_dep(&r[1]);
        let want = r[2] == "1";
        let got = pn == rn
            && match (pc, rc) {
                (Some((po, pe)), Some((ro, re))) => evr::ranges_overlap(po, &pe, ro, &re),
                _ => true,
            };
        if got != want {
            wrong.push(format!("provide {} / require {}: rpm {want}, ours {got}", r[0], r[1]));
        }
    }
    wrong.truncate(30);
    wrong
}

#[test]
fn evr_order_matches_rpm_label_compare() {
    let wrong = evr_disagreements("evr_cmp.tsv", 60);
    assert!(wrong.is_empty(), "disagreements with rpm:\n{}", wrong.join("\n"));
}

#[test]
fn dependency_overlap_matches_rpm_ds_compare() {
    let wrong = overlap_disagreements("dep_match.tsv", 40);
    assert!(wrong.is_empty(), "disagreements with rpm:\n{}", wrong.join("\n"));
}

#[test]
fn evr_order_matches_rpm_on_random_versions() {
    let wrong = evr_disagreements("evr_random.tsv.gz", 20_000);
    assert!(
        wrong.is_empty(),
        "disagreements with rpm (first 30):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn dependency_overlap_matches_rpm_on_random_ranges() {
    let wrong = overlap_disagreements("dep_random.tsv.gz", 12_000);
    assert!(
        wrong.is_empty(),
        "disagreements with rpm (first 30):\n{}",
        wrong.join("\n")
    );
}
