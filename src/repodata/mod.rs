//! rpm-md metadata: repomd.xml, decompression by magic bytes, and streaming
//! parsers for primary, filelists and modules.
//!
//! This module reads bytes handed out by a [`crate::fetch::Source`]
//! and turns them into records; it knows nothing of HTTP or of how the pool
//! lays packages out.

/// repomd.xml or modules.yaml that is not what rpm-md says: what is wrong,
/// for the caller to put after the repository and the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

impl From<String> for Malformed {
    fn from(message: String) -> Malformed {
        Malformed(message)
    }
}

pub mod chunks;
pub mod decompress;
pub mod filelists;
pub mod modules;
pub mod primary;
pub mod repomd;
mod xml;

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::core::ids::Intern;
use crate::fetch::{Expect, FetchError, Source};
use decompress::{Hasher, LimitedReader, decompressor, decompressor_of_checked};
pub use modules::ModuleIndex;
pub use primary::{Batch, PkgRec};
pub use repomd::{Repomd, RepomdEntry};

/// Default cap on the decompressed size of one metadata file (4 GiB).
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 4 << 30;

/// Options for loading a repository.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Refuse to decompress more than this many bytes from one file.
    pub max_decompressed: u64,
    /// Load a repository whose repomd.xml names a filelists file that is
    /// absent, as a repository without filelists (file dependencies answered
    /// by primary.xml's files only). dnf refuses such a repository, so by
    /// default rpmatrix does too.
    pub allow_missing_filelists: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_decompressed: DEFAULT_MAX_DECOMPRESSED,
            allow_missing_filelists: false,
        }
    }
}

/// A repository that could not be loaded: which one, which file, what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("repo '{repo}' ({location}): {file}: {message}")]
pub struct LoadError {
    /// The repository's name.
    pub repo: String,
    /// Its location as given.
    pub location: String,
    /// The file concerned (`repodata/repomd.xml`, an href...).
    pub file: String,
    /// What went wrong, and where useful what to do.
    pub message: String,
}

/// A loaded repository: its repomd, its packages (as parsed batches) and its
/// module metadata.
pub struct RepoData {
    /// The name the user gave it.
    pub name: String,
    /// Where it came from (for messages and reports).
    pub location: String,
    /// The parsed repomd.xml.
    pub repomd: Repomd,
    /// The checksum of repomd.xml itself (sha256), a stable identity for reports.
    pub repomd_sha256: String,
    /// Parsed primary.xml (empty once [`Pool::add_repo`](crate::pool::Pool::add_repo) took it).
    pub batches: Vec<Batch>,
    package_count: usize,
    /// Parsed modules.yaml, when the repository has one.
    pub modules: Option<ModuleIndex>,
    /// How long loading took (including downloads).
    pub elapsed: Duration,
    /// Bytes of metadata read (as stored).
    pub bytes_read: u64,
    source: Arc<dyn Source>,
    options: LoadOptions,
}

impl RepoData {
    /// Where the files come from (for [`Source::done`] after a lazy read).
    pub fn source(&self) -> &dyn Source {
        self.source.as_ref()
    }

    /// Number of packages in primary.xml.
    pub fn package_count(&self) -> usize {
        self.package_count
    }

