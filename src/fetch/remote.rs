//! A repository over HTTP(S): a base URL, a metalink or a mirrorlist, read
//! through the cache. Retries, backoff and mirror failover live here.
//!
//! It does not parse repomd.xml: it is handed hrefs and expected checksums.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

use super::cache::{Cache, RepomdState, now_unix};
use super::hash::Hasher;
use super::http::{self, Failure};
use super::mirrors::{self, Mirrors};
use super::progress::{Progress, RepoProgress};
use super::{Expect, FetchError, FetchOptions, Fetched, LocationKind, MAX_REPOMD_BYTES, Source, check_href};

/// Largest metadata file downloaded when repomd.xml gives no size (16 GiB).
const MAX_DOWNLOAD: u64 = 16 << 30;
const REPOMD: &str = "repodata/repomd.xml";

/// What all remote repositories of a run share.
pub(crate) struct Shared {
    pub(crate) options: FetchOptions,
    client: OnceLock<Result<Client, String>>,
    cache: Result<Cache, String>,
    progress: Progress,
}

impl Shared {
    pub(crate) fn new(options: FetchOptions) -> Shared {
        let cache = match options.cache_dir.clone().or_else(super::default_cache_dir) {
            Some(dir) => Ok(Cache::new(&dir)),
            None => Err("no cache directory on this platform: give --cache-dir".to_owned()),
        };
        let progress = Progress::new(options.progress);
        Shared {
            options,
            client: OnceLock::new(),
            cache,
            progress,
        }
    }

    fn client(&self) -> Result<&Client, FetchError> {
        self.client
            .get_or_init(|| http::client(self.options.timeout))
            .as_ref()
            .map_err(|m| FetchError::Remote {
                url: String::new(),
                message: m.clone(),
            })
    }

    fn cache(&self) -> Result<&Cache, FetchError> {
        self.cache.as_ref().map_err(|m| FetchError::Cache {
            dir: "?".into(),
            message: m.clone(),
        })
    }
}

/// A remote repository.
pub(crate) struct Remote {
    shared: Arc<Shared>,
    name: String,
    /// repomd.xml as downloaded, cached only once the caller parsed it
    /// ([`Source::keep_repomd`]).
    pending_repomd: Mutex<Option<(RepomdState, Vec<u8>)>>,
    location: String,
    kind: LocationKind,
    mirrors: OnceLock<Result<Mirrors, (String, String)>>,
    preferred: AtomicUsize,
    failures: Mutex<HashMap<String, FetchError>>,
    progress: RepoProgress,
}

enum Got {
    New {
        url: String,
        etag: Option<String>,
        last_modified: Option<String>,
        body: Vec<u8>,
    },
    NotModified,
}

