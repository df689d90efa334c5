//! The plan token: a fingerprint of the scope version a plan was computed from and of every
//! write in it (xxh3-128 over the writes' `Hash` encoding).
//!
//! Invariants:
//! - The same plan gives the same token in every process, binding and machine: integers are
//!   fed little-endian whatever the platform, strings are length-safe (`Hash` for `str`
//!   terminates them), and every list and map is prefixed with its length, so no two
//!   different write lists feed the same bytes by concatenation.
//! - A plan that went through JSON and back (a binding, an HTTP client) keeps its token:
//!   `Hash` sees values, not their text.
//! - The token detects accidental changes (a client editing a plan, a plan from another
//!   scope version); xxh3 is not a cryptographic hash, so it is not a signature.

use std::hash::{Hash, Hasher};

use super::plan::Plan;

/// Feeds `Hash` output to xxh3 through a buffer: `Hash` writes a few bytes at a time (a
/// length, a discriminant, a string), and one streaming `update` per piece costs more than
/// the hashing itself. The digest equals hashing all the bytes at once.
struct TokenHasher {
    xxh3: xxhash_rust::xxh3::Xxh3,
    buffer: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl TokenHasher {
    fn new() -> Self {
        TokenHasher {
            xxh3: xxhash_rust::xxh3::Xxh3::new(),
            buffer: Vec::with_capacity(CHUNK),
        }
    }

    fn digest128(mut self) -> u128 {
        self.xxh3.update(&self.buffer);
        self.xxh3.digest128()
    }
}

/// Every integer width goes through `u64`/`u128` little-endian, so `usize` lengths and enum
/// discriminants feed the same bytes on 32- and 64-bit, little- and big-endian machines.
impl Hasher for TokenHasher {
    fn write(&mut self, bytes: &[u8]) {
        if self.buffer.len() + bytes.len() > CHUNK {
            self.xxh3.update(&self.buffer);
            self.buffer.clear();
        }
        if bytes.len() >= CHUNK {
            self.xxh3.update(bytes);
        } else {
            self.buffer.extend_from_slice(bytes);
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write(&[i]);
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }
    fn write_u128(&mut self, i: u128) {
        self.write(&i.to_le_bytes());
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_i8(&mut self, i: i8) {
        self.write_u8(i as u8);
    }
    fn write_i16(&mut self, i: i16) {
        self.write_i64(i64::from(i));
    }
    fn write_i32(&mut self, i: i32) {
        self.write_i64(i64::from(i));
    }
    fn write_i64(&mut self, i: i64) {
        self.write(&i.to_le_bytes());
    }
    fn write_i128(&mut self, i: i128) {
        self.write(&i.to_le_bytes());
    }
    fn write_isize(&mut self, i: isize) {
        self.write_i64(i as i64);
    }

    /// A 64-bit digest of what was fed so far (the token itself uses the 128-bit one).
    fn finish(&self) -> u64 {
        let mut xxh3 = self.xxh3.clone();
        xxh3.update(&self.buffer);
        xxh3.digest()
    }
}

/// The token of a plan: `<scope version>-<128-bit hash>`.
pub(crate) fn token(plan: &Plan) -> String {
    let mut hasher = TokenHasher::new();
    (
        &plan.scope,
        &plan.source,
        plan.scope_version,
        plan.overwrite,
        &plan.creates,
        &plan.updates,
        &plan.deletes,
        &plan.rebases,
    )
        .hash(&mut hasher);
    format!("{}-{:032x}", plan.scope_version, hasher.digest128())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffered_digest_equals_one_shot_digest() {
        // Pieces of every size around the chunk boundary.
        let text: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut hasher = TokenHasher::new();
        let mut rest = &text[..];
        for size in (1..).map(|i: usize| (i * 7919) % (CHUNK + 10)) {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at(size.min(rest.len()));
            hasher.write(piece);
            rest = tail;
        }
        assert_eq!(hasher.finish(), xxhash_rust::xxh3::xxh3_64(&text));
        assert_eq!(hasher.digest128(), xxhash_rust::xxh3::xxh3_128(&text));
    }

    #[test]
    fn integers_are_fed_little_endian_at_full_width() {
        let fed = |f: &dyn Fn(&mut TokenHasher)| {
            let mut hasher = TokenHasher::new();
            f(&mut hasher);
            hasher.buffer
        };
        assert_eq!(fed(&|h| h.write_usize(1)), 1u64.to_le_bytes());
        assert_eq!(fed(&|h| h.write_isize(-2)), (-2i64).to_le_bytes());
        assert_eq!(fed(&|h| h.write_u32(3)), 3u64.to_le_bytes());
        assert_eq!(fed(&|h| "ab".hash(h)), [b'a', b'b', 0xff]);
    }
}