    /// Streams filelists.xml and returns the owners of the `wanted` paths,
    /// (pkgid, path) in document order; they are kept only once the whole
    /// file matched repomd.xml. The error does not yet say which dependency
    /// needed filelists: [`FilelistsError::needed_by`] adds that.
    pub fn scan_filelists(&self, wanted: &[&str]) -> Result<Vec<(String, String)>, FilelistsError> {
        let fail = |file: &str, problem: FilelistsProblem| FilelistsError {
            repo: self.name.clone(),
            location: self.location.clone(),
            file: file.to_owned(),
            problem,
        };
        // Without filelists, dnf answers file dependencies from the files
        // primary.xml lists, as the pool already does: nothing more to find.
        // (A listed but absent file was refused at load, or allowed there.)
        let Some(entry) = self.repomd.entry("filelists").cloned() else {
            return Ok(Vec::new());
        };
        if self.options.allow_missing_filelists && !self.source.exists(&entry.href, &expect_of(&entry).1) {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        parse_streamed(self.source.as_ref(), &entry, self.options.max_decompressed, |reader| {
            // A second reading (a corrupt cached copy read again) starts over.
            found.clear();
            filelists::scan_filelists_for(reader, wanted, &mut |id, path| {
                found.push((id.to_owned(), path.to_owned()))
            })
        })
        .map_err(|e| match e {
            StreamError::Stored(file, msg) => fail(&file, FilelistsProblem::Unreadable(msg)),
            StreamError::Content(msg) => fail(&entry.href, FilelistsProblem::Invalid(msg)),
        })?;
        Ok(found)
    }
}

/// Filelists of a repository that could not be read (see
/// [`RepoData::scan_filelists`]); [`needed_by`](Self::needed_by) turns it
/// into the [`LoadError`] reported for a given file dependency.
#[derive(Clone, Debug)]
pub struct FilelistsError {
    /// The repository's name.
    pub repo: String,
    /// Its location as given.
    pub location: String,
    /// The file concerned.
    pub file: String,
    problem: FilelistsProblem,
}

#[derive(Clone, Debug)]
enum FilelistsProblem {
    /// The file cannot be read or fails verification.
    Unreadable(String),
    /// The file does not decompress or parse.
    Invalid(String),
}

impl FilelistsError {
    /// The error as reported when file dependency `why` needed these filelists.
    pub fn needed_by(&self, why: &str) -> LoadError {
        let message = match &self.problem {
            FilelistsProblem::Unreadable(msg) => {
                format!("{msg} (filelists is needed to resolve the file dependency {why})")
            }
            FilelistsProblem::Invalid(msg) => msg.clone(),
        };
        LoadError {
            repo: self.repo.clone(),
            location: self.location.clone(),
            file: self.file.clone(),
            message,
        }
    }
}

/// Loads a repository: repomd.xml, primary.xml and (when listed) modules.yaml.
/// Strings are interned through `interner` as they are parsed.
pub fn load(
    name: &str,
    source: Arc<dyn Source>,
    options: &LoadOptions,
    interner: &dyn Intern,
) -> Result<RepoData, LoadError> {
    let started = Instant::now();
    let err = |file: &str, message: String| LoadError {
        repo: name.to_owned(),
        location: source.location().to_owned(),
        file: file.to_owned(),
        message,
    };
    let repomd_bytes = source.repomd().map_err(|e| match e {
        FetchError::NotFound { path } => err(
            "repodata/repomd.xml",
            format!(
                "not found{}: is this the root of an rpm-md repository (the directory that contains repodata/)?",
                at_url(&path)
            ),
        ),
        other => err("repodata/repomd.xml", other.to_string()),
    })?;
    const MAX_REPOMD: usize = crate::fetch::MAX_REPOMD_BYTES as usize;
    if repomd_bytes.len() > MAX_REPOMD {
        return Err(err(
            "repodata/repomd.xml",
            format!("{} bytes, over the {MAX_REPOMD} byte limit", repomd_bytes.len()),
        ));
    }
    let repomd = repomd::parse(&repomd_bytes).map_err(|m| err("repodata/repomd.xml", m.0))?;
    source
        .keep_repomd()
        .map_err(|e| err("repodata/repomd.xml", e.to_string()))?;
    let mut sha = Hasher::new("sha256").ok_or_else(|| err("repodata/repomd.xml", "sha256 unavailable".into()))?;
    sha.update(&repomd_bytes);
    let repomd_sha256 = sha.finish_hex();

    if let Some(filelists) = repomd.entry("filelists")
        && !options.allow_missing_filelists
        && !source.exists(&filelists.href, &expect_of(filelists).1)
    {
        return Err(err(
            &filelists.href,
            "named by repomd.xml but absent: dnf refuses this repository (every dnf/yum client fails on it); \
             --allow-missing-filelists loads it without filelists"
                .to_owned(),
        ));
    }
    let primary = repomd
        .entry("primary")
        .cloned()
        .ok_or_else(|| err("repodata/repomd.xml", "no <data type=\"primary\"> entry".into()))?;
    let mut ahead = vec![expect_of(&primary)];
    if let Some(m) = repomd.entry("modules") {
        ahead.push(expect_of(m));
    }
    source.prefetch(&ahead);
    let mut bytes_read = repomd_bytes.len() as u64;

    // modules.yaml is parsed beside primary.xml, not before it: its YAML
    // takes about as long as a tenth of primary and would otherwise delay it.
    // Its errors still come first, as they would if it were read first.
    let read_modules = || -> Result<(Option<ModuleIndex>, u64), LoadError> {
        let Some(entry) = repomd.entry("modules") else {
            return Ok((None, 0));
        };
        let bytes = read_verified(source.as_ref(), entry).map_err(|(f, m)| err(&f, m))?;
        let mut text = String::new();
        open_decompressed(&bytes[..], entry, options.max_decompressed)
            .and_then(|mut r| r.read_to_string(&mut text).map_err(|e| e.to_string()))
            .map_err(|m| err(&entry.href, m))?;
        let index = modules::parse(&text).map_err(|m| err(&entry.href, m.0))?;
        Ok((Some(index), bytes.len() as u64))
    };
    let read_primary = || -> Result<(Vec<Batch>, u64), LoadError> {
        parse_streamed(source.as_ref(), &primary, options.max_decompressed, |reader| {
            primary::parse_primary(reader, interner)
        })
        .map_err(|e| match e {
            StreamError::Stored(file, msg) => err(&file, msg),
            StreamError::Content(msg) => err(&primary.href, msg),
        })
    };
    let slot = std::sync::Mutex::new(None);
    let (modules, parsed) = std::thread::scope(|scope| {
        let modules = crate::threads::spawn_or_defer(scope, &slot, read_modules);
        let parsed = read_primary();
        let modules = modules.join().unwrap_or_else(|_| {
            Err(err(
                "modules.yaml",
                "the modules.yaml reader panicked (a bug: please report it)".into(),
            ))
        });
        (modules, parsed)
    });
    let (modules, modules_size) = modules?;
    let (batches, primary_size) = parsed?;
    bytes_read += modules_size + primary_size;

    Ok(RepoData {
        name: name.to_owned(),
        location: source.location().to_owned(),
        repomd,
        repomd_sha256,
        package_count: batches.iter().map(|b| b.packages.len()).sum(),
        batches,
        modules,
        elapsed: started.elapsed(),
        bytes_read,
        source,
        options: options.clone(),
    })
}

/// " at URL" when `path` is a URL (a local path is already in the location).
fn at_url(path: &str) -> String {
    if path.contains("://") {
        format!(" at {path}")
    } else {
        String::new()
    }
}

fn expect_of(entry: &RepomdEntry) -> (String, Expect) {
    (
        entry.href.clone(),
        Expect {
            checksum: entry.checksum.clone(),
            size: entry.size,
        },
    )
}

/// Opens a file named by repomd.xml for streaming, with a [`StreamCheck`]
/// that sees every byte read from it. The error is (file, message).
fn open_checked(
    source: &dyn Source,
    entry: &RepomdEntry,
) -> Result<(Box<dyn Read + Send>, StreamCheck), (String, String)> {
    let fetched = open_entry(source, entry)?;
    let hasher = match (&entry.checksum, fetched.verified) {
        (Some((kind, _)), false) => Some(Hasher::new(kind).ok_or_else(|| {
            (
                entry.href.clone(),
                format!("unknown checksum type '{kind}' in repomd.xml"),
            )
        })?),
        _ => None,
    };
    let state = Arc::new(std::sync::Mutex::new(StreamState {
        reader: fetched.reader,
        hasher,
        bytes: 0,
    }));
    let check = StreamCheck {
        state: state.clone(),
        verified: fetched.verified,
    };
    Ok((Box::new(CheckedReader(state)), check))
}

struct StreamState {
    reader: Box<dyn Read + Send>,
    hasher: Option<Hasher>,
    bytes: u64,
}

/// The reading end of [`open_checked`]: passes bytes through, hashing and
/// counting them.
struct CheckedReader(Arc<std::sync::Mutex<StreamState>>);

impl Read for CheckedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut state = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("a reader thread panicked"))?;
        let n = state.reader.read(buf)?;
        if let Some(h) = state.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        state.bytes += n as u64;
        Ok(n)
    }
}

