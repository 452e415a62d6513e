//! Distributed tracing, without I/O: the W3C Trace Context headers
//! ([`parent`]: `traceparent` parsed and written), the gateway's own span
//! for each request ([`context`]: continue the caller's trace or start one,
//! decide sampling), the OTLP protobuf messages ([`otlp`]) and the span a
//! finished request becomes ([`span`], attributes after OpenTelemetry's
//! HTTP semantic conventions).
//!
//! The proxy keeps one [`SpanContext`] per request, sends its
//! `traceparent` upstream (parent-id = the gateway span's id), logs its
//! trace id, and hands sampled spans to its exporter thread.

pub mod context;
pub mod data;
pub mod otlp;
pub mod parent;
pub mod span;

pub use context::{Sampler, SpanContext};
pub use data::SpanData;
pub use parent::TraceParent;
pub use span::{SpanRecord, ATTRIBUTE_SHARD};

/// Lowercase hex of `bytes` into `out` (twice its length).
pub fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (b, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        if let [hi, lo] = pair {
            *hi = HEX[usize::from(b >> 4)];
            *lo = HEX[usize::from(b & 0xf)];
        }
    }
}

#[cfg(test)]
mod tests;
