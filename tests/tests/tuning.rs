//! Tuning profiles and the `[server]` tuning keys, checked against what the
//! kernel applied: socket options read back with getsockopt on the
//! gateway's own descriptors (pidfd_getfd), listen backlogs from `ss`,
//! shard and SQ-poll thread affinity from /proc, ring sizes from io_uring
//! fdinfo, io_uring_setup flags from strace, accept steering from the
//! per-shard accept counters, buffer sizes from the process's VmData.

use std::collections::BTreeSet;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use ringgate_tests::gateway::{binary, one_route, Gateway};
use ringgate_tests::inspect::{self, RingSetup};
use ringgate_tests::metrics::Metrics;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::process::{curl, descendants, run, Managed};
use ringgate_tests::{free_addr, wait_until};
use serde_json::Value;

/// A gateway started with `--profile PROFILE` (when given) and `server`
/// lines in front of one echo origin, with an admin listener.
fn start(profile: Option<&str>, server: &[&str], origin: &Origin) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let listen = free_addr();
    let admin = free_addr();
    let mut text = format!("[server]\nlisten = \"{listen}\"\nadmin = \"{admin}\"\n");
    for line in server {
        text.push_str(line);
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&one_route(&[origin.addr()], "", ""));
    let path = dir.path().join("ringgate.toml");
    std::fs::write(&path, text).expect("write config");
    let mut args = vec!["--config".to_owned(), path.display().to_string()];
    if let Some(p) = profile {
        args.extend(["--profile".to_owned(), p.to_owned()]);
    }
    let gw = Gateway::spawn(dir, &args, listen, Some(admin));
    // The listeners accept before the shard threads have built their rings
    // (and SQ poll threads): wait for the line logged once every shard runs.
    assert!(
        wait_until(Duration::from_secs(10), || gw
            .stderr()
            .contains("ringgate ready")),
        "no ready line:\n{}",
        gw.stderr()
    );
    gw
}

