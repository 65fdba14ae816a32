//! Decompression by content, not by name, and checksum verification of the
//! bytes as they stream past.

use std::io::{self, Read};

/// The compression formats rpm-md uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// gzip (`.gz`)
    Gzip,
    /// xz (`.xz`)
    Xz,
    /// zstandard (`.zst`)
    Zstd,
    /// bzip2 (`.bz2`)
    Bzip2,
    /// No compression: the content starts with `<` (XML) or is YAML text.
    Plain,
}

impl Compression {
    /// Recognises the format from the first bytes of a file.
    pub fn sniff(magic: &[u8]) -> Option<Compression> {
        if magic.starts_with(&[0x1f, 0x8b]) {
            Some(Compression::Gzip)
        } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Some(Compression::Xz)
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if magic.starts_with(b"BZh") {
            Some(Compression::Bzip2)
        } else {
            let text = magic
                .iter()
                .skip_while(|b| b.is_ascii_whitespace() || **b == 0xef || **b == 0xbb || **b == 0xbf);
            match text.clone().next() {
                Some(b'<') | Some(b'-') | Some(b'#') => Some(Compression::Plain),
                Some(b) if b.is_ascii_alphabetic() => Some(Compression::Plain),
                None => Some(Compression::Plain),
                _ => None,
            }
        }
    }

    /// Lowercase name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
            Compression::Plain => "plain",
        }
    }
}

pub use crate::fetch::hash::Hasher;

/// The error of a [`LimitedReader`] past its limit. It travels as an
/// [`io::Error`] through the readers stacked on it, and is told apart from
/// a real read error by its type (a limit, not a corrupt file).
#[derive(Debug, thiserror::Error)]
#[error(
    "decompressed size exceeds the limit of {limit} bytes (a decompression bomb, or a file larger \
     than allowed: --max-decompressed-size BYTES raises the limit)"
)]
pub struct DecompressLimit {
    /// The limit, in bytes.
    pub limit: u64,
}

/// Refuses to produce more than `limit` decompressed bytes (decompression bombs).
pub struct LimitedReader<R> {
    inner: R,
    remaining: u64,
    limit: u64,
}

impl<R: Read> LimitedReader<R> {
    /// Wraps `inner`, allowing at most `limit` bytes.
    pub fn new(inner: R, limit: u64) -> Self {
        LimitedReader {
            inner,
            remaining: limit,
            limit,
        }
    }
}

impl<R: Read> Read for LimitedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            // One byte more tells "exactly at the limit" from "over it".
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(DecompressLimit { limit: self.limit })),
            };
        }
        let max = buf.len().min(self.remaining.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Wraps the stored bytes in the right decompressor, chosen by magic bytes.
/// Returns the reader and the detected format.
pub fn decompressor<'a>(
    stored: Box<dyn io::BufRead + Send + 'a>,
) -> io::Result<(Box<dyn Read + Send + 'a>, Compression)> {
    open(stored, true)
}

/// As [`decompressor`], for stored bytes checked against repomd.xml's
/// checksum: gzip's own CRC-32 of the decompressed bytes is not computed
/// (its trailer's size still is). Corruption in the stored bytes is
/// already caught by the stronger checksum of those very bytes, and the
/// CRC cost 2 % of a whole closure's CPU.
pub fn decompressor_of_checked<'a>(
    stored: Box<dyn io::BufRead + Send + 'a>,
) -> io::Result<(Box<dyn Read + Send + 'a>, Compression)> {
    open(stored, false)
}

fn open<'a>(
    mut stored: Box<dyn io::BufRead + Send + 'a>,
    gzip_crc: bool,
) -> io::Result<(Box<dyn Read + Send + 'a>, Compression)> {
    let magic = stored.fill_buf()?.to_vec();
    let kind = Compression::sniff(&magic).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "unknown compression (not gzip, xz, zstd, bzip2 or plain text)",
        )
    })?;
    let reader: Box<dyn Read + Send + 'a> = match kind {
        Compression::Gzip if gzip_crc => Box::new(flate2::bufread::MultiGzDecoder::new(stored)),
        Compression::Gzip => Box::new(GzipWithoutCrc::new(stored)),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(stored)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(stored)?),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(stored)),
        Compression::Plain => Box::new(stored),
    };
    Ok((reader, kind))
}

/// gzip members one after another (as `MultiGzDecoder` reads them), each
/// a header, a raw deflate stream and a trailer whose CRC-32 is skipped and
/// whose size is checked.
struct GzipWithoutCrc<R: io::BufRead> {
    /// The member being inflated; `None` once the input is used up.
    member: Option<flate2::bufread::DeflateDecoder<R>>,
    /// Its bytes so far, for the trailer's size (modulo 2³²).
    size: u32,
    /// The input before its first header is read.
    unopened: Option<R>,
}

