//! The policy tables: the issue's example as written, every default, every
//! key set, and every refusal named by its path.

use std::time::Duration;

use super::super::*;
use super::{single_error, with_upstream, MINIMAL};

const ISSUE_EXAMPLE: &str = r#"
[server]
listen = "127.0.0.1:8080"

[[routes]]
path_prefix = "/api"
upstream = "users"
rate_limit = { rate = "100/s", burst = 10, key = "client_ip" }   # key: "client_ip" | "header:x-api-key" | "route"
retry = { attempts = 3, on = ["connect", "502", "503", "504"], backoff = "10ms", budget = "20%" }

[upstreams.users]
targets = ["127.0.0.1:9001", "127.0.0.1:9002"]
balance = "p2c_ewma"
circuit_breaker = { consecutive_failures = 5, open_for = "10s", half_open_probes = 1 }
health_check = { path = "/healthz", interval = "1s", timeout = "500ms", healthy = 2, unhealthy = 2 }
"#;

/// `circuit_breaker = {}`, which is also the issue example's breaker.
fn default_breaker() -> CircuitBreaker {
    CircuitBreaker {
        consecutive_failures: Some(5),
        failure_ratio: None,
        open_for: secs(10),
        half_open_probes: 1,
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

#[test]
fn the_issue_example_is_accepted_as_written() {
    let config = load_str(ISSUE_EXAMPLE).unwrap();
    let route = &config.routes[0];
    assert_eq!(
        route.rate_limit,
        Some(RateLimit {
            rate: Rate {
                count: 100,
                per: secs(1)
            },
            burst: 10,
            key: RateLimitKey::ClientIp,
            quota_headers: false,
        })
    );
    let retry = route.retry.as_ref().unwrap();
    assert_eq!(retry.attempts, 3);
    assert_eq!(
        retry.on,
        [
            RetryOn::Connect,
            RetryOn::Status(502),
            RetryOn::Status(503),
            RetryOn::Status(504)
        ]
    );
    assert_eq!((retry.backoff, retry.max_backoff), (ms(10), ms(100)));
    assert_eq!(retry.budget, 0.2);
    let users = &config.upstreams[0];
    assert_eq!(users.balance, BalanceKind::P2cEwma);
    assert_eq!(users.circuit_breaker, Some(default_breaker()));
    assert_eq!(
        users.health_check,
        Some(HealthCheck {
            path: "/healthz".into(),
            interval: secs(1),
            timeout: ms(500),
            healthy: 2,
            unhealthy: 2,
        })
    );
}

#[test]
fn empty_policy_tables_get_every_default() {
    let text = with_upstream(
        "circuit_breaker = {}\nhealth_check = {}\noutlier = {}\n[[routes]]\nupstream = \"users\"\nretry = {}\nrate_limit = { rate = \"6000/min\" }\n",
    );
    let config = load_str(&text).unwrap();
    let route = &config.routes[0];
    let limit = route.rate_limit.as_ref().unwrap();
    // The burst defaults to the rate's count: q requests at once.
    assert_eq!((limit.burst, &limit.key), (6000, &RateLimitKey::ClientIp));
    let retry = route.retry.as_ref().unwrap();
    assert_eq!(
        *retry,
        Retry {
            attempts: 2,
            on: vec![
                RetryOn::Connect,
                RetryOn::Reset,
                RetryOn::Status(502),
                RetryOn::Status(503),
                RetryOn::Status(504)
            ],
            backoff: ms(25),
            max_backoff: ms(250),
            per_try_timeout: None,
            deadline: None,
            methods: ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]
                .map(String::from)
                .to_vec(),
            budget: 0.2,
            min_retries_per_sec: 10,
            body_buffer: 65_536,
        }
    );
    let u = &config.upstreams[0];
    assert_eq!(u.circuit_breaker, Some(default_breaker()));
    assert_eq!(
        u.health_check,
        Some(HealthCheck {
            path: "/healthz".into(),
            interval: secs(5),
            timeout: secs(1),
            healthy: 2,
            unhealthy: 3,
        })
    );
    assert_eq!(
        u.outlier,
        Some(Outlier {
            consecutive_failures: 5,
            base_ejection: secs(30),
            max_ejection: secs(300),
            max_ejection_percent: 10,
        })
    );
}

#[test]
fn every_policy_key_set() {
    let text = r#"
[server]
listen = "127.0.0.1:0"
rate_limit = { rate = "10/5s", burst = 3, key = "global", quota_headers = true }
rate_limit_table_size = 1024

[upstreams.users]
targets = ["127.0.0.1:9001"]
concurrency = { max_in_flight = 500, queue_timeout = "20ms" }
circuit_breaker = { consecutive_failures = 7, failure_ratio = "25%", window = "30s", min_requests = 50, open_for = "1m", half_open_probes = 3 }
health_check = { path = "/ready?full=1", interval = "2s", timeout = "2s", healthy = 1, unhealthy = 4 }
outlier = { consecutive_failures = 3, base_ejection = "5s", max_ejection = "1m", max_ejection_percent = 0 }

[[routes]]
upstream = "users"
rate_limit = { rate = "1000/hour", key = "header:X-Api-Key" }
concurrency = { max_in_flight = 1 }
retry = { attempts = 10, on = ["timeout", "500"], backoff = "1ms", max_backoff = "1ms", per_try_timeout = "100ms", deadline = "1s", methods = ["POST"], budget = "2.5%", min_retries_per_sec = 0, body_buffer = "1MiB" }

[[routes]]
upstream = "users"
rate_limit = { rate = "5/s", key = "route" }
"#;
    let config = load_str(text).unwrap();
    let s = &config.server;
    assert_eq!(
        s.rate_limit,
        Some(RateLimit {
            rate: Rate {
                count: 10,
                per: secs(5)
            },
            burst: 3,
            key: RateLimitKey::Shared,
            quota_headers: true,
        })
    );
    assert_eq!(s.rate_limit_table_size, 1024);
    let u = &config.upstreams[0];
    assert_eq!(
        u.concurrency,
        Some(Concurrency {
            max_in_flight: 500,
            queue_timeout: Some(ms(20))
        })
    );
    assert_eq!(
        u.circuit_breaker,
        Some(CircuitBreaker {
            consecutive_failures: Some(7),
            failure_ratio: Some(FailureRatio {
                ratio: 0.25,
                window: secs(30),
                min_requests: 50
            }),
            open_for: secs(60),
            half_open_probes: 3,
        })
    );
    let h = u.health_check.as_ref().unwrap();
    assert_eq!(
        (h.path.as_str(), h.timeout, h.healthy, h.unhealthy),
        ("/ready?full=1", secs(2), 1, 4)
    );
    assert_eq!(u.outlier.unwrap().max_ejection_percent, 0);
    let api = &config.routes[0];
    let limit = api.rate_limit.as_ref().unwrap();
    assert_eq!(limit.key, RateLimitKey::Header("x-api-key".into()));
    assert_eq!(limit.burst, 1000);
    assert_eq!(api.concurrency.unwrap().queue_timeout, None);
    let retry = api.retry.as_ref().unwrap();
    assert_eq!(retry.on, [RetryOn::Timeout, RetryOn::Status(500)]);
    assert_eq!(
        (retry.per_try_timeout, retry.deadline),
        (Some(ms(100)), Some(secs(1)))
    );
    assert_eq!(retry.methods, ["POST"]);
    assert_eq!(
        (retry.budget, retry.min_retries_per_sec, retry.body_buffer),
        (0.025, 0, 1 << 20)
    );
    assert_eq!(
        config.routes[1].rate_limit.as_ref().unwrap().key,
        RateLimitKey::Shared
    );
    // A ratio-only breaker has no consecutive rule.
    let ratio_only = load_str(&with_upstream(
        "circuit_breaker = { failure_ratio = \"50%\" }\n",
    ))
    .unwrap();
    let b = ratio_only.upstreams[0].circuit_breaker.as_ref().unwrap();
    assert_eq!(b.consecutive_failures, None);
    assert_eq!(b.failure_ratio.unwrap().min_requests, 20);
}

#[test]
fn unknown_policy_keys_name_their_path() {
    single_error(
        &with_upstream(
            "[[routes]]\nupstream = \"users\"\nrate_limit = { rate = \"1/s\", brust = 2 }\n",
        ),
        "routes[0].rate_limit.brust",
        "unknown field `brust`",
    );
    single_error(
        &with_upstream("[[routes]]\nupstream = \"users\"\nretry = { attempt = 2 }\n"),
        "routes[0].retry.attempt",
        "unknown field",
    );
    single_error(
        &with_upstream("circuit_breaker = { open = \"1s\" }\n"),
        "upstreams.users.circuit_breaker.open",
        "unknown field",
    );
    single_error(
        &with_upstream("health_check = { paht = \"/\" }\n"),
        "upstreams.users.health_check.paht",
        "unknown field",
    );
    single_error(
        &with_upstream("outlier = { max_ejections = 1 }\n"),
        "upstreams.users.outlier.max_ejections",
        "unknown field",
    );
    single_error(
        &with_upstream("concurrency = { max = 1 }\n"),
        "upstreams.users.concurrency.max",
        "unknown field",
    );
    single_error(
        &format!("{MINIMAL}rate_limit = {{ rate = \"1/s\", scope = \"x\" }}\n"),
        "server.rate_limit.scope",
        "unknown field",
    );
    single_error(
        &with_upstream("[[routes]]\nupstream = \"users\"\nretry = { on = \"502\" }\n"),
        "routes[0].retry.on",
        "invalid type",
    );
}

#[test]
fn bad_route_policies_name_their_path() {
    let route = |body: &str| with_upstream(&format!("[[routes]]\nupstream = \"users\"\n{body}\n"));
    let cases: &[(&str, &str, &str)] = &[
        (
            "rate_limit = { burst = 1 }",
            "routes[0].rate_limit",
            "missing field `rate`",
        ),
        (
            "rate_limit = { rate = \"100\" }",
            "routes[0].rate_limit.rate",
            "invalid rate \"100\"",
        ),
        (
            "rate_limit = { rate = \"0/s\" }",
            "routes[0].rate_limit.rate",
            "at least 1",
        ),
        (
            "rate_limit = { rate = \"100/ms\" }",
            "routes[0].rate_limit.rate",
            "whole number of seconds",
        ),
        (
            "rate_limit = { rate = \"2000000/s\" }",
            "routes[0].rate_limit.rate",
            "more than 1000000 requests per second",
        ),
        (
            "rate_limit = { rate = \"1/s\", burst = 0 }",
            "routes[0].rate_limit.burst",
            "must be in 1..=1000000",
        ),
        (
            "rate_limit = { rate = \"1/hour\", burst = 100 }",
            "routes[0].rate_limit.burst",
            "takes 360000s to refill",
        ),
        (
            "rate_limit = { rate = \"1/s\", key = \"global\" }",
            "routes[0].rate_limit.key",
            "\"client_ip\", \"header:NAME\" or \"route\"",
        ),
        (
            "rate_limit = { rate = \"1/s\", key = \"header:x y\" }",
            "routes[0].rate_limit.key",
            "not a valid header name",
        ),
        (
            "concurrency = { queue_timeout = \"1s\" }",
            "routes[0].concurrency",
            "missing field `max_in_flight`",
        ),
        (
            "concurrency = { max_in_flight = 0 }",
            "routes[0].concurrency.max_in_flight",
            "must be in 1..=1000000",
        ),
        (
            "concurrency = { max_in_flight = 1, queue_timeout = \"0s\" }",
            "routes[0].concurrency.queue_timeout",
            "longer than zero",
        ),
        (
            "retry = { attempts = 0 }",
            "routes[0].retry.attempts",
            "must be in 1..=10",
        ),
        (
            "retry = { attempts = 11 }",
            "routes[0].retry.attempts",
            "must be in 1..=10",
        ),
        (
            "retry = { on = [] }",
            "routes[0].retry.on",
            "must not be empty",
        ),
        (
            "retry = { on = [\"connect\", \"404\"] }",
            "routes[0].retry.on[1]",
            "a 5xx status",
        ),
        (
            "retry = { on = [\"502\", \"502\"] }",
            "routes[0].retry.on[1]",
            "listed twice",
        ),
        (
            "retry = { backoff = \"10\" }",
            "routes[0].retry.backoff",
            "unit is required",
        ),
        (
            "retry = { backoff = \"1s\", max_backoff = \"10ms\" }",
            "routes[0].retry.max_backoff",
            "must not be shorter than backoff",
        ),
        (
            "retry = { per_try_timeout = \"2s\", deadline = \"1s\" }",
            "routes[0].retry.per_try_timeout",
            "must not exceed deadline",
        ),
        (
            "retry = { methods = [\"post\"] }",
            "routes[0].retry.methods[0]",
            "uppercase method token",
        ),
        (
            "retry = { methods = [] }",
            "routes[0].retry.methods",
            "must not be empty",
        ),
        (
            "retry = { budget = \"20\" }",
            "routes[0].retry.budget",
            "invalid percentage",
        ),
        (
            "retry = { budget = \"120%\" }",
            "routes[0].retry.budget",
            "invalid percentage",
        ),
        (
            "retry = { min_retries_per_sec = -1 }",
            "routes[0].retry.min_retries_per_sec",
            "negative",
        ),
        (
            "retry = { body_buffer = \"1GiB\" }",
            "routes[0].retry.body_buffer",
            "must be in",
        ),
    ];
    for (body, path, needle) in cases {
        single_error(&route(body), path, needle);
    }
}

#[test]
fn bad_upstream_and_server_policies_name_their_path() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "circuit_breaker = { consecutive_failures = 0 }",
            "upstreams.users.circuit_breaker.consecutive_failures",
            "must be in 1..=16383",
        ),
        (
            "circuit_breaker = { open_for = \"0s\" }",
            "upstreams.users.circuit_breaker.open_for",
            "longer than zero",
        ),
        (
            "circuit_breaker = { half_open_probes = 200 }",
            "upstreams.users.circuit_breaker.half_open_probes",
            "must be in 1..=127",
        ),
        (
            "circuit_breaker = { failure_ratio = \"0%\" }",
            "upstreams.users.circuit_breaker.failure_ratio",
            "more than 0%",
        ),
        (
            "circuit_breaker = { window = \"10s\" }",
            "upstreams.users.circuit_breaker.window",
            "only used with failure_ratio",
        ),
        (
            "circuit_breaker = { failure_ratio = \"5%\", min_requests = 70000 }",
            "upstreams.users.circuit_breaker.min_requests",
            "must be in 1..=65535",
        ),
        (
            "health_check = { path = \"healthz\" }",
            "upstreams.users.health_check.path",
            "must start with \"/\"",
        ),
        (
            "health_check = { interval = \"1s\", timeout = \"2s\" }",
            "upstreams.users.health_check.timeout",
            "must not exceed interval",
        ),
        (
            "health_check = { healthy = 0 }",
            "upstreams.users.health_check.healthy",
            "must be in 1..=100",
        ),
        (
            "outlier = { consecutive_failures = 0 }",
            "upstreams.users.outlier.consecutive_failures",
            "must be in 1..=65535",
        ),
        (
            "outlier = { base_ejection = \"1m\", max_ejection = \"10s\" }",
            "upstreams.users.outlier.max_ejection",
            "must not be shorter than base_ejection",
        ),
        (
            "outlier = { max_ejection_percent = 101 }",
            "upstreams.users.outlier.max_ejection_percent",
            "must be in 0..=100",
        ),
        (
            "concurrency = { max_in_flight = -3 }",
            "upstreams.users.concurrency.max_in_flight",
            "negative",
        ),
        (
            "balance = \"p2c\"",
            "upstreams.users.balance",
            "unknown variant",
        ),
    ];
    for (body, path, needle) in cases {
        single_error(&with_upstream(&format!("{body}\n")), path, needle);
    }
    let server: &[(&str, &str, &str)] = &[
        (
            "rate_limit = { rate = \"1/s\", key = \"route\" }",
            "server.rate_limit.key",
            "\"client_ip\", \"header:NAME\" or \"global\"",
        ),
        (
            "rate_limit_table_size = 1000",
            "server.rate_limit_table_size",
            "power of two",
        ),
        (
            "rate_limit_table_size = 32",
            "server.rate_limit_table_size",
            "must be in 64..=16777216",
        ),
    ];
    for (line, path, needle) in server {
        single_error(&format!("{MINIMAL}{line}\n"), path, needle);
    }
    // A base ejection longer than the default cap raises the cap with it.
    let config = load_str(&with_upstream("outlier = { base_ejection = \"10m\" }\n")).unwrap();
    assert_eq!(config.upstreams[0].outlier.unwrap().max_ejection, secs(600));
}
