//! The download cache: metadata files stored by checksum, and per-repository
//! records of the last repomd.xml fetched.
//!
//! Layout under the cache directory:
//!
//! ```text
//! objects/TYPE/XX/HEX      a file whose TYPE checksum is HEX (XX = first two digits)
//! repos/KEY.json           for a LOCATION (KEY = sha256 of it): URL, ETag,
//!                          Last-Modified, fetch time and sha256 of its repomd.xml,
//!                          itself stored as objects/sha256/..
//! ```
//!
//! Every write goes to a temporary file in the destination directory and is
//! renamed into place only when complete and verified, so a reader (another
//! rpmatrix process too) sees either nothing or a whole, correct file. This
//! module does not download: `fetch::remote` does, through [`Cache::temp_for`]
//! and [`Cache::commit`].

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tempfile::NamedTempFile;

use super::FetchError;
use super::hash::Hasher;

/// What is remembered about the last repomd.xml of a LOCATION.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct RepomdState {
    /// The LOCATION (after substitution) this record is for.
    pub location: String,
    /// The URL repomd.xml was last fetched from.
    pub url: String,
    /// The server's ETag, for If-None-Match.
    pub etag: Option<String>,
    /// The server's Last-Modified, for If-Modified-Since.
    pub last_modified: Option<String>,
    /// When it was last fetched or confirmed unchanged (seconds since the epoch).
    pub fetched_unix: u64,
    /// sha256 of repomd.xml (its object in the store).
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The contents of a cache, for `rpmatrix cache list`.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// The repositories whose repomd.xml is cached.
    pub repos: Vec<RepomdState>,
    /// Number of stored files.
    pub objects: u64,
    /// Their total size.
    pub bytes: u64,
}

/// What `rpmatrix cache clean` removed.
#[derive(Clone, Debug, Default)]
pub struct Cleaned {
    /// Files removed.
    pub files: u64,
    /// Bytes freed.
    pub bytes: u64,
}

/// A cache directory.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
}

fn cache_err(dir: &Path, message: impl std::fmt::Display) -> FetchError {
    FetchError::Cache {
        dir: dir.display().to_string(),
        message: message.to_string(),
    }
}

