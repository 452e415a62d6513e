//! Hot reload: a new config file applied without a restart and without
//! dropping a request.
//!
//! **Triggers.** SIGHUP, `POST /admin/reload` (behind the admin token when
//! one is set) and, with `--watch-config`, a change of the config file's
//! modification time or size ([`watch`]). Each becomes a [`Request`] to the
//! controller thread ([`control`]), which handles them one at a time.
//!
//! **Build off the shards.** The controller reads and validates the file
//! (same path and `--profile` as at startup), refuses keys that need a
//! restart ([`fixed`]), builds the next [`Snapshot`] (version + 1, new load
//! time, upstream TLS connectors, policy state carried over from the
//! current one by name), fetches its JWKS, and builds each shard's next
//! metrics (counters carried over by name). Any error refuses the whole
//! reload: it is logged with its key path, returned to the admin caller,
//! counted in `ringgate_config_reloads_total{result="error"}`, and the old
//! config keeps serving.
//!
//! **Swap on every shard.** The controller sends a [`Swap`] to every shard
//! over a bounded crossbeam channel; each shard's [`shard_task`] polls it
//! and replaces the shard's current view between requests
//! ([`crate::view::ShardView`]): requests already running finish on the
//! view they started with. The controller waits (a bounded time) until every
//! shard said it swapped, so when `POST /admin/reload` answers, every new
//! request is served by the new config. Then the health checker and the JWKS refresher
//! of the old config stop and new ones start on the new config (sharing
//! the per-target state), and the admin thread's [`live`] view moves on.

pub mod control;
pub mod fixed;
pub mod live;
pub mod watch;

use crate::metrics::ShardMetrics;
use crate::shard::Shard;
use crate::snapshot::Snapshot;
use crossbeam_channel::{Receiver, Sender};
use ringgate_core::config::ConfigError;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tracing::info;

/// How often a shard looks for a new config.
const POLL: Duration = Duration::from_millis(20);
/// How many configs may wait for a shard (the controller waits beyond).
pub const SHARD_QUEUE: usize = 4;
/// Longest an admin caller waits for the controller's answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A new config for one shard.
#[derive(Debug)]
pub struct Swap {
    /// The snapshot to serve new requests from.
    pub snapshot: Arc<Snapshot>,
    /// The shard's metrics for it.
    pub metrics: Arc<ShardMetrics>,
    /// Told the shard's index once new requests use it.
    pub ack: Sender<usize>,
}

/// What a reload came to: the new config version, or every error.
pub type Outcome = Result<u64, Vec<ConfigError>>;

/// One ask for a reload.
#[derive(Debug)]
pub struct Request {
    /// What asked (for the log): `SIGHUP`, `admin`, `watch`.
    pub trigger: &'static str,
    /// Where the outcome goes, if someone waits for it.
    pub answer: Option<Sender<Outcome>>,
}

/// A way to ask the controller for a reload.
#[derive(Debug, Clone)]
pub struct Handle {
    tx: Sender<Request>,
}

impl Handle {
    /// A handle sending to `tx`.
    pub fn new(tx: Sender<Request>) -> Handle {
        Handle { tx }
    }

    /// Reload now and wait for the outcome.
    pub fn reload(&self, trigger: &'static str) -> Outcome {
        let (answer, rx) = crossbeam_channel::bounded(1);
        let gone = || vec![ConfigError::new("", "the reload controller is not running")];
        self.tx
            .send(Request {
                trigger,
                answer: Some(answer),
            })
            .map_err(|_| gone())?;
        rx.recv_timeout(ANSWER_TIMEOUT).map_err(|_| gone())?
    }

    /// Ask for a reload without waiting.
    pub fn ask(&self, trigger: &'static str) {
        let _ = self.tx.try_send(Request {
            trigger,
            answer: None,
        });
    }
}

/// One shard's channel end and its receiver, made by the control thread.
pub fn shard_channel() -> (Sender<Swap>, Receiver<Swap>) {
    crossbeam_channel::bounded(SHARD_QUEUE)
}

/// The shard task that picks up new configs until the shard drains.
pub async fn shard_task(shard: Rc<Shard>) {
    let Some(rx) = shard.reloads.clone() else {
        return;
    };
    loop {
        monoio::select! {
            _ = monoio::time::sleep(POLL) => {}
            _ = shard.drain.wait() => return,
        }
        while let Ok(swap) = rx.try_recv() {
            let version = swap.snapshot.version;
            shard.swap(swap.snapshot, swap.metrics);
            let _ = swap.ack.try_send(shard.index);
            info!(shard = shard.index, version, "config swapped");
        }
    }
}

/// The reload plumbing made on the control thread at startup: the admin
/// view, the request channel and one channel per shard.
#[derive(Debug)]
pub struct Wiring {
    /// What the admin thread shows.
    pub live: Arc<live::Live>,
    /// Asks for reloads (admin, SIGHUP).
    pub handle: Handle,
    /// Reload counters.
    pub counts: Arc<control::Counts>,
    requests: Receiver<Request>,
    senders: Vec<Sender<Swap>>,
    receivers: Vec<Option<Receiver<Swap>>>,
}

impl Wiring {
    /// Plumbing for `shards` shards serving `published`.
    pub fn new(published: live::Published, shards: usize) -> Wiring {
        let (tx, requests) = crossbeam_channel::bounded(16);
        let (senders, receivers) = (0..shards)
            .map(|_| {
                let (tx, rx) = shard_channel();
                (tx, Some(rx))
            })
            .unzip();
        Wiring {
            live: Arc::new(live::Live::new(published)),
            handle: Handle::new(tx),
            counts: Arc::default(),
            requests,
            senders,
            receivers,
        }
    }

    /// Shard `index`'s end of its channel (once).
    pub fn receiver(&mut self, index: usize) -> Option<Receiver<Swap>> {
        self.receivers.get_mut(index).and_then(Option::take)
    }

    /// Start the controller and the SIGHUP listener. `generation` stops the
    /// startup config's health checker and JWKS refresher; `source` is
    /// `None` when there is no file to reload (the demo).
    pub fn start(
        self,
        source: Option<control::Source>,
        generation: crate::drain::DrainFlag,
        drain: crate::drain::DrainFlag,
    ) -> Result<(), crate::error::ProxyError> {
        let mut hup = signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP])
            .map_err(crate::error::ProxyError::Signals)?;
        let handle = self.handle.clone();
        std::thread::Builder::new()
            .name("ringgate-sighup".into())
            .spawn(move || {
                for _ in hup.forever() {
                    info!("SIGHUP received, reloading the config");
                    handle.ask("SIGHUP");
                }
            })
            .map_err(|source| crate::error::ProxyError::Spawn {
                what: "SIGHUP listener".into(),
                source,
            })?;
        control::Controller {
            source,
            shards: self.senders,
            live: self.live,
            generation,
            drain,
            counts: self.counts,
        }
        .spawn(self.requests)
    }
}
