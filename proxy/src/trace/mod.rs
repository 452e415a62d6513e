//! Tracing on the request path: each shard's [`ShardTracer`] gives every
//! request a W3C trace context ([`SpanContext`]: the caller's trace
//! continued, or a new one sampled by `[server.tracing] sample`), which
//! the exchange sends upstream as `traceparent` and the access log names.
//! With an `otlp_endpoint`, sampled requests become spans that the shard
//! copies into its buffer ([`SpanData`]: one allocation each) and hands,
//! in batches, to one [`exporter`] thread that builds the OTLP messages and
//! POSTs them as OTLP/HTTP protobuf ([`post`]). A full exporter queue drops the
//! batch (counted in [`counters`]): export never blocks a shard.

pub mod counters;
pub mod exporter;
pub mod post;

use crossbeam_channel::{Sender, TrySendError};
use ringgate_core::config::tracing::Tracing;
use ringgate_core::http1::RequestHead;
use ringgate_core::trace::{Sampler, SpanContext, SpanData, SpanRecord};
use std::cell::RefCell;
use std::time::Duration;
use tracing::debug;

/// Start the exporter when `cfg` is on and exports spans.
pub fn start(
    cfg: Option<&Tracing>,
) -> Result<Option<exporter::Exporter>, crate::error::ProxyError> {
    match cfg.filter(|t| t.enabled) {
        Some(t) => t
            .export
            .as_ref()
            .map(|e| exporter::start(e, &t.service_name))
            .transpose(),
        None => Ok(None),
    }
}

/// A shard's tracer when `cfg` is on.
pub fn for_shard(
    cfg: Option<&Tracing>,
    exporter: Option<&exporter::Exporter>,
) -> Option<ShardTracer> {
    cfg.filter(|t| t.enabled)
        .map(|t| ShardTracer::new(t, exporter.map(|e| e.tx.clone())))
}

/// One shard's side of tracing.
#[derive(Debug)]
pub struct ShardTracer {
    sampler: Sampler,
    export: Option<ShardSpans>,
}

/// Sampled spans waiting to be handed to the exporter.
#[derive(Debug)]
struct ShardSpans {
    batch_size: usize,
    flush_interval: Duration,
    buf: RefCell<Vec<SpanData>>,
    tx: Sender<Vec<SpanData>>,
}

impl ShardTracer {
    /// A shard's tracer for `cfg`; `tx` reaches the exporter when spans
    /// are exported.
    pub fn new(cfg: &Tracing, tx: Option<Sender<Vec<SpanData>>>) -> ShardTracer {
        let export = cfg.export.as_ref().zip(tx).map(|(e, tx)| ShardSpans {
            batch_size: e.batch_size,
            flush_interval: e.flush_interval,
            buf: RefCell::new(Vec::new()),
            tx,
        });
        ShardTracer {
            sampler: Sampler::new(cfg.sample),
            export,
        }
    }

    /// The gateway's span for `head`: a request with more than one
    /// `traceparent` field is treated as carrying none (its value is
    /// ambiguous).
    pub fn start(&self, head: &RequestHead, random: impl FnMut() -> u64) -> SpanContext {
        let mut fields = head
            .headers()
            .filter(|(name, _)| name.eq_ignore_ascii_case(b"traceparent"))
            .map(|(_, value)| value);
        let received = match (fields.next(), fields.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        };
        SpanContext::start(received, &self.sampler, random)
    }

    /// Record the span of an answered request (when sampled and exported).
    pub fn record(&self, record: &SpanRecord<'_>) {
        let Some(export) = &self.export else {
            return;
        };
        if !record.context.sampled {
            return;
        }
        let full = {
            let mut buf = export.buf.borrow_mut();
            buf.push(SpanData::new(record));
            buf.len() >= export.batch_size
        };
        if full {
            self.flush();
        }
    }

    /// Hand the buffered spans to the exporter; drop them (counted) when
    /// its queue is full or it is gone.
    pub fn flush(&self) {
        let Some(export) = &self.export else {
            return;
        };
        let batch = {
            let mut buf = export.buf.borrow_mut();
            if buf.is_empty() {
                return;
            }
            std::mem::take(&mut *buf)
        };
        match export.tx.try_send(batch) {
            Ok(()) => {}
            Err(TrySendError::Full(batch) | TrySendError::Disconnected(batch)) => {
                debug!(spans = batch.len(), "span export queue full, spans dropped");
                counters::dropped(batch.len());
            }
        }
    }

    /// How often the shard's timer calls [`ShardTracer::flush`]; none when
    /// spans are not exported.
    pub fn flush_interval(&self) -> Option<Duration> {
        self.export.as_ref().map(|e| e.flush_interval)
    }
}
