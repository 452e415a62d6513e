//! The gateway's span of one request: continue the caller's trace (same
//! trace id, the caller's span as parent, its sampled flag kept) or start
//! a new one when `traceparent` is absent or invalid (then sampled by the
//! configured ratio, and a received `tracestate` must be dropped: it
//! belongs to a trace the gateway does not continue).

use super::parent::{TraceParent, LEN, RANDOM, SAMPLED};

/// Decides whether a new trace is sampled: a ratio in `[0, 1]` compared
/// with a random draw.
#[derive(Debug, Clone, Copy)]
pub struct Sampler {
    always: bool,
    below: u64,
}

impl Sampler {
    /// Sample `ratio` of new traces (clamped to `[0, 1]`).
    pub fn new(ratio: f64) -> Sampler {
        let ratio = ratio.clamp(0.0, 1.0);
        // Truncation is the intent: a fraction of the u64 range.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let below = (ratio * u64::MAX as f64) as u64;
        Sampler {
            always: ratio >= 1.0,
            below,
        }
    }

    /// Whether a new trace is sampled, given a uniform random `draw`.
    pub fn sample(&self, draw: u64) -> bool {
        self.always || draw < self.below
    }
}

/// The gateway's span for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpanContext {
    /// The trace id (the caller's, or new).
    pub trace_id: [u8; 16],
    /// The gateway span's own id: the parent-id sent upstream.
    pub span_id: [u8; 8],
    /// The caller's span id, when the trace was continued.
    pub parent_id: Option<[u8; 8]>,
    /// Whether the span is recorded and exported.
    pub sampled: bool,
    /// The trace flags sent upstream.
    pub flags: u8,
    /// The `traceparent` value sent upstream.
    pub traceparent: [u8; LEN],
}

impl SpanContext {
    /// The span for a request whose `traceparent` is `received` (`None`
    /// when absent, or when the request carries more than one). `random`
    /// yields uniform random words for new ids and the sampling draw.
    pub fn start(
        received: Option<&[u8]>,
        sampler: &Sampler,
        mut random: impl FnMut() -> u64,
    ) -> SpanContext {
        let span_id = nonzero_id(random());
        let (trace_id, parent_id, flags) = match received.and_then(TraceParent::parse) {
            Some(parent) => (
                parent.trace_id,
                Some(parent.parent_id),
                parent.flags & (SAMPLED | RANDOM),
            ),
            None => {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&random().to_be_bytes());
                id[8..].copy_from_slice(&random().to_be_bytes());
                if id == [0; 16] {
                    id[15] = 1;
                }
                let sampled = if sampler.sample(random()) { SAMPLED } else { 0 };
                (id, None, RANDOM | sampled)
            }
        };
        SpanContext {
            trace_id,
            span_id,
            parent_id,
            sampled: flags & SAMPLED != 0,
            flags,
            traceparent: TraceParent::encode(&trace_id, &span_id, flags),
        }
    }

    /// Whether the caller's trace was continued (its `traceparent` was
    /// valid); when not, a received `tracestate` is not forwarded.
    pub fn continued(&self) -> bool {
        self.parent_id.is_some()
    }

    /// The trace id as 32 lowercase hex digits (as sent upstream).
    pub fn trace_id_hex(&self) -> &[u8] {
        self.traceparent.get(3..35).unwrap_or_default()
    }
}

/// A span id from a random word; never all zeros (invalid in W3C).
fn nonzero_id(word: u64) -> [u8; 8] {
    word.max(1).to_be_bytes()
}
