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
                _ => Err(io::Error::other(format!(
                    "decompressed size exceeds the limit of {} bytes (--max-decompressed-size)",
                    self.limit
                ))),
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
    mut stored: Box<dyn io::BufRead + Send + 'a>,
) -> io::Result<(Box<dyn Read + Send + 'a>, Compression)> {
    let magic = stored.fill_buf()?.to_vec();
    let kind = Compression::sniff(&magic).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "unknown compression (not gzip, xz, zstd, bzip2 or plain text)",
        )
    })?;
    let reader: Box<dyn Read + Send + 'a> = match kind {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(stored)),
        Compression::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(stored)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(stored)?),
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(stored)),
        Compression::Plain => Box::new(stored),
    };
    Ok((reader, kind))
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
