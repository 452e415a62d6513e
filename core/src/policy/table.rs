//! A fixed-size table of GCRA keys (one per client IP or API key), bounded
//! memory, one atomic word per key, shared by all shards.
//!
//! **Layout.** The table is `slots` 64-bit words (a power of two), grouped in
//! buckets of [`WAYS`] words that fill one 64-byte cache line: an 8-way
//! set-associative cache. A key hashes (fixed FNV-1a + fmix64, seeded by the
//! caller, so every shard of the process agrees; no per-thread `RandomState`)
//! to one bucket and a fingerprint; a lookup reads that one line and probes
//! its 8 slots, so the probe is bounded and costs one cache miss. Neighbours
//! in a bucket share a line: a very hot key slows the (at most 7) keys that
//! share its bucket, the price of one-miss lookups.
//!
//! **One word per key.** A slot is `fingerprint (22 bits) | TAT (42 bits)`,
//! TAT in units of 2^10 ns (1.024 µs), the GCRA step of
//! [`super::gcra`] done in those units and published with one
//! compare-exchange. 0 is an empty slot. Precision vs range:
//! - The emission interval `T` is rounded *up* to whole units, so a keyed
//!   limit never admits more than configured; at 100 req/s the error is
//!   0.004%, it stays under 2% up to about 20,000 req/s per key (the
//!   config refuses keyed rates above 1,000,000/s). Arrival times are
//!   truncated to units too, so in any interval `t` a key admits at most
//!   `rate × (t + 1.024 µs) + burst`. Single-key limits (`key = "route"`)
//!   use [`super::Gcra`] with nanosecond precision instead.
//! - 42 bits of 1.024 µs wrap every 52 days. A TAT is read relative to
//!   `now`: more than `burst × T` + [`SKEW_SLACK`] ahead counts as in the
//!   past (fully recovered), which is always right for a live key (a TAT is
//!   never further ahead than `burst × T`; the slack absorbs shards reading
//!   the clock microseconds apart). A key left untouched for a multiple of
//!   52 days, give or take its burst window, could be misread as recently
//!   used; such stale slots are the first to be evicted, and the burst
//!   window is capped at [`MAX_BURST_WINDOW`].
//! - 22 fingerprint bits plus the bucket index tell keys apart: a new key
//!   shares an existing key's slot (and so its limit) with probability
//!   about 8 / 2^22 = 2 × 10^-6 when its bucket is full.
//!
//! **When the table is full.** A key not in its bucket takes an empty slot,
//! else a slot whose key has fully recovered (TAT at or before `now`: the
//! same as a fresh key, so evicting it changes no decision), else the
//! stalest slot (the TAT closest to recovery). The evicted key, when it
//! returns, starts over with a fresh burst: under pressure from more live
//! keys than slots, limits get looser for the keys evicted, never tighter.
//! Size the table at two or more slots per key active within one burst
//! window. Two first requests of one new key racing can, rarely, leave two
//! copies in the bucket; lookups use the first, the other ages out.

use std::time::Duration;

use super::gcra::{contended, step, Decision, Limit};
use super::sync::{AtomicU64, Ordering, MAX_CAS_ATTEMPTS};
use super::{nanos, Nanos};
use crate::balance::hash::Hasher;

/// Slots per bucket: 8 words fill one cache line.
pub const WAYS: usize = 8;
/// Largest burst window (`burst × T`) a keyed limit may have.
pub const MAX_BURST_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// How far ahead of a reader's `now` a TAT may be read as live beyond its
/// limit's burst window: 2^26 units, about 69 s.
pub const SKEW_SLACK: Duration = Duration::from_nanos(1 << (26 + UNIT_SHIFT));

const UNIT_SHIFT: u32 = 10;
const TAT_BITS: u32 = 42;
const TAT_MASK: u64 = (1 << TAT_BITS) - 1;
const SLACK_UNITS: u64 = 1 << 26;

#[derive(Debug)]
#[repr(align(64))]
struct Bucket([AtomicU64; WAYS]);

/// Rate-limit state of many keys in bounded memory (8 bytes per slot).
#[derive(Debug)]
pub struct RateTable {
    buckets: Box<[Bucket]>,
    seed: u64,
}

