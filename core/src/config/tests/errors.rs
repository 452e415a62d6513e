//! Tests of refusal: every bad key, value and reference, named by its path.

use super::super::*;
use super::{errors, single_error, with_upstream, EXAMPLE, MINIMAL};

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
    // The kernel refuses DEFER_TASKRUN (and COOP_TASKRUN) next to SQPOLL
    // with EINVAL at ring setup, so the config refuses it first.
    single_error(
        &format!("{MINIMAL}[server.uring]\nsqpoll = true\ndefer_taskrun = true\n"),
        "server.uring.defer_taskrun",
        "cannot be combined with `sqpoll = true`",
    );
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
