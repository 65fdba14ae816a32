//! Turns a LOCATION into bytes: the one seam through which every file of a
//! repository is read.
//!
//! A [`Source`] hands out `repodata/repomd.xml` and the files it names. A
//! LOCATION is a directory, a `file://` URL, an `http(s)://` base URL, a
//! `metalink:URL` or a `mirrorlist:URL` (`$releasever`, `$basearch`, `$arch`
//! substituted). Remote files go through a content-addressed cache
//! ([`cache`]), with retries, mirror failover and timeouts ([`http`]).
//!
//! This module knows nothing of repomd.xml or packages: it is told which href
//! to open and what checksum and size the caller expects, and reports whether
//! it already verified them (the cache verifies on download) or left that to
//! the reader. The only XML it reads is a metalink, the downloader's business.

pub mod cache;
pub mod hash;
pub mod http;
pub mod mirrors;
pub mod progress;
mod remote;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use hash::Hasher;
pub use progress::ProgressMode;

/// One repository to load: its name, where it is, and what to keep of it.
#[derive(Clone, Debug)]
pub struct RepoSpec {
    /// The name used in reports and `--check`.
    pub name: String,
    /// A LOCATION: a directory, `file://` URL, `http(s)://` base URL,
    /// `metalink:URL` or `mirrorlist:URL` (see [`Session::open`]).
    pub location: String,
    /// includepkgs/excludepkgs.
    pub filter: PackageFilter,
    /// dnf's `module_hotfixes`.
    pub module_hotfixes: bool,
}

impl RepoSpec {
    /// A repository with no filters.
    pub fn new(name: &str, location: &str) -> RepoSpec {
        RepoSpec {
            name: name.to_owned(),
            location: location.to_owned(),
            filter: PackageFilter::default(),
            module_hotfixes: false,
        }
    }
}

/// Which packages of a repository to keep, as dnf's `includepkgs` and
/// `excludepkgs` (globs on the package name); the pool applies it.
#[derive(Clone, Debug, Default)]
pub struct PackageFilter {
    /// When not empty, only names matching one of these are kept.
    pub include: Vec<String>,
    /// Names matching one of these are dropped.
    pub exclude: Vec<String>,
}

/// repomd.xml larger than this is refused (also while downloading).
pub const MAX_REPOMD_BYTES: u64 = 8 << 20;

