//! The atomics the policies use, switched to loom's model-checked ones when
//! the crate's unit tests are built with `RUSTFLAGS="--cfg loom"`.
//!
//! Every shared word in [`super`] is reached through this module, so the
//! loom tests in `loom.rs` exercise the very code the gateway runs. Normal
//! builds (and `cfg(loom)` builds that are not tests) get `std`'s atomics.

#[cfg(all(test, loom))]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, Ordering};
#[cfg(not(all(test, loom)))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Attempts a CAS loop makes before it gives up with a conservative answer.
///
/// A failed compare-exchange means another thread's update landed, so the
/// loops are lock-free without the bound; the bound makes every call finish
/// in bounded time too, even under a pathological storm on one word. With a
/// handful of shards it is never reached in practice.
pub(crate) const MAX_CAS_ATTEMPTS: u32 = 64;

/// Updates `word` with a bounded CAS loop. `step` sees the current value
/// and returns `Ok((new value, result))` to store the value (skipped when
/// unchanged) and return the result, or `Err(result)` to return without
/// writing. If every attempt loses a race, returns `gave_up`.
pub(crate) fn update<T>(
    word: &AtomicU64,
    gave_up: T,
    mut step: impl FnMut(u64) -> Result<(u64, T), T>,
) -> T {
    let mut current = word.load(Ordering::Acquire);
    for _ in 0..MAX_CAS_ATTEMPTS {
        let (next, result) = match step(current) {
            Ok(write) => write,
            Err(result) => return result,
        };
        if next == current {
            return result;
        }
        match word.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return result,
            Err(actual) => current = actual,
        }
    }
    gave_up
}
