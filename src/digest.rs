//! SHA-256 digests as harness writes them: lowercase hex, and the
//! `sha256:HEX` form that names the algorithm where a digest is recorded
//! beside others (approval records, task evidence).
//!
//! Every hash harness records goes through here, so the encoding of one
//! never drifts from another's.

use sha2::{Digest, Sha256};

/// The prefix of the `sha256:HEX` form.
pub const PREFIX: &str = "sha256:";

/// A SHA-256 fed in pieces, for input that arrives as a stream (gate output).
#[derive(Default)]
pub struct Hasher(Sha256);

impl Hasher {
    pub fn new() -> Self {
        Hasher::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// The digest of everything fed in, as lowercase hex.
    pub fn hex(self) -> String {
        hex(&self.0.finalize())
    }
}

/// `bytes` as lowercase hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}

/// The SHA-256 of `bytes`, as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Hasher::new();
    h.update(bytes);
    h.hex()
}

/// The SHA-256 of `bytes` as `sha256:HEX`.
pub fn sha256_tagged(bytes: &[u8]) -> String {
    format!("{PREFIX}{}", sha256_hex(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn hex_is_sha256_in_lowercase() {
        assert_eq!(sha256_hex(b""), EMPTY);
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn tagged_names_the_algorithm() {
        assert_eq!(sha256_tagged(b""), format!("sha256:{EMPTY}"));
    }

    #[test]
    fn pieces_hash_as_the_whole() {
        let mut h = Hasher::new();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(h.hex(), sha256_hex(b"abc"));
    }
}
