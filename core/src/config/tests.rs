//! Tests of loading: the documented example, every default, every error path.

use std::net::SocketAddr;
use std::time::Duration;

use super::defaults as d;
use super::*;

const EXAMPLE: &str = r#"
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

const MINIMAL: &str = "[server]\nlisten = \"127.0.0.1:0\"\n";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Loads `text`, expecting failure; returns the errors as `path: message` lines.
fn errors(text: &str) -> Vec<String> {
    match load_str(text) {
        Ok(config) => panic!("expected errors, got {config:?}"),
        Err(errors) => errors.0.iter().map(ToString::to_string).collect(),
    }
}

/// Asserts that loading fails with exactly one error at `path` containing `needle`.
fn single_error(text: &str, path: &str, needle: &str) {
    let Err(errors) = load_str(text) else {
        panic!("expected an error at {path}");
    };
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert_eq!(errors.0[0].path, path, "{errors}");
    assert!(errors.0[0].message.contains(needle), "{errors}");
}

fn with_upstream(rest: &str) -> String {
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

    let u = &config.upstreams[0];
    assert_eq!(u.balance, BalanceKind::RoundRobin);
    assert_eq!(u.connect_timeout, Duration::from_secs(1));
    assert_eq!(u.response_timeout, Duration::from_secs(30));
    assert_eq!(u.pool_max_idle, 64);
    assert_eq!(u.pool_idle_timeout, Duration::from_secs(60));
    assert_eq!(u.targets[0].weight, d::TARGET_WEIGHT);

    let r = &config.routes[0];
    assert_eq!(r.name, "route0");
    assert!(r.host.is_none() && r.path.is_none());
    assert!(r.methods.is_empty() && r.headers.is_empty());
    assert!(!r.strip_prefix);
    assert_eq!(r.host_rewrite, None);
    assert_eq!(r.max_body_bytes, None);
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

#[test]
fn unknown_keys_name_their_path() {
    single_error(
        "[server]\nlistne = \"127.0.0.1:0\"\n",
        "server.listne",
        "unknown field `listne`",
    );
    single_error(
        &with_upstream("[[routes]]\nupstream = \"users\"\n[[routes]]\nupstream = \"users\"\nmethod = [\"GET\"]\n"),
        "routes[1].method",
        "unknown field `method`",
    );
    single_error(
        &format!("{MINIMAL}[upstreams.users]\ntargets = [\"127.0.0.1:1\", {{ addr = \"127.0.0.1:2\", wieght = 2 }}]\n"),
        "upstreams.users.targets[1].wieght",
        "unknown field `wieght`",
    );
    single_error(
        &format!("{MINIMAL}[server.uring]\nsq_poll = true\n"),
        "server.uring.sq_poll",
        "unknown field",
    );
    single_error(
        &format!("{MINIMAL}[extra]\n"),
        "extra",
        "unknown field `extra`",
    );
}

#[test]
fn type_and_syntax_errors_name_their_path() {
    single_error(
        &with_upstream("[[routes]]\nupstream = \"users\"\nmethods = [\"GET\", 7]\n"),
        "routes[0].methods[1]",
        "invalid type",
    );
    single_error(
        &format!("{MINIMAL}driver = \"epoll\"\n"),
        "server.driver",
        "unknown variant `epoll`",
    );
    single_error(
        &with_upstream("balance = \"fastest\"\n"),
        "upstreams.users.balance",
        "unknown variant",
    );
    single_error(
        &format!("{MINIMAL}shards = true\n"),
        "server.shards",
        "invalid type",
    );
    let e = errors("[server\nlisten = 1\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].contains("line 1"), "{e:?}");
    assert!(!e[0].contains('\n'));
}

#[test]
fn bad_values_name_their_path() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "header_timeout = \"10\"",
            "server.header_timeout",
            "unit is required",
        ),
        (
            "idle_timeout = \"soon\"",
            "server.idle_timeout",
            "invalid duration",
        ),
        (
            "drain_timeout = \"0s\"",
            "server.drain_timeout",
            "longer than zero",
        ),
        (
            "shards = 0",
            "server.shards",
            "positive integer or \"auto\"",
        ),
        (
            "shards = \"all\"",
            "server.shards",
            "positive integer or \"auto\"",
        ),
        (
            "admin = \"localhost:9901\"",
            "server.admin",
            "invalid address",
        ),
        (
            "max_header_bytes = 512",
            "server.max_header_bytes",
            "must be in 1024..=1048576",
        ),
        (
            "max_header_bytes = \"2MiB\"",
            "server.max_header_bytes",
            "must be in",
        ),
        (
            "max_header_bytes = \"16 parsecs\"",
            "server.max_header_bytes",
            "invalid size",
        ),
        (
            "max_headers = 0",
            "server.max_headers",
            "must be in 1..=256",
        ),
        (
            "max_headers = 300",
            "server.max_headers",
            "must be in 1..=256",
        ),
        (
            "max_uri_bytes = \"32KiB\"",
            "server.max_uri_bytes",
            "must not exceed max_header_bytes (16384)",
        ),
        (
            "max_body_bytes = -1",
            "server.max_body_bytes",
            "must not be negative",
        ),
        (
            "max_connections = 0",
            "server.max_connections",
            "must be at least 1",
        ),
    ];
    for (line, path, needle) in cases {
        single_error(&format!("{MINIMAL}{line}\n"), path, needle);
    }
    single_error(
        "[server]\nlisten = \"127.0.0.1\"\n",
        "server.listen",
        "invalid address",
    );
    single_error("[server]\nlisten = []\n", "server.listen", "at least one");
    single_error("[server]\nshards = 1\n", "server.listen", "missing");
    single_error(
        "[upstreams.a]\ntargets = [\"127.0.0.1:1\"]\n",
        "server",
        "missing table",
    );
    single_error(
        "[server]\nlisten = [\"127.0.0.1:1\", \"127.0.0.1:1\"]\n",
        "server.listen[1]",
        "listed twice",
    );
    single_error(
        "[server]\nlisten = \"127.0.0.1:1\"\nadmin = \"127.0.0.1:1\"\n",
        "server.admin",
        "also a client listener",
    );
    single_error(
        &format!("{MINIMAL}[server.uring]\nentries = 1000\n"),
        "server.uring.entries",
        "power of two",
    );
    single_error(
        &format!("{MINIMAL}[server.uring]\nentries = 65536\n"),
        "server.uring.entries",
        "256..=32768",
    );
    single_error(
        &format!("{MINIMAL}[server.uring]\nsqpoll_idle = \"x\"\n"),
        "server.uring.sqpoll_idle",
        "invalid duration",
    );
    // sqpoll together with defer_taskrun is modelled, not refused.
    assert!(load_str(&format!(
        "{MINIMAL}[server.uring]\nsqpoll = true\ndefer_taskrun = true\n"
    ))
    .is_ok());
    // A small head limit shrinks the default URI limit with it.
    let config = load_str(&format!("{MINIMAL}max_header_bytes = \"4KiB\"\n")).unwrap();
    assert_eq!(config.server.limits.max_uri_bytes, 4096);
}

