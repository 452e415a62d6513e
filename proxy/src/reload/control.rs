//! The reload controller: one thread that owns the current config, turns
//! each [`Request`] into a validated next config or a list of errors, and
//! sends the next config to every shard (see the [module doc](super)).

use super::live::{Live, Published};
use super::watch::{Stamp, WATCH_INTERVAL};
use super::{fixed, Outcome, Request, Swap};
use crate::drain::DrainFlag;
use crate::error::ProxyError;
use crate::metrics::policy::HealthStats;
use crate::metrics::ShardMetrics;
use crate::snapshot::Snapshot;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use ringgate_core::config::{self, ConfigError};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{error, info, warn};

/// How often the controller looks at the drain flag.
const TICK: Duration = Duration::from_millis(50);
/// Longest the controller waits for a shard with a full queue, and for
/// all shards to say they swapped.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the config comes from: the file and profile given at startup.
#[derive(Debug, Clone)]
pub struct Source {
    /// The config file.
    pub path: PathBuf,
    /// `--profile`, if given.
    pub profile: Option<String>,
    /// Reload when the file changes (`--watch-config`).
    pub watch: bool,
    /// The file's stamp when it was last read (before reading it), for
    /// the watch.
    pub stamp: Option<Stamp>,
}

/// Reloads done and refused, for `ringgate_config_reloads_total`.
#[derive(Debug, Default)]
pub struct Counts {
    /// Reloads applied.
    pub ok: AtomicU64,
    /// Reloads refused.
    pub error: AtomicU64,
}

/// The controller's state: the current config and where it goes.
pub struct Controller {
    /// Where the config comes from; `None`: nothing to reload (the demo).
    pub source: Option<Source>,
    /// Each shard's channel, in shard order.
    pub shards: Vec<Sender<Swap>>,
    /// What the admin thread shows.
    pub live: Arc<Live>,
    /// Stops the health checker and JWKS refresher of the current config.
    pub generation: DrainFlag,
    /// The process-wide drain flag: the controller stops with it.
    pub drain: DrainFlag,
    /// Reload counters.
    pub counts: Arc<Counts>,
}

impl Controller {
    /// Run the controller on its own thread until the drain flag is raised.
    pub fn spawn(self, requests: Receiver<Request>) -> Result<(), ProxyError> {
        std::thread::Builder::new()
            .name("ringgate-reload".into())
            .spawn(move || self.run(&requests))
            .map(|_| ())
            .map_err(|source| ProxyError::Spawn {
                what: "reload controller".into(),
                source,
            })
    }

    fn run(mut self, requests: &Receiver<Request>) {
        let watch = self.source.as_ref().is_some_and(|s| s.watch);
        let mut next_look = Instant::now() + WATCH_INTERVAL;
        while !self.drain.is_raised() {
            match requests.recv_timeout(TICK) {
                Ok(request) => {
                    let outcome = self.reload(request.trigger);
                    if let Some(answer) = request.answer {
                        let _ = answer.send(outcome);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(TICK),
            }
            if watch && Instant::now() >= next_look {
                next_look = Instant::now() + WATCH_INTERVAL;
                if let Some(source) = &self.source {
                    let now = Stamp::of(&source.path);
                    if now.is_some() && now != source.stamp {
                        let _ = self.reload("watch");
                    }
                }
            }
        }
        self.generation.raise();
    }

    /// Load, validate, build and apply the config file once.
    fn reload(&mut self, trigger: &'static str) -> Outcome {
        let started = Instant::now();
        if let Some(source) = &mut self.source {
            // Taken before the read: a change made while reading is seen.
            source.stamp = Stamp::of(&source.path);
        }
        let current = self.live.load();
        match self.build(&current) {
            Ok((published, generation)) => {
                let version = published.snapshot.version;
                self.apply(&published);
                // The old config's background threads stop; the new ones run.
                std::mem::replace(&mut self.generation, generation).raise();
                info!(
                    trigger,
                    version,
                    summary = %published.snapshot.config.summary(),
                    took_ms = started.elapsed().as_millis() as u64,
                    "config reloaded"
                );
                self.live.store(published);
                self.counts.ok.fetch_add(1, Ordering::Relaxed);
                Ok(version)
            }
            Err(errors) => {
                for e in &errors {
                    error!(trigger, path = %e.path, message = %e.message, "config reload refused");
                }
                warn!(
                    trigger,
                    errors = errors.len(),
                    version = current.snapshot.version,
                    "config reload refused, the old config keeps serving"
                );
                self.counts.error.fetch_add(1, Ordering::Relaxed);
                Err(errors)
            }
        }
    }

    /// Everything of the next config, built off the shards, or every error.
    fn build(&self, current: &Published) -> Result<(Published, DrainFlag), Vec<ConfigError>> {
        let Some(source) = &self.source else {
            return Err(vec![ConfigError::new(
                "",
                "no config file to reload (started without --config)",
            )]);
        };
        let config = config::load_file_with_profile(&source.path, source.profile.as_deref())
            .map_err(|e| e.0)?;
        let refused = fixed::check(&current.snapshot.config, &config);
        if !refused.is_empty() {
            return Err(refused);
        }
        let old = &current.snapshot;
        let snapshot = Arc::new(
            Snapshot::reload(config, old)
                .map_err(|e| vec![ConfigError::new("upstreams", e.to_string())])?,
        );
        let generation = DrainFlag::default();
        crate::auth::jwks::start(&snapshot.config, generation.clone())
            .map_err(|e| vec![ConfigError::new("routes", e.to_string())])?;
        let shards: Vec<Arc<ShardMetrics>> = current
            .shards
            .iter()
            .map(|m| Arc::new(m.carry_over(old, &snapshot)))
            .collect();
        let stats = Arc::new(match &current.health {
            Some(h) => h.carry_over(old, &snapshot),
            None => HealthStats::new(&snapshot),
        });
        let health = crate::health::start_with(Arc::clone(&snapshot), stats, generation.clone())
            .map_err(|e| {
                generation.raise();
                vec![ConfigError::new("", e.to_string())]
            })?;
        Ok((
            Published {
                snapshot,
                shards,
                health,
            },
            generation,
        ))
    }

    /// Send the next config to every shard and wait until each swapped.
    fn apply(&self, published: &Published) {
        let (ack, acks) = crossbeam_channel::bounded(self.shards.len());
        let mut sent = 0;
        for (index, (tx, metrics)) in self.shards.iter().zip(&published.shards).enumerate() {
            let swap = Swap {
                snapshot: Arc::clone(&published.snapshot),
                metrics: Arc::clone(metrics),
                ack: ack.clone(),
            };
            match tx.send_timeout(swap, SEND_TIMEOUT) {
                Ok(()) => sent += 1,
                Err(_) => error!(shard = index, "shard did not take the new config"),
            }
        }
        let deadline = Instant::now() + SEND_TIMEOUT;
        for _ in 0..sent {
            if acks.recv_deadline(deadline).is_err() {
                warn!("not every shard swapped to the new config in time");
                return;
            }
        }
    }
}
