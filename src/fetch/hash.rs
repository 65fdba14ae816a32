//! Checksums of the types repomd.xml and metalinks name (sha256, sha512,
//! sha1, md5...), computed as bytes stream past. It does not decide what to
//! do with a mismatch: callers do.

use sha2::Digest;

/// A running digest of one of the checksum types repomd.xml uses.
pub enum Hasher {
    /// sha256
    Sha256(sha2::Sha256),
    /// sha512
    Sha512(sha2::Sha512),
    /// sha384
    Sha384(sha2::Sha384),
    /// sha224
    Sha224(sha2::Sha224),
    /// sha1 (`sha` in old yum repos)
    Sha1(sha1::Sha1),
    /// md5
    Md5(md5::Md5),
}

impl Hasher {
    /// A hasher for the named type, or `None` if the type is unknown.
    pub fn new(kind: &str) -> Option<Hasher> {
        Some(match kind {
            "sha256" => Hasher::Sha256(sha2::Sha256::new()),
            "sha512" => Hasher::Sha512(sha2::Sha512::new()),
            "sha384" => Hasher::Sha384(sha2::Sha384::new()),
            "sha224" => Hasher::Sha224(sha2::Sha224::new()),
            "sha1" | "sha" => Hasher::Sha1(sha1::Sha1::new()),
            "md5" => Hasher::Md5(md5::Md5::new()),
            _ => return None,
        })
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha224(h) => h.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Md5(h) => h.update(data),
        }
    }

    /// The lowercase hex digest.
    pub fn finish_hex(self) -> String {
        match self {
            Hasher::Sha256(h) => hex::encode(h.finalize()),
            Hasher::Sha512(h) => hex::encode(h.finalize()),
            Hasher::Sha384(h) => hex::encode(h.finalize()),
            Hasher::Sha224(h) => hex::encode(h.finalize()),
            Hasher::Sha1(h) => hex::encode(h.finalize()),
            Hasher::Md5(h) => hex::encode(h.finalize()),
        }
    }
}