impl Remote {
    pub(crate) fn new(
        shared: Arc<Shared>,
        name: &str,
        location: &str,
        kind: LocationKind,
    ) -> Result<Remote, FetchError> {
        let mirrors = OnceLock::new();
        match &kind {
            LocationKind::BaseUrl(url) => {
                let _ = mirrors.set(Ok(Mirrors {
                    bases: vec![mirrors::base_url(url)],
                    repomd_hashes: Vec::new(),
                }));
            }
            LocationKind::Metalink(url) | LocationKind::Mirrorlist(url) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(FetchError::BadLocation {
                        location: location.to_owned(),
                        reason: "a metalink or mirrorlist must be an http(s) URL".into(),
                    });
                }
            }
            LocationKind::Local(_) => {
                return Err(FetchError::BadLocation {
                    location: location.to_owned(),
                    reason: "not a remote location".into(),
                });
            }
        }
        let progress = shared.progress.repo(name);
        Ok(Remote {
            shared,
            name: name.to_owned(),
            pending_repomd: Mutex::new(None),
            location: location.to_owned(),
            kind,
            mirrors,
            preferred: AtomicUsize::new(0),
            failures: Mutex::new(HashMap::new()),
            progress,
        })
    }

    /// The URL a file would be fetched from first, for messages.
    fn display_url(&self, href: &str) -> String {
        match &self.kind {
            LocationKind::BaseUrl(url) => mirrors::join(&mirrors::base_url(url), href),
            LocationKind::Metalink(url) | LocationKind::Mirrorlist(url) => match self.mirrors.get() {
                Some(Ok(m)) if !m.bases.is_empty() => {
                    let i = self.preferred.load(Ordering::Relaxed).min(m.bases.len() - 1);
                    mirrors::join(&m.bases[i], href)
                }
                _ => format!("{href} via {url}"),
            },
            LocationKind::Local(path) => format!("{path}/{href}"),
        }
    }

    fn offline(&self, href: &str) -> FetchError {
        FetchError::Offline {
            url: self.display_url(href),
            cache: self
                .shared
                .cache()
                .map(|c| c.dir().display().to_string())
                .unwrap_or_default(),
        }
    }

    /// The mirrors, fetching the metalink or mirrorlist on first use.
    fn mirrors(&self) -> Result<&Mirrors, FetchError> {
        let result = self.mirrors.get_or_init(|| {
            let (url, metalink) = match &self.kind {
                LocationKind::Metalink(u) => (u.clone(), true),
                LocationKind::Mirrorlist(u) => (u.clone(), false),
                _ => return Err((self.location.clone(), "no mirrors".into())),
            };
            let client = self.shared.client().map_err(|e| (url.clone(), e.to_string()))?;
            let body = self
                .with_retries(std::slice::from_ref(&url), "", |u, allow| {
                    let resp = http::get(client, u, HeaderMap::new())?;
                    let mut body = Vec::new();
                    http::read_body(resp, MAX_REPOMD_BYTES, allow, |c| {
                        body.extend_from_slice(c);
                        Ok(())
                    })?;
                    Ok(body)
                })
                .map_err(|e| (url.clone(), e.to_string()))?;
            let parsed = if metalink {
                mirrors::parse_metalink(&body)
            } else {
                mirrors::parse_mirrorlist(&body)
            };
            parsed.map_err(|m| (url.clone(), m))
        });
        result.as_ref().map_err(|(url, message)| {
            if message.starts_with(url.as_str()) {
                FetchError::Remote {
                    url: if matches!(self.kind, LocationKind::Metalink(_)) {
                        "metalink".into()
                    } else {
                        "mirrorlist".into()
                    },
                    message: message.clone(),
                }
            } else {
                FetchError::Remote {
                    url: url.clone(),
                    message: message.clone(),
                }
            }
        })
    }

    /// Tries `attempt` on each base in turn (the one that worked last first),
    /// for up to `retries + 1` rounds with backoff, retrying only transient
    /// failures. The file's time budget is `timeout`: stalled attempts
    /// (on any mirror) and the waits between rounds are charged to it, each
    /// attempt is told what is left of it, and no attempt starts once it is
    /// spent, so a hundred stalling mirrors cost one `timeout`, not a hundred.
    fn with_retries<T>(
        &self,
        bases: &[String],
        href: &str,
        mut attempt: impl FnMut(&str, Duration) -> Result<T, Failure>,
    ) -> Result<T, FetchError> {
        let opts = &self.shared.options;
        let n = bases.len();
        let start = if n > 1 {
            self.preferred.load(Ordering::Relaxed) % n
        } else {
            0
        };
        let mut alive = vec![true; n];
        let mut last: Vec<Option<Failure>> = vec![None; n];
        let mut spent = Duration::ZERO;
        let mut attempts = vec![0u32; n];
        for round in 0..=opts.retries {
            let mut wait = None::<Duration>;
            for k in 0..n {
                let i = (start + k) % n;
                if !alive[i] || spent >= opts.timeout {
                    continue;
                }
                let url = mirrors::join(&bases[i], href);
                attempts[i] += 1;
                match attempt(&url, opts.timeout - spent) {
                    Ok(v) => {
                        if n > 1 {
                            self.preferred.store(i, Ordering::Relaxed);
                        }
                        return Ok(v);
                    }
                    Err(f) => {
                        match &f {
                            Failure::Permanent { .. } => alive[i] = false,
                            Failure::Transient {
                                retry_after, stalled, ..
                            } => {
                                spent += stalled.unwrap_or_default();
                                if let Some(ra) = retry_after {
                                    wait = Some(wait.unwrap_or_default().max(*ra));
                                }
                            }
                        }
                        last[i] = Some(f);
                    }
                }
            }
            if !alive.iter().any(|a| *a) || round == opts.retries || spent >= opts.timeout {
                break;
            }
            let pause = wait.unwrap_or_else(|| http::backoff(round)).max(http::backoff(round));
            let pause = pause.min(opts.timeout.saturating_sub(spent)).min(http::MAX_RETRY_AFTER);
            spent += pause;
            std::thread::sleep(pause);
        }
        let out_of_time = spent >= opts.timeout;
        let budget = match out_of_time {
            true => format!(", given up after {:?} of stalls and waits (--timeout)", opts.timeout),
            false => String::new(),
        };
        let tries = |i: usize| match attempts[i] {
            0 | 1 if out_of_time => format!(" (1 attempt{budget})"),
            0 | 1 => String::new(),
            k => format!(" ({k} attempts{budget})"),
        };
        let all_not_found = last
            .iter()
            .all(|f| matches!(f, Some(Failure::Permanent { not_found: true, .. })));
        if n == 1 {
            let url = mirrors::join(&bases[0], href);
            return Err(match &last[0] {
                _ if all_not_found => FetchError::NotFound { path: url },
                Some(f) => FetchError::Remote {
                    message: format!("{}{}", f.message(), tries(0)),
                    url,
                },
                None => FetchError::Remote {
                    url,
                    message: "not tried".into(),
                },
            });
        }
        let details: Vec<String> = (0..n)
            .filter_map(|i| {
                last[i]
                    .as_ref()
                    .map(|f| format!("{}: {}{}", mirrors::join(&bases[i], href), f.message(), tries(i)))
            })
            .collect();
        let url = match &self.kind {
            LocationKind::Metalink(u) => format!("metalink {u}"),
            LocationKind::Mirrorlist(u) => format!("mirrorlist {u}"),
            _ => self.location.clone(),
        };
        let tried = attempts.iter().filter(|&&k| k > 0).count();
        let message = if tried == n {
            format!("all {n} mirrors failed: {}", details.join("; "))
        } else {
            format!(
                "{tried} of {n} mirrors tried and failed, the others not tried{budget}: {}",
                details.join("; ")
            )
        };
        Err(FetchError::Remote { url, message })
    }

    /// Downloads `href` into the cache object `dest`, verifying size and checksum.
    fn download(&self, href: &str, expect: &Expect, kind: &str, want: &str) -> Result<(), FetchError> {
        let cache = self.shared.cache()?;
        let dest = cache.object_path(kind, want).ok_or_else(|| FetchError::Remote {
            url: self.display_url(href),
            message: format!("unusable checksum {kind} {want:?} in repomd.xml"),
        })?;
        let client = self.shared.client()?;
        let bases = self.mirrors()?.bases.clone();
        let limit = expect.size.unwrap_or(MAX_DOWNLOAD);
        self.with_retries(&bases, href, |url, allow| {
            let mut hasher = Hasher::new(kind).ok_or_else(|| Failure::permanent(format!("unknown checksum type {kind}")))?;
            let resp = http::get(client, url, HeaderMap::new())?;
            let mut tmp = cache.temp_for(&dest).map_err(|e| Failure::permanent(e.to_string()))?;
            let n = http::read_body(resp, limit, allow, |chunk| {
                hasher.update(chunk);
                self.progress.add(chunk.len() as u64);
                tmp.write_all(chunk)
                    .map_err(|e| Failure::permanent(format!("writing the cache: {e}")))
            })
            .map_err(|f| match (f, expect.size) {
                (Failure::Permanent { message, .. }, Some(size)) if message.contains("limit") => Failure::permanent(
                    format!("more bytes than the {size} repomd.xml says ({message})"),
                ),
                (f, _) => f,
            })?;
            if let Some(size) = expect.size
                && size != n
            {
                return Err(Failure::permanent(format!(
                    "size mismatch: repomd.xml says {size} bytes, the server sent {n}"
                )));
            }
            let got = hasher.finish_hex();
            if !got.eq_ignore_ascii_case(want) {
                return Err(Failure::permanent(format!(
                    "checksum mismatch: repomd.xml says {kind} {want}, the download has {got} (stale mirror or corrupt download?)"
                )));
            }
            cache
                .commit(tmp, &dest)
                .map_err(|e| Failure::permanent(e.to_string()))
        })
    }

    /// The checksum to store a file under, when it is usable.
    fn cache_key(expect: &Expect) -> Option<(&str, &str)> {
        let (kind, hex) = expect.checksum.as_ref()?;
        Hasher::new(kind)?;
        Some((kind.as_str(), hex.as_str()))
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

fn matches_any(bytes: &[u8], hashes: &[(String, String)]) -> bool {
    let mut known = false;
    for (kind, want) in hashes {
        if let Some(mut h) = Hasher::new(kind) {
            known = true;
            h.update(bytes);
            if h.finish_hex().eq_ignore_ascii_case(want) {
                return true;
            }
        }
    }
    !known
}

impl Source for Remote {
    fn location(&self) -> &str {
        &self.location
    }

    fn repomd(&self) -> Result<Vec<u8>, FetchError> {
        let cache = self.shared.cache()?;
        let opts = &self.shared.options;
        let cached = cache.read_repomd(&self.location);
        if opts.offline {
            return cached.map(|(_, b)| b).ok_or_else(|| self.offline(REPOMD));
        }
        if let (Some(max_age), Some((state, bytes))) = (opts.max_age, &cached)
            && now_unix().saturating_sub(state.fetched_unix) < max_age.as_secs()
        {
            return Ok(bytes.clone());
        }
        let client = self.shared.client()?;
        let mirrors = self.mirrors()?;
        let hashes = &mirrors.repomd_hashes;
        let got = self.with_retries(&mirrors.bases, REPOMD, |url, allow| {
            let usable = cached
                .as_ref()
                .filter(|(state, bytes)| state.url == url && matches_any(bytes, hashes));
            let mut headers = HeaderMap::new();
            if let Some((state, _)) = usable {
                if let Some(v) = state.etag.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                    headers.insert(IF_NONE_MATCH, v);
                }
                if let Some(v) = state
                    .last_modified
                    .as_deref()
                    .and_then(|v| HeaderValue::from_str(v).ok())
                {
                    headers.insert(IF_MODIFIED_SINCE, v);
                }
            }
            let resp = http::get(client, url, headers)?;
            if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
                return match usable {
                    Some(_) => Ok(Got::NotModified),
                    None => Err(Failure::permanent("HTTP 304 to an unconditional request")),
                };
            }
            let etag = header(resp.headers(), ETAG);
            let last_modified = header(resp.headers(), LAST_MODIFIED);
            let mut body = Vec::new();
            http::read_body(resp, MAX_REPOMD_BYTES, allow, |c| {
                body.extend_from_slice(c);
                self.progress.add(c.len() as u64);
                Ok(())
            })?;
            if !matches_any(&body, hashes) {
                return Err(Failure::permanent(
                    "repomd.xml does not match the checksums in the metalink (stale mirror?)",
                ));
            }
            Ok(Got::New {
                url: url.to_owned(),
                etag,
                last_modified,
                body,
            })
        })?;
        match got {
            Got::NotModified => {
                let Some((mut state, bytes)) = cached else {
                    return Err(self.offline(REPOMD));
                };
                state.fetched_unix = now_unix();
                cache.write_state(&state)?;
                Ok(bytes)
            }
            Got::New {
                url,
                etag,
                last_modified,
                body,
            } => {
                let mut h = Hasher::new("sha256").ok_or_else(|| FetchError::Remote {
                    url: url.clone(),
                    message: "sha256 unavailable".into(),
                })?;
                h.update(&body);
                let state = RepomdState {
                    location: self.location.clone(),
                    url,
                    etag,
                    last_modified,
                    fetched_unix: now_unix(),
                    sha256: h.finish_hex(),
                    size: body.len() as u64,
                };
                // Not cached yet: an error page served with status 200
                // would stand in for repomd.xml until it expired.
                if let Ok(mut pending) = self.pending_repomd.lock() {
                    *pending = Some((state, body.clone()));
                }
                Ok(body)
            }
        }
    }

    fn open(&self, href: &str, expect: &Expect) -> Result<Fetched, FetchError> {
        check_href(href)?;
        if let Ok(failures) = self.failures.lock()
            && let Some(e) = failures.get(href)
        {
            return Err(e.duplicate());
        }
        let cache = self.shared.cache()?;
        let display = self.display_url(href);
        let open_file = |path: &std::path::Path| {
            File::open(path).map_err(|e| FetchError::Io {
                path: path.display().to_string(),
                source: e,
            })
        };
        if let Some((kind, hex)) = Self::cache_key(expect) {
            // A stored object is checked again as it is read (its checksum
            // is in its name): a bit flipped on disk since the download
            // must not pass for the repository's content.
            let (path, verified) = match cache.lookup(kind, hex, expect.size) {
                Some(p) => (p, false),
                None if self.shared.options.offline => return Err(self.offline(href)),
                None => {
                    self.download(href, expect, kind, hex)?;
                    let path = cache.object_path(kind, hex).ok_or_else(|| FetchError::Remote {
                        url: display.clone(),
                        message: "not stored".into(),
                    })?;
                    (path, true)
                }
            };
            return Ok(Fetched {
                reader: Box::new(open_file(&path)?),
                verified,
                display,
            });
        }
        // No usable checksum: nothing to store it under; the reader checks
        // what it can. The body goes to an unnamed temporary file, not to
        // memory: nothing bounds its size but MAX_DOWNLOAD.
        if self.shared.options.offline {
            return Err(self.offline(href));
        }
        let client = self.shared.client()?;
        let bases = self.mirrors()?.bases.clone();
        let limit = expect.size.unwrap_or(MAX_DOWNLOAD);
        let mut file = self.with_retries(&bases, href, |url, allow| {
            let resp = http::get(client, url, HeaderMap::new())?;
            let mut file = cache
                .spool()
                .map_err(|e| Failure::permanent(format!("a temporary file in the cache: {e}")))?;
            http::read_body(resp, limit, allow, |c| {
                self.progress.add(c.len() as u64);
                file.write_all(c)
                    .map_err(|e| Failure::permanent(format!("writing a temporary file in the cache: {e}")))
            })?;
            Ok(file)
        })?;
        std::io::Seek::rewind(&mut file).map_err(|e| FetchError::Cache {
            dir: cache.dir().display().to_string(),
            message: format!("a temporary file for {display}: {e}"),
        })?;
        Ok(Fetched {
            reader: Box::new(file),
            verified: false,
            display,
        })
    }

    fn keep_repomd(&self) -> Result<(), FetchError> {
        let pending = self.pending_repomd.lock().ok().and_then(|mut p| p.take());
        match pending {
            Some((state, body)) => self.shared.cache()?.write_repomd(&state, &body),
            None => Ok(()),
        }
    }

    fn evict(&self, href: &str, expect: &Expect, why: &str) -> bool {
        let (Some((kind, hex)), Ok(cache)) = (Self::cache_key(expect), self.shared.cache()) else {
            return false;
        };
        let Some(path) = cache.lookup(kind, hex, None) else {
            return false;
        };
        if std::fs::remove_file(&path).is_err() {
            return false;
        }
        eprintln!(
            "warning: repo '{}': the cached copy of {href} ({}) is corrupt ({why}); {}",
            self.name,
            path.display(),
            if self.shared.options.offline {
                "removed it (run without --offline to download it again)"
            } else {
                "downloading it again"
            }
        );
        !self.shared.options.offline
    }

    fn exists(&self, href: &str, expect: &Expect) -> bool {
        if check_href(href).is_err() {
            return false;
        }
        // dnf refuses a repository whose repomd.xml names a file the server
        // does not have, even when it never needs the file: one HEAD to the
        // first mirror tells, unless the cache already holds the file. Only a
        // 404 or 410 is "absent"; anything else is left to `open`.
        if self.shared.options.offline {
            return true;
        }
        if let (Some((kind, hex)), Ok(cache)) = (Self::cache_key(expect), self.shared.cache())
            && cache.lookup(kind, hex, expect.size).is_some()
        {
            return true;
        }
        let (Ok(client), Ok(mirrors)) = (self.shared.client(), self.mirrors()) else {
            return true;
        };
        let Some(base) = mirrors.bases.first() else {
            return true;
        };
        match client.head(mirrors::join(base, href)).send() {
            Ok(resp) => !matches!(resp.status().as_u16(), 404 | 410),
            Err(_) => true,
        }
    }

    fn prefetch(&self, files: &[(String, Expect)]) {
        if self.shared.options.offline {
            return;
        }
        let Ok(cache) = self.shared.cache() else { return };
        let todo: Vec<(&str, &Expect, &str, &str)> = files
            .iter()
            .filter(|(href, _)| check_href(href).is_ok())
            .filter_map(|(href, e)| Self::cache_key(e).map(|(k, h)| (href.as_str(), e, k, h)))
            .filter(|(_, e, k, h)| cache.lookup(k, h, e.size).is_none())
            .collect();
        if todo.len() < 2 {
            return; // `open` downloads a single file just as fast.
        }
        // A download whose thread cannot be started is left to `open`.
        std::thread::scope(|s| {
            for (href, expect, kind, hex) in todo {
                let _ = std::thread::Builder::new().spawn_scoped(s, move || {
                    if let Err(e) = self.download(href, expect, kind, hex)
                        && let Ok(mut failures) = self.failures.lock()
                    {
                        failures.insert(href.to_owned(), e);
                    }
                });
            }
        });
    }

    fn done(&self) {
        self.progress.done();
    }
}
