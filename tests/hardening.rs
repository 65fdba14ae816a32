//! Issue 20: whatever the metadata holds, a run ends with exit 0, 1 or 2 and
//! a message: no abort, no hang, no memory without bound. Each test writes a
//! tiny repository of its own (repomd.xml and a plain primary.xml) or runs
//! the binary under a resource limit set in the child (`setrlimit`).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rpmatrix"))
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/repos")
}

struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs rpmatrix, killing it if it has not ended after `patience` (a hang
/// is then reported as such, instead of the test hanging too). `limit`
/// sets the child's RLIMIT_AS in bytes.
fn run(args: &[&str], limit: Option<u64>, patience: Duration) -> Run {
    let mut cmd = Command::new(bin());
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(bytes) = limit {
        // SAFETY: setrlimit is async-signal-safe and touches only the child.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: bytes,
                    rlim_max: bytes,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    let mut out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut err = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break status;
        }
        if started.elapsed() > patience {
            let _ = child.kill();
            let _ = child.wait();
            panic!("rpmatrix {args:?} still running after {patience:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    use std::os::unix::process::ExitStatusExt;
    Run {
        code: status.code(),
        signal: status.signal(),
        stdout: reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Writes a repository whose primary.xml (plain, at `href`) is `primary`.
fn write_repo(dir: &Path, primary: &[u8]) {
    let repodata = dir.join("repodata");
    std::fs::create_dir_all(&repodata).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(repodata.join("primary.xml"), primary).unwrap_or_else(|e| panic!("{e}"));
    write_repomd(dir, Some(primary));
}

/// repomd.xml naming repodata/primary.xml, with the checksum and size of
/// `primary` when given.
fn write_repomd(dir: &Path, primary: Option<&[u8]>) {
    let check = primary.map_or(String::new(), |p| {
        format!(
            "<checksum type=\"sha256\">{}</checksum><size>{}</size>",
            sha256(p),
            p.len()
        )
    });
    let repomd = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
<data type="primary">{check}<location href="repodata/primary.xml"/></data>
</repomd>"#
    );
    std::fs::create_dir_all(dir.join("repodata")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.join("repodata/repomd.xml"), repomd).unwrap_or_else(|e| panic!("{e}"));
}

/// One package `name` requiring each of `requires` (XML-escaped here).
fn package(name: &str, requires: &[&str]) -> String {
    let reqs: String = requires
        .iter()
        .map(|r| {
            let r = r
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;");
            format!("<rpm:entry name=\"{r}\"/>")
        })
        .collect();
    package_with_entries(name, &reqs)
}

/// One package `name` whose `<rpm:requires>` holds `entries` (XML as is).
fn package_with_entries(name: &str, reqs: &str) -> String {
    format!(
        r#"<package type="rpm"><name>{name}</name><arch>x86_64</arch><version epoch="0" ver="1" rel="1"/>
<checksum type="sha256" pkgid="YES">{}</checksum><summary>s</summary><description>d</description>
<packager/><url/><time file="1" build="1"/><size package="1" installed="1" archive="1"/>
<location href="{name}-1-1.x86_64.rpm"/><format><rpm:license>MIT</rpm:license><rpm:vendor/><rpm:group>x</rpm:group>
<rpm:buildhost>h</rpm:buildhost><rpm:sourcerpm>{name}-1-1.src.rpm</rpm:sourcerpm><rpm:header-range start="1" end="2"/>
<rpm:provides><rpm:entry name="{name}" flags="EQ" epoch="0" ver="1" rel="1"/></rpm:provides>
<rpm:requires>{reqs}</rpm:requires></format></package>
"#,
        sha256(name.as_bytes())
    )
}

fn primary(packages: &[String]) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{}">
{}</metadata>
"#,
        packages.len(),
        packages.concat()
    )
    .into_bytes()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn assert_error(r: &Run, what: &[&str]) {
    assert_eq!(
        r.code,
        Some(2),
        "signal {:?}\nstdout: {}\nstderr: {}",
        r.signal,
        r.stdout,
        r.stderr
    );
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for w in what {
        assert!(r.stderr.contains(w), "no {w:?} in: {}", r.stderr);
    }
}

/// A rich dependency 1,800 parentheses deep, and a flat chain of 70,000
/// operands, overflowed the stack (exit 134, no message). Now: exit 2
/// naming the package and the repository, as the checked repo and as a
/// lookaside one (point 1).
#[test]
fn deep_rich_dependencies_are_an_error_naming_package_and_repo() {
    let nested = format!("{}a{}", "(".repeat(1800), ")".repeat(1800));
    let chain = format!("({})", vec!["a"; 70_000].join(" and "));
    for (what, dep) in [("nested", nested), ("chain", chain)] {
        let dir = tempdir();
        write_repo(
            dir.path(),
            &primary(&[package("a", &[]), package("deep", &[dep.as_str()])]),
        );
        let repo = format!("bad={}", dir.path().display());
        let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
        assert_error(&r, &["deep-1-1.x86_64", "bad", "nested more than"]);
        assert!(
            r.stderr.len() < 2000,
            "{what}: the whole dependency is quoted: {}",
            r.stderr.len()
        );
        // As a lookaside of a healthy repository.
        let good = format!("good={}", fixtures().join("base").display());
        let r = run(
            &["closure", "--repo", &good, "--repo", &repo, "--check", "good"],
            None,
            Duration::from_secs(120),
        );
        assert!(
            r.signal.is_none() && matches!(r.code, Some(0..=2)),
            "{what}: {:?} {}",
            r.signal,
            r.stderr
        );
    }
}

/// repomd.xml that is /dev/zero was read without bound; a primary that is
/// a FIFO or /dev/zero hung. Now they are refused as not regular files
/// (point 9).
#[test]
fn special_files_are_refused() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("repodata")).unwrap_or_else(|e| panic!("{e}"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("repodata/repomd.xml")).unwrap_or_else(|e| panic!("{e}"));
    let repo = format!("z={}", dir.path().display());
    let r = run(&["closure", "--repo", &repo], Some(1 << 30), Duration::from_secs(120));
    assert_error(&r, &["repomd.xml", "not a regular file"]);

    for special in ["fifo", "/dev/zero"] {
        let dir = tempdir();
        write_repomd(dir.path(), None);
        let target = dir.path().join("repodata/primary.xml");
        if special == "fifo" {
            let path = std::ffi::CString::new(target.display().to_string()).unwrap_or_default();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
        } else {
            std::os::unix::fs::symlink(special, &target).unwrap_or_else(|e| panic!("{e}"));
        }
        let repo = format!("s={}", dir.path().display());
        let r = run(&["closure", "--repo", &repo], Some(1 << 30), Duration::from_secs(120));
        assert_error(&r, &["primary.xml", "not a regular file"]);
    }
}

/// An empty <checksum> meant no verification at all (point 11).
#[test]
fn an_empty_checksum_is_an_error() {
    let dir = tempdir();
    let p = primary(&[package("a", &[])]);
    write_repo(dir.path(), &p);
    let repomd = dir.path().join("repodata/repomd.xml");
    let text = std::fs::read_to_string(&repomd).unwrap_or_default();
    std::fs::write(&repomd, text.replace(&sha256(&p), "")).unwrap_or_else(|e| panic!("{e}"));
    let repo = format!("e={}", dir.path().display());
    let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
    assert_error(&r, &["repomd.xml", "empty <checksum>"]);
}

/// Under an address-space limit (`ulimit -v`), too small for some part of
/// the run (threads' stacks, the parse, the pool), every run ends with an
/// exit code and, for 2, a message: never a panic (101) or an abort (134)
/// (point 10).
#[test]
fn memory_limits_end_in_exit_codes_not_aborts() {
    let repos: Vec<String> = ["base", "app"]
        .iter()
        .map(|r| format!("{r}={}", fixtures().join(r).display()))
        .collect();
    let mut args = vec!["closure"];
    for r in &repos {
        args.extend(["--repo", r.as_str()]);
    }
    let free = run(&args, None, Duration::from_secs(120));
    let mut errors = 0;
    // Below about 20 MiB the dynamic loader itself cannot map the binary
    // (SIGSEGV before main): nothing of rpmatrix runs there.
    for mib in [20u64, 22, 24, 26, 28, 32, 40, 48, 64, 256] {
        let r = run(&args, Some(mib << 20), Duration::from_secs(120));
        // The loader's own failure to map the binary (its size depends on
        // the build) is the case above: nothing of rpmatrix ran.
        if r.code == Some(127) && r.stderr.contains("error while loading shared libraries") {
            continue;
        }
        assert!(
            r.signal.is_none() && matches!(r.code, Some(0..=2)),
            "under {mib} MiB: code {:?}, signal {:?}\n{}",
            r.code,
            r.signal,
            r.stderr
        );
        if r.code == Some(2) {
            errors += 1;
            assert!(r.stderr.contains("error:"), "under {mib} MiB: {}", r.stderr);
        } else {
            assert_eq!((r.code, &r.stdout), (free.code, &free.stdout), "under {mib} MiB");
        }
    }
    // The smallest limits must have failed, or this proved nothing.
    assert!(errors > 0);
}

/// A repository of `packages` as `name=DIR`, kept alive by the TempDir.
fn repo_of(name: &str, primary_xml: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempdir();
    write_repo(dir.path(), primary_xml);
    let spec = format!("{name}={}", dir.path().display());
    (dir, spec)
}

/// `flags="XX"`, `"eq"`, `"ge"`, `"GT "` and `""` were read as no
/// operator: the versioned dependency became unversioned and was satisfied
/// (exit 0) where dnf reports it unresolved. Now each is malformed
/// metadata naming the file and the package, read by hand or by quick-xml
/// (point 6). No `flags` attribute at all is still an unversioned
/// dependency.
#[test]
fn unknown_dependency_flags_are_malformed_metadata() {
    let provider = package("libfoo", &[]);
    for flags in ["XX", "eq", "ge", "GT ", "", "G&#84;&#32;"] {
        // Double quotes are read by hand, single ones by quick-xml.
        for quote in ['"', '\''] {
            let entry = format!(r#"<rpm:entry name="libfoo" flags={quote}{flags}{quote} epoch="0" ver="2" rel="1"/>"#);
            let (_dir, repo) = repo_of(
                "f",
                &primary(&[provider.clone(), package_with_entries("needy", &entry)]),
            );
            let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
            assert_error(&r, &["primary.xml", "needy-1-1.x86_64", "unknown dependency flags"]);
        }
    }
    // The same requirement with a flag rpm-md knows (spelled with an entity
    // or not) is unresolved (libfoo is version 1), and without flags it is met.
    for flags in ["GE", "G&#69;"] {
        let entry = format!(r#"<rpm:entry name="libfoo" flags="{flags}" epoch="0" ver="2" rel="1"/>"#);
        let (_dir, repo) = repo_of(
            "f",
            &primary(&[provider.clone(), package_with_entries("needy", &entry)]),
        );
        let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
        assert_eq!(r.code, Some(1), "{}", r.stderr);
    }
    let entry = r#"<rpm:entry name="libfoo"/>"#;
    let (_dir, repo) = repo_of("f", &primary(&[provider, package_with_entries("needy", entry)]));
    let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// Malformed XML was accepted, and gave findings where libsolv loads no
/// package: an end tag closing another element, an element left open, a
/// NUL byte, an attribute given twice, `packages="-1"`, an empty `<name>`,
/// an epoch that is not a number. Each is now exit 2 naming the file and,
/// where there is one, the package, whether the hand-read runs or quick-xml
/// read the place (point 7).
#[test]
fn malformed_xml_is_an_error_naming_file_and_package() {
    let good = primary(&[package("a", &[]), package("bad", &["a"])]);
    let good = String::from_utf8(good).unwrap_or_default();
    let (_dir, repo) = repo_of("m", good.as_bytes());
    let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let bad_at = good.find("<name>bad</name>").unwrap_or(0);
    // (what, from, to, expected in the message); `from` is replaced in
    // package "bad" only.
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "end tag of another element",
            "<summary>s</summary>",
            "<summary>s</summarx>",
            &["</summarx> closes <summary>", "bad-1-1.x86_64"],
        ),
        (
            "end tag of another element, read by quick-xml",
            "<summary>s</summary>",
            "<summary>s &amp; t</summarx>",
            &["</summarx> closes <summary>", "bad-1-1.x86_64"],
        ),
        (
            "element left open",
            "<summary>s</summary>",
            "<summary><b>s</summary>",
            &["</summary> closes <b>", "bad-1-1.x86_64"],
        ),
        (
            "<format> left open",
            "</format>",
            "",
            &["</package> closes <format>", "bad-1-1.x86_64"],
        ),
        (
            "a dependency list left open",
            "</rpm:requires>",
            "",
            &["</format> closes <rpm:requires>", "bad-1-1.x86_64"],
        ),
        (
            "NUL byte",
            "<description>d</description>",
            "<description>d\0</description>",
            &["NUL byte", "bad-1-1.x86_64"],
        ),
        (
            "attribute twice",
            r#"<version epoch="0" ver="1" rel="1"/>"#,
            r#"<version epoch="0" ver="1" ver="2" rel="1"/>"#,
            &["duplicated attribute", "bad-1-1.x86_64"],
        ),
        (
            "attribute twice in an element nothing reads",
            r#"<time file="1" build="1"/>"#,
            r#"<time file="1" file="1"/>"#,
            &["duplicated attribute", "bad-1-1.x86_64"],
        ),
        (
            "attribute twice in an entry",
            r#"<rpm:entry name="a"/>"#,
            r#"<rpm:entry name="a" name="b"/>"#,
            &["duplicated attribute", "bad-1-1.x86_64"],
        ),
        (
            "empty name",
            "<name>bad</name>",
            "<name></name>",
            &["empty <name>", "bad-1-1.x86_64.rpm"],
        ),
        (
            "empty arch",
            "<arch>x86_64</arch>",
            "<arch></arch>",
            &["empty <arch>", "bad"],
        ),
        (
            "epoch not a number",
            r#"<version epoch="0" ver="1" rel="1"/>"#,
            r#"<version epoch="x" ver="1" rel="1"/>"#,
            &["epoch=\"x\" is not a number", "bad-1-1.x86_64"],
        ),
        (
            "negative epoch",
            r#"<version epoch="0" ver="1" rel="1"/>"#,
            r#"<version epoch="-1" ver="1" rel="1"/>"#,
            &["epoch=\"-1\" is not a number", "bad-1-1.x86_64"],
        ),
        (
            "negative epoch in an entry, read by quick-xml",
            r#"<rpm:entry name="bad" flags="EQ" epoch="0" ver="1" rel="1"/>"#,
            r#"<rpm:entry name='bad' flags="EQ" epoch="-1" ver="1" rel="1"/>"#,
            &["epoch=\"-1\" is not a number", "bad-1-1.x86_64"],
        ),
    ];
    for (what, from, to, want) in cases {
        let (head, tail) = good.split_at(bad_at);
        assert!(tail.contains(from), "{what}: {from}");
        let xml = format!("{head}{}", tail.replacen(from, to, 1));
        let (_dir, repo) = repo_of("m", xml.as_bytes());
        let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
        let mut all = vec!["primary.xml", "malformed"];
        all.extend(want.iter());
        assert_error(&r, &all);
        assert!(r.stderr.lines().count() <= 2, "{what}: {}", r.stderr);
    }
    // Of the document, not of a package.
    for (from, to, want) in [
        (r#"packages="2""#, r#"packages="-1""#, r#"packages="-1" is not a count"#),
        (
            r#"packages="2""#,
            r#"packages="two""#,
            r#"packages="two" is not a count"#,
        ),
        ("</metadata>", "</metadata><package type=\"rpm\"/>", "after </metadata>"),
    ] {
        let xml = good.replacen(from, to, 1);
        let (_dir, repo) = repo_of("m", xml.as_bytes());
        let r = run(&["closure", "--repo", &repo], None, Duration::from_secs(120));
        assert_error(&r, &["primary.xml", "malformed", want]);
    }
}

/// The chunker doubled its buffer until it saw `</package>`: a GiB of
/// whitespace inside one package cost 2 GiB of memory, and under a memory
/// limit ended in an allocation failure. Now an element longer than 64 MiB
/// is an error naming the file, and the run stays well under a limit the
/// old code could not run in (point 3). The file is gzip (a MiB for the
/// GiB), as it would come from a mirror.
#[test]
fn an_endless_element_is_an_error_in_bounded_memory() {
    use std::io::Write;
    let dir = tempdir();
    let whole = String::from_utf8(primary(&[package("a", &[]), package("big", &["a"])])).unwrap_or_default();
    let at = whole.find("<summary>s</summary>").unwrap_or(0);
    let (head, tail) = whole.split_at(at);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let spaces = vec![b' '; 1 << 20];
    gz.write_all(head.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..1024 {
        gz.write_all(&spaces).unwrap_or_else(|e| panic!("{e}"));
    }
    gz.write_all(tail.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let bytes = gz.finish().unwrap_or_else(|e| panic!("{e}"));
    write_repo(dir.path(), &bytes);
    let repo = format!("w={}", dir.path().display());
    let r = run(&["closure", "--repo", &repo], Some(512 << 20), Duration::from_secs(300));
    assert_error(&r, &["primary.xml", "an element longer than 64 MiB", "</package>"]);
}
