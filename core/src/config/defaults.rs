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
