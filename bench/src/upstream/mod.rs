//! `ringbench upstream`: a fast HTTP/1.1 origin for benchmarks and tests.
//!
//! Built like the gateway it measures: one thread per core, each pinned to
//! its own CPU and running its own monoio runtime (io_uring, COOP_TASKRUN and
//! SINGLE_ISSUER|DEFER_TASKRUN, as `proxy/src/runtime/uring.rs` measured)
//! with its own SO_REUSEPORT listener ([`socket`]). Every request gets the
//! same response, rendered once per thread ([`response`]); a connection
//! ([`conn`]) parses heads with the shared codec, skips request bodies,
//! answers pipelined requests in order with one write per batch, and
//! allocates nothing per request once warm. [`pace`] makes it slow on
//! purpose: a delay before every answer, or one freeze of every thread after
//! the N-th request (the coordinated-omission test).
//!
//! The control thread binds the sockets (so a bind error is reported before
//! anything runs), starts the threads, waits until each has its runtime,
//! prints `ringbench upstream listening on ADDR` and then waits for SIGTERM
//! or SIGINT; returning from `main` ends the worker threads and exits 0.

mod conn;
mod pace;
mod response;
mod socket;
#[cfg(test)]
mod tests;

use ringgate::runtime::pin;
use ringgate::runtime::uring::ring_builder;
use ringgate_core::config::Uring;
use std::io::Write;
use std::net::SocketAddr;
use std::net::TcpListener as StdListener;
use std::rc::Rc;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use core_affinity::CoreId;
use monoio::net::TcpListener;
use monoio::{IoUringDriver, RuntimeBuilder};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::BenchError;
pub use pace::StallClock;
pub use response::{body_pattern, Responses};

/// Submission queue entries per ring: room for a read or write on each of
/// How long the control thread waits for every thread to report ready.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How `ringbench upstream` runs (from the command line).
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// The address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Threads (runtimes, listeners), at least 1.
    pub threads: usize,
    /// The response status.
    pub status: u16,
    /// Response body length in bytes (see [`body_pattern`]).
    pub body_bytes: usize,
    /// Wait this long before answering each request.
    pub delay: Option<Duration>,
    /// Freeze once after a number of requests.
    pub stall: Option<Stall>,
}

/// `--stall-after N --stall D`: after the N-th request (counted over all
/// threads), no thread answers for D; this happens once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stall {
    /// Requests answered normally before the freeze.
    pub after: u64,
    /// How long the freeze lasts.
    pub duration: Duration,
}

/// What every thread shares: the configuration and the stall clock (the
/// only state written by several threads, and only with `--stall-after`).
struct Shared {
    config: UpstreamConfig,
    stall: Option<Arc<StallClock>>,
}

/// Run the origin until SIGTERM or SIGINT.
pub fn run(config: &UpstreamConfig) -> Result<(), BenchError> {
    let mut signals = Signals::new([SIGTERM, SIGINT]).map_err(BenchError::Signals)?;
    let threads = config.threads.max(1);
    let (listeners, addr) = socket::bind(config.listen, threads)?;
    let shared = Arc::new(Shared {
        config: config.clone(),
        stall: config.stall.map(|s| Arc::new(StallClock::new(s))),
    });
    let cpus = pin::allowed_cpus();
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), BenchError>>();
    for (thread, listener) in listeners.into_iter().enumerate() {
        let cpu = pin::cpu_for_shard(thread, &cpus);
        let shared = Arc::clone(&shared);
        let ready = ready_tx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("ringbench-{thread}"))
            .spawn(move || worker(thread, cpu, listener, &shared, ready));
        if let Err(e) = spawned {
            return Err(BenchError::Thread {
                thread,
                what: format!("cannot spawn: {e}"),
            });
        }
    }
    drop(ready_tx);
    for thread in 0..threads {
        match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(error),
            Err(_) => {
                return Err(BenchError::Thread {
                    thread,
                    what: format!("not ready after {READY_TIMEOUT:?}"),
                })
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "ringbench upstream listening on {addr}")
        .and_then(|()| stdout.flush())
        .map_err(BenchError::Stdout)?;
    drop(stdout);
    // Whichever signal comes first ends the process; the threads hold no
    // state worth draining.
    let _ = signals.forever().next();
    Ok(())
}

/// One thread: pin, build the runtime, report, then accept forever.
fn worker(
    thread: usize,
    cpu: Option<CoreId>,
    listener: StdListener,
    shared: &Shared,
    ready: mpsc::Sender<Result<(), BenchError>>,
) {
    // Not fatal: a CPU outside the allowed set just runs unpinned.
    let _ = pin::pin_current(cpu);
    let uring = Uring::default();
    let built = RuntimeBuilder::<IoUringDriver>::new()
        .with_entries(uring.entries)
        .uring_builder(ring_builder(&uring))
        .enable_timer()
        .build();
    let mut rt = match built {
        Ok(rt) => rt,
        Err(source) => {
            let _ = ready.send(Err(BenchError::Runtime {
                thread,
                flags: "coop_taskrun single_issuer defer_taskrun",
                source,
            }));
            return;
        }
    };
    let config = &shared.config;
    let shard = Rc::new(conn::Shard {
        responses: Responses::render(config.status, config.body_bytes),
        pacer: pace::Pacer::new(config.delay, shared.stall.clone()),
    });
    rt.block_on(async move {
        let listener = match TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(source) => {
                let _ = ready.send(Err(BenchError::Register { thread, source }));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        drop(ready);
        accept_loop(thread, listener, shard).await;
    });
}

async fn accept_loop(thread: usize, listener: TcpListener, shard: Rc<conn::Shard>) {
    loop {
        match listener.accept().await {
            Ok((stream, _peer)) => {
                let shard = Rc::clone(&shard);
                monoio::spawn(async move { conn::serve(stream, &shard).await });
            }
            Err(error) => {
                // Out of file descriptors and the like: back off instead of
                // spinning; connections already open keep being served.
                eprintln!("ringbench: thread {thread}: accept failed: {error}");
                monoio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
