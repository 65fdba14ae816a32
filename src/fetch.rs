//! Turns a LOCATION into bytes: the one seam through which every file of a
//! repository is read.
//!
//! A [`Source`] hands out `repodata/repomd.xml` and the files it names. This
//! module knows nothing of XML or packages: it is told which href to open and
//! what checksum and size the caller expects, and reports whether it already
//! verified them (a cache that verified on download) or left that to the
//! reader.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file of a repository could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
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
    /// Whether the file at `href` exists (without reading it).
    fn exists(&self, href: &str) -> bool;
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
        std::fs::read(&path).map_err(|e| io_error(&path, e))
    }

    fn open(&self, href: &str, _expect: &Expect) -> Result<Fetched, FetchError> {
        check_href(href)?;
        let path = self.root.join(href);
        let file = File::open(&path).map_err(|e| io_error(&path, e))?;
        Ok(Fetched {
            reader: Box::new(file),
            verified: false,
            display: path.display().to_string(),
        })
    }

    fn exists(&self, href: &str) -> bool {
        check_href(href).is_ok() && self.root.join(href).is_file()
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

/// Opens a LOCATION as a [`Source`]. Local directories and `file://` URLs for now.
pub fn open_location(location: &str) -> Result<Box<dyn Source>, FetchError> {
    if location.starts_with("http://") || location.starts_with("https://") {
        return Err(FetchError::BadLocation {
            location: location.to_owned(),
            reason: "HTTP locations are not supported yet".into(),
        });
    }
    Ok(Box::new(LocalDir::new(location)?))
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
}
