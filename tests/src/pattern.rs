//! A deterministic, non-repeating byte stream for byte-exact body checks.
//!
//! Byte `i` depends on `i` through a multiplicative hash, so a dropped,
//! duplicated or reordered block shows up as a mismatch at a known offset.
//! Generating and checking need no memory beyond the caller's buffer.

/// The pattern byte at offset `i`.
#[inline]
pub fn byte_at(i: u64) -> u8 {
    let mut w = (i >> 3).wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    w ^= w >> 29;
    (w >> ((i & 7) * 8)) as u8
}

/// Fills `buf` with the pattern starting at `offset`.
pub fn fill(offset: u64, buf: &mut [u8]) {
    for (j, b) in buf.iter_mut().enumerate() {
        *b = byte_at(offset + j as u64);
    }
}

/// The first `len` bytes of the pattern.
pub fn bytes(len: usize) -> Vec<u8> {
    let mut v = vec![0; len];
    fill(0, &mut v);
    v
}

/// Checks a stream against the pattern as it arrives, piece by piece.
#[derive(Debug, Default, Clone)]
pub struct Verifier {
    len: u64,
    first_mismatch: Option<u64>,
}

impl Verifier {
    /// A verifier expecting the pattern from offset 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next piece of the stream.
    pub fn update(&mut self, data: &[u8]) {
        if self.first_mismatch.is_none() {
            for (j, &b) in data.iter().enumerate() {
                let at = self.len + j as u64;
                if b != byte_at(at) {
                    self.first_mismatch = Some(at);
                    break;
                }
            }
        }
        self.len += data.len() as u64;
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been seen yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Offset of the first byte that differed from the pattern, if any.
    pub fn first_mismatch(&self) -> Option<u64> {
        self.first_mismatch
    }

    /// Whether every byte so far matched.
    pub fn ok(&self) -> bool {
        self.first_mismatch.is_none()
    }
}