/// Why a file of a repository could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// No `--cache-dir` and no cache directory on this platform.
    #[error("no cache directory on this platform: give --cache-dir")]
    NoCacheDir,
    /// The file does not exist at the location.
    #[error("{path}: not found")]
    NotFound {
        /// Where it was looked for.
        path: String,
    },
    /// Reading the file failed.
    #[error("{path}: {source}")]
    Io {
        /// What was read.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The location itself is not usable.
    #[error("unusable location {location:?}: {reason}")]
    BadLocation {
        /// The location as given.
        location: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An href in repomd.xml points outside the repository.
    #[error("refusing href {href:?}: it leaves the repository (absolute or contains '..')")]
    UnsafeHref {
        /// The href.
        href: String,
    },
    /// A download failed (after retries and on every mirror).
    #[error("{url}: {message}")]
    Remote {
        /// The URL tried last (or the metalink/mirrorlist).
        url: String,
        /// What went wrong, on each mirror when there were several.
        message: String,
    },
    /// `--offline` was given and the file is not in the cache.
    #[error("{url}: not in the cache ({cache}) and --offline was given; run once without --offline")]
    Offline {
        /// The URL the file would come from.
        url: String,
        /// The cache directory.
        cache: String,
    },
    /// The cache directory cannot be used.
    #[error("cache {dir}: {message}")]
    Cache {
        /// The cache directory.
        dir: String,
        /// What went wrong.
        message: String,
    },
}

impl FetchError {
    /// A copy for reporting the same failure twice (I/O errors keep only their text).
    pub fn duplicate(&self) -> FetchError {
        match self {
            FetchError::NoCacheDir => FetchError::NoCacheDir,
            FetchError::NotFound { path } => FetchError::NotFound { path: path.clone() },
            FetchError::Io { path, source } => FetchError::Io {
                path: path.clone(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            },
            FetchError::BadLocation { location, reason } => FetchError::BadLocation {
                location: location.clone(),
                reason: reason.clone(),
            },
            FetchError::UnsafeHref { href } => FetchError::UnsafeHref { href: href.clone() },
            FetchError::Remote { url, message } => FetchError::Remote {
                url: url.clone(),
                message: message.clone(),
            },
            FetchError::Offline { url, cache } => FetchError::Offline {
                url: url.clone(),
                cache: cache.clone(),
            },
            FetchError::Cache { dir, message } => FetchError::Cache {
                dir: dir.clone(),
                message: message.clone(),
            },
        }
    }
}

/// What the caller knows about a file before reading it (from repomd.xml).
#[derive(Clone, Debug, Default)]
pub struct Expect {
    /// Checksum type (`sha256`, ...) and lowercase hex digest of the file as stored.
    pub checksum: Option<(String, String)>,
    /// Size in bytes of the file as stored.
    pub size: Option<u64>,
}

/// An opened file of a repository.
pub struct Fetched {
    /// The bytes, as stored (still compressed).
    pub reader: Box<dyn Read + Send>,
    /// True when the source already checked size and checksum against [`Expect`].
    pub verified: bool,
    /// A human name for the file (path or URL) for messages.
    pub display: String,
}

/// Where the files of one repository come from.
pub trait Source: Send + Sync {
    /// The location as the user wrote it, for messages.
    fn location(&self) -> &str;
    /// The bytes of `repodata/repomd.xml`.
    fn repomd(&self) -> Result<Vec<u8>, FetchError>;
    /// Opens the file at `href` (relative to the repository root).
    fn open(&self, href: &str, expect: &Expect) -> Result<Fetched, FetchError>;
    /// Whether the file at `href` (described by `expect`) exists, without
    /// reading it. Only a clear "not there" is `false`: a remote source
    /// that cannot tell says `true`, and `open` reports what is wrong.
    fn exists(&self, href: &str, expect: &Expect) -> bool;
    /// Fetches these files ahead of [`Source::open`], in parallel where the
    /// source can (a remote repository downloads them into its cache). Errors
    /// are kept and reported by the `open` of the same href.
    fn prefetch(&self, _files: &[(String, Expect)]) {}
    /// Called once the caller parsed the bytes [`Source::repomd`] gave: a
    /// remote source caches repomd.xml only then, so that an error page
    /// served with status 200 never stands in for it.
    fn keep_repomd(&self) -> Result<(), FetchError> {
        Ok(())
    }
    /// Drops the cached copy of `href` after it failed verification when
    /// read (`why`), saying so. True when the file should be opened again
    /// (it will be downloaded anew).
    fn evict(&self, _href: &str, _expect: &Expect, _why: &str) -> bool {
        false
    }
    /// Called when the repository (or a file read later on demand) is loaded:
    /// ends its progress display and reports what was transferred.
    fn done(&self) {}
}

/// Refuses hrefs that would leave the repository root.
pub fn check_href(href: &str) -> Result<(), FetchError> {
    let unsafe_href = href.starts_with('/')
        || href.contains('\\')
        || href.contains("://")
        || href.split('/').any(|part| part == "..");
    if unsafe_href || href.is_empty() {
        return Err(FetchError::UnsafeHref { href: href.to_owned() });
    }
    Ok(())
}

/// A repository in a local directory (a path or a `file://` URL).
#[derive(Debug, Clone)]
pub struct LocalDir {
    location: String,
    root: PathBuf,
}

impl LocalDir {
    /// Accepts a directory path or a `file://` URL.
    pub fn new(location: &str) -> Result<LocalDir, FetchError> {
        let path = location.strip_prefix("file://").unwrap_or(location);
        if path.is_empty() {
            return Err(FetchError::BadLocation {
                location: location.to_owned(),
                reason: "empty path".into(),
            });
        }
        let root = PathBuf::from(path);
        if !root.is_dir() {
            return Err(FetchError::BadLocation {
                location: location.to_owned(),
                reason: if root.exists() {
                    "not a directory".into()
                } else {
                    "no such directory".into()
                },
            });
        }
        Ok(LocalDir {
            location: location.to_owned(),
            root,
        })
    }

    /// The directory this source reads.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Source for LocalDir {
    fn location(&self) -> &str {
        &self.location
    }

    fn repomd(&self) -> Result<Vec<u8>, FetchError> {
        let path = self.root.join("repodata/repomd.xml");
        let file = open_regular(&path)?;
        // The limit applies while reading: a file that grows as it is read
        // (or a device behind a symlink) must not be read whole first.
        let mut bytes = Vec::new();
        file.take(MAX_REPOMD_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&path, e))?;
        if bytes.len() as u64 > MAX_REPOMD_BYTES {
            return Err(FetchError::Io {
                path: path.display().to_string(),
                source: std::io::Error::other(format!("over the {MAX_REPOMD_BYTES} byte limit for repomd.xml")),
            });
        }
        Ok(bytes)
    }

    fn open(&self, href: &str, _expect: &Expect) -> Result<Fetched, FetchError> {
        check_href(href)?;
        let path = self.root.join(href);
        let file = open_regular(&path)?;
        Ok(Fetched {
            reader: Box::new(file),
            verified: false,
            display: path.display().to_string(),
        })
    }

    fn exists(&self, href: &str, _expect: &Expect) -> bool {
        check_href(href).is_ok() && self.root.join(href).is_file()
    }
}

/// Opens a file of a repository, refusing what is not a regular file: a
/// FIFO would hang the reader, a device such as `/dev/zero` never ends.
/// The check is on the opened file, so a swap after it changes nothing.
fn open_regular(path: &Path) -> Result<File, FetchError> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
    // writer before the check below could refuse it.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    let meta = file.metadata().map_err(|e| io_error(path, e))?;
    if !meta.is_file() {
        return Err(FetchError::Io {
            path: path.display().to_string(),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("not a regular file (a {})", file_kind(&meta)),
            ),
        });
    }
    Ok(file)
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else if t.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