#[test]
fn bad_upstreams_name_their_path() {
    single_error(
        &format!("{MINIMAL}[upstreams.u]\ntargets = []\n"),
        "upstreams.u.targets",
        "at least one",
    );
    single_error(
        &format!("{MINIMAL}[upstreams.u]\nbalance = \"random\"\n"),
        "upstreams.u",
        "missing field `targets`",
    );
    single_error(
        &format!("{MINIMAL}[upstreams.u]\ntargets = [\"127.0.0.1:1\", \"no-port-here\"]\n"),
        "upstreams.u.targets[1]",
        "cannot resolve \"no-port-here\"",
    );
    single_error(
        &format!("{MINIMAL}[upstreams.u]\ntargets = [{{ addr = \"localhost:x\" }}]\n"),
        "upstreams.u.targets[0].addr",
        "cannot resolve",
    );
    single_error(
        &format!("{MINIMAL}[upstreams.u]\ntargets = [{{ addr = \"127.0.0.1:1\", weight = 0 }}]\n"),
        "upstreams.u.targets[0].weight",
        "must be in 1..=1000",
    );
    single_error(
        &format!(
            "{MINIMAL}[upstreams.u]\ntargets = [{{ addr = \"127.0.0.1:1\", weight = 1001 }}]\n"
        ),
        "upstreams.u.targets[0].weight",
        "must be in 1..=1000",
    );
    single_error(
        &format!("{MINIMAL}[upstreams.u]\ntargets = [\"127.0.0.1:1\", \"127.0.0.1:1\"]\n"),
        "upstreams.u.targets[1]",
        "listed twice",
    );
    single_error(
        &with_upstream("hash_key = \"client_ip\"\n"),
        "upstreams.users.hash_key",
        "only used with",
    );
    single_error(
        &with_upstream("balance = \"consistent_hash\"\nhash_key = \"cookie:x\"\n"),
        "upstreams.users.hash_key",
        "\"client_ip\" or \"header:NAME\"",
    );
    single_error(
        &with_upstream("balance = \"consistent_hash\"\nhash_key = \"header:bad name\"\n"),
        "upstreams.users.hash_key",
        "not a valid header name",
    );
    single_error(
        &with_upstream("connect_timeout = \"fast\"\n"),
        "upstreams.users.connect_timeout",
        "invalid duration",
    );
    single_error(
        &with_upstream("pool_max_idle = -1\n"),
        "upstreams.users.pool_max_idle",
        "negative",
    );
    let config = load_str(&with_upstream("balance = \"consistent_hash\"\n")).unwrap();
    assert_eq!(
        config.upstreams[0].balance,
        BalanceKind::ConsistentHash(HashKey::ClientIp)
    );
}