/// Seconds since the epoch.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Cache {
    /// A cache rooted at `dir` (created on first write).
    pub fn new(dir: &Path) -> Cache {
        Cache { dir: dir.to_owned() }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where a file with this checksum is stored, or `None` if the type or
    /// digest is not something to build a path from.
    pub fn object_path(&self, kind: &str, hex: &str) -> Option<PathBuf> {
        let kind_ok = !kind.is_empty() && kind.len() <= 16 && kind.bytes().all(|b| b.is_ascii_alphanumeric());
        let hex_ok = hex.len() >= 8 && hex.len() <= 256 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        if !kind_ok || !hex_ok {
            return None;
        }
        let kind = kind.to_ascii_lowercase();
        let hex = hex.to_ascii_lowercase();
        Some(self.dir.join("objects").join(kind).join(&hex[..2]).join(hex))
    }

    /// The stored file with this checksum (and size, when given), marking it used.
    pub fn lookup(&self, kind: &str, hex: &str, size: Option<u64>) -> Option<PathBuf> {
        let path = self.object_path(kind, hex)?;
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || size.is_some_and(|s| s != meta.len()) {
            return None;
        }
        touch(&path);
        Some(path)
    }

    /// A temporary file in the directory of `dest`, to be [`Cache::commit`]ted there.
    /// Its name carries this process's id, so that a later run can tell the
    /// leftovers of a killed one ([`Cache::remove_leftovers`]).
    pub fn temp_for(&self, dest: &Path) -> Result<NamedTempFile, FetchError> {
        self.remove_leftovers();
        let dir = dest.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(dir).map_err(|e| cache_err(&self.dir, format!("{}: {e}", dir.display())))?;
        tempfile::Builder::new()
            .prefix(&format!(".tmp-{}-", std::process::id()))
            .tempfile_in(dir)
            .map_err(|e| cache_err(&self.dir, format!("{}: {e}", dir.display())))
    }

    /// An unnamed temporary file in the cache directory (gone when closed),
    /// for a download that has no checksum to be stored under.
    pub fn spool(&self) -> std::io::Result<std::fs::File> {
        std::fs::create_dir_all(&self.dir)?;
        tempfile::tempfile_in(&self.dir)
    }

    /// Removes the temporary files of downloads whose process is gone
    /// (killed mid-download), once a run: each can be as large as the file
    /// it was for. Files of a live process, another run sharing the cache,
    /// are left alone; so are those named without a process id unless
    /// older than an hour.
    pub fn remove_leftovers(&self) {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let hour_ago = SystemTime::now()
                .checked_sub(Duration::from_secs(3600))
                .unwrap_or(UNIX_EPOCH);
            for path in files_under(&self.dir.join("objects"))
                .into_iter()
                .chain(files_under(&self.dir.join("repos")))
            {
                if !is_temp(&path) {
                    continue;
                }
                let gone = match temp_owner(&path) {
                    Some(pid) => !process_alive(pid),
                    None => std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < hour_ago),
                };
                if gone {
                    let _ = std::fs::remove_file(&path);
                }
            }
        });
    }

    /// Atomically renames a complete, verified temporary file into place.
    pub fn commit(&self, tmp: NamedTempFile, dest: &Path) -> Result<(), FetchError> {
        tmp.persist(dest)
            .map(|_| ())
            .map_err(|e| cache_err(&self.dir, format!("{}: {}", dest.display(), e.error)))
    }

    fn state_path(&self, location: &str) -> PathBuf {
        self.dir.join("repos").join(format!("{}.json", repo_key(location)))
    }

    /// The last repomd.xml recorded for `location`, if both the record and the
    /// file are present and agree.
    pub fn read_repomd(&self, location: &str) -> Option<(RepomdState, Vec<u8>)> {
        let text = std::fs::read(self.state_path(location)).ok()?;
        let state: RepomdState = serde_json::from_slice(&text).ok()?;
        if state.location != location {
            return None;
        }
        let path = self.lookup("sha256", &state.sha256, Some(state.size))?;
        let bytes = std::fs::read(path).ok()?;
        let mut h = Hasher::new("sha256")?;
        h.update(&bytes);
        (h.finish_hex() == state.sha256).then_some((state, bytes))
    }

    /// Stores repomd.xml and its record (the file first, then the record that names it).
    pub fn write_repomd(&self, state: &RepomdState, bytes: &[u8]) -> Result<(), FetchError> {
        use std::io::Write;
        let dest = self
            .object_path("sha256", &state.sha256)
            .ok_or_else(|| cache_err(&self.dir, "bad repomd.xml digest"))?;
        // An object of the right size may still be corrupt: it is
        // rewritten unless its bytes are these.
        let intact = self
            .lookup("sha256", &state.sha256, Some(state.size))
            .and_then(|p| std::fs::read(p).ok())
            .is_some_and(|b| b == bytes);
        if !intact {
            let mut tmp = self.temp_for(&dest)?;
            tmp.write_all(bytes)
                .map_err(|e| cache_err(&self.dir, format!("{}: {e}", dest.display())))?;
            self.commit(tmp, &dest)?;
        }
        self.write_state(state)
    }

    /// Rewrites the record for a repository (e.g. a new fetch time after a 304).
    pub fn write_state(&self, state: &RepomdState) -> Result<(), FetchError> {
        use std::io::Write;
        let path = self.state_path(&state.location);
        let json = serde_json::to_vec_pretty(state).map_err(|e| cache_err(&self.dir, e))?;
        let mut tmp = self.temp_for(&path)?;
        tmp.write_all(&json)
            .map_err(|e| cache_err(&self.dir, format!("{}: {e}", path.display())))?;
        self.commit(tmp, &path)
    }

    /// What the cache holds.
    pub fn list(&self) -> Result<Listing, FetchError> {
        let mut listing = Listing::default();
        for path in files_under(&self.dir.join("repos")) {
            if let Ok(text) = std::fs::read(&path)
                && let Ok(state) = serde_json::from_slice::<RepomdState>(&text)
            {
                listing.repos.push(state);
            }
        }
        listing.repos.sort_by(|a, b| a.location.cmp(&b.location));
        for path in files_under(&self.dir.join("objects")) {
            if is_temp(&path) {
                continue;
            }
            if let Ok(meta) = std::fs::metadata(&path) {
                listing.objects += 1;
                listing.bytes += meta.len();
            }
        }
        Ok(listing)
    }

    /// Removes everything (`older_than` = `None`), or the files not used and
    /// the repositories not fetched for at least `older_than`. Unfinished
    /// temporary files older than an hour go too.
    pub fn clean(&self, older_than: Option<Duration>) -> Result<Cleaned, FetchError> {
        let mut cleaned = Cleaned::default();
        let now = SystemTime::now();
        let cutoff = older_than.map(|d| now.checked_sub(d).unwrap_or(UNIX_EPOCH));
        let temp_cutoff = now.checked_sub(Duration::from_secs(3600)).unwrap_or(UNIX_EPOCH);
        for sub in ["repos", "objects"] {
            for path in files_under(&self.dir.join(sub)) {
                let Ok(meta) = std::fs::metadata(&path) else { continue };
                let mtime = meta.modified().unwrap_or(now);
                let old = match cutoff {
                    None => !is_temp(&path) || mtime < temp_cutoff,
                    Some(c) => mtime < c || (is_temp(&path) && mtime < temp_cutoff),
                };
                if old && std::fs::remove_file(&path).is_ok() {
                    cleaned.files += 1;
                    cleaned.bytes += meta.len();
                }
            }
        }
        // Empty fan-out directories are left: they are harmless and reused.
        Ok(cleaned)
    }
}

