//! Default values and limits of every configuration key, in one place.
//!
//! The validation code and `docs/config-reference.md` both quote these
//! constants; change a default here and in the reference together.

use std::time::Duration;

/// `server.uring.entries`: submission queue size.
pub const URING_ENTRIES: u32 = 4096;
/// Smallest accepted `server.uring.entries`.
pub const URING_ENTRIES_MIN: u32 = 256;
/// Largest accepted `server.uring.entries`.
pub const URING_ENTRIES_MAX: u32 = 32768;
/// `server.uring.coop_taskrun`.
pub const URING_COOP_TASKRUN: bool = true;
/// `server.uring.defer_taskrun` (implies `IORING_SETUP_SINGLE_ISSUER`).
pub const URING_DEFER_TASKRUN: bool = true;
/// `server.uring.sqpoll`.
pub const URING_SQPOLL: bool = false;
/// `server.uring.sqpoll_idle`.
pub const URING_SQPOLL_IDLE: Duration = Duration::from_secs(1);

/// `server.header_timeout`: time for a client to send a whole request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// `server.idle_timeout`: keep-alive idle time of a client connection.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// `server.body_timeout`: longest wait for the next bytes of a request body
/// (nginx's `client_body_timeout` default).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// `server.body_rate_window`: the waiting time over which `min_body_rate`
/// is judged (Kestrel's grace period for its minimum body rate).
pub const BODY_RATE_WINDOW: Duration = Duration::from_secs(5);
/// `server.drain_timeout`: grace period for live connections on shutdown.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// `server.max_header_bytes`.
pub const MAX_HEADER_BYTES: u64 = 16 * 1024;
/// Smallest accepted `server.max_header_bytes`.
pub const MAX_HEADER_BYTES_MIN: u64 = 1024;
/// Largest accepted `server.max_header_bytes`.
pub const MAX_HEADER_BYTES_MAX: u64 = 1024 * 1024;
/// `server.max_headers`.
pub const MAX_HEADERS: u64 = 100;
/// Largest accepted `server.max_headers` (smallest is 1).
pub const MAX_HEADERS_MAX: u64 = 256;
/// `server.max_uri_bytes` (may not exceed `max_header_bytes`).
pub const MAX_URI_BYTES: u64 = 8 * 1024;
/// `server.max_connections`, per shard.
pub const MAX_CONNECTIONS: u64 = 10_000;

/// `upstreams.NAME.targets[i].weight`.
pub const TARGET_WEIGHT: u32 = 1;
/// Largest accepted target weight (smallest is 1).
pub const TARGET_WEIGHT_MAX: u32 = 1000;
/// `upstreams.NAME.connect_timeout`.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// `upstreams.NAME.response_timeout`: time to receive the response head.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);
/// `upstreams.NAME.pool_max_idle`: idle connections kept per target per shard.
pub const POOL_MAX_IDLE: u64 = 64;
/// `upstreams.NAME.pool_idle_timeout`.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// `server.rate_limit_table_size`: slots (8 bytes each) for keyed rate limits.
pub const RATE_LIMIT_TABLE_SIZE: u64 = 65_536;
/// Smallest accepted `server.rate_limit_table_size`.
pub const RATE_LIMIT_TABLE_SIZE_MIN: u64 = 64;
/// Largest accepted `server.rate_limit_table_size` (128 MiB of table).
pub const RATE_LIMIT_TABLE_SIZE_MAX: u64 = 1 << 24;
/// Largest accepted `burst`.
pub const RATE_LIMIT_BURST_MAX: u64 = 1_000_000;
/// Largest accepted rate, in requests per second.
pub const RATE_LIMIT_MAX_PER_SEC: u64 = 1_000_000;

/// `concurrency.max_in_flight` upper bound (smallest is 1).
pub const MAX_IN_FLIGHT_MAX: u64 = 1_000_000;