fn io_error(path: &Path, e: std::io::Error) -> FetchError {
    if e.kind() == std::io::ErrorKind::NotFound {
        FetchError::NotFound {
            path: path.display().to_string(),
        }
    } else {
        FetchError::Io {
            path: path.display().to_string(),
            source: e,
        }
    }
}

/// Opens a LOCATION as a [`Source`] with default [`FetchOptions`] (see [`Session`]).
pub fn open_location(location: &str) -> Result<Box<dyn Source>, FetchError> {
    Session::new(FetchOptions::default()).open("repo", location)
}

/// How remote repositories are fetched and cached.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The cache directory; `None` means [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Use only the cache: never touch the network.
    pub offline: bool,
    /// Reuse a cached repomd.xml younger than this without asking the server.
    pub max_age: Option<Duration>,
    /// Connect and read timeout; also how long one file may keep failing before retries stop.
    pub timeout: Duration,
    /// How many times a transient failure (connection error, 5xx, 429, stall) is retried.
    pub retries: u32,
    /// Value of `$releasever`.
    pub releasever: Option<String>,
    /// Value of `$basearch` and `$arch`.
    pub basearch: String,
    /// How downloads are shown.
    pub progress: ProgressMode,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            cache_dir: None,
            offline: false,
            max_age: None,
            timeout: Duration::from_secs(30),
            retries: 3,
            releasever: None,
            basearch: crate::core::arch::DEFAULT_BASEARCH.into(),
            progress: ProgressMode::Auto,
        }
    }
}

/// The XDG cache directory for rpmatrix (`~/.cache/rpmatrix`), if the platform has one.
pub fn default_cache_dir() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("rpmatrix"))
}

/// The download cache at `dir`, or at [`default_cache_dir`] when none is given.
pub fn cache_at(dir: Option<PathBuf>) -> Result<cache::Cache, FetchError> {
    dir.or_else(default_cache_dir)
        .map(|d| cache::Cache::new(&d))
        .ok_or(FetchError::NoCacheDir)
}

/// Replaces `$releasever`, `$basearch` and `$arch` (also `${...}`) in a LOCATION.
pub fn substitute(location: &str, options: &FetchOptions) -> Result<String, FetchError> {
    let mut out = location.to_owned();
    for (var, value) in [
        ("releasever", options.releasever.as_deref()),
        ("basearch", Some(options.basearch.as_str())),
        ("arch", Some(options.basearch.as_str())),
    ] {
        for pat in [format!("${{{var}}}"), format!("${var}")] {
            if out.contains(&pat) {
                let Some(value) = value else {
                    return Err(FetchError::BadLocation {
                        location: location.to_owned(),
                        reason: format!("uses ${var}: give --{var}"),
                    });
                };
                out = out.replace(&pat, value);
            }
        }
    }
    Ok(out)
}

