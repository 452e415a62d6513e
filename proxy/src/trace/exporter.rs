//! The span exporter thread: collects the shards' batches, sends up to
//! `batch_size` spans per OTLP/HTTP request, at least every
//! `flush_interval`, and counts what the receiver accepted. A failed
//! request (no connection, timeout, 429, 5xx) is tried twice more with a
//! short backoff, then its spans are dropped and counted; other refusals
//! (4xx: the receiver will not take this body) drop at once. On stop
//! everything queued is sent once, without retries, and after the first
//! failure the rest is dropped: a dead receiver delays exit by about one
//! export timeout, not one per queued batch.

use super::{counters, post};
use crate::error::ProxyError;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use prost::Message;
use ringgate_core::config::tracing::OtlpExport;
use ringgate_core::trace::otlp::export_request;
use ringgate_core::trace::SpanData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tracing::{debug, warn};

/// Tries of one export request while running.
const TRIES: u32 = 3;
/// Wait before the second try; doubled for the third.
const BACKOFF: Duration = Duration::from_millis(100);

/// A running exporter.
#[derive(Debug)]
pub struct Exporter {
    /// The shards' side; clone one per shard, then drop it.
    pub tx: Sender<Vec<SpanData>>,
    stopping: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Exporter {
    /// After the shards flushed: send what is queued, then stop.
    pub fn stop(self) {
        self.stopping.store(true, Ordering::Release);
        let _ = self.tx.send(Vec::new());
        let _ = self.thread.join();
    }
}

/// Start the exporter thread for `cfg`.
pub fn start(cfg: &OtlpExport, service_name: &str) -> Result<Exporter, ProxyError> {
    let (tx, rx) = crossbeam_channel::bounded(cfg.queue);
    let cfg = cfg.clone();
    let service = service_name.to_owned();
    let stopping = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stopping);
    let thread = std::thread::Builder::new()
        .name("ringgate-spans".into())
        .spawn(move || run(&cfg, &service, &rx, &flag))
        .map_err(|source| ProxyError::Spawn {
            what: "span exporter".into(),
            source,
        })?;
    Ok(Exporter {
        tx,
        stopping,
        thread,
    })
}

/// The exporter's side of shutdown.
struct Stop<'a> {
    /// Raised by [`Exporter::stop`].
    flag: &'a AtomicBool,
    /// An export failed after the flag was raised: drop the rest.
    gave_up: bool,
}

impl Stop<'_> {
    fn raised(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }
}

fn run(cfg: &OtlpExport, service: &str, rx: &Receiver<Vec<SpanData>>, flag: &AtomicBool) {
    let mut pending: Vec<SpanData> = Vec::new();
    let mut stop = Stop {
        flag,
        gave_up: false,
    };
    loop {
        let stopping = match rx.recv_timeout(cfg.flush_interval) {
            Ok(batch) if batch.is_empty() => true,
            Ok(batch) => {
                pending.extend(batch);
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        // Full requests now; a partial one on a quiet tick or at the end.
        while pending.len() >= cfg.batch_size {
            let rest = pending.split_off(cfg.batch_size);
            let batch = std::mem::replace(&mut pending, rest);
            export(cfg, service, batch, &mut stop);
        }
        let quiet = rx.is_empty();
        if !pending.is_empty() && (quiet || stopping) {
            export(cfg, service, std::mem::take(&mut pending), &mut stop);
        }
        if stopping {
            return;
        }
    }
}

fn export(cfg: &OtlpExport, service: &str, spans: Vec<SpanData>, stop: &mut Stop<'_>) {
    let n = spans.len();
    if stop.gave_up {
        counters::dropped(n);
        return;
    }
    let spans = spans.iter().map(|s| s.record().to_span()).collect();
    let body = export_request(service, spans).encode_to_vec();
    for attempt in 0..TRIES {
        if attempt > 0 {
            // Shutting down: no retries.
            if stop.raised() {
                break;
            }
            std::thread::sleep(BACKOFF * (1 << (attempt - 1)));
        }
        match post::post(cfg, &body) {
            Ok(status) if (200..300).contains(&status) => {
                counters::exported(n);
                debug!(spans = n, bytes = body.len(), "spans exported");
                return;
            }
            Ok(status) if status == 429 || status >= 500 => {
                debug!(status, attempt, "span export refused for now");
            }
            Ok(status) => {
                warn!(endpoint = %cfg.endpoint, status, spans = n, "span export refused, spans dropped");
                counters::dropped(n);
                return;
            }
            Err(error) => debug!(endpoint = %cfg.endpoint, %error, attempt, "span export failed"),
        }
    }
    warn!(endpoint = %cfg.endpoint, spans = n, "span export failed, spans dropped");
    counters::dropped(n);
    stop.gave_up = stop.raised();
}