fn int(v: &Value, key: &str) -> i64 {
    v[key]
        .as_i64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn shard_cpus(gw: &Gateway) -> Vec<BTreeSet<usize>> {
    let mut cpus: Vec<BTreeSet<usize>> = inspect::threads(gw.pid())
        .into_iter()
        .filter(|(name, _)| name.starts_with("ringgate-shard"))
        .map(|(_, cpus)| cpus)
        .collect();
    cpus.sort();
    cpus
}

fn accepted(gw: &Gateway) -> Vec<f64> {
    let out = curl(&[&format!("http://{}/metrics", gw.admin())]);
    out.assert_success("GET /metrics");
    let m = Metrics::parse(&out.stdout_text()).expect("metrics parse");
    let mut per_shard: Vec<(String, f64)> = m
        .find("ringgate_connections_accepted_total", &[])
        .iter()
        .map(|s| (s.labels["shard"].clone(), s.value))
        .collect();
    per_shard.sort_by(|a, b| a.0.cmp(&b.0));
    per_shard.into_iter().map(|(_, v)| v).collect()
}

#[test]
fn throughput_profile_socket_options_reach_the_kernel() {
    let origin = Origin::echo("o");
    let gw = start(Some("throughput"), &[], &origin);
    let port = gw.addr().port();
    let own = inspect::own_cpus();
    let listeners = inspect::listeners(gw.pid(), port);
    assert_eq!(
        listeners.len(),
        own.len(),
        "one listener per shard: {listeners:?}"
    );
    for l in &listeners {
        assert_eq!(int(l, "nodelay"), 1, "{l}");
        assert_eq!(int(l, "defer_accept"), 3, "{l}");
        assert_eq!(int(l, "fastopen"), 4096, "{l}");
        assert_eq!(int(l, "keepalive"), 1, "{l}");
        assert_eq!(int(l, "keepidle"), 120, "{l}");
    }
    let backlog = 65535.min(inspect::somaxconn());
    assert_eq!(inspect::listen_backlog(port), vec![backlog; own.len()]);
    // One shard per allowed CPU, each pinned to its own CPU.
    let expected: Vec<BTreeSet<usize>> = own.iter().map(|&c| BTreeSet::from([c])).collect();
    assert_eq!(shard_cpus(&gw), expected);
    assert_eq!(inspect::uring_sq_entries(gw.pid()), vec![8192; own.len()]);
    // An accepted connection inherits keepalive and TCP_NODELAY; with
    // TCP_DEFER_ACCEPT the shard only sees it once the request arrived.
    let mut client = TcpStream::connect(gw.addr()).expect("connect");
    client.set_read_timeout(Some(Duration::from_secs(5))).ok();
    use std::io::{Read, Write};
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .expect("send");
    let mut buf = [0u8; 12];
    client.read_exact(&mut buf).expect("read status line");
    assert_eq!(&buf, b"HTTP/1.1 200");
    let me = client.local_addr().expect("local addr").to_string();
    let accepted = inspect::sockets(gw.pid())
        .into_iter()
        .find(|s| s["peer"].as_str() == Some(me.as_str()))
        .expect("the accepted socket");
    assert_eq!(int(&accepted, "keepalive"), 1, "{accepted}");
    assert_eq!(int(&accepted, "keepidle"), 120, "{accepted}");
    assert_eq!(int(&accepted, "nodelay"), 1, "{accepted}");
}

#[test]
fn latency_profile_keepalive_and_rings() {
    let origin = Origin::echo("o");
    let gw = start(Some("latency"), &[], &origin);
    for l in inspect::listeners(gw.pid(), gw.addr().port()) {
        assert_eq!(int(&l, "fastopen"), 256, "{l}");
        assert_eq!(int(&l, "defer_accept"), 0, "{l}");
        assert_eq!(int(&l, "keepidle"), 60, "{l}");
        assert_eq!(int(&l, "keepintvl"), 10, "{l}");
        assert_eq!(int(&l, "keepcnt"), 6, "{l}");
    }
    assert_eq!(
        inspect::listen_backlog(gw.addr().port()),
        vec![4096.min(inspect::somaxconn()); inspect::own_cpus().len()]
    );
    assert!(inspect::uring_sq_entries(gw.pid())
        .iter()
        .all(|&e| e == 1024));
}

#[test]
fn small_vm_profile_one_shard_on_cpu0_with_fixed_socket_buffers() {
    if !inspect::own_cpus().contains(&0) {
        eprintln!("skipped: CPU 0 is not in this test's affinity mask");
        return;
    }
    let origin = Origin::echo("o");
    let gw = start(None, &["profile = \"small-vm\""], &origin);
    assert_eq!(shard_cpus(&gw), vec![BTreeSet::from([0])]);
    let listeners = inspect::listeners(gw.pid(), gw.addr().port());
    assert_eq!(listeners.len(), 1);
    // SO_RCVBUF/SO_SNDBUF read back doubled (socket(7)).
    assert_eq!(int(&listeners[0], "rcvbuf"), 2 * 65536);
    assert_eq!(int(&listeners[0], "sndbuf"), 2 * 65536);
    assert_eq!(
        inspect::listen_backlog(gw.addr().port()),
        vec![1024.min(inspect::somaxconn())]
    );
    assert_eq!(inspect::uring_sq_entries(gw.pid()), vec![256]);
}

#[test]
fn sqpoll_profile_pins_the_poll_thread() {
    let own = inspect::own_cpus();
    if !(own.contains(&0) && own.contains(&1)) {
        eprintln!("skipped: the sqpoll profile needs CPUs 0 and 1");
        return;
    }
    let origin = Origin::echo("o");
    let gw = start(Some("sqpoll"), &[], &origin);
    let threads = inspect::threads(gw.pid());
    let poll: Vec<_> = threads
        .iter()
        .filter(|(n, _)| n.starts_with("iou-sqp"))
        .collect();
    assert_eq!(poll.len(), 1, "one SQ poll thread: {threads:?}");
    assert_eq!(poll[0].1, BTreeSet::from([1]), "pinned to sqpoll_cpu = 1");
    assert_eq!(shard_cpus(&gw), vec![BTreeSet::from([0])]);
    let out = curl(&[&gw.url("/x")]);
    out.assert_success("request through an SQPOLL ring");
}

#[test]
fn cpu_steering_accepts_on_the_core_that_received_the_connection() {
    let own = inspect::own_cpus();
    if !(own.contains(&0) && own.contains(&1)) {
        eprintln!("skipped: steering needs CPUs 0 and 1");
        return;
    }
    let origin = Origin::echo("o");
    // Shard 0 on CPU 1 and shard 1 on CPU 0: the index of a shard's socket
    // is not its CPU number, so only the program's table gets this right.
    let gw = start(
        None,
        &["cpus = [1, 0]", "[server.tcp]", "steering = \"cpu\""],
        &origin,
    );
    // The start-up probe's connection landed somewhere: count from here.
    let base = accepted(&gw);
    let delta =
        |gw: &Gateway| -> Vec<f64> { accepted(gw).iter().zip(&base).map(|(a, b)| a - b).collect() };
    // On loopback the receive softirq runs on the sending CPU.
    for _ in 0..10 {
        curl_on(1, &gw);
    }
    assert_eq!(delta(&gw), vec![10.0, 0.0], "all on shard 0 (CPU 1)");
    for _ in 0..10 {
        curl_on(0, &gw);
    }
    assert_eq!(delta(&gw), vec![10.0, 10.0], "then all on shard 1 (CPU 0)");
}

/// One request with curl pinned to `cpu` (a generous deadline: the
/// machine running the tests may be busy).
fn curl_on(cpu: usize, gw: &Gateway) {
    let out = run(
        Command::new("taskset")
            .args(["-c", &cpu.to_string(), "curl", "-sS", "--max-time", "20"])
            .arg(gw.url("/")),
        Duration::from_secs(30),
    );
    out.assert_success(&format!("curl on CPU {cpu}"));
}

/// VmData (KiB) growth of `gw` until `settle` holds.
fn vm_data_growth(gw: &Gateway, settle: impl FnMut() -> bool) -> u64 {
    let before = gw.proc_status_kib("VmData").expect("VmData");
    assert!(
        wait_until(Duration::from_secs(10), settle),
        "connections did not settle"
    );
    let after = gw.proc_status_kib("VmData").expect("VmData");
    after.saturating_sub(before)
}

#[test]
fn client_buffer_size_is_what_each_connection_allocates() {
    let origin = Origin::echo("o");
    for (size, n, min_kib, max_kib) in [
        ("1MiB", 64, 60 * 1024, u64::MAX),
        ("4KiB", 64, 0, 16 * 1024),
    ] {
        let gw = start(
            None,
            &[
                "shards = 1",
                "[server.buffers]",
                &format!("client = \"{size}\""),
            ],
            &origin,
        );
        let mut conns = Vec::new();
        let growth = vm_data_growth(&gw, || {
            while conns.len() < n {
                conns.push(TcpStream::connect(gw.addr()).expect("connect"));
            }
            let out = curl(&[&format!("http://{}/metrics", gw.admin())]);
            Metrics::parse(&out.stdout_text())
                .map(|m| m.sum("ringgate_connections_open", &[]) >= n as f64)
                .unwrap_or(false)
        });
        assert!(
            (min_kib..=max_kib).contains(&growth),
            "client = {size}: {n} idle connections grew VmData by {growth} KiB"
        );
    }
}

#[test]
fn upstream_buffer_size_is_what_each_upstream_connection_allocates() {
    let origin = Origin::start("slow", |_| {
        Reply::Delay(Duration::from_millis(300), Box::new(Reply::text(200, "ok")))
    });
    for (size, min_kib, max_kib) in [("1MiB", 24 * 1024, u64::MAX), ("4KiB", 0, 12 * 1024)] {
        let gw = start(
            None,
            &[
                "shards = 1",
                "[server.buffers]",
                &format!("upstream = \"{size}\""),
            ],
            &origin,
        );
        let before = gw.proc_status_kib("VmData").expect("VmData");
        // 32 concurrent requests: 32 upstream connections, pooled afterwards.
        let clients: Vec<_> = (0..32)
            .map(|_| {
                let url = gw.url("/");
                std::thread::spawn(move || curl(&[&url]).status.success())
            })
            .collect();
        for c in clients {
            assert!(c.join().expect("client thread"), "request failed");
        }
        let after = gw.proc_status_kib("VmData").expect("VmData");
        let growth = after.saturating_sub(before);
        assert!(
            (min_kib..=max_kib).contains(&growth),
            "upstream = {size}: 32 upstream connections grew VmData by {growth} KiB"
        );
    }
}

/// Runs the gateway under strace and returns its io_uring_setup calls.
fn ring_setups(profile: &str, server: &[&str]) -> Vec<RingSetup> {
    let origin = Origin::echo("o");
    let dir = tempfile::tempdir().expect("tempdir");
    let listen = free_addr();
    let mut text = format!("[server]\nlisten = \"{listen}\"\n");
    for line in server {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&one_route(&[origin.addr()], "", ""));
    let config = dir.path().join("ringgate.toml");
    std::fs::write(&config, text).expect("write config");
    let trace = dir.path().join("strace.txt");
    let child = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=io_uring_setup", "-o"])
        .arg(&trace)
        .arg(binary())
        .args(["--profile", profile, "--config"])
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn strace (apt-get install -y strace)");
    let mut strace = Managed::new(child);
    let up = wait_until(Duration::from_secs(15), || {
        TcpStream::connect(listen).is_ok()
    });
    for pid in descendants(strace.pid()) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
    }
    assert!(
        strace.wait_exit(Duration::from_secs(15)).is_some(),
        "strace did not exit"
    );
    let text = std::fs::read_to_string(&trace).unwrap_or_default();
    assert!(up, "gateway under strace never listened; trace:\n{text}");
    inspect::parse_setups(&text)
}