#[test]
fn bad_routes_name_their_path() {
    let route = |body: &str| with_upstream(&format!("[[routes]]\n{body}\n"));
    let cases: &[(&str, &str, &str)] = &[
        (
            "upstream = \"usres\"",
            "routes[0].upstream",
            "no upstream named \"usres\"",
        ),
        ("path = \"/a\"", "routes[0]", "missing field `upstream`"),
        (
            "upstream = \"users\"\nstrip_prefix = true",
            "routes[0].strip_prefix",
            "requires path_prefix",
        ),
        (
            "upstream = \"users\"\npath = \"/a\"\nstrip_prefix = true",
            "routes[0].strip_prefix",
            "requires path_prefix",
        ),
        (
            "upstream = \"users\"\npath_regex = \"/a(\"",
            "routes[0].path_regex",
            "invalid regex \"/a(\"",
        ),
        (
            "upstream = \"users\"\npath = \"a\"",
            "routes[0].path",
            "must start with \"/\"",
        ),
        (
            "upstream = \"users\"\npath_prefix = \"/a?b\"",
            "routes[0].path_prefix",
            "must not contain '?'",
        ),
        (
            "upstream = \"users\"\nhost = \"api.example.com:8080\"",
            "routes[0].host",
            "invalid host",
        ),
        (
            "upstream = \"users\"\nhost = \"*\"",
            "routes[0].host",
            "invalid host",
        ),
        (
            "upstream = \"users\"\nhost = \"a..b\"",
            "routes[0].host",
            "invalid host",
        ),
        (
            "upstream = \"users\"\nmethods = []",
            "routes[0].methods",
            "must not be empty",
        ),
        (
            "upstream = \"users\"\nmethods = [\"GET\", \"get\"]",
            "routes[0].methods[1]",
            "did you mean \"GET\"",
        ),
        (
            "upstream = \"users\"\nmethods = [\"GE T\"]",
            "routes[0].methods[0]",
            "not a valid method token",
        ),
        (
            "upstream = \"users\"\nmethods = [\"GET\", \"GET\"]",
            "routes[0].methods[1]",
            "listed twice",
        ),
        (
            "upstream = \"users\"\nheaders = { \"x y\" = \"1\" }",
            "routes[0].headers.x y",
            "not a valid header name",
        ),
        (
            "upstream = \"users\"\nheaders = { \"A\" = \"1\", \"a\" = \"2\" }",
            "routes[0].headers.a",
            "listed twice",
        ),
        (
            "upstream = \"users\"\nheaders = { a = \"\\u0001\" }",
            "routes[0].headers.a",
            "control characters",
        ),
        (
            "upstream = \"users\"\nheaders = { a = 1 }",
            "routes[0].headers.a",
            "invalid type",
        ),
        (
            "upstream = \"users\"\nhost_rewrite = \"a b\"",
            "routes[0].host_rewrite",
            "not a valid Host",
        ),
        (
            "upstream = \"users\"\nmax_body_bytes = \"1 lot\"",
            "routes[0].max_body_bytes",
            "invalid size",
        ),
        (
            "upstream = \"users\"\nname = \"\"",
            "routes[0].name",
            "must not be empty",
        ),
    ];
    for (body, path, needle) in cases {
        single_error(&route(body), path, needle);
    }
}

