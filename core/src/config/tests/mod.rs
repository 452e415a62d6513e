//! Tests of loading: the documented example, every default, every key set.
//! Error paths are in [`errors`]; the policy tables' own tests in [`policy`];
//! profiles and the tuning keys in [`tuning`].

use std::net::SocketAddr;
use std::time::Duration;

use super::defaults as d;
use super::*;

mod access;
mod errors;
mod policy;
mod request_limits;
mod tls;
mod tracing;
mod tuning;
mod upgrade;

pub(super) const EXAMPLE: &str = r#"
[server]
listen = "127.0.0.1:8080"
shards = 2                 # or "auto": one per CPU of the process's affinity mask
admin = "127.0.0.1:9901"

[upstreams.users]
targets = ["127.0.0.1:9001", "127.0.0.1:9002"]
balance = "round_robin"

[[routes]]
host = "api.example.com"
path_prefix = "/users"
methods = ["GET", "POST"]
upstream = "users"
strip_prefix = true
"#;

pub(super) const MINIMAL: &str = "[server]\nlisten = \"127.0.0.1:0\"\n";

pub(super) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Loads `text`, expecting failure; returns the errors as `path: message` lines.
pub(super) fn errors(text: &str) -> Vec<String> {
    match load_str(text) {
        Ok(config) => panic!("expected errors, got {config:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// Asserts that loading fails with exactly one error at `path` containing `needle`.
pub(super) fn single_error(text: &str, path: &str, needle: &str) {
    let Err(errors) = load_str(text) else {
        panic!("expected an error at {path}");
    };
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].path, path, "{errors}");
    assert!(errors.0[0].message.contains(needle), "{errors}");
}

pub(super) fn with_upstream(rest: &str) -> String {
    format!("{MINIMAL}[upstreams.users]\ntargets = [\"127.0.0.1:9001\"]\n{rest}")
}

#[test]
fn example_is_accepted_as_written() {
    let config = load_str(EXAMPLE).unwrap();
    assert_eq!(config.server.listen, vec![addr("127.0.0.1:8080")]);
    assert_eq!(config.server.shards, Shards::Count(2));
    assert_eq!(config.server.admin, Some(addr("127.0.0.1:9901")));
    assert_eq!(config.upstreams.len(), 1);
    let users = &config.upstreams[0];
    assert_eq!(users.name, "users");
    assert_eq!(
        users.targets,
        vec![
            Target {
                addr: addr("127.0.0.1:9001"),
                weight: 1
            },
            Target {
                addr: addr("127.0.0.1:9002"),
                weight: 1
            },
        ]
    );
    assert_eq!(users.balance, BalanceKind::RoundRobin);
    let route = &config.routes[0];
    assert_eq!(route.name, "route0");
    assert_eq!(route.host, Some(HostMatch::Exact("api.example.com".into())));
    assert!(matches!(&route.path, Some(PathMatch::Prefix(p)) if p == "/users"));
    assert_eq!(route.methods, ["GET", "POST"]);
    assert_eq!(route.upstream, 0);
    assert!(route.strip_prefix);
    assert_eq!(
        config.summary(),
        "1 listener, 1 upstream (2 targets), 1 route, 2 shards"
    );
}

#[test]
fn every_default() {
    let config = load_str(&with_upstream("[[routes]]\nupstream = \"users\"\n")).unwrap();
    let s = &config.server;
    assert_eq!(s.shards, Shards::Auto);
    assert_eq!(s.admin, None);
    assert_eq!(s.driver, Driver::IoUring);
    assert_eq!(
        s.uring,
        Uring {
            entries: 4096,
            coop_taskrun: true,
            defer_taskrun: true,
            sqpoll: false,
            sqpoll_idle: Duration::from_secs(1),
            sqpoll_cpu: None,
        }
    );
    assert_eq!(s.header_timeout, Duration::from_secs(10));
    assert_eq!(s.idle_timeout, Duration::from_secs(60));
    assert_eq!(s.drain_timeout, Duration::from_secs(10));
    assert_eq!(
        s.limits,
        Limits {
            max_header_bytes: 16384,
            max_headers: 100,
            max_uri_bytes: 8192
        }
    );
    assert_eq!(s.max_body_bytes, None);
    assert_eq!(s.max_connections, 10_000);
    assert_eq!(s.rate_limit, None);
    assert_eq!(s.rate_limit_table_size, 65_536);

    let u = &config.upstreams[0];
    assert_eq!(u.balance, BalanceKind::RoundRobin);
    assert_eq!(u.connect_timeout, Duration::from_secs(1));
    assert_eq!(u.response_timeout, Duration::from_secs(30));
    assert_eq!(u.pool_max_idle, 64);
    assert_eq!(u.pool_idle_timeout, Duration::from_secs(60));
    assert_eq!(u.targets[0].weight, d::TARGET_WEIGHT);
    assert!(u.concurrency.is_none() && u.circuit_breaker.is_none());
    assert!(u.health_check.is_none() && u.outlier.is_none());

    let r = &config.routes[0];
    assert_eq!(r.name, "route0");
    assert!(r.host.is_none() && r.path.is_none());
    assert!(r.methods.is_empty() && r.headers.is_empty());
    assert!(!r.strip_prefix);
    assert_eq!(r.host_rewrite, None);
    assert_eq!(r.max_body_bytes, None);
    assert!(r.rate_limit.is_none() && r.concurrency.is_none() && r.retry.is_none());
    assert_eq!(
        config.summary(),
        "1 listener, 1 upstream (1 target), 1 route, auto shards (one per CPU)"
    );
}

#[test]
fn zero_routes_and_upstreams_are_valid() {
    let config = load_str(MINIMAL).unwrap();
    assert!(config.routes.is_empty() && config.upstreams.is_empty());
}

#[test]
fn every_key_set() {
    let text = r#"
[server]
listen = ["127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0", "0.0.0.0:0"]
shards = "auto"
driver = "legacy"
header_timeout = "250ms"
idle_timeout = "2m"
drain_timeout = "1s"
max_header_bytes = "64KiB"
max_headers = 256
max_uri_bytes = 4096
max_body_bytes = "1MB"
max_connections = 5

[server.uring]
entries = 256
coop_taskrun = false
defer_taskrun = false
sqpoll = true
sqpoll_idle = "20ms"

[upstreams.zeta]
targets = ["127.0.0.1:1"]
balance = "least_request"

[upstreams.alpha]
targets = [{ addr = "127.0.0.1:2", weight = 5 }, "localhost:3", { addr = "[::1]:4" }]
balance = "consistent_hash"
hash_key = "header:X-User"
connect_timeout = "100ms"
response_timeout = "5s"
pool_max_idle = 0
pool_idle_timeout = "90s"

[[routes]]
name = "api"
host = "*.Example.COM"
path_regex = "/v[0-9]+/.*"
methods = ["GET", "M-SEARCH"]
headers = { "X-Tenant" = "acme", accept = "application/json" }
upstream = "alpha"
host_rewrite = "internal.svc:8080"
max_body_bytes = "512KB"

[[routes]]
path = "/health"
upstream = "zeta"
"#;
    let config = load_str(text).unwrap();
    let s = &config.server;
    assert_eq!(s.listen.len(), 4);
    assert_eq!(s.driver, Driver::Legacy);
    assert_eq!(s.header_timeout, Duration::from_millis(250));
    assert_eq!(s.idle_timeout, Duration::from_secs(120));
    assert_eq!(
        s.limits,
        Limits {
            max_header_bytes: 65536,
            max_headers: 256,
            max_uri_bytes: 4096
        }
    );
    assert_eq!(s.max_body_bytes, Some(1_000_000));
    assert_eq!(s.max_connections, 5);
    assert_eq!(s.uring.entries, 256);
    assert!(!s.uring.coop_taskrun && !s.uring.defer_taskrun && s.uring.sqpoll);
    assert_eq!(s.uring.sqpoll_idle, Duration::from_millis(20));

    // Upstreams keep file order.
    assert_eq!(config.upstreams[0].name, "zeta");
    assert_eq!(config.upstreams[0].balance, BalanceKind::LeastRequest);
    let alpha = &config.upstreams[1];
    assert_eq!(
        alpha.balance,
        BalanceKind::ConsistentHash(HashKey::Header("x-user".into()))
    );
    assert_eq!(
        alpha.targets[0],
        Target {
            addr: addr("127.0.0.1:2"),
            weight: 5
        }
    );
    assert_eq!(alpha.targets[1].addr.port(), 3);
    assert!(alpha.targets[1].addr.ip().is_loopback());
    assert_eq!(
        alpha.targets[2],
        Target {
            addr: addr("[::1]:4"),
            weight: 1
        }
    );
    assert_eq!(alpha.connect_timeout, Duration::from_millis(100));
    assert_eq!(alpha.pool_max_idle, 0);

    let api = &config.routes[0];
    assert_eq!(api.name, "api");
    assert_eq!(api.host, Some(HostMatch::Suffix(".example.com".into())));
    let Some(PathMatch::Regex(re)) = &api.path else {
        panic!("{:?}", api.path)
    };
    assert!(re.is_match("/v2/users") && !re.is_match("/api/v2/users"));
    assert_eq!(api.methods, ["GET", "M-SEARCH"]);
    assert_eq!(
        api.headers,
        [
            ("x-tenant".to_owned(), "acme".to_owned()),
            ("accept".to_owned(), "application/json".to_owned())
        ]
    );
    assert_eq!(api.upstream, 1);
    assert_eq!(api.host_rewrite.as_deref(), Some("internal.svc:8080"));
    assert_eq!(api.max_body_bytes, Some(512_000));
    assert_eq!(config.routes[1].name, "route1");
    assert_eq!(config.routes[1].upstream, 0);
}
