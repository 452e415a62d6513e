//! The rate-limit response header values: `RateLimit-Policy`, `RateLimit`
//! (draft-ietf-httpapi-ratelimit-headers-11) and `Retry-After` (RFC 9110
//! section 10.2.3).
//!
//! Both draft fields are Structured Field lists (RFC 9651) of one item per
//! policy, named by an sf-string:
//!
//! ```text
//! RateLimit-Policy: "api";q=100;w=1     quota q requests per window w seconds
//! RateLimit: "api";r=7;t=1              r requests left; t seconds of "effective window"
//! ```
//!
//! For GCRA `q` and `w` are the configured rate (`"100/s"` gives `q=100;w=1`);
//! `r` is [`Decision::remaining`]; `t` is, when the request was admitted, the
//! seconds until the full burst is back ([`Decision::reset_after`]) and, when
//! it was rejected, the seconds until the next request is admitted — the
//! same value as `Retry-After`, so `Retry-After` never points before the end
//! of the effective window (draft section 6). Seconds round up: a client
//! that waits as told is admitted. The types here are `Display`, so the
//! proxy can `write!` them into its output buffer without allocating.

use std::fmt;

use super::gcra::{Decision, Limit};
use super::Nanos;

/// `RateLimit-Policy` field value for one policy: `"name";q=Q;w=W`.
#[derive(Debug, Clone, Copy)]
pub struct PolicyHeader<'a> {
    /// Policy name (the route name, or `global`).
    pub name: &'a str,
    /// The limit advertised.
    pub limit: &'a Limit,
}

impl fmt::Display for PolicyHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_sf_string(f, self.name)?;
        write!(
            f,
            ";q={};w={}",
            self.limit.quota(),
            self.limit.window_secs()
        )
    }
}

/// `RateLimit` field value after one check: `"name";r=R;t=T`.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitHeader<'a> {
    /// Policy name, as in [`PolicyHeader`].
    pub name: &'a str,
    /// The outcome of the check.
    pub decision: &'a Decision,
}

impl fmt::Display for RateLimitHeader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.decision;
        let t = if d.allowed {
            secs_ceil(d.reset_after)
        } else {
            retry_after_secs(d)
        };
        write_sf_string(f, self.name)?;
        write!(f, ";r={};t={}", d.remaining, t)
    }
}

/// The `Retry-After` value in whole seconds, rounded up; at least 1 for a
/// rejection, 0 for an admission.
pub fn retry_after_secs(decision: &Decision) -> u64 {
    if decision.allowed {
        0
    } else {
        secs_ceil(decision.retry_after).max(1)
    }
}

fn secs_ceil(n: Nanos) -> u64 {
    n.div_ceil(1_000_000_000)
}

/// An sf-string (RFC 9651 section 3.3.3): printable ASCII in quotes, `"`
/// and `\` escaped; any other character (which config names may hold)
/// becomes `?`, since sf-strings cannot carry it.
fn write_sf_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' | '\\' => write!(f, "\\{c}")?,
            ' '..='~' => write!(f, "{c}")?,
            _ => f.write_str("?")?,
        }
    }
    f.write_str("\"")
}
