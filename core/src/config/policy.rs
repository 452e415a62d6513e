//! The validated model of traffic policies: rate limits, concurrency limits,
//! retries, circuit breakers, health checks and outlier ejection.
//!
//! Plain data like the rest of the model, every default filled in; the
//! shared state that enforces them is built from these by
//! [`crate::policy::Policies::new`].

use std::time::Duration;

/// `rate_limit`: GCRA, `rate` with bursts of `burst`, counted per `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per period.
    pub rate: Rate,
    /// Requests admitted at once after a quiet period (default: `rate.count`).
    pub burst: u32,
    /// What the limit counts by.
    pub key: RateLimitKey,
    /// Whether admitted responses carry `RateLimit`/`RateLimit-Policy` too
    /// (429s always do).
    pub quota_headers: bool,
}

/// A rate such as `"100/s"`: `count` requests per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests per period (at least 1).
    pub count: u32,
    /// The period, a whole number of seconds.
    pub per: Duration,
}

/// What a rate limit counts by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateLimitKey {
    /// Each client IP has its own bucket (`"client_ip"`).
    ClientIp,
    /// Each value of this request header (name lowercased) has its own
    /// bucket (`"header:x-api-key"`); requests without it share one.
    Header(String),
    /// One bucket for every request the limit applies to: `"route"` on a
    /// route, `"global"` under `[server]`.
    Shared,
}

/// `concurrency`: at most `max_in_flight` requests at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    /// The maximum in flight, across all shards.
    pub max_in_flight: u32,
    /// How long a request beyond the limit may wait for a place; `None`:
    /// refused at once with 503.
    pub queue_timeout: Option<Duration>,
}

/// `retry`: which failed tries are tried again, how often and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Retry {
    /// Tries in all, the first included (1 disables retries).
    pub attempts: u32,
    /// Failures that are retried.
    pub on: Vec<RetryOn>,
    /// Base of the exponential backoff.
    pub backoff: Duration,
    /// Cap of the backoff.
    pub max_backoff: Duration,
    /// Time one try may wait for a response head (else the upstream's
    /// `response_timeout`).
    pub per_try_timeout: Option<Duration>,
    /// Time all tries together may take.
    pub deadline: Option<Duration>,
    /// Methods that are retried (uppercase).
    pub methods: Vec<String>,
    /// Retries allowed per request, as a fraction (0.2 for `"20%"`).
    pub budget: f64,
    /// Retries a second allowed whatever the budget says.
    pub min_retries_per_sec: u32,
    /// Request body bytes kept for replay; a body longer than this is sent
    /// once only.
    pub body_buffer: u64,
}

/// One entry of `retry.on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOn {
    /// `"connect"`: the connection could not be established.
    Connect,
    /// `"reset"`: the connection broke before a response head.
    Reset,
    /// `"timeout"`: no response head within the per-try timeout.
    Timeout,
    /// `"502"` etc.: a response with this 5xx status.
    Status(u16),
}

/// `circuit_breaker`: stop sending to a failing target for a while.
#[derive(Debug, Clone, PartialEq)]
pub struct CircuitBreaker {
    /// Trip after this many failures in a row; `None`: rule off.
    pub consecutive_failures: Option<u32>,
    /// Trip when this share of a window's outcomes failed; `None`: rule off.
    pub failure_ratio: Option<FailureRatio>,
    /// How long an open breaker refuses requests.
    pub open_for: Duration,
    /// Probe requests let through when half-open; that many successes close it.
    pub half_open_probes: u32,
}

/// The failure-ratio rule of a circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureRatio {
    /// The share of failures that trips, in `(0, 1]`.
    pub ratio: f64,
    /// The (tumbling) window outcomes are counted in.
    pub window: Duration,
    /// Fewer outcomes in a window never trip.
    pub min_requests: u32,
}

/// `health_check`: active HTTP checks of every target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// Path of the `GET` request.
    pub path: String,
    /// Time between checks of one target.
    pub interval: Duration,
    /// Time a check may take.
    pub timeout: Duration,
    /// Passed checks in a row that make an unhealthy target healthy.
    pub healthy: u32,
    /// Failed checks in a row that make a healthy target unhealthy.
    pub unhealthy: u32,
}

/// `outlier`: passive ejection of targets that fail requests in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outlier {
    /// Failures (connect failures and 5xx) in a row that eject a target.
    pub consecutive_failures: u32,
    /// Length of a first ejection; the k-th in a row lasts k times as long.
    pub base_ejection: Duration,
    /// Cap on the length of an ejection.
    pub max_ejection: Duration,
    /// At most this percentage of targets is ejected at once (at least one
    /// target, unless 0).
    pub max_ejection_percent: u32,
}
