//! io_uring setup flags and runtime construction.
//!
//! Defaults (measured on this project's 2-core dev kernel with a plain
//! responder): the default ring did ~96k req/s, COOP_TASKRUN ~135k, and
//! SINGLE_ISSUER|DEFER_TASKRUN ~149k. So both COOP_TASKRUN and
//! DEFER_TASKRUN are on by default; DEFER_TASKRUN is safe here because a
//! shard's ring is only ever touched by its own thread (SINGLE_ISSUER).

use crate::error::ProxyError;
use monoio::{IoUringDriver, LegacyDriver, Runtime, RuntimeBuilder};
use ringgate_core::config::{Driver, Uring};
use std::future::Future;

/// Describe the flags for logs and errors, e.g. `entries=4096 coop_taskrun defer_taskrun`.
pub fn describe(uring: &Uring) -> String {
    let mut s = format!("entries={}", uring.entries);
    if uring.coop_taskrun {
        s.push_str(" coop_taskrun");
    }
    if uring.defer_taskrun {
        s.push_str(" single_issuer defer_taskrun");
    }
    if uring.sqpoll {
        s.push_str(" sqpoll");
    }
    if let Some(cpu) = uring.sqpoll_cpu {
        s.push_str(&format!(" sqpoll_cpu={cpu}"));
    }
    s
}

/// The io_uring builder for these flags (shared with ringload and ringbench).
pub fn ring_builder(uring: &Uring) -> io_uring::Builder {
    let mut urb = io_uring::IoUring::builder();
    if uring.coop_taskrun {
        urb.setup_coop_taskrun();
    }
    if uring.defer_taskrun {
        urb.setup_single_issuer();
        urb.setup_defer_taskrun();
    }
    if uring.sqpoll {
        let idle_ms = u32::try_from(uring.sqpoll_idle.as_millis()).unwrap_or(u32::MAX);
        urb.setup_sqpoll(idle_ms);
        if let Some(cpu) = uring.sqpoll_cpu {
            urb.setup_sqpoll_cpu(cpu);
        }
    }
    urb
}

/// Build the shard's runtime on the calling thread and run `make()`'s future
/// to completion. `ready` is called once the runtime exists (or failed), so
/// the control thread can report a setup error before serving starts.
pub fn block_on_shard<F, Fut>(
    shard: usize,
    driver: &Driver,
    uring: &Uring,
    ready: impl FnOnce(Result<(), ProxyError>),
    make: F,
) where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    match driver {
        Driver::IoUring => {
            let built = RuntimeBuilder::<IoUringDriver>::new()
                .with_entries(uring.entries)
                .uring_builder(ring_builder(uring))
                .enable_timer()
                .build();
            run_built(built, ready, make, |error| ProxyError::Runtime {
                shard,
                driver: "io_uring",
                flags: describe(uring),
                error,
            });
        }
        Driver::Legacy => {
            let built = RuntimeBuilder::<LegacyDriver>::new().enable_timer().build();
            run_built(built, ready, make, |error| ProxyError::Runtime {
                shard,
                driver: "legacy epoll",
                flags: String::new(),
                error,
            });
        }
    }
}

/// Report whether the runtime was built, then run the shard on it.
fn run_built<D, F, Fut>(
    built: std::io::Result<Runtime<D>>,
    ready: impl FnOnce(Result<(), ProxyError>),
    make: F,
    error: impl FnOnce(std::io::Error) -> ProxyError,
) where
    D: monoio::Driver,
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    match built {
        Ok(mut rt) => {
            ready(Ok(()));
            rt.block_on(make());
        }
        Err(source) => ready(Err(error(source))),
    }
}