/// The key a LOCATION's repomd.xml record is stored under (32 hex digits of its sha256).
pub fn repo_key(location: &str) -> String {
    use sha2::Digest;
    let mut key = hex::encode(sha2::Sha256::digest(location.as_bytes()));
    key.truncate(32);
    key
}

/// The process id in a temporary file's name (`.tmp-PID-XXXXXX`).
fn temp_owner(path: &Path) -> Option<i32> {
    let name = path.file_name()?.to_str()?;
    let (pid, _) = name.strip_prefix(".tmp-")?.split_once('-')?;
    pid.parse().ok().filter(|&p| p > 0)
}

fn process_alive(pid: i32) -> bool {
    if pid as u32 == std::process::id() {
        return true;
    }
    // SAFETY: signal 0 sends nothing; it only asks whether `pid` exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn is_temp(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(".tmp-"))
}

/// Marks a file as used now (for `cache clean --older-than`).
fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_are_safe() {
        let c = Cache::new(Path::new("/c"));
        assert_eq!(
            c.object_path("sha256", "ABCDEF0123"),
            Some(PathBuf::from("/c/objects/sha256/ab/abcdef0123"))
        );
        assert!(c.object_path("sha256", "../../etc").is_none());
        assert!(c.object_path("sha/256", "abcdef0123").is_none());
        assert!(c.object_path("sha256", "abc").is_none());
    }

    #[test]
    fn repomd_round_trip_and_clean() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let c = Cache::new(dir.path());
        let bytes = b"<repomd/>";
        let mut h = Hasher::new("sha256").unwrap_or_else(unreachable_hasher_panic);
        h.update(bytes);
        let state = RepomdState {
            location: "http://x/".into(),
            url: "http://x/repodata/repomd.xml".into(),
            etag: Some("\"e\"".into()),
            last_modified: None,
            fetched_unix: now_unix(),
            sha256: h.finish_hex(),
            size: bytes.len() as u64,
        };
        assert!(c.write_repomd(&state, bytes).is_ok());
        let (got, b) = c.read_repomd("http://x/").unwrap_or_else(|| panic!("not cached"));
        assert_eq!(b, bytes);
        assert_eq!(got.etag.as_deref(), Some("\"e\""));
        assert!(c.read_repomd("http://y/").is_none());
        let l = c.list().unwrap_or_default();
        assert_eq!((l.repos.len(), l.objects), (1, 1));
        let cleaned = c.clean(Some(Duration::from_secs(3600))).unwrap_or_default();
        assert_eq!(cleaned.files, 0);
        let cleaned = c.clean(None).unwrap_or_default();
        assert_eq!(cleaned.files, 2);
        assert!(c.read_repomd("http://x/").is_none());
    }

    fn unreachable_hasher_panic() -> Hasher {
        panic!("sha256 unknown")
    }
}
