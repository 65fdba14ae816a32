//! Cutting a decompressed rpm-md document (primary.xml, filelists.xml) into
//! chunks that each end at a `</package>`, and parsing them as tasks of
//! rayon's pool, results in document order. This is all the primary and
//! filelists parsers share of the pipeline: `parse_chunks_on_rayon`, the
//! [`DocState`] each chunk reports (root element seen and closed, packages
//! counted) and [`ParseError`].
//!
//! What a chunk holds is the caller's business: its closure parses each
//! one; this module only cuts, checks UTF-8, schedules and orders.

use std::io::Read;

use crate::core::locked;

/// What went wrong reading primary.xml (or filelists.xml).
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Reading or decompressing the bytes failed.
    #[error("cannot decompress: {0} (truncated or corrupt file?)")]
    Io(std::io::Error),
    /// A limit on what one file may hold was reached: the file is not
    /// corrupt as far as anyone knows, only larger than allowed. The
    /// message names the limit (and the option raising it, if there is one).
    #[error("{0}")]
    Limit(String),
    /// The XML is not well formed or not rpm-md.
    #[error("malformed XML: {0}")]
    Xml(String),
}

impl From<std::io::Error> for ParseError {
    /// The decompression limit ([`DecompressLimit`](crate::repodata::decompress::DecompressLimit))
    /// travels as an I/O error through the decompressors: it is a limit,
    /// not a corrupt file.
    fn from(e: std::io::Error) -> Self {
        match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<crate::repodata::decompress::DecompressLimit>())
        {
            Some(limit) => ParseError::Limit(limit.to_string()),
            None => ParseError::Io(e),
        }
    }
}

/// The longest element (one `<package>`) a chunk may grow to hold. The
/// largest real ones are under 2 MB (CentOS Stream 9 BaseOS, 1.8 MB in
/// primary.xml; AzureLinux 3, 1.6 MB in filelists.xml): this is over 30
/// times that, and it bounds what a file of one endless element (a GiB of
/// whitespace inside a `<package>`) costs in memory: without it the buffer
/// doubles until the end tag comes, or memory runs out.
pub const MAX_ELEMENT: usize = 64 << 20;

/// Reads decompressed XML and hands out text chunks that each end right after
/// a closing tag `end_tag` (or at the end of the document).
///
/// Chunks are filled into buffers the caller hands back once parsed: a
/// buffer is allocated (and its pages faulted in) once, not once per chunk,
/// and is read into directly, not zeroed first as `read_to_end` would.
pub struct Chunker<R> {
    inner: R,
    chunk_size: usize,
    /// What was read past the last cut: the start of the next chunk.
    carry: Vec<u8>,
    end_tag: &'static [u8],
    done: bool,
    /// The longest element a chunk may grow to hold ([`MAX_ELEMENT`]).
    max_element: usize,
}

/// A chunk of text: the first `len` bytes of `buf`.
pub struct Chunk {
    /// The buffer, to be handed back to [`Chunker::next_chunk`] for reuse.
    pub buf: Vec<u8>,
    /// How much of `buf` is the chunk.
    pub len: usize,
}

impl Chunk {
    /// The chunk's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

impl<R: Read> Chunker<R> {
    /// Chunks `inner` at `end_tag` boundaries (e.g. `</package>`), at most
    /// `chunk_size` bytes each unless one element is longer.
    pub fn new(inner: R, end_tag: &'static [u8], chunk_size: usize) -> Self {
        Chunker {
            inner,
            chunk_size,
            carry: Vec::new(),
            end_tag,
            done: false,
            max_element: MAX_ELEMENT,
        }
    }

    /// As [`new`](Self::new), with another longest element than
    /// [`MAX_ELEMENT`] (for tests).
    pub fn with_max_element(mut self, max_element: usize) -> Self {
        self.max_element = max_element;
        self
    }

