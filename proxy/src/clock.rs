//! The process clock every policy decision uses.
//!
//! Policies in `ringgate-core` take time as [`Nanos`] since an epoch the
//! caller fixes, and every shard (and the health checker) must use the same
//! one, since a breaker opened on one core is read on another. The epoch is
//! the first call to [`now`] in the process; reading it is one monotonic
//! clock read (vDSO) and a subtraction.

use ringgate_core::policy::{nanos, Nanos};
use std::sync::OnceLock;
use std::time::Instant;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the process epoch (monotonic).
#[inline]
pub fn now() -> Nanos {
    nanos(EPOCH.get_or_init(Instant::now).elapsed())
}

/// A random 64-bit seed, different in every process (for the rate table's
/// hash and the shards' jitter), from the std hasher's per-process keys.
pub fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(Instant::now().elapsed().as_nanos());
    h.write_u32(std::process::id());
    h.finish()
}
