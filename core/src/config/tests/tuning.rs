//! Tuning profiles (merge order, errors) and the `[server]` tuning keys.

use std::time::Duration;

use super::super::profile::BUILTIN;
use super::*;

const BODY: &str = "[upstreams.o]\ntargets = [\"127.0.0.1:9\"]\n[[routes]]\nupstream = \"o\"\n";

fn with(server: &str) -> String {
    format!("[server]\nlisten = \"127.0.0.1:0\"\n{server}\n{BODY}")
}

#[test]
fn every_builtin_profile_loads() {
    for (name, _) in BUILTIN {
        let config = load_with_profile(&with(""), None, Some(name))
            .unwrap_or_else(|e| panic!("profile {name}: {e}"));
        assert_eq!(config.server.profile.as_deref(), Some(*name));
    }
}

#[test]
fn the_files_keys_win_per_key_and_tables_merge() {
    let text = with("profile = \"throughput\"\nmax_connections = 7\n[server.uring]\nentries = 1024\n[server.tcp]\nbacklog = 99\n");
    let s = load_str(&text).unwrap().server;
    assert_eq!(s.max_connections, 7);
    assert_eq!(s.uring.entries, 1024);
    // Keys of the same tables the file did not set come from the profile.
    assert!(s.uring.coop_taskrun && s.uring.defer_taskrun);
    assert_eq!(s.tcp.backlog, 99);
    assert_eq!(s.tcp.steering, Steering::Cpu);
    assert_eq!(s.tcp.defer_accept, Some(Duration::from_secs(3)));
    assert_eq!(s.buffers.upstream, 64 * 1024);
}

#[test]
fn command_line_profile_wins_over_the_files() {
    let text = with("profile = \"throughput\"");
    let s = load_with_profile(&text, None, Some("small-vm"))
        .unwrap()
        .server;
    assert_eq!(s.profile.as_deref(), Some("small-vm"));
    assert_eq!(s.cpus, Some(vec![0]));
    assert_eq!(s.shards, Shards::Count(1));
}

#[test]
fn profile_errors() {
    let e = errors(&with("profile = \"fast\""));
    assert!(
        e[0].starts_with("server.profile: unknown profile \"fast\""),
        "{e:?}"
    );
    let e = load_with_profile(&with(""), None, Some("/nonexistent/p.toml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("--profile: cannot read profile /nonexistent/p.toml"),
        "{e}"
    );
}

#[test]
fn tuning_keys() {
    let s = load_str(&with(
        "cpus = \"0-2,5\"\n[server.buffers]\nclient = \"32KiB\"\n[server.tcp]\nkeepalive = \"30s\"\nkeepalive_count = 3\nfastopen = 0\nrecv_buffer = \"1MiB\"\n[server.uring]\nsqpoll = true\nsqpoll_cpu = 3\n",
    ))
    .unwrap()
    .server;
    assert_eq!(s.cpus, Some(vec![0, 1, 2, 5]));
    assert_eq!(s.buffers.client, 32 * 1024);
    assert_eq!(s.buffers.upstream, d::UPSTREAM_BUFFER);
    let ka = s.tcp.keepalive.unwrap();
    assert_eq!(
        (ka.idle, ka.interval, ka.count),
        (Duration::from_secs(30), None, Some(3))
    );
    assert_eq!(s.tcp.fastopen, None, "0 leaves Fast Open off");
    assert_eq!(s.tcp.recv_buffer, Some(1 << 20));
    assert_eq!(s.uring.sqpoll_cpu, Some(3));
    assert!(
        !s.uring.coop_taskrun && !s.uring.defer_taskrun,
        "off with sqpoll"
    );
}

#[test]
fn tuning_key_errors() {
    let e = errors(&with(
        "cpus = [0, 0]\n[server.buffers]\nclient = 10\n[server.tcp]\nkeepalive = \"1500ms\"\nkeepalive_count = 3\nkeepalive_interval = \"0s\"\n",
    ));
    assert_eq!(
        e,
        vec![
            "server.cpus: CPU 0 is listed twice",
            "server.buffers.client: must be in 1024..=16777216, got 10",
            "server.tcp.keepalive: the kernel counts whole seconds: use e.g. \"1s\", got \"1500ms\"",
            "server.tcp.keepalive_interval: must be longer than zero, got \"0s\"",
        ]
    );
    let e = errors(&with("[server.tcp]\nkeepalive_count = 3\n"));
    assert_eq!(
        e,
        vec![
            "server.tcp.keepalive_count: needs `keepalive` (the idle time before the first probe)"
        ]
    );
}
