//! Every parser of text the user or a repository hands rpmatrix, chosen by
//! the first byte: an error or a value, never a panic. Where there is a
//! property to keep (rpmvercmp's antisymmetry, printing a rich dependency
//! and parsing it back), it is checked too.
use std::cmp::Ordering;
use std::io::Read;

use rpmatrix::core::{dep, evr};
use rpmatrix::{matrix, repodata, repofile};

/// Runs the target on one input; panics on a finding.
pub fn run(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match which % 8 {
        0 => {
            if let Ok(d) = dep::parse_rich(&text) {
                let printed = d.to_string();
                // What we print, we (and libsolv) read back as the same thing.
                if printed.starts_with('(') {
                    match dep::parse_rich(&printed) {
                        Ok(again) => assert_eq!(again.to_string(), printed, "{text:?}"),
                        Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {e}"),
                    }
                }
            }
        }
        1 => {
            let (a, b) = text.split_once('\n').unwrap_or((&text, ""));
            let ab = evr::vercmp(a, b);
            assert_eq!(ab, evr::vercmp(b, a).reverse(), "{a:?} {b:?}");
            assert_eq!(evr::vercmp(a, a), Ordering::Equal, "{a:?}");
            let (ea, eb) = (evr::Evr::parse(a), evr::Evr::parse(b));
            assert_eq!(evr::compare(&ea, &eb), evr::compare(&eb, &ea).reverse(), "{a:?} {b:?}");
            for op in [evr::Op::LT, evr::Op::LE, evr::Op::EQ, evr::Op::GE, evr::Op::GT] {
                let _ = evr::ranges_overlap(op, &ea, evr::Op::EQ, &eb);
            }
        }
        2 => {
            let _ = repodata::repomd::parse(rest);
        }
        3 => {
            let _ = repodata::modules::parse(&text);
        }
        4 => {
            let _ = repofile::parse(&text, "fuzz.repo");
        }
        5 => {
            let src = matrix::file::Source {
                path: "fuzz.toml".into(),
                text: text.into_owned(),
            };
            if let Ok(file) = src.parse() {
                let _ = matrix::plan::resolve(&src, file);
            }
        }
        6 => {
            let wanted = ["/usr/bin/sh", "/etc/a&b", "/usr/share/x"];
            let _ = repodata::filelists::scan_filelists_for(rest, &wanted, &mut |_, _| {});
            // More paths than get a memmem pass each: the automaton's search.
            let many = [
                "/a",
                "/b",
                "/c",
                "/d",
                "/e",
                "/f",
                "/usr/bin/sh",
                "/etc/a&b",
                "/usr/share/x",
            ];
            let _ = repodata::filelists::scan_filelists_for(rest, &many, &mut |_, _| {});
        }
        _ => {
            if let Ok((mut r, _)) = repodata::decompress::decompressor(Box::new(rest)) {
                let mut out = Vec::new();
                let _ = r.by_ref().take(1 << 20).read_to_end(&mut out);
            }
            // gzip without its CRC-32 (for files a checksum already covers).
            if let Ok((mut r, _)) = repodata::decompress::decompressor_of_checked(Box::new(rest)) {
                let mut out = Vec::new();
                let _ = r.by_ref().take(1 << 20).read_to_end(&mut out);
            }
        }
    }
}
