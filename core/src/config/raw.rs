//! The raw serde shape of the TOML file, before validation.
//!
//! Every table denies unknown keys, so a misspelt key is an error rather than
//! a silently ignored setting. Values that need checking beyond their TOML
//! type (durations, sizes, ranges, addresses) stay strings or `i64` here and
//! are checked in `validate`, which can report all of them together; only
//! the shape of the document is enforced during deserialization. Keys that
//! are required by the model are `Option` here for the same reason.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::error::ConfigError;

/// Deserializes `text`, naming the key path of the first error.
pub(crate) fn parse(text: &str) -> Result<RawConfig, ConfigError> {
    let deserializer = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let inner = error.into_inner();
        let mut message = inner
            .message()
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        if let Some(span) = inner.span() {
            let (line, column) = line_column(text, span.start);
            message.push_str(&format!(" (line {line}, column {column})"));
        }
        ConfigError::new(path, message)
    })
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub server: Option<RawServer>,
    #[serde(default)]
    pub upstreams: Ordered<RawUpstream>,
    #[serde(default)]
    pub routes: Vec<RawRoute>,
    /// The config file's folder: relative file names resolve against it.
    #[serde(skip)]
    pub base_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServer {
    pub listen: Option<super::raw_tls::RawListen>,
    pub tls: Option<super::raw_tls::RawServerTls>,
    pub shards: Option<IntOrString>,
    pub admin: Option<String>,
    pub admin_token_file: Option<String>,
    pub access_log: Option<RawAccessLog>,
    pub tracing: Option<super::raw_tracing::RawTracing>,
    pub driver: Option<RawDriver>,
    pub uring: Option<RawUring>,
    pub header_timeout: Option<String>,
    pub idle_timeout: Option<String>,
    pub drain_timeout: Option<String>,
    pub max_header_bytes: Option<IntOrString>,
    pub max_headers: Option<i64>,
    pub max_uri_bytes: Option<IntOrString>,
    pub max_body_bytes: Option<IntOrString>,
    pub max_connections: Option<i64>,
    pub rate_limit: Option<RawRateLimit>,
    pub rate_limit_table_size: Option<i64>,
    pub body_timeout: Option<String>,
    pub min_body_rate: Option<String>,
    pub body_rate_window: Option<String>,
    pub max_requests_per_connection: Option<i64>,
    pub access: Option<super::raw_access::RawAccess>,
    // Per-core tuning (see `raw_tuning` and `profile`).
    pub profile: Option<String>,
    pub cpus: Option<super::raw_tuning::RawCpus>,
    pub buffers: Option<super::raw_tuning::RawBuffers>,
    pub tcp: Option<super::raw_tuning::RawTcp>,
    /// Zero-downtime binary upgrade: the Unix socket a new process takes the listeners from.
    pub upgrade_socket: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccessLog {
    pub path: Option<String>,
    pub format: Option<RawLogFormat>,
    pub sample: Option<f64>,
    pub flush_interval: Option<String>,
    pub buffer: Option<IntOrString>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawLogFormat {
    Json,
    Combined,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) enum RawDriver {
    #[serde(rename = "io_uring")]
    IoUring,
    #[serde(rename = "legacy")]
    Legacy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUring {
    pub entries: Option<i64>,
    pub coop_taskrun: Option<bool>,
    pub defer_taskrun: Option<bool>,
    pub sqpoll: Option<bool>,
    pub sqpoll_idle: Option<String>,
    pub sqpoll_cpu: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstream {
    pub targets: Option<Vec<RawTarget>>,
    pub balance: Option<RawBalance>,
    pub hash_key: Option<String>,
    pub connect_timeout: Option<String>,
    pub response_timeout: Option<String>,
    pub pool_max_idle: Option<i64>,
    pub pool_idle_timeout: Option<String>,
    pub concurrency: Option<RawConcurrency>,
    pub circuit_breaker: Option<RawCircuitBreaker>,
    pub health_check: Option<RawHealthCheck>,
    pub outlier: Option<RawOutlier>,
    pub tls: Option<super::raw_tls::RawUpstreamTls>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RawBalance {
    RoundRobin,
    Random,
    LeastRequest,
    ConsistentHash,
    P2cEwma,
}

/// A target: `"ip:port"` or `{ addr = "ip:port", weight = N }`.
#[derive(Debug)]
pub(crate) enum RawTarget {
    Addr(String),
    Table(RawTargetTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTargetTable {
    pub addr: String,
    pub weight: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub name: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub path_prefix: Option<String>,
    pub path_regex: Option<String>,
    pub methods: Option<Vec<String>>,
    pub headers: Option<Ordered<String>>,
    pub upstream: Option<String>,
    pub strip_prefix: Option<bool>,
    pub host_rewrite: Option<String>,
    pub max_body_bytes: Option<IntOrString>,
    pub rate_limit: Option<RawRateLimit>,
    pub concurrency: Option<RawConcurrency>,
    pub retry: Option<RawRetry>,
    pub auth: Option<super::raw_auth::RawAuth>,
    pub access: Option<super::raw_access::RawAccess>,
    pub cors: Option<super::raw_access::RawCors>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRateLimit {
    pub rate: Option<String>,
    pub burst: Option<i64>,
    pub key: Option<String>,
    pub quota_headers: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConcurrency {
    pub max_in_flight: Option<i64>,
    pub queue_timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRetry {
    pub attempts: Option<i64>,
    pub on: Option<Vec<String>>,
    pub backoff: Option<String>,
    pub max_backoff: Option<String>,
    pub per_try_timeout: Option<String>,
    pub deadline: Option<String>,
    pub methods: Option<Vec<String>>,
    pub budget: Option<String>,
    pub min_retries_per_sec: Option<i64>,
    pub body_buffer: Option<IntOrString>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCircuitBreaker {
    pub consecutive_failures: Option<i64>,
    pub failure_ratio: Option<String>,
    pub window: Option<String>,
    pub min_requests: Option<i64>,
    pub open_for: Option<String>,
    pub half_open_probes: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHealthCheck {
    pub path: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub healthy: Option<i64>,
    pub unhealthy: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOutlier {
    pub consecutive_failures: Option<i64>,
    pub base_ejection: Option<String>,
    pub max_ejection: Option<String>,
    pub max_ejection_percent: Option<i64>,
}

/// A table kept in document order (toml hands keys over in file order).
#[derive(Debug)]
pub(crate) struct Ordered<T>(pub Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

/// An integer or a string (`shards = 2 | "auto"`, sizes `65536 | "64KiB"`).
#[derive(Debug, Clone)]
pub(crate) enum IntOrString {
    Int(i64),
    Str(String),
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IntOrStringVisitor;
        impl<'de> Visitor<'de> for IntOrStringVisitor {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                i64::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(IntOrString::Str(v.to_owned()))
            }
        }
        deserializer.deserialize_any(IntOrStringVisitor)
    }
}

impl<'de> Deserialize<'de> for RawTarget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TargetVisitor;
        impl<'de> Visitor<'de> for TargetVisitor {
            type Value = RawTarget;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an \"ip:port\" string or a table { addr = \"ip:port\", weight = N }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawTarget::Addr(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                // Hand the (path-tracking) map to the derived impl so an
                // unknown key is reported at `...targets[i].key`.
                RawTargetTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawTarget::Table)
            }
        }
        deserializer.deserialize_any(TargetVisitor)
    }
}