/// `retry.attempts`: tries in all, the first included.
pub const RETRY_ATTEMPTS: u64 = 2;
/// Largest accepted `retry.attempts` (smallest is 1).
pub const RETRY_ATTEMPTS_MAX: u64 = 10;
/// `retry.on`.
pub const RETRY_ON: &[&str] = &["connect", "reset", "502", "503", "504"];
/// `retry.backoff`: base of the exponential backoff.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(25);
/// `retry.max_backoff` is this many times `retry.backoff` unless set.
pub const RETRY_MAX_BACKOFF_FACTOR: u32 = 10;
/// `retry.methods`: the idempotent methods of RFC 9110 section 9.2.2.
pub const RETRY_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"];
/// `retry.budget`: retries per request, as a fraction (Finagle's default).
pub const RETRY_BUDGET: f64 = 0.2;
/// `retry.min_retries_per_sec` (Finagle's default).
pub const RETRY_MIN_PER_SEC: u64 = 10;
/// Largest accepted `retry.min_retries_per_sec`.
pub const RETRY_MIN_PER_SEC_MAX: u64 = 1_000_000;
/// `retry.body_buffer`: request body bytes kept for replay.
pub const RETRY_BODY_BUFFER: u64 = 64 * 1024;

/// `circuit_breaker.consecutive_failures` (when `failure_ratio` is not set).
pub const BREAKER_CONSECUTIVE_FAILURES: u64 = 5;
/// `circuit_breaker.open_for`.
pub const BREAKER_OPEN_FOR: Duration = Duration::from_secs(10);
/// `circuit_breaker.half_open_probes`.
pub const BREAKER_HALF_OPEN_PROBES: u64 = 1;
/// `circuit_breaker.window` of the failure-ratio rule.
pub const BREAKER_WINDOW: Duration = Duration::from_secs(10);
/// `circuit_breaker.min_requests` of the failure-ratio rule.
pub const BREAKER_MIN_REQUESTS: u64 = 20;

/// `health_check.path`.
pub const HEALTH_PATH: &str = "/healthz";
/// `health_check.interval`.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// `health_check.timeout` (at most `interval`).
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);
/// `health_check.healthy`.
pub const HEALTH_HEALTHY: u64 = 2;
/// `health_check.unhealthy`.
pub const HEALTH_UNHEALTHY: u64 = 3;
/// Largest accepted `health_check.healthy` / `unhealthy` (smallest is 1).
pub const HEALTH_THRESHOLD_MAX: u64 = 100;

/// `outlier.consecutive_failures`.
pub const OUTLIER_CONSECUTIVE_FAILURES: u64 = 5;
/// `outlier.base_ejection`.
pub const OUTLIER_BASE_EJECTION: Duration = Duration::from_secs(30);
/// `outlier.max_ejection`.
pub const OUTLIER_MAX_EJECTION: Duration = Duration::from_secs(300);
/// `outlier.max_ejection_percent`.
pub const OUTLIER_MAX_EJECTION_PERCENT: u64 = 10;

/// `server.buffers.client`: initial read buffer of a client connection.
pub const CLIENT_BUFFER: usize = 8 * 1024;
/// `server.buffers.upstream`: initial read buffer of an upstream connection.
pub const UPSTREAM_BUFFER: usize = 16 * 1024;
/// Smallest accepted `server.buffers.*`.
pub const BUFFER_MIN: u64 = 1024;
/// Largest accepted `server.buffers.*`.
pub const BUFFER_MAX: u64 = 16 * 1024 * 1024;
/// `server.tcp.backlog` (the kernel caps it at `net.core.somaxconn`).
pub const TCP_BACKLOG: u32 = 4096;
/// Largest accepted `server.tcp.backlog`.
pub const TCP_BACKLOG_MAX: u64 = 1 << 20;
/// Largest accepted `server.tcp.fastopen` queue.
pub const TCP_FASTOPEN_MAX: u64 = 1 << 20;
/// Largest accepted `server.tcp.recv_buffer` / `send_buffer`.
pub const TCP_SOCKET_BUFFER_MAX: u64 = 1 << 30;
/// Largest accepted `server.tcp.keepalive_count`.
pub const TCP_KEEPALIVE_COUNT_MAX: u64 = 127;
/// Highest CPU number accepted in `server.cpus` and `server.uring.sqpoll_cpu`
/// (the size of glibc's `cpu_set_t`).
pub const CPU_MAX: u64 = 1023;
