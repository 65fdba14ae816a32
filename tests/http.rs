//! Remote repositories against a real HTTP server on 127.0.0.1, started by
//! each test, serving `fixtures/repos` (or repos made on the spot) and
//! misbehaving on demand. Every fault must end in exit code 2 with one
//! message naming the repo, the URL and what went wrong, and leave a cache
//! that the next healthy run uses as is.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;

mod common;

use common::root;

/// A request as the handler sees it.
struct Req {
    path: String,
    /// How many times this path was requested, this one included.
    nth: usize,
}

/// What the server does.
enum Reply {
    /// Serve this file under the root (404 if absent), with ETag support.
    File(String),
    /// A status, headers and a body.
    Raw(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Send half the file chunked, then drop the connection.
    Reset(String),
    /// Announce the whole file in Content-Length, send half, close.
    Short(String),
    /// Accept, then say nothing for a long time.
    Stall,
    /// 302 to this path.
    Redirect(String),
    /// Announce the whole file, then send one byte every `.1` until the
    /// client hangs up: no single read ever times out.
    Drip(String, Duration),
}

type Handler = Box<dyn Fn(&Req) -> Reply + Send + Sync>;

struct Server {
    port: u16,
    /// (path, status) of each response.
    log: Arc<Mutex<Vec<(String, u16)>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(dir: &Path, handler: Handler) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Mutex::new(std::collections::HashMap::<String, usize>::new()));
        let handler = Arc::new(handler);
        let dir = dir.to_owned();
        let (log2, stop2) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (handler, log, counts, dir) = (handler.clone(), log2.clone(), counts.clone(), dir.clone());
                std::thread::spawn(move || serve(stream, &dir, &*handler, &log, &counts));
            }
        });
        Server { port, log, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    fn take_log(&self) -> Vec<(String, u16)> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn serve(
    mut stream: TcpStream,
    dir: &Path,
    handler: &(dyn Fn(&Req) -> Reply + Send + Sync),
    log: &Mutex<Vec<(String, u16)>>,
    counts: &Mutex<std::collections::HashMap<String, usize>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(clone) = stream.try_clone() else { return };
    let mut reader = BufReader::new(clone);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut if_none_match = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(v.trim().to_owned());
        }
    }
    let nth = {
        let mut c = counts.lock().unwrap_or_else(|e| e.into_inner());
        let n = c.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let reply = handler(&Req {
        path: path.clone(),
        nth,
    });
    let read = |p: &str| std::fs::read(dir.join(p.trim_start_matches('/'))).ok();
    let record = |status: u16| {
        log.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path.clone(), status))
    };
    let head = |status: u16, headers: &[(&str, String)]| {
        let mut s = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
        for (k, v) in headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s.push_str("\r\n");
        s.into_bytes()
    };
    match reply {
        Reply::File(p) => match read(&p) {
            Some(body) => {
                let etag = format!("\"{:x}-{}\"", body.len(), body.iter().map(|&b| b as u64).sum::<u64>());
                if if_none_match.as_deref() == Some(etag.as_str()) {
                    record(304);
                    let _ = stream.write_all(&head(304, &[("ETag", etag)]));
                } else {
                    record(200);
                    let _ = stream.write_all(&head(
                        200,
                        &[("Content-Length", body.len().to_string()), ("ETag", etag)],
                    ));
                    let _ = stream.write_all(&body);
                }
            }
            None => {
                record(404);
                let _ = stream.write_all(&head(404, &[("Content-Length", "0".into())]));
            }
        },
        Reply::Raw(status, headers, body) => {
            record(status);
            let mut headers = headers;
            headers.push(("Content-Length", body.len().to_string()));
            let _ = stream.write_all(&head(status, &headers));
            let _ = stream.write_all(&body);
        }
        Reply::Reset(p) => {
            record(200);
            let body = read(&p).unwrap_or_default();
            let half = &body[..body.len() / 2];
            let _ = stream.write_all(&head(200, &[("Transfer-Encoding", "chunked".into())]));
            let _ = stream.write_all(format!("{:x}\r\n", half.len()).as_bytes());
            let _ = stream.write_all(half);
            let _ = stream.write_all(b"\r\n");
        }
        Reply::Short(p) => {
            record(200);
            let body = read(&p).unwrap_or_default();
            let _ = stream.write_all(&head(200, &[("Content-Length", body.len().to_string())]));
            let _ = stream.write_all(&body[..body.len() / 2]);
        }
        Reply::Stall => {
            record(0);
            std::thread::sleep(Duration::from_secs(20));
        }
        Reply::Drip(p, every) => {
            record(200);
            let body = read(&p).unwrap_or_default();
            let _ = stream.write_all(&head(200, &[("Content-Length", body.len().to_string())]));
            for b in body {
                std::thread::sleep(every);
                if stream.write_all(&[b]).and_then(|()| stream.flush()).is_err() {
                    break;
                }
            }
        }
        Reply::Redirect(to) => {
            record(302);
            let _ = stream.write_all(&head(302, &[("Location", to), ("Content-Length", "0".into())]));
        }
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// Serves fixtures/repos as is.
fn plain() -> Handler {
    Box::new(|r: &Req| Reply::File(r.path.clone()))
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn rpmatrix(args: &[&str]) -> Run {
    let out = Command::cargo_bin("rpmatrix")
        .unwrap_or_else(|e| panic!("{e}"))
        .current_dir(root())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

fn cache_arg(dir: &tempfile::TempDir) -> String {
    dir.path().display().to_string()
}

/// The findings of a closure over local fixture repos.
fn local(repos: &[&str]) -> Run {
    let mut args = vec!["closure".to_owned()];
    for r in repos {
        args.push("--repo".into());
        args.push(format!("{r}=fixtures/repos/{r}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    rpmatrix(&args)
}

/// A closure over the server's copies of fixture repos, with extra flags.
fn remote(server: &Server, repos: &[&str], cache: &tempfile::TempDir, extra: &[&str]) -> Run {
    let mut args = vec!["closure".to_owned(), "--cache-dir".into(), cache_arg(cache)];
    for r in repos {
        args.push("--repo".into());
        args.push(format!("{r}={}", server.url(r)));
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    rpmatrix(&args)
}

fn assert_same(got: &Run, want: &Run) {
    assert_eq!(got.code, want.code, "stderr: {}", got.stderr);
    assert_eq!(got.stdout, want.stdout);
}

/// Exit 2, a single error line naming the repo, the URL and `what`.
fn assert_fault(run: &Run, repo: &str, url: &str, what: &str) {
    assert_eq!(run.code, 2, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", run.stderr);
    let e = errors[0];
    eprintln!("{e}");
    assert!(e.contains(&format!("repo '{repo}'")), "no repo in: {e}");
    assert!(e.contains(url), "no URL {url} in: {e}");
    assert!(e.to_lowercase().contains(what), "no {what:?} in: {e}");
}

fn href_of(repo: &str, kind: &str) -> String {
    let dir = root().join("fixtures/repos").join(repo).join("repodata");
    let name = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.contains(&format!("-{kind}.")))
        .unwrap_or_else(|| panic!("no {kind} in {repo}"));
    format!("/{repo}/repodata/{name}")
}

fn fixtures() -> PathBuf {
    root().join("fixtures/repos")
}

/// A faulty server that can be healed, and a check that after the fault
/// the same cache gives the local findings.
fn fault_then_heal(fault: impl Fn(&Req) -> Option<Reply> + Send + Sync + 'static, extra: &[&str]) -> (Run, Server) {
    let healthy = Arc::new(AtomicBool::new(false));
    let h = healthy.clone();
    let server = Server::start(
        &fixtures(),
        Box::new(move |r: &Req| {
            if !h.load(Ordering::SeqCst)
                && let Some(reply) = fault(r)
            {
                return reply;
            }
            Reply::File(r.path.clone())
        }),
    );
    let cache = tempdir();
    let run = remote(&server, &["base", "app"], &cache, extra);
    healthy.store(true, Ordering::SeqCst);
    let again = remote(&server, &["base", "app"], &cache, &[]);
    assert_same(&again, &local(&["base", "app"]));
    (run, server)
}

#[test]
fn http_gives_the_local_findings_on_every_golden_case() {
    let server = Server::start(&fixtures(), plain());
    let cache = tempdir();
    let dir = root().join("fixtures/golden");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")).flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(case) = name.strip_suffix(".args") else {
            continue;
        };
        let line = std::fs::read_to_string(e.path()).unwrap_or_default();
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        let remote_args: Vec<String> = args
            .iter()
            .map(|a| match a.split_once("=fixtures/repos/") {
                Some((name, repo)) => format!("{name}={}", server.url(repo)),
                None => a.clone(),
            })
            .collect();
        let mut l = vec!["closure"];
        l.extend(args.iter().map(String::as_str));
        let mut r = vec!["closure", "--cache-dir"];
        let c = cache_arg(&cache);
        r.push(&c);
        r.extend(remote_args.iter().map(String::as_str));
        let (want, got) = (rpmatrix(&l), rpmatrix(&r));
        assert_eq!(got.code, want.code, "{case}: {}", got.stderr);
        assert_eq!(got.stdout, want.stdout, "{case}");
        n += 1;
    }
    assert!(n >= 15);
}

#[test]
fn warm_cache_downloads_nothing_and_offline_needs_no_server() {
    let server = Server::start(&fixtures(), plain());
    let cache = tempdir();
    let want = local(&["base", "app"]);
    assert_same(&remote(&server, &["base", "app"], &cache, &[]), &want);
    assert!(server.take_log().iter().all(|(_, s)| *s == 200));

    // Warm: only conditional repomd.xml requests, all answered 304.
    assert_same(&remote(&server, &["base", "app"], &cache, &[]), &want);
    let log = server.take_log();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        log.iter()
            .all(|(p, s)| p.ends_with("/repodata/repomd.xml") && *s == 304),
        "{log:?}"
    );

    // --max-age: not even that.
    assert_same(&remote(&server, &["base", "app"], &cache, &["--max-age", "1h"]), &want);
    assert_eq!(server.take_log(), vec![]);

    server.stop();
    assert_same(&remote(&server, &["base", "app"], &cache, &["--offline"]), &want);
    // Offline with a cold cache: a clear error naming the repo and the file.
    let cold = tempdir();
    let run = remote(&server, &["base"], &cold, &["--offline"]);
    assert_fault(&run, "base", &server.url("base/repodata/repomd.xml"), "--offline");

    // cache list / clean.
    let c = cache_arg(&cache);
    let list = rpmatrix(&["cache", "list", "--cache-dir", &c]);
    assert_eq!(list.code, 0);
    assert!(list.stdout.contains(&server.url("base")), "{}", list.stdout);
    assert!(
        rpmatrix(&["cache", "clean", "--cache-dir", &c, "--older-than", "1d"])
            .stdout
            .contains("removed 0 files")
    );
    assert_eq!(rpmatrix(&["cache", "clean", "--cache-dir", &c]).code, 0);
    assert!(
        rpmatrix(&["cache", "list", "--cache-dir", &c])
            .stdout
            .contains("0 repositories, 0 files")
    );
}

#[test]
fn repomd_404_is_an_error_naming_the_url() {
    let server = Server::start(&fixtures(), plain());
    let cache = tempdir();
    let run = remote(&server, &["nonexistent"], &cache, &[]);
    assert_fault(
        &run,
        "nonexistent",
        &server.url("nonexistent/repodata/repomd.xml"),
        "not found",
    );
}

#[test]
fn a_503_on_each_first_request_is_retried() {
    let server = Server::start(
        &fixtures(),
        Box::new(|r: &Req| {
            if r.nth == 1 {
                Reply::Raw(503, vec![("Retry-After", "0".into())], b"busy".to_vec())
            } else {
                Reply::File(r.path.clone())
            }
        }),
    );
    let cache = tempdir();
    assert_same(
        &remote(&server, &["base", "app"], &cache, &[]),
        &local(&["base", "app"]),
    );
    assert!(server.take_log().iter().any(|(_, s)| *s == 503));
}

#[test]
fn connection_reset_mid_body() {
    let primary = href_of("app", "primary");
    let p = primary.clone();
    let (run, server) = fault_then_heal(
        move |r| (r.path == p).then(|| Reply::Reset(p.clone())),
        &["--retries", "1"],
    );
    assert_fault(&run, "app", &server.url(primary.trim_start_matches('/')), "connection");
}

#[test]
fn body_shorter_than_content_length() {
    let primary = href_of("base", "primary");
    let p = primary.clone();
    let (run, server) = fault_then_heal(
        move |r| (r.path == p).then(|| Reply::Short(p.clone())),
        &["--retries", "1"],
    );
    assert_fault(&run, "base", &server.url(primary.trim_start_matches('/')), "bytes");
}

#[test]
fn checksum_differs_from_repomd() {
    let primary = href_of("app", "primary");
    let p = primary.clone();
    let (run, server) = fault_then_heal(
        move |r| {
            (r.path == p).then(|| {
                let mut body = std::fs::read(fixtures().join(p.trim_start_matches('/'))).unwrap_or_default();
                if let Some(b) = body.last_mut() {
                    *b ^= 0xff;
                }
                Reply::Raw(200, vec![], body)
            })
        },
        &[],
    );
    assert_fault(
        &run,
        "app",
        &server.url(primary.trim_start_matches('/')),
        "checksum mismatch",
    );
}

#[test]
fn a_stalled_server_is_given_up_within_the_timeout() {
    let primary = href_of("base", "primary");
    let p = primary.clone();
    let started = Instant::now();
    let (run, server) = fault_then_heal(move |r| (r.path == p).then_some(Reply::Stall), &["--timeout", "1s"]);
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert_fault(&run, "base", &server.url(primary.trim_start_matches('/')), "timed out");
}

#[test]
fn redirects_are_followed_and_variables_substituted() {
    let server = Server::start(
        &fixtures(),
        Box::new(|r: &Req| match r.path.strip_prefix("/moved/9/x86_64/") {
            Some(rest) => Reply::Redirect(format!("/{rest}")),
            None => Reply::File(r.path.clone()),
        }),
    );
    let cache = tempdir();
    let loc = format!("base={}", server.url("moved/$releasever/$basearch/base"));
    let c = cache_arg(&cache);
    let run = rpmatrix(&["closure", "--cache-dir", &c, "--releasever", "9", "--repo", &loc]);
    assert_same(&run, &local(&["base"]));
    assert!(server.take_log().iter().any(|(_, s)| *s == 302));
    // Without --releasever: a clear error.
    let run = rpmatrix(&["closure", "--cache-dir", &c, "--repo", &loc]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--releasever"), "{}", run.stderr);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    l.local_addr().map(|a| a.port()).unwrap_or(1)
}

#[test]
fn metalink_falls_over_to_the_next_mirror_and_checks_repomd() {
    let repomd = std::fs::read(fixtures().join("base/repodata/repomd.xml")).unwrap_or_default();
    let good = sha256_hex(&repomd);
    let dead = dead_port();
    let metalink = move |port: u16, hash: &str| {
        format!(
            r#"<?xml version="1.0"?><metalink version="3.0" xmlns="http://www.metalinker.org/"><files><file name="repomd.xml">
<verification><hash type="sha256">{hash}</hash></verification><resources>
<url protocol="http" preference="100">http://127.0.0.1:{dead}/base/repodata/repomd.xml</url>
<url protocol="http" preference="90">http://127.0.0.1:{port}/base/repodata/repomd.xml</url>
</resources></file></files></metalink>"#
        )
    };
    let port = Arc::new(Mutex::new(0u16));
    let p2 = port.clone();
    let good2 = good.clone();
    let server = Server::start(
        &fixtures(),
        Box::new(move |r: &Req| {
            let port = *p2.lock().unwrap_or_else(|e| e.into_inner());
            match r.path.as_str() {
                "/metalink" => Reply::Raw(200, vec![], metalink(port, &good2).into_bytes()),
                "/stale-metalink" => Reply::Raw(200, vec![], metalink(port, &"0".repeat(64)).into_bytes()),
                "/mirrorlist" => Reply::Raw(
                    200,
                    vec![],
                    format!("# mirrors\nhttp://127.0.0.1:{dead}/base\nhttp://127.0.0.1:{port}/base\n").into_bytes(),
                ),
                _ => Reply::File(r.path.clone()),
            }
        }),
    );
    *port.lock().unwrap_or_else(|e| e.into_inner()) = server.port;
    let cache = tempdir();
    let c = cache_arg(&cache);
    let want = local(&["base"]);
    let loc = format!("base=metalink:{}", server.url("metalink"));
    assert_same(
        &rpmatrix(&["closure", "--cache-dir", &c, "--retries", "0", "--repo", &loc]),
        &want,
    );
    let cache2 = tempdir();
    let c2 = cache_arg(&cache2);
    let loc = format!("base=mirrorlist:{}", server.url("mirrorlist"));
    assert_same(
        &rpmatrix(&["closure", "--cache-dir", &c2, "--retries", "0", "--repo", &loc]),
        &want,
    );
    // A metalink whose hash no mirror matches: every mirror is refused.
    let loc = format!("base=metalink:{}", server.url("stale-metalink"));
    let run = rpmatrix(&["closure", "--cache-dir", &c, "--retries", "0", "--repo", &loc]);
    assert_fault(&run, "base", &server.url("stale-metalink"), "metalink");
    assert!(run.stderr.contains("does not match the checksums"), "{}", run.stderr);
}

/// Writes a repo whose primary is `primary` (stored as given) under `href`.
fn make_repo(dir: &Path, href: &str, primary: &[u8]) {
    let repodata = dir.join("repo/repodata");
    std::fs::create_dir_all(&repodata).unwrap_or_else(|e| panic!("{e}"));
    let target = dir.join("repo").join(href);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(&target, primary).unwrap_or_else(|e| panic!("{e}"));
    let repomd = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
<data type="primary"><checksum type="sha256">{}</checksum><location href="{href}"/><size>{}</size></data>
</repomd>"#,
        sha256_hex(primary),
        primary.len()
    );
    std::fs::write(repodata.join("repomd.xml"), repomd).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn a_gzip_bomb_is_refused_at_the_limit() {
    use std::io::Write as _;
    let dir = tempdir();
    let mut xml =
        b"<?xml version=\"1.0\"?><metadata xmlns=\"http://linux.duke.edu/metadata/common\" packages=\"0\">".to_vec();
    xml.extend(std::iter::repeat_n(b' ', 4 << 20));
    xml.extend_from_slice(b"</metadata>");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&xml).unwrap_or_else(|e| panic!("{e}"));
    let bomb = gz.finish().unwrap_or_default();
    make_repo(dir.path(), "repodata/bomb-primary.xml.gz", &bomb);
    let server = Server::start(dir.path(), plain());
    let cache = tempdir();
    let run = remote(&server, &["repo"], &cache, &["--max-decompressed-size", "1000000"]);
    assert_fault(&run, "repo", &server.url("repo"), "limit");
    assert!(run.stderr.contains("bomb-primary.xml.gz"), "{}", run.stderr);
}

#[test]
fn an_href_leaving_the_repo_is_refused() {
    let dir = tempdir();
    let primary =
        std::fs::read(fixtures().join(href_of("base", "primary").trim_start_matches('/'))).unwrap_or_default();
    make_repo(dir.path(), "../outside/primary.xml.gz", &primary);
    let server = Server::start(dir.path(), plain());
    let cache = tempdir();
    let run = remote(&server, &["repo"], &cache, &[]);
    assert_fault(&run, "repo", &server.url("repo"), "refusing href");
    assert!(server.take_log().iter().all(|(p, _)| !p.contains("outside")));
}

#[test]
fn repos_from_a_dnf_repo_file() {
    let server = Server::start(&fixtures(), plain());
    let dir = tempdir();
    let file = dir.path().join("test.repo");
    let text = format!(
        "[base]\nname=Base\nbaseurl={}\n        http://unused.invalid/\ngpgcheck=0\n\n[app]\nmirrorlist={}\nenabled=0\n",
        server.url("base"),
        server.url("nothing-here")
    );
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let cache = tempdir();
    let (f, c) = (file.display().to_string(), cache_arg(&cache));
    assert_same(
        &rpmatrix(&["closure", "--cache-dir", &c, "--repos-from", &f]),
        &local(&["base"]),
    );
    // excludepkgs drops a package (and its problem).
    let text = format!("[base]\nbaseurl={}\nexcludepkgs=base-tool\n", server.url("base"));
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let run = rpmatrix(&["closure", "--cache-dir", &c, "--repos-from", &f]);
    assert!(!run.stdout.contains("base-tool"), "{}", run.stdout);
    assert!(local(&["base"]).stdout.contains("base-tool"));
}

#[test]
#[ignore = "needs ../shared/data/real"]
fn http_gives_the_local_findings_on_cs9() {
    let real = common::real_data();
    let server = Server::start(&real, plain());
    let cache = tempdir();
    let repos = ["cs9-appstream-x86_64-2025-01", "cs9-baseos-x86_64-2022-02"];
    let mut l = vec!["closure".to_owned()];
    for r in repos {
        l.push("--repo".into());
        l.push(format!("{r}={}", real.join(r).display()));
    }
    let l: Vec<&str> = l.iter().map(String::as_str).collect();
    let want = rpmatrix(&l);
    assert_same(&remote(&server, &repos, &cache, &[]), &want);
    assert_same(&remote(&server, &repos, &cache, &["--offline"]), &want);
}

// Issue 20: hardening against what the network and the cache do.

/// The requests made for `path`.
fn requests_for(log: &[(String, u16)], path: &str) -> usize {
    log.iter().filter(|(p, _)| p == path).count()
}

/// A server sending a byte every 2.5 s never lets one read time out: the
/// file's time budget (--timeout) still ends it, once, without retries
/// (issue 20, point 2).
#[test]
fn a_slow_drip_is_given_up_at_the_timeout() {
    let primary = href_of("base", "primary");
    let p = primary.clone();
    let (run, server) = fault_then_heal(
        move |r| (r.path == p).then(|| Reply::Drip(p.clone(), Duration::from_millis(2500))),
        &["--timeout", "3s", "--retries", "3"],
    );
    assert_fault(&run, "base", &server.url(primary.trim_start_matches('/')), "stalled");
    let log = server.take_log();
    // One drip, then the healed run's download.
    assert_eq!(requests_for(&log, &primary), 2, "{log:?}");
}

/// Stalling mirrors share one time budget: with five of them and
/// --timeout 2s only the first is tried, not all five in turn (point 2).
#[test]
fn stalled_mirrors_do_not_add_up() {
    let port = Arc::new(Mutex::new(0u16));
    let p2 = port.clone();
    let server = Server::start(
        &fixtures(),
        Box::new(move |r: &Req| {
            let port = *p2.lock().unwrap_or_else(|e| e.into_inner());
            if r.path == "/mirrorlist" {
                let list: String = (0..5)
                    .map(|i| format!("http://127.0.0.1:{port}/stall{i}/base\n"))
                    .collect();
                Reply::Raw(200, vec![], list.into_bytes())
            } else if r.path.starts_with("/stall") {
                Reply::Stall
            } else {
                Reply::File(r.path.clone())
            }
        }),
    );
    *port.lock().unwrap_or_else(|e| e.into_inner()) = server.port;
    let cache = tempdir();
    let c = cache_arg(&cache);
    let loc = format!("base=mirrorlist:{}", server.url("mirrorlist"));
    let run = rpmatrix(&["closure", "--cache-dir", &c, "--timeout", "2s", "--repo", &loc]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("given up after"), "{}", run.stderr);
    let stalled = server
        .take_log()
        .iter()
        .filter(|(p, _)| p.starts_with("/stall"))
        .count();
    assert_eq!(stalled, 1, "{}", run.stderr);
}

/// An HTML page served with status 200 for repomd.xml is not cached: once
/// the server is healthy, --max-age and --offline use the real one (point 4).
#[test]
fn an_error_page_for_repomd_is_not_cached() {
    let healthy = Arc::new(AtomicBool::new(false));
    let h = healthy.clone();
    let server = Server::start(
        &fixtures(),
        Box::new(move |r: &Req| {
            if !h.load(Ordering::SeqCst) && r.path.ends_with("repomd.xml") {
                return Reply::Raw(
                    200,
                    vec![("Content-Type", "text/html".into())],
                    b"<!DOCTYPE html><html><body>Service Unavailable</body></html>".to_vec(),
                );
            }
            Reply::File(r.path.clone())
        }),
    );
    let cache = tempdir();
    let run = remote(&server, &["base"], &cache, &[]);
    assert_fault(&run, "base", &server.url("base"), "html page");
    let offline = remote(&server, &["base"], &cache, &["--offline"]);
    assert_fault(
        &offline,
        "base",
        &server.url("base/repodata/repomd.xml"),
        "not in the cache",
    );
    healthy.store(true, Ordering::SeqCst);
    let want = local(&["base"]);
    assert_same(&remote(&server, &["base"], &cache, &["--max-age", "1h"]), &want);
    assert_same(&remote(&server, &["base"], &cache, &["--offline"]), &want);
}

/// The cached object of a file, by the checksum repomd.xml gives it.
fn cached_object(cache: &tempfile::TempDir, repo: &str, kind: &str) -> PathBuf {
    let repomd = std::fs::read_to_string(fixtures().join(repo).join("repodata/repomd.xml")).unwrap_or_default();
    let block = repomd
        .split("<data ")
        .find(|d| d.starts_with(&format!("type=\"{kind}\"")))
        .unwrap_or_else(|| panic!("no {kind} in {repo}"));
    let sum = block
        .split("<checksum type=\"sha256\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .unwrap_or_else(|| panic!("no sha256 for {kind}"));
    cache.path().join("objects/sha256").join(&sum[..2]).join(sum)
}

fn flip_a_bit(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let at = at.min(bytes.len() - 1);
    bytes[at] ^= 0x10;
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{e}"));
}

/// A bit flipped in a cached primary is found as it is read (the checksum
/// its name promises), said so, and the file downloaded again: the findings
/// are the local ones, not different ones nor "malformed XML" (point 5).
#[test]
fn a_corrupt_cache_object_is_detected_and_replaced() {
    let server = Server::start(&fixtures(), plain());
    let cache = tempdir();
    let want = local(&["base", "app"]);
    assert_same(&remote(&server, &["base", "app"], &cache, &[]), &want);
    let object = cached_object(&cache, "app", "primary");
    let size = std::fs::metadata(&object).map(|m| m.len()).unwrap_or(0) as usize;
    for at in [size / 2, 40, size - 6] {
        flip_a_bit(&object, at);
        server.take_log();
        let run = remote(&server, &["base", "app"], &cache, &["--max-age", "1h"]);
        assert_same(&run, &want);
        assert!(
            run.stderr.contains("is corrupt") && run.stderr.contains("downloading it again"),
            "{}",
            run.stderr
        );
        let primary = href_of("app", "primary");
        assert_eq!(requests_for(&server.take_log(), &primary), 1);
        // Replaced: the next run reads it without a word.
        let again = remote(&server, &["base", "app"], &cache, &["--max-age", "1h"]);
        assert_same(&again, &want);
        assert!(!again.stderr.contains("corrupt"), "{}", again.stderr);
    }
    // A corrupt repomd.xml object of the same size is replaced too.
    let repomd = std::fs::read(fixtures().join("base/repodata/repomd.xml")).unwrap_or_default();
    let sum = sha256_hex(&repomd);
    let object = cache.path().join("objects/sha256").join(&sum[..2]).join(&sum);
    flip_a_bit(&object, repomd.len() / 2);
    assert_same(&remote(&server, &["base", "app"], &cache, &[]), &want);
    assert_eq!(std::fs::read(&object).unwrap_or_default(), repomd);
    assert_same(&remote(&server, &["base", "app"], &cache, &["--offline"]), &want);
}

/// A redirect rpmatrix cannot follow is named, and not retried (point 11).
#[test]
fn a_redirect_to_file_or_ftp_is_named_and_not_retried() {
    for to in ["file:///etc/passwd", "ftp://mirror.invalid/base/repodata/repomd.xml"] {
        let target = to.to_owned();
        let server = Server::start(
            &fixtures(),
            Box::new(move |r: &Req| {
                if r.path.ends_with("repomd.xml") {
                    Reply::Redirect(target.clone())
                } else {
                    Reply::File(r.path.clone())
                }
            }),
        );
        let cache = tempdir();
        let run = remote(&server, &["base"], &cache, &["--retries", "3"]);
        assert_fault(&run, "base", &server.url("base"), to.split(':').next().unwrap_or(to));
        assert!(!run.stderr.contains("attempts"), "{}", run.stderr);
        assert_eq!(server.take_log().len(), 1);
    }
}

/// A base URL with a query (a signed token) gets hrefs before the query
/// (point 11).
#[test]
fn a_base_url_with_a_query_keeps_it_last() {
    let server = Server::start(
        &fixtures(),
        Box::new(|r: &Req| match r.path.split_once('?') {
            Some((path, "token=1")) => Reply::File(path.to_owned()),
            _ => Reply::Raw(403, vec![], b"no token".to_vec()),
        }),
    );
    let cache = tempdir();
    let c = cache_arg(&cache);
    let loc = format!("base={}?token=1", server.url("base"));
    assert_same(
        &rpmatrix(&["closure", "--cache-dir", &c, "--repo", &loc]),
        &local(&["base"]),
    );
}

/// Temporary files of a killed download go at the next run; those of a
/// live process stay (point 11).
#[test]
fn leftovers_of_a_killed_download_are_removed() {
    let server = Server::start(&fixtures(), plain());
    let cache = tempdir();
    let dir = cache.path().join("objects/sha256/00");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    // A process id above the kernel's maximum (4194304) is never alive.
    let dead = dir.join(".tmp-4999999-abcdef");
    let live = dir.join(format!(".tmp-{}-abcdef", std::process::id()));
    for f in [&dead, &live] {
        std::fs::write(f, b"partial").unwrap_or_else(|e| panic!("{e}"));
    }
    assert_same(&remote(&server, &["base"], &cache, &[]), &local(&["base"]));
    assert!(!dead.exists());
    assert!(live.exists());
}

/// Issue 19.7 on a remote repository: repomd.xml names a filelists file the
/// server does not have. dnf refuses such a repository even when it needs
/// no file from it, so the load fails (exit 2, naming the file) without
/// waiting for a file dependency to need filelists; `--allow-missing-filelists`
/// proceeds.
#[test]
fn a_remote_filelists_that_is_absent_is_an_error_at_load() {
    let filelists = href_of("app", "filelists");
    let missing = filelists.clone();
    let server = Server::start(
        &fixtures(),
        Box::new(move |r: &Req| {
            if r.path == missing {
                Reply::Raw(404, Vec::new(), Vec::new())
            } else {
                Reply::File(r.path.clone())
            }
        }),
    );
    let cache = tempdir();
    let run = remote(&server, &["base", "app"], &cache, &[]);
    assert_eq!(run.code, 2, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    let name = filelists.rsplit('/').next().unwrap_or_default();
    assert!(
        run.stderr.contains("repo 'app'") && run.stderr.contains(name) && run.stderr.contains("absent"),
        "{}",
        run.stderr
    );
    let allowed = remote(&server, &["base", "app"], &cache, &["--allow-missing-filelists"]);
    assert!(
        allowed.code < 2,
        "stdout: {}\nstderr: {}",
        allowed.stdout,
        allowed.stderr
    );
}