/// The checking end of [`open_checked`].
struct StreamCheck {
    state: Arc<std::sync::Mutex<StreamState>>,
    verified: bool,
}

impl StreamCheck {
    /// Reads what the consumer left unread (a decoder stops at the end of
    /// its stream; a failed parse stops anywhere), then checks size and
    /// checksum against repomd.xml. Returns the size of the file.
    fn finish(self, entry: &RepomdEntry) -> Result<u64, (String, String)> {
        let href = entry.href.clone();
        let mut state = self
            .state
            .lock()
            .map_err(|_| (href.clone(), "a reader thread panicked".to_owned()))?;
        let mut rest = [0u8; 64 << 10];
        loop {
            let n = match state.reader.read(&mut rest) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err((href, format!("read failed: {e}"))),
            };
            if let Some(h) = state.hasher.as_mut() {
                h.update(&rest[..n]);
            }
            state.bytes += n as u64;
        }
        let bytes = state.bytes;
        if self.verified {
            return Ok(bytes);
        }
        check_size(entry, bytes)?;
        if let (Some((kind, want)), Some(h)) = (&entry.checksum, state.hasher.take()) {
            check_sum(&href, kind, want, h.finish_hex())?;
        }
        Ok(bytes)
    }
}

fn check_size(entry: &RepomdEntry, bytes: u64) -> Result<(), (String, String)> {
    match entry.size {
        Some(size) if size != bytes => Err((
            entry.href.clone(),
            format!("size mismatch: repomd.xml says {size} bytes, the file has {bytes}"),
        )),
        _ => Ok(()),
    }
}