#[test]
fn uring_flags_from_the_profile_and_the_config_reach_io_uring_setup() {
    use inspect::{COOP_TASKRUN, DEFER_TASKRUN, SINGLE_ISSUER, SQPOLL};
    let setups = ring_setups("latency", &["shards = 1"]);
    let shard: Vec<_> = setups.iter().filter(|s| s.entries == 1024).collect();
    assert_eq!(shard.len(), 1, "one 1024-entry ring: {setups:?}");
    let want = COOP_TASKRUN | SINGLE_ISSUER | DEFER_TASKRUN;
    assert_eq!(shard[0].flags & (want | SQPOLL), want, "{:?}", shard[0]);

    // The config's key wins over the profile's, per key.
    let setups = ring_setups(
        "latency",
        &[
            "shards = 1",
            "[server.uring]",
            "defer_taskrun = false",
            "entries = 2048",
        ],
    );
    let shard: Vec<_> = setups.iter().filter(|s| s.entries == 2048).collect();
    assert_eq!(shard.len(), 1, "one 2048-entry ring: {setups:?}");
    assert_eq!(
        shard[0].flags & (want | SQPOLL),
        COOP_TASKRUN,
        "{:?}",
        shard[0]
    );
}

#[test]
fn sqpoll_cpu_reaches_io_uring_setup() {
    use inspect::{SQPOLL, SQ_AFF};
    if !inspect::own_cpus().contains(&1) {
        eprintln!("skipped: needs CPU 1");
        return;
    }
    let setups = ring_setups("sqpoll", &[]);
    let shard: Vec<_> = setups.iter().filter(|s| s.flags & SQPOLL != 0).collect();
    assert_eq!(shard.len(), 1, "{setups:?}");
    assert_eq!(shard[0].flags & SQ_AFF, SQ_AFF);
    assert_eq!(shard[0].sq_thread_cpu, 1);
}

#[test]
fn explicit_keys_win_over_the_profile() {
    let origin = Origin::echo("o");
    // small-vm says max_connections = 2048 and backlog 1024; the file says 1 and 77.
    let gw = start(
        Some("small-vm"),
        &["max_connections = 1", "[server.tcp]", "backlog = 77"],
        &origin,
    );
    assert_eq!(inspect::listen_backlog(gw.addr().port()), vec![77]);
    let _held = TcpStream::connect(gw.addr()).expect("first connection");
    assert!(
        wait_until(Duration::from_secs(5), || {
            let out = curl(&["-o", "/dev/null", "-w", "%{http_code}", &gw.url("/")]);
            out.stdout_text() == "503"
        }),
        "the second connection is over max_connections = 1"
    );
    // The profile's own keys that the file did not set still act.
    let l = &inspect::listeners(gw.pid(), gw.addr().port())[0];
    assert_eq!(int(l, "rcvbuf"), 2 * 65536, "{l}");
}
