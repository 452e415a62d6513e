//! The validated configuration model: plain data, every default filled in.
//!
//! Nothing here can be invalid once built by `load_str`: addresses are
//! resolved, durations and sizes parsed, regexes compiled, and each route's
//! upstream is an index into [`Config::upstreams`]. The proxy builds its
//! per-snapshot router and balancers from this.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::api_key::KeyStore;

use super::policy::{CircuitBreaker, Concurrency, HealthCheck, Outlier, RateLimit, Retry};
use super::request_limits::RequestLimits;

/// A whole validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listener and runtime settings.
    pub server: Server,
    /// Upstream services, in file order.
    pub upstreams: Vec<Upstream>,
    /// Routes, in file order; the first match wins.
    pub routes: Vec<Route>,
}

impl Config {
    /// One line for the startup log, e.g.
    /// `1 listener, 1 upstream (2 targets), 1 route, 2 shards`.
    pub fn summary(&self) -> String {
        fn count(n: usize, one: &str, many: &str) -> String {
            format!("{n} {}", if n == 1 { one } else { many })
        }
        let targets: usize = self.upstreams.iter().map(|u| u.targets.len()).sum();
        let shards = match self.server.shards {
            Shards::Auto => "auto shards (one per CPU)".to_owned(),
            Shards::Count(n) => count(n, "shard", "shards"),
        };
        format!(
            "{}, {} ({}), {}, {}",
            count(self.server.listen.len(), "listener", "listeners"),
            count(self.upstreams.len(), "upstream", "upstreams"),
            count(targets, "target", "targets"),
            count(self.routes.len(), "route", "routes"),
            shards,
        )
    }
}

/// `[server]`: listeners, shards, the io_uring driver, timeouts and limits.
#[derive(Debug, Clone)]
pub struct Server {
    /// Addresses to accept client connections on (at least one).
    pub listen: Vec<SocketAddr>,
    /// TLS termination per listen address (same order); `None` = plain HTTP.
    pub listen_tls: Vec<Option<super::tls::ServerTls>>,
    /// How many shards (threads, one per core) to run.
    pub shards: Shards,
    /// Address of the admin endpoint; none when absent.
    pub admin: Option<SocketAddr>,
    /// Bearer tokens accepted on the admin API (`/admin/...`), stored as
    /// SHA-256 digests with the operator's name; the API is open when absent.
    pub admin_tokens: Option<Arc<KeyStore>>,
    /// `[server.access_log]`: one line per request; none when absent.
    pub access_log: Option<AccessLog>,
    /// `[server.tracing]`: trace context and span export; none when absent.
    pub tracing: Option<super::tracing::Tracing>,
    /// Which monoio driver the shards run.
    pub driver: Driver,
    /// io_uring setup flags (ignored by the legacy driver).
    pub uring: Uring,
    /// Time for a client to send a whole request head.
    pub header_timeout: Duration,
    /// Keep-alive idle time of a client connection between requests.
    pub idle_timeout: Duration,
    /// Grace period for live connections on shutdown.
    pub drain_timeout: Duration,
    /// Limits on a request head.
    pub limits: Limits,
    /// Largest request body accepted; `None` means unlimited.
    pub max_body_bytes: Option<u64>,
    /// Connections each shard serves at once.
    pub max_connections: usize,
    /// A rate limit on every request, checked before routing.
    pub rate_limit: Option<RateLimit>,
    /// Slots of the table that holds every keyed rate limit's keys.
    pub rate_limit_table_size: usize,
    /// Body timeout and rate, requests per connection.
    pub requests: RequestLimits,
    /// IP allow/deny for every request, checked before routing.
    pub access: Option<std::sync::Arc<crate::access::Access>>,
    /// The tuning profile the settings started from (name or file), if any.
    pub profile: Option<String>,
    /// CPUs the shards are pinned to, in shard order; the process's
    /// affinity mask when `None`.
    pub cpus: Option<Vec<usize>>,
    /// Initial connection read buffers.
    pub buffers: super::tuning::Buffers,
    /// Listening socket options and accept steering.
    pub tcp: super::tuning::Tcp,
    /// The Unix socket a new process (`--upgrade`) takes the listeners
    /// from; none: binary upgrade is off.
    pub upgrade_socket: Option<std::path::PathBuf>,
}

/// `[server.access_log]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLog {
    /// Where lines go.
    pub path: LogPath,
    /// How a line looks.
    pub format: LogFormat,
    /// Fraction of requests answered below 400 that are logged (0..=1];
    /// 4xx and 5xx answers are always logged.
    pub sample: f64,
    /// A shard hands its buffered lines to the writer at least this often.
    pub flush_interval: Duration,
    /// ... and whenever its buffer holds this many bytes.
    pub buffer_bytes: usize,
}

/// Where access log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogPath {
    /// Standard output.
    Stdout,
    /// This file, appended to, reopened on SIGUSR1.
    File(std::path::PathBuf),
}

/// Access log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// nginx's "combined".
    Combined,
}

/// Number of shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shards {
    /// One per CPU in the process's affinity mask (resolved by the proxy).
    Auto,
    /// Exactly this many (at least 1).
    Count(usize),
}

/// The monoio driver the shards run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// io_uring.
    IoUring,
    /// epoll, for kernels without a usable io_uring.
    Legacy,
}