impl<R: io::BufRead> GzipWithoutCrc<R> {
    fn new(stored: R) -> Self {
        GzipWithoutCrc {
            member: None,
            size: 0,
            unopened: Some(stored),
        }
    }
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Reads past one gzip member header (RFC 1952, 2.3).
fn skip_gzip_header(r: &mut impl io::BufRead) -> io::Result<()> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let mut fixed = [0u8; 10];
    r.read_exact(&mut fixed)?;
    if fixed[..3] != [0x1f, 0x8b, 8] {
        return Err(invalid("invalid gzip header"));
    }
    let flags = fixed[3];
    if flags & 0xe0 != 0 {
        return Err(invalid("invalid gzip header (reserved flags set)"));
    }
    if flags & FEXTRA != 0 {
        let mut len = [0u8; 2];
        r.read_exact(&mut len)?;
        let len = u64::from(u16::from_le_bytes(len));
        if io::copy(&mut r.take(len), &mut io::sink())? != len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let mut text = Vec::new();
            if r.read_until(0, &mut text)? == 0 || text.last() != Some(&0) {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
    if flags & FHCRC != 0 {
        r.read_exact(&mut [0u8; 2])?;
    }
    Ok(())
}

impl<R: io::BufRead> Read for GzipWithoutCrc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(mut stored) = self.unopened.take() {
                skip_gzip_header(&mut stored)?;
                self.member = Some(flate2::bufread::DeflateDecoder::new(stored));
                self.size = 0;
            }
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 {
                self.size = self.size.wrapping_add(n as u32);
                return Ok(n);
            }
            // The deflate stream ended, or its input did: a truncated one
            // has no trailer after it.
            let Some(member) = self.member.take() else {
                return Ok(0);
            };
            let mut stored = member.into_inner();
            let mut trailer = [0u8; 8];
            stored
                .read_exact(&mut trailer)
                .map_err(|_| invalid("truncated gzip stream (no trailer)"))?;
            let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
            if size != self.size {
                return Err(invalid("corrupt gzip stream (size in the trailer differs)"));
            }
            if !stored.fill_buf()?.is_empty() {
                self.unopened = Some(stored);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn sniffs_formats() {
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8]), Some(Compression::Gzip));
        assert_eq!(Compression::sniff(b"<?xml"), Some(Compression::Plain));
        assert_eq!(Compression::sniff(&[0x00, 0x01, 0x02]), None);
    }

    /// gzip members of `parts`, the first with every optional header field
    /// (extra field, name, comment, header CRC), the others plain.
    fn gzip_members(parts: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let builder = match i {
                0 => flate2::GzBuilder::new()
                    .extra(vec![1, 2, 3])
                    .filename("primary.xml")
                    .comment("made by a test")
                    .mtime(1),
                _ => flate2::GzBuilder::new(),
            };
            let mut enc = builder.write(Vec::new(), flate2::Compression::default());
            let _ = enc.write_all(part);
            out.extend(enc.finish().unwrap_or_default());
        }
        // GzBuilder has no header-CRC switch: set FHCRC by hand and put
        // the header's CRC-16 after the comment.
        let comment = b"made by a test\0";
        if let Some(at) = out.windows(comment.len()).position(|w| w == comment) {
            let comment_end = at + comment.len();
            out[3] |= 2;
            let mut crc = flate2::Crc::new();
            crc.update(&out[..comment_end]);
            let crc16 = (crc.sum() as u16).to_le_bytes();
            out.splice(comment_end..comment_end, crc16);
        }
        out
    }

    fn read_all(bytes: Vec<u8>, checked: bool) -> Result<Vec<u8>, String> {
        let stored: Box<dyn io::BufRead + Send> = Box::new(io::Cursor::new(bytes));
        let (mut r, kind) = match checked {
            true => decompressor_of_checked(stored),
            false => decompressor(stored),
        }
        .map_err(|e| e.to_string())?;
        assert_eq!(kind, Compression::Gzip);
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn gzip_without_crc_reads_what_flate2_reads() {
        let a = b"<metadata>".repeat(5000);
        let gz = gzip_members(&[&a, b"", b"</metadata>"]);
        let both = read_all(gz.clone(), false);
        assert_eq!(read_all(gz, true), both);
        let mut whole = a.clone();
        whole.extend(b"</metadata>");
        assert_eq!(both, Ok(whole));
    }

    #[test]
    fn gzip_without_crc_still_refuses_what_is_broken() {
        let a = b"<package>".repeat(5000);
        let gz = gzip_members(&[&a]);
        let n = gz.len();
        for cut in [5, 20, n / 2, n - 8, n - 1] {
            let err = read_all(gz[..cut].to_vec(), true).err();
            assert!(err.is_some(), "cut at {cut} of {n} read as whole");
        }
        let mut wrong_size = gz.clone();
        wrong_size[n - 1] ^= 1;
        assert!(read_all(wrong_size, true).is_err_and(|e| e.contains("size")));
        let mut garbage = gz.clone();
        garbage.extend(b"trailing junk");
        assert!(read_all(garbage, true).is_err());
        // The CRC-32 is what is skipped: the stored bytes' checksum covers it.
        let mut wrong_crc = gz.clone();
        wrong_crc[n - 8] ^= 1;
        assert!(read_all(wrong_crc.clone(), false).is_err());
        assert_eq!(read_all(wrong_crc, true), Ok(a));
    }

    #[test]
    fn limit_stops_bombs() {
        let data = vec![0u8; 1000];
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = enc.write_all(&data);
        let gz = enc.finish().unwrap_or_default();
        let (r, _) = decompressor(Box::new(io::Cursor::new(gz)))
            .map_err(|e| e.to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut limited = LimitedReader::new(r, 100);
        let mut out = Vec::new();
        assert!(limited.read_to_end(&mut out).is_err());
    }
}
