//! The access log, off the request path: each shard formats its lines into
//! its own buffer ([`ShardLog`]) and hands full buffers — or whatever it
//! holds every `flush_interval` — to one writer thread ([`writer`]) over a
//! channel. A request costs one line of formatting into memory; the write
//! syscalls happen on the writer thread, in batches.
//!
//! Sampling keeps a fraction of the requests answered below 400; every 4xx
//! and 5xx is logged. With the log on, a request without a valid
//! `X-Request-Id` gets a generated one, sent upstream and logged.

pub mod writer;

use crossbeam_channel::Sender;
use ringgate_core::access_log::{combined, json, Record};
use ringgate_core::config::{AccessLog, LogFormat};
use std::cell::RefCell;
use std::time::Duration;

/// One shard's side of the access log.
#[derive(Debug)]
pub struct ShardLog {
    format: LogFormat,
    /// Log a sub-400 answer when a random u64 is below this.
    sample_below: u64,
    flush_at: usize,
    flush_interval: Duration,
    buf: RefCell<Vec<u8>>,
    tx: Sender<Vec<u8>>,
}

impl ShardLog {
    /// A shard's log for `cfg`, sending batches to the writer on `tx`.
    pub fn new(cfg: &AccessLog, tx: Sender<Vec<u8>>) -> ShardLog {
        let sample_below = if cfg.sample >= 1.0 {
            u64::MAX
        } else {
            // Truncation is the intent: a fraction of the u64 range.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let below = (cfg.sample * u64::MAX as f64) as u64;
            below
        };
        ShardLog {
            format: cfg.format,
            sample_below,
            flush_at: cfg.buffer_bytes,
            flush_interval: cfg.flush_interval,
            buf: RefCell::new(Vec::with_capacity(cfg.buffer_bytes + 1024)),
            tx,
        }
    }

    /// Whether an answer with `status` is logged, given a random draw.
    pub fn sampled(&self, status: u16, random: u64) -> bool {
        status >= 400 || random <= self.sample_below
    }

    /// Format `record` into the buffer; hand the buffer over when full.
    pub fn write(&self, record: &Record<'_>) {
        let full = {
            let mut buf = self.buf.borrow_mut();
            match self.format {
                LogFormat::Json => json(record, &mut buf),
                LogFormat::Combined => combined(record, &mut buf),
            }
            buf.len() >= self.flush_at
        };
        if full {
            self.flush();
        }
    }

    /// Hand whatever is buffered to the writer thread.
    pub fn flush(&self) {
        let batch = {
            let mut buf = self.buf.borrow_mut();
            if buf.is_empty() {
                return;
            }
            std::mem::replace(&mut *buf, Vec::with_capacity(self.flush_at + 1024))
        };
        // The writer is gone only at exit; the lines have nowhere to go.
        let _ = self.tx.send(batch);
    }

    /// How often the shard's timer task calls [`ShardLog::flush`].
    pub fn flush_interval(&self) -> Duration {
        self.flush_interval
    }
}