/// io_uring setup parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uring {
    /// Submission queue entries (power of two).
    pub entries: u32,
    /// `IORING_SETUP_COOP_TASKRUN`.
    pub coop_taskrun: bool,
    /// `IORING_SETUP_DEFER_TASKRUN` (with `IORING_SETUP_SINGLE_ISSUER`).
    pub defer_taskrun: bool,
    /// `IORING_SETUP_SQPOLL`.
    pub sqpoll: bool,
    /// Idle time before the SQ poll thread sleeps.
    pub sqpoll_idle: Duration,
    /// CPU the SQ poll thread is pinned to (`IORING_SETUP_SQ_AFF`).
    pub sqpoll_cpu: Option<u32>,
}

impl Default for Uring {
    /// The documented defaults (see [`super::defaults`]).
    fn default() -> Uring {
        use super::defaults as d;
        Uring {
            entries: d::URING_ENTRIES,
            coop_taskrun: d::URING_COOP_TASKRUN,
            defer_taskrun: d::URING_DEFER_TASKRUN,
            sqpoll: d::URING_SQPOLL,
            sqpoll_idle: d::URING_SQPOLL_IDLE,
            sqpoll_cpu: None,
        }
    }
}

/// Limits on a request head (431 or 414 beyond): the codec's own type,
/// so the validated config hands the parser its limits as they are.
pub use crate::http1::Limits;

/// `[upstreams.NAME]`: a set of interchangeable targets.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// The table name, referenced by `routes[i].upstream`.
    pub name: String,
    /// The instances (at least one), in file order.
    pub targets: Vec<Target>,
    /// How a target is picked for each request.
    pub balance: BalanceKind,
    /// Time allowed to establish a connection to a target.
    pub connect_timeout: Duration,
    /// Time allowed for the upstream response head to arrive.
    pub response_timeout: Duration,
    /// Idle keep-alive connections kept per target per shard.
    pub pool_max_idle: usize,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
    /// A limit on requests in flight to the whole upstream.
    pub concurrency: Option<Concurrency>,
    /// A circuit breaker per target.
    pub circuit_breaker: Option<CircuitBreaker>,
    /// Active health checks of every target.
    pub health_check: Option<HealthCheck>,
    /// Passive outlier ejection.
    pub outlier: Option<Outlier>,
    /// TLS to the targets; `None` = plain TCP.
    pub tls: Option<super::tls::UpstreamTls>,
}

/// One upstream instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Resolved address.
    pub addr: SocketAddr,
    /// Relative share of requests, 1..=1000.
    pub weight: u32,
}

/// Load-balancing algorithm of an upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BalanceKind {
    /// Smooth weighted round robin (nginx).
    RoundRobin,
    /// Weighted random.
    Random,
    /// Power of two choices by in-flight requests (Envoy).
    LeastRequest,
    /// A hash ring over the given request key.
    ConsistentHash(HashKey),
    /// Power of two choices by peak-EWMA latency × in-flight (Finagle, Linkerd).
    P2cEwma,
}

/// What `consistent_hash` hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashKey {
    /// The client's IP address.
    ClientIp,
    /// The value of this request header (name lowercased).
    Header(String),
}

/// `[[routes]]`: which requests go to which upstream.
#[derive(Debug, Clone)]
pub struct Route {
    /// Unique name (`route{index}` unless set).
    pub name: String,
    /// Host match; `None` matches every host.
    pub host: Option<HostMatch>,
    /// Path match; `None` matches every path.
    pub path: Option<PathMatch>,
    /// Methods matched (uppercase tokens); empty matches every method.
    pub methods: Vec<String>,
    /// Headers that must be present with exactly this value (names lowercase).
    pub headers: Vec<(String, String)>,
    /// Index into [`Config::upstreams`].
    pub upstream: usize,
    /// Remove the `path_prefix` from the path sent upstream.
    pub strip_prefix: bool,
    /// The Host header sent upstream instead of the client's.
    pub host_rewrite: Option<String>,
    /// Overrides `server.max_body_bytes` for this route.
    pub max_body_bytes: Option<u64>,
    /// A rate limit on this route's requests.
    pub rate_limit: Option<RateLimit>,
    /// A limit on this route's requests in flight.
    pub concurrency: Option<Concurrency>,
    /// Retries of failed upstream tries.
    pub retry: Option<Retry>,
    /// Who may use the route (`auth = { ... }`); `None` lets everyone in.
    pub auth: Option<std::sync::Arc<crate::auth::RouteAuth>>,
    /// IP allow/deny (`access = { ... }`), checked before everything else.
    pub access: Option<std::sync::Arc<crate::access::Access>>,
    /// CORS (`cors = { ... }`): preflights answered, response fields added.
    pub cors: Option<std::sync::Arc<crate::cors::Cors>>,
}

/// A host match, lowercase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostMatch {
    /// Exactly this host.
    Exact(String),
    /// Any host ending with this suffix; `"*.example.com"` is stored as
    /// `".example.com"`, so it matches `a.example.com` but not `example.com`.
    Suffix(String),
}

/// A path match.
#[derive(Debug, Clone)]
pub enum PathMatch {
    /// Exactly this path.
    Exact(String),
    /// This path or anything below it, on a segment boundary.
    Prefix(String),
    /// The whole path matches this regex (compiled anchored).
    Regex(regex::Regex),
}