    /// The next chunk, filled into `buf` (a buffer of an earlier chunk, or a
    /// new empty one), or `None` at the end.
    pub fn next_chunk(&mut self, mut buf: Vec<u8>) -> Result<Option<Chunk>, ParseError> {
        if self.done {
            return Ok(None);
        }
        let size = self.chunk_size.max(self.carry.len() * 2).max(self.end_tag.len() * 2);
        if buf.len() < size {
            buf.resize(size, 0);
        }
        buf[..self.carry.len()].copy_from_slice(&self.carry);
        let mut filled = self.carry.len();
        let mut searched_from = filled.saturating_sub(self.end_tag.len());
        loop {
            while filled < buf.len() {
                match self.inner.read(&mut buf[filled..]) {
                    Ok(0) => {
                        self.done = true;
                        self.carry.clear();
                        return Ok(Some(Chunk { buf, len: filled }));
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            if let Some(pos) = memchr::memmem::rfind(&buf[searched_from..filled], self.end_tag) {
                let cut = searched_from + pos + self.end_tag.len();
                self.carry.clear();
                self.carry.extend_from_slice(&buf[cut..filled]);
                return Ok(Some(Chunk { buf, len: cut }));
            }
            // One element longer than the buffer: grow it and read on, up
            // to the longest element allowed.
            if filled >= self.max_element {
                let tag = String::from_utf8_lossy(self.end_tag);
                return Err(ParseError::Limit(format!(
                    "an element longer than {} MiB: no {tag} in {filled} bytes{} (a package is at most {} MiB)",
                    self.max_element >> 20,
                    package_near(&buf[..filled], filled).map_or(String::new(), |p| format!(" after <package> {p}")),
                    self.max_element >> 20,
                )));
            }
            searched_from = filled.saturating_sub(self.end_tag.len());
            let grown = (buf.len() * 2).min(self.max_element.max(buf.len() + 1));
            buf.resize(grown, 0);
        }
    }
}

/// Checks that a chunk is UTF-8 and views it as text. simdutf8 is several
/// times std's speed, and this runs over every byte of every primary.xml;
/// std only words the error.
/// Also refuses NUL bytes, which XML does not allow anywhere (libsolv
/// stops loading at one): a memchr pass, a small fraction of the UTF-8
/// check's time.
fn as_text(bytes: &[u8]) -> Result<&str, ParseError> {
    let text = simdutf8::basic::from_utf8(bytes)
        .or_else(|_| std::str::from_utf8(bytes).map_err(|e| ParseError::Xml(format!("invalid UTF-8: {e}"))))?;
    if let Some(at) = memchr::memchr(0, bytes) {
        let package = package_near(bytes, at).map_or(String::new(), |p| format!(" in package {p}"));
        return Err(ParseError::Xml(format!("a NUL byte{package}")));
    }
    Ok(text)
}

/// The package whose element holds byte `at` of `bytes` (a chunk of
/// primary.xml or filelists.xml), for an error message: its `<name>` (and
/// `<arch>`, version) in primary.xml, its `name` and `arch` attributes in
/// filelists.xml, else its `<location href>`. Only read when there is an
/// error to report.
pub(crate) fn package_near(bytes: &[u8], at: usize) -> Option<String> {
    let before = bytes.get(..at.min(bytes.len()))?;
    let start = memchr::memmem::rfind(before, b"<package")?;
    let rest = bytes.get(start..)?;
    let rest = rest.get(..memchr::memmem::find(rest, b"</package>").unwrap_or(rest.len()))?;
    let between = |open: &[u8], close: &[u8]| -> Option<String> {
        let from = memchr::memmem::find(rest, open)? + open.len();
        let len = memchr::memmem::find(rest.get(from..)?, close)?;
        let text = String::from_utf8_lossy(rest.get(from..from + len.min(200))?);
        // Only what a name is made of: the message is a single line.
        Some(unescaped(&text).chars().filter(|c| !c.is_control()).collect())
    };
    let tag_end = memchr::memchr(b'>', rest).unwrap_or(rest.len());
    let tag = rest.get(..tag_end)?;
    let attr = |key: &[u8]| -> Option<String> {
        let from = memchr::memmem::find(tag, key)? + key.len();
        let len = memchr::memchr(b'"', tag.get(from..)?)?;
        Some(unescaped(&String::from_utf8_lossy(tag.get(from..from + len.min(200))?)))
    };
    let (name, arch) = match between(b"<name>", b"</name>") {
        Some(name) => (name, between(b"<arch>", b"</arch>")),
        None => (attr(b" name=\"").unwrap_or_default(), attr(b" arch=\"")),
    };
    if name.is_empty() {
        return between(b"<location href=\"", b"\"").map(|href| format!("at {href}"));
    }
    let version = between(b" ver=\"", b"\"");
    let release = between(b" rel=\"", b"\"");
    let mut out = name;
    if let Some(v) = version {
        out.push('-');
        out.push_str(&v);
        if let Some(r) = release {
            out.push('-');
            out.push_str(&r);
        }
    }
    if let Some(a) = arch {
        out.push('.');
        out.push_str(&a);
    }
    Some(out)
}

/// XML text as the package's name reads (`a&amp;b` is `a&b`); as written
/// when it is not well-formed (the message is about a broken file).
fn unescaped(text: &str) -> String {
    quick_xml::escape::unescape(text).map_or_else(|_| text.to_owned(), |t| t.into_owned())
}

/// State carried across chunks of one document: whether the root element was
/// seen and how many packages it announced.
#[derive(Debug, Default)]
pub struct DocState {
    /// The root element was seen.
    pub root_seen: bool,
    /// The root element was closed.
    pub root_closed: bool,
    /// `packages="N"` on the root, if given.
    pub announced: Option<usize>,
    /// Packages parsed so far.
    pub parsed: usize,
    /// Packages came after the root element was closed (in a later chunk).
    pub after_root: bool,
}

impl DocState {
    /// Adds what a later chunk saw.
    pub fn merge(&mut self, later: &DocState) {
        self.after_root |= later.after_root || (self.root_closed && later.parsed > 0);
        self.root_seen |= later.root_seen;
        self.root_closed |= later.root_closed;
        self.announced = self.announced.or(later.announced);
        self.parsed += later.parsed;
    }

    /// Checks, after the last chunk, that the document was complete.
    pub fn finish(&self, root: &str) -> Result<(), ParseError> {
        if !self.root_seen {
            return Err(ParseError::Xml(format!("no <{root}> element")));
        }
        if !self.root_closed {
            return Err(ParseError::Xml(format!("document ends before </{root}> (truncated?)")));
        }
        if self.after_root {
            return Err(ParseError::Xml(format!("packages after </{root}>")));
        }
        if let Some(n) = self.announced
            && n != self.parsed
        {
            return Err(ParseError::Xml(format!(
                "<{root} packages=\"{n}\"> but {} packages found",
                self.parsed
            )));
        }
        Ok(())
    }
}

/// Cuts `reader` into `</package>`-terminated chunks on the calling thread
/// and parses them as tasks of rayon's pool; results in document order.
///
/// The pool has one worker per CPU, and every repository loaded at once
/// shares it: a worker done with a small repository's chunks takes a big
/// one's. Threads of their own per file (a decompressor and two parsers for
/// each repository, seven threads on two CPUs for CentOS Stream 9's
/// AppStream and BaseOS) cost 15–20 % more CPU in time slices and lock
/// waits. At most `ahead` chunks wait for a
/// worker; past that the calling thread parses the chunk it just cut
/// before cutting the next, so memory stays a few chunks whatever the file
/// size and however busy the pool is. With `ahead` 0 every chunk is parsed
/// on the calling thread.
pub(crate) fn parse_chunks_on_rayon<R, T, S, F>(
    reader: R,
    chunk_size: usize,
    ahead: usize,
    parse: F,
) -> Result<Vec<T>, ParseError>
where
    R: Read + Send,
    T: Send,
    S: Default + Send,
    F: Fn(&mut S, &str) -> Result<T, ParseError> + Sync,
{
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let slots: Mutex<Vec<Option<Result<T, ParseError>>>> = Mutex::new(Vec::new());
    // Parser states (caches) left by finished tasks, and chunk buffers
    // parsed and free to be filled again: both are reused, not rebuilt.
    let states: Mutex<Vec<S>> = Mutex::new(Vec::new());
    let buffers: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let waiting = AtomicUsize::new(0);
    let (slots, states, buffers, waiting, parse) = (&slots, &states, &buffers, &waiting, &parse);
    let store = move |index: usize, result: Result<T, ParseError>| {
        let mut v = locked(slots);
        if v.len() <= index {
            v.resize_with(index + 1, || None);
        }
        v[index] = Some(result);
    };
    let run = move |index: usize, chunk: Chunk| {
        let mut state = locked(states).pop().unwrap_or_default();
        let result = as_text(chunk.bytes()).and_then(|text| parse(&mut state, text));
        locked(states).push(state);
        locked(buffers).push(chunk.buf);
        store(index, result);
    };
    let mut chunker = Chunker::new(reader, b"</package>", chunk_size);
    // In place: the cutting stays on this thread even outside rayon's pool,
    // where `rayon::scope` would run it on a worker this thread wakes (and
    // the scheduler queues that worker on this thread's CPU).
    rayon::in_place_scope(|scope| {
        for index in 0.. {
            let buf = locked(buffers).pop().unwrap_or_default();
            match chunker.next_chunk(buf) {
                Ok(Some(chunk)) if waiting.load(Ordering::Acquire) < ahead => {
                    waiting.fetch_add(1, Ordering::AcqRel);
                    scope.spawn(move |_| {
                        run(index, chunk);
                        waiting.fetch_sub(1, Ordering::AcqRel);
                    });
                }
                Ok(Some(chunk)) => run(index, chunk),
                Ok(None) => return,
                Err(e) => return store(index, Err(e)),
            }
        }
    });
    // A task that panicked has made rayon::scope panic: every slot up to
    // the last chunk is filled.
    std::mem::take(&mut *locked(slots))
        .into_iter()
        .map(|slot| slot.unwrap_or_else(|| Err(ParseError::Xml("a chunk was not parsed".into()))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_the_tag_whatever_the_buffers() {
        // Elements shorter and longer than a chunk, buffers handed back or
        // not: the chunks put together are the input, each cut after a tag.
        let text: String = (0..40)
            .map(|i| format!("<package>{}</package>", "x".repeat(i * 7 % 50)))
            .collect();
        for size in [16, 64, 1000] {
            for recycle in [false, true] {
                let mut chunker = Chunker::new(text.as_bytes(), b"</package>", size);
                let mut joined = Vec::new();
                let mut spare = Vec::new();
                while let Some(chunk) = chunker
                    .next_chunk(std::mem::take(&mut spare))
                    .unwrap_or_else(|e| panic!("{e}"))
                {
                    let bytes = chunk.bytes();
                    assert!(bytes.is_empty() || bytes.ends_with(b"</package>"), "{size} {recycle}");
                    joined.extend_from_slice(bytes);
                    if recycle {
                        spare = chunk.buf;
                    }
                }
                assert_eq!(joined, text.as_bytes(), "{size} {recycle}");
            }
        }
    }

    #[test]
    fn an_element_longer_than_the_maximum_is_an_error_not_a_bigger_buffer() {
        // One element of 200 bytes, the maximum 128: the buffer stops
        // growing at the maximum, and the error names the package.
        let text = format!(
            "<package><name>p</name>{}</package><package>x</package>",
            " ".repeat(200)
        );
        let mut chunker = Chunker::new(text.as_bytes(), b"</package>", 16).with_max_element(128);
        let e = chunker
            .next_chunk(Vec::new())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("no </package> in 128 bytes after <package> p"), "{e}");
        // Up to the maximum, an element is read whole.
        let mut chunker = Chunker::new(text.as_bytes(), b"</package>", 16).with_max_element(256);
        let first = chunker.next_chunk(Vec::new()).unwrap_or_else(|e| panic!("{e}"));
        assert!(first.is_some_and(|c| c.bytes().ends_with(b"</package>") && c.buf.len() <= 256));
    }

    #[test]
    fn the_decompression_limit_is_a_limit_not_a_corrupt_file() {
        let limited = crate::repodata::decompress::LimitedReader::new(&b"0123456789"[..], 4);
        let mut chunker = Chunker::new(limited, b"</package>", 16);
        let e = chunker.next_chunk(Vec::new()).err();
        assert!(matches!(e, Some(ParseError::Limit(_))), "{e:?}");
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("--max-decompressed-size") && !e.contains("corrupt"), "{e}");
        // A real read error is still one.
        let e = ParseError::from(std::io::Error::other("boom")).to_string();
        assert!(e.contains("boom (truncated or corrupt file?)"), "{e}");
    }

    #[test]
    fn a_nul_byte_is_an_error_naming_the_package() {
        let e = as_text(b"<package><name>p</name><arch>noarch</arch>a\0b</package>").err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("NUL byte in package p.noarch"), "{e}");
        // The name as rpm has it, not as XML escapes it.
        let e = as_text(b"<package><name>a&amp;b</name><arch>noarch</arch><version epoch=\"0\" ver=\"1&lt;2\" rel=\"1\"/>\0</package>").err();
        let e = e.map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("NUL byte in package a&b-1<2-1.noarch"), "{e}");
    }

    #[test]
    fn chunks_parsed_on_rayon_come_back_in_document_order() {
        // Many small chunks, none or several waiting for a worker, parsed by
        // whichever thread: the results still read as the document does,
        // and a failing chunk fails the whole.
        let text: String = (0..300).map(|i| format!("<package>{i}</package>")).collect();
        let numbers = |state: &mut usize, chunk: &str| -> Result<Vec<u32>, ParseError> {
            *state += 1;
            chunk
                .split("</package>")
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let n = p.trim_start_matches("<package>");
                    n.parse().map_err(|_| ParseError::Xml(format!("not a number: {n}")))
                })
                .collect()
        };
        for ahead in [0, 1, 4] {
            let parsed = parse_chunks_on_rayon(text.as_bytes(), 48, ahead, numbers).unwrap_or_else(|e| panic!("{e}"));
            assert!(parsed.len() > 50, "{ahead}");
            assert_eq!(parsed.concat(), (0..300).collect::<Vec<u32>>(), "{ahead}");
            let broken = text.replace("<package>150<", "<package>x<");
            let e = parse_chunks_on_rayon(broken.as_bytes(), 48, ahead, numbers).err();
            assert!(e.is_some_and(|e| e.to_string().contains("not a number: x")), "{ahead}");
        }
    }
}