/// What kind of place a LOCATION names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocationKind {
    /// A directory or `file://` URL.
    Local(String),
    /// An `http(s)://` base URL (the directory holding `repodata/`).
    BaseUrl(String),
    /// A metalink URL (`metalink:URL`).
    Metalink(String),
    /// A mirrorlist URL (`mirrorlist:URL`).
    Mirrorlist(String),
}

/// Classifies a (substituted) LOCATION.
pub fn classify(location: &str) -> LocationKind {
    if let Some(url) = location.strip_prefix("metalink:") {
        LocationKind::Metalink(url.to_owned())
    } else if let Some(url) = location.strip_prefix("mirrorlist:") {
        LocationKind::Mirrorlist(url.to_owned())
    } else if location.starts_with("http://") || location.starts_with("https://") {
        LocationKind::BaseUrl(location.to_owned())
    } else {
        LocationKind::Local(location.to_owned())
    }
}

/// One run's fetching state: options, the HTTP client (built on first use),
/// the cache and the progress display, shared by all its repositories.
#[derive(Clone)]
pub struct Session {
    shared: Arc<remote::Shared>,
}

impl Session {
    /// A session; nothing is touched until a remote LOCATION is opened.
    pub fn new(options: FetchOptions) -> Session {
        Session {
            shared: Arc::new(remote::Shared::new(options)),
        }
    }

    /// Opens the LOCATION of the repository `name` as a [`Source`].
    pub fn open(&self, name: &str, location: &str) -> Result<Box<dyn Source>, FetchError> {
        let location = substitute(location, &self.shared.options)?;
        match classify(&location) {
            LocationKind::Local(path) => Ok(Box::new(LocalDir::new(&path)?)),
            kind => Ok(Box::new(remote::Remote::new(
                self.shared.clone(),
                name,
                &location,
                kind,
            )?)),
        }
    }
}

/// Parses a duration: a number of seconds, or numbers with units `s`, `m`,
/// `h`, `d`, `w` (`90`, `30s`, `6h`, `1h30m`, `7d`). The command line's
/// value parser for `--timeout`, `--max-age` and `--older-than`: its error is
/// the text clap shows after the flag, hence a `String`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return if (0.0..1e12).contains(&secs) {
            Ok(Duration::from_secs_f64(secs))
        } else {
            Err(format!("{text:?}: not a usable number of seconds"))
        };
    }
    let mut total = 0f64;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            'w' => 7.0 * 86400.0,
            _ => return Err(format!("{text:?}: unknown unit {c:?} (use s, m, h, d, w)")),
        };
        let n: f64 = num
            .parse()
            .map_err(|_| format!("{text:?}: expected a number before {c:?}"))?;
        total += n * unit;
        num.clear();
    }
    if !num.is_empty() {
        return Err(format!("{text:?}: number {num:?} has no unit"));
    }
    if total >= 1e12 {
        return Err(format!("{text:?}: too long"));
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escaping_hrefs() {
        for bad in ["../x", "repodata/../../x", "/etc/passwd", "", "http://evil/x"] {
            assert!(check_href(bad).is_err(), "{bad}");
        }
        assert!(check_href("repodata/abc-primary.xml.gz").is_ok());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.5s"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("6x").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5h3").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn substitutes_and_classifies() {
        let opts = FetchOptions {
            releasever: Some("9".into()),
            ..FetchOptions::default()
        };
        assert_eq!(
            substitute("metalink:https://m/metalink?repo=f-$releasever&arch=$basearch", &opts).ok(),
            Some("metalink:https://m/metalink?repo=f-9&arch=x86_64".into())
        );
        assert_eq!(
            substitute("http://x/${arch}/", &opts).ok(),
            Some("http://x/x86_64/".into())
        );
        assert!(substitute("http://x/$releasever/", &FetchOptions::default()).is_err());
        assert_eq!(
            classify("mirrorlist:http://a"),
            LocationKind::Mirrorlist("http://a".into())
        );
        assert_eq!(classify("https://a/"), LocationKind::BaseUrl("https://a/".into()));
        assert_eq!(classify("file:///a"), LocationKind::Local("file:///a".into()));
    }
}
