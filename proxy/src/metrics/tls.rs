//! TLS counters of one shard: downstream connections by mode (`plain`,
//! `rustls`, and `ktls` once the kernel takes records over), completed and
//! resumed handshakes, failed handshakes. Single writer per shard like the
//! rest of [`super`]; merged at scrape.

use super::bump;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The modes counted, in label order.
pub const MODES: [&str; 3] = ["plain", "rustls", "ktls"];

/// One shard's TLS counters.
#[derive(Debug, Default)]
pub struct TlsMetrics {
    by_mode: [AtomicU64; MODES.len()],
    handshakes: AtomicU64,
    resumed: AtomicU64,
    failed: AtomicU64,
    plain_http: AtomicU64,
}

impl TlsMetrics {
    /// A connection starts serving requests in `mode` (one of [`MODES`]).
    pub fn connection(&self, mode: &str) {
        if let Some(c) = MODES
            .iter()
            .position(|m| *m == mode)
            .and_then(|i| self.by_mode.get(i))
        {
            bump(c, 1);
        }
    }

    /// A handshake completed (`resumed`: an abbreviated one).
    pub fn handshake(&self, resumed: bool) {
        bump(&self.handshakes, 1);
        if resumed {
            bump(&self.resumed, 1);
        }
    }

    /// A handshake failed or timed out.
    pub fn handshake_failed(&self) {
        bump(&self.failed, 1);
    }

    /// A plain HTTP request arrived on a TLS listener (answered 400).
    pub fn plain_http(&self) {
        bump(&self.plain_http, 1);
    }
}

/// Render the TLS counters of every shard (summed).
pub fn render(out: &mut String, shards: &[Arc<super::ShardMetrics>]) {
    let sum = |f: &dyn Fn(&TlsMetrics) -> &AtomicU64| -> u64 {
        shards
            .iter()
            .map(|s| f(&s.tls).load(Ordering::Relaxed))
            .sum()
    };
    out.push_str("# HELP ringgate_connections_by_tls_mode_total Downstream connections served, by TLS mode (plain, rustls, ktls).\n");
    out.push_str("# TYPE ringgate_connections_by_tls_mode_total counter\n");
    for (i, mode) in MODES.iter().enumerate() {
        let n: u64 = shards
            .iter()
            .filter_map(|s| s.tls.by_mode.get(i))
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        let _ = writeln!(
            out,
            "ringgate_connections_by_tls_mode_total{{mode=\"{mode}\"}} {n}"
        );
    }
    let totals: [(&str, &str, u64); 4] = [
        (
            "ringgate_tls_handshakes_total",
            "TLS handshakes completed downstream.",
            sum(&|t| &t.handshakes),
        ),
        (
            "ringgate_tls_resumed_handshakes_total",
            "TLS handshakes that resumed a session (ticket or session cache).",
            sum(&|t| &t.resumed),
        ),
        (
            "ringgate_tls_handshake_failures_total",
            "TLS handshakes that failed or timed out downstream.",
            sum(&|t| &t.failed),
        ),
        (
            "ringgate_tls_plain_http_total",
            "Plain HTTP requests received on a TLS listener (answered 400).",
            sum(&|t| &t.plain_http),
        ),
    ];
    for (name, help, total) in totals {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {total}"
        );
    }
}
