//! rpm's own answers (python3-rpm, tests/oracle/gen_rpm_tables.py) for EVR
//! order and Requires/Provides range overlap, checked against our code.

use rpmatrix::evr::{self, Evr, Op};

fn rows(file: &str) -> Vec<Vec<String>> {
    let path = format!("{}/tests/oracle/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

#[test]
fn evr_order_matches_rpm_label_compare() {
    let rows = rows("evr_cmp.tsv");
    assert!(rows.len() >= 60, "too few rows: {}", rows.len());
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
    assert!(wrong.is_empty(), "disagreements with rpm:\n{}", wrong.join("\n"));
}

fn parse_dep(s: &str) -> (String, Option<(Op, Evr)>) {
    let parts: Vec<&str> = s.split(' ').collect();
    match parts.as_slice() {
        [name] => ((*name).to_owned(), None),
        [name, op, evr] => ((*name).to_owned(), Op::from_symbol(op).map(|o| (o, Evr::parse(evr)))),
        _ => panic!("bad dep {s}"),
    }
}

#[test]
fn dependency_overlap_matches_rpm_ds_compare() {
    let rows = rows("dep_match.tsv");
    assert!(rows.len() >= 40, "too few rows: {}", rows.len());
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
    assert!(wrong.is_empty(), "disagreements with rpm:\n{}", wrong.join("\n"));
}
