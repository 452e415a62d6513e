//! The fixed hash of consistent hashing: FNV-1a 64 with a MurmurHash3 finalizer.
//!
//! It must give the same value on every shard, every process and every
//! restart, so it is written out here rather than taken from std (whose
//! `RandomState` is seeded per process). FNV-1a alone spreads short, similar
//! keys (`10.0.0.1`, `10.0.0.2`) poorly over the ring; the `fmix64` avalanche
//! step fixes that. Changing this function remaps every key: don't.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Incremental hasher, for hashing several parts without concatenating them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hasher(u64);

impl Hasher {
    pub(crate) fn new() -> Hasher {
        Hasher(FNV_OFFSET)
    }

    pub(crate) fn write(mut self, bytes: &[u8]) -> Hasher {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
        self
    }

    pub(crate) fn finish(self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Hash of one byte string.
pub(super) fn hash64(bytes: &[u8]) -> u64 {
    Hasher::new().write(bytes).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_stable() {
        // Pinned values: a change here remaps every consistent-hash key.
        assert_eq!(Hasher::new().write(b"").0, FNV_OFFSET);
        assert_eq!(Hasher::new().write(b"a").0, 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash64(b"a"), hash64(b"a"));
        assert_ne!(hash64(b"10.0.0.1"), hash64(b"10.0.0.2"));
        assert_eq!(
            Hasher::new().write(b"ab").write(b"c").finish(),
            hash64(b"abc")
        );
    }
}