#[test]
fn two_path_matchers_are_refused() {
    single_error(
        &with_upstream("[[routes]]\nupstream = \"users\"\npath = \"/a\"\npath_prefix = \"/b\"\n"),
        "routes[0]",
        "at most one of path, path_prefix, path_regex may be set, found path and path_prefix",
    );
    single_error(
        &with_upstream(
            "[[routes]]\nupstream = \"users\"\npath_prefix = \"/b\"\npath_regex = \"/c\"\n",
        ),
        "routes[0]",
        "found path_prefix and path_regex",
    );
}

#[test]
fn duplicate_route_names_are_refused() {
    single_error(
        &with_upstream("[[routes]]\nname = \"a\"\nupstream = \"users\"\n[[routes]]\nname = \"a\"\nupstream = \"users\"\n"),
        "routes[1].name",
        "duplicate route name \"a\" (first used by routes[0])",
    );
    // An explicit name may collide with another route's default one.
    single_error(
        &with_upstream("[[routes]]\nupstream = \"users\"\n[[routes]]\nname = \"route0\"\nupstream = \"users\"\n"),
        "routes[1].name",
        "duplicate route name \"route0\"",
    );
}

#[test]
fn every_semantic_error_is_reported_in_one_go() {
    let text = r#"
[server]
listen = ["127.0.0.1:8080", "nonsense"]
header_timeout = "10 fortnights"
max_headers = 0

[upstreams.users]
targets = [{ addr = "127.0.0.1:1", weight = 0 }]

[[routes]]
upstream = "usres"
strip_prefix = true

[[routes]]
path_regex = "(("
upstream = "users"
"#;
    let found = errors(text);
    let expected = [
        "server.listen[1]: invalid address \"nonsense\"",
        "server.max_headers: must be in 1..=256, got 0",
        "server.header_timeout: invalid duration \"10 fortnights\"",
        "upstreams.users.targets[0].weight: must be in 1..=1000, got 0",
        "routes[0].upstream: no upstream named \"usres\"",
        "routes[0].strip_prefix: requires path_prefix",
        "routes[1].path_regex: invalid regex \"((\"",
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for (line, want) in found.iter().zip(expected) {
        assert!(
            line.starts_with(want),
            "{line:?} does not start with {want:?}"
        );
    }
    let display = load_str(text).unwrap_err().to_string();
    assert_eq!(display.lines().count(), expected.len(), "{display}");
}

#[test]
fn load_file_reads_and_names_the_file() {
    let dir = std::env::temp_dir().join(format!("ringgate-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.toml");
    std::fs::write(&good, EXAMPLE).unwrap();
    assert_eq!(load_file(&good).unwrap().routes.len(), 1);

    let missing = dir.join("missing.toml");
    let errors = load_file(&missing).unwrap_err();
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].path, "");
    assert!(
        errors
            .to_string()
            .starts_with(&format!("cannot read {}: ", missing.display())),
        "{errors}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