impl RateTable {
    /// A table of `slots` words (rounded up to a power of two, at least
    /// [`WAYS`]). `seed` salts the key hash; every shard must use the same
    /// table (hence the same seed). A random seed per process makes bucket
    /// collisions harder to aim at, though FNV is no keyed PRF.
    pub fn new(slots: usize, seed: u64) -> RateTable {
        let slots = slots
            .max(WAYS)
            .checked_next_power_of_two()
            .unwrap_or(1 << 30);
        let buckets = (0..slots / WAYS)
            .map(|_| Bucket(std::array::from_fn(|_| AtomicU64::new(0))))
            .collect();
        RateTable { buckets, seed }
    }

    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.buckets.len() * WAYS
    }

    /// Checks (and, when admitted, counts) one request of `key` under
    /// `limit` at `now`. `limiter` tells apart limiters sharing the table
    /// (a route index, say): the same key under two limiters is two keys.
    /// `limit`'s burst window must not exceed [`MAX_BURST_WINDOW`] (config
    /// validation sees to it).
    pub fn check(&self, limit: &Limit, limiter: u32, key: &[u8], now: Nanos) -> Decision {
        let hash = Hasher::new()
            .write(&self.seed.to_le_bytes())
            .write(&limiter.to_le_bytes())
            .write(key)
            .finish();
        let bucket = &self.buckets[(hash as usize) & (self.buckets.len() - 1)].0;
        let fingerprint = match hash >> TAT_BITS {
            0 => 1,
            fp => fp,
        };
        let t = limit.emission_interval().div_ceil(1 << UNIT_SHIFT).max(1);
        let burst = limit.burst();
        let window = t.saturating_mul(u64::from(burst));
        let now = now >> UNIT_SHIFT;
        for _ in 0..MAX_CAS_ATTEMPTS {
            let words: [u64; WAYS] = std::array::from_fn(|i| bucket[i].load(Ordering::Acquire));
            let (slot, tat) = match words.iter().position(|&w| w >> TAT_BITS == fingerprint) {
                Some(slot) => (slot, live_tat(words[slot], now, window).unwrap_or(now)),
                None => (victim(&words, now), now),
            };
            let (decision, next) = step(tat, now, t, burst);
            let Some(next) = next else {
                return in_nanos(decision);
            };
            let word = (fingerprint << TAT_BITS) | (next & TAT_MASK);
            if bucket[slot]
                .compare_exchange(words[slot], word, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return in_nanos(decision);
            }
        }
        in_nanos(contended(t, burst))
    }

    /// Slots holding a key that has not fully recovered at `now` (for a
    /// metrics gauge; reads the whole table).
    pub fn live_keys(&self, now: Nanos) -> usize {
        let now = now >> UNIT_SHIFT;
        let max = nanos(MAX_BURST_WINDOW) >> UNIT_SHIFT;
        self.buckets
            .iter()
            .flat_map(|b| &b.0)
            .filter(|w| {
                let w = w.load(Ordering::Relaxed);
                w != 0 && live_tat(w, now, max).is_some_and(|tat| tat > now)
            })
            .count()
    }
}

/// The TAT of `word` in units if it lies ahead of `now` by at most
/// `window` (plus the skew slack), i.e. the key has not recovered yet.
fn live_tat(word: u64, now: u64, window: u64) -> Option<u64> {
    let ahead = (word & TAT_MASK).wrapping_sub(now) & TAT_MASK;
    (ahead <= window.saturating_add(SLACK_UNITS)).then(|| now + ahead)
}

/// The slot a new key takes: empty, else recovered, else the stalest.
fn victim(words: &[u64; WAYS], now: u64) -> usize {
    if let Some(empty) = words.iter().position(|&w| w == 0) {
        return empty;
    }
    let max = nanos(MAX_BURST_WINDOW) >> UNIT_SHIFT;
    let ahead = |w: u64| live_tat(w, now, max).map_or(0, |tat| tat - now);
    (0..WAYS).min_by_key(|&i| ahead(words[i])).unwrap_or(0)
}

fn in_nanos(decision: Decision) -> Decision {
    Decision {
        retry_after: decision.retry_after.saturating_mul(1 << UNIT_SHIFT),
        reset_after: decision.reset_after.saturating_mul(1 << UNIT_SHIFT),
        ..decision
    }
}