fn check_sum(href: &str, kind: &str, want: &str, got: String) -> Result<(), (String, String)> {
    if got == want {
        return Ok(());
    }
    Err((
        href.to_owned(),
        format!(
            "checksum mismatch: repomd.xml says {kind} {want}, the file has {got} (stale mirror or corrupt download?)"
        ),
    ))
}

/// Opens a file named by repomd.xml, naming a missing one as repomd.xml
/// lists it.
fn open_entry(source: &dyn Source, entry: &RepomdEntry) -> Result<crate::fetch::Fetched, (String, String)> {
    let href = entry.href.clone();
    let expect = Expect {
        checksum: entry.checksum.clone(),
        size: entry.size,
    };
    source.open(&href, &expect).map_err(|e| match e {
        FetchError::NotFound { path } => (
            href.clone(),
            format!(
                "listed in repomd.xml as '{}' but not found{}",
                entry.data_type,
                at_url(&path)
            ),
        ),
        other => (href.clone(), other.to_string()),
    })
}

/// Reads a file named by repomd.xml and checks its size and checksum before
/// anything trusts it. The error is (file, message).
fn read_verified(source: &dyn Source, entry: &RepomdEntry) -> Result<Vec<u8>, (String, String)> {
    let mut again = false;
    loop {
        let (reader, check) = open_checked(source, entry)?;
        let mut bytes = Vec::with_capacity(entry.size.unwrap_or(0).min(1 << 30) as usize);
        // Read no more than repomd.xml announces (and one byte to see
        // that there is more): the check below then reports the size.
        let cap = entry.size.map_or(u64::MAX, |s| s.saturating_add(1));
        let read = reader.take(cap).read_to_end(&mut bytes);
        let checked = read
            .map_err(|e| (entry.href.clone(), format!("read failed: {e}")))
            .and(check.finish(entry));
        match checked {
            Err((_, why)) if !again && source.evict(&entry.href, &expect_of(entry).1, &why) => again = true,
            Err(e) => return Err(e),
            Ok(_) => return Ok(bytes),
        }
    }
}

/// Decompresses the stored bytes of `entry` (in memory, or a buffered
/// stream), the format chosen by magic bytes, capped in size. Bytes in
/// memory are read in place, not copied through a buffer. When repomd.xml
/// gives the file a checksum, the stored bytes are held to it, so the
/// format's own check of the decompressed bytes is skipped.
fn open_decompressed<'a>(
    stored: impl BufRead + Send + 'a,
    entry: &RepomdEntry,
    limit: u64,
) -> Result<Box<dyn Read + Send + 'a>, String> {
    let (reader, _) = match entry.checksum.is_some() {
        true => decompressor_of_checked(Box::new(stored)),
        false => decompressor(Box::new(stored)),
    }
    .map_err(|e| e.to_string())?;
    Ok(Box::new(LimitedReader::new(reader, limit)))
}

/// What went wrong in [`parse_streamed`].
enum StreamError {
    /// Reading the stored file, or it does not match repomd.xml: (file, what).
    Stored(String, String),
    /// Decompressing or parsing what it holds.
    Content(String),
}

/// Streams the file of `entry` through its decompressor into `parse`,
/// checking its size and checksum as the bytes go by instead of reading the
/// file whole first. What `parse` returns is kept only once the whole file
/// matched repomd.xml, and a mismatch is reported before any error it may
/// have caused in decompressing or parsing. Returns it with the stored size.
///
/// A cached copy that fails the check is dropped and the file read once
/// more, downloaded anew ([`Source::evict`]).
fn parse_streamed<T, E: std::fmt::Display>(
    source: &dyn Source,
    entry: &RepomdEntry,
    limit: u64,
    mut parse: impl FnMut(Box<dyn Read + Send + '_>) -> Result<T, E>,
) -> Result<(T, u64), StreamError> {
    crate::threads::note_reading(&format!("{} of {}", entry.href, source.location()));
    let mut again = false;
    loop {
        let (stored, check) = open_checked(source, entry).map_err(|(f, m)| StreamError::Stored(f, m))?;
        let parsed = open_decompressed(BufReader::with_capacity(256 << 10, stored), entry, limit)
            .and_then(|reader| parse(reader).map_err(|e| e.to_string()));
        match check.finish(entry) {
            Ok(size) => return Ok((parsed.map_err(StreamError::Content)?, size)),
            Err((_, why)) if !again && source.evict(&entry.href, &expect_of(entry).1, &why) => again = true,
            Err((f, m)) => return Err(StreamError::Stored(f, m)),
        }
    }
}
