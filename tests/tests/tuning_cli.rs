//! Tuning from the command line and the config file, without a running
//! gateway: profile errors naming the key, a profile given as a file and
//! overridden on the command line, CPUs outside the affinity mask stopping
//! startup, and `ringgate tune` (its JSON against /proc and /sys under
//! `taskset` and `prlimit`, its pasted recommendation passing `check`).
//! What the profiles do to a running gateway is in `tuning.rs`.

use std::process::Command;
use std::time::Duration;

use ringgate_tests::free_addr;
use ringgate_tests::gateway::binary;
use ringgate_tests::inspect;
use ringgate_tests::process::run;
use serde_json::Value;

fn ringgate(args: &[&str]) -> ringgate_tests::process::Finished {
    run(Command::new(binary()).args(args), Duration::from_secs(15))
}

fn check(config: &str, extra: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ringgate.toml");
    std::fs::write(&path, config).expect("write config");
    std::fs::write(dir.path().join("mine.toml"), "[server.tcp]\nbacklog = 99\n").expect("profile");
    std::fs::write(
        dir.path().join("bad.toml"),
        "[server.tcp]\nnodelayy = true\n",
    )
    .expect("profile");
    std::fs::write(
        dir.path().join("routes.toml"),
        "[[routes]]\nupstream = \"o\"\n",
    )
    .expect("profile");
    let p = path.display().to_string();
    let mut args = vec!["check", "-c", &p];
    args.extend_from_slice(extra);
    let out = run(
        Command::new(binary()).args(&args).current_dir(dir.path()),
        Duration::from_secs(15),
    );
    (out.status.success(), out.stdout_text(), out.stderr_text())
}

const BODY: &str = "[upstreams.o]\ntargets = [\"127.0.0.1:9\"]\n[[routes]]\nupstream = \"o\"\n";

#[test]
fn profile_errors_name_the_key() {
    let cfg = |server: &str| format!("[server]\nlisten = \"127.0.0.1:0\"\n{server}\n{BODY}");
    let (ok, _, err) = check(&cfg("profile = \"nope\""), &[]);
    assert!(!ok);
    assert!(
        err.contains("server.profile: unknown profile \"nope\""),
        "{err}"
    );
    assert!(err.contains("latency, throughput, small-vm"), "{err}");

    let (ok, _, err) = check(&cfg(""), &["--profile", "./bad.toml"]);
    assert!(!ok);
    assert!(
        err.contains("--profile: profile \"./bad.toml\": server.tcp.nodelayy: unknown field"),
        "{err}"
    );

    let (ok, _, err) = check(&cfg("profile = \"routes.toml\""), &[]);
    assert!(!ok);
    assert!(
        err.contains(
            "server.profile: profile \"routes.toml\": a profile may set only [server] keys"
        ),
        "{err}"
    );

    let (ok, _, err) = check(&cfg("[server.tcp]\nsteering = \"rss\""), &[]);
    assert!(!ok);
    assert!(
        err.contains("server.tcp.steering: must be \"hash\" or \"cpu\""),
        "{err}"
    );

    let (ok, _, err) = check(&cfg("cpus = \"3-1\""), &[]);
    assert!(!ok);
    assert!(
        err.contains("server.cpus: invalid CPU list \"3-1\""),
        "{err}"
    );

    let (ok, _, err) = check(&cfg("[server.uring]\nsqpoll_cpu = 1"), &[]);
    assert!(!ok);
    assert!(
        err.contains("server.uring.sqpoll_cpu: needs `sqpoll = true`"),
        "{err}"
    );

    let (ok, _, err) = check(
        &cfg("[server.uring]\nsqpoll = true\ncoop_taskrun = true"),
        &[],
    );
    assert!(!ok);
    assert!(
        err.contains("server.uring.coop_taskrun: cannot be combined with `sqpoll = true`"),
        "{err}"
    );
}

#[test]
fn profile_by_file_and_command_line_override() {
    let cfg = |server: &str| format!("[server]\nlisten = \"127.0.0.1:0\"\n{server}\n{BODY}");
    // A file named in the config resolves against the config's folder.
    let (ok, out, err) = check(&cfg("profile = \"mine.toml\""), &[]);
    assert!(ok, "{err}");
    assert!(out.contains("profile \"mine.toml\""), "{out}");
    // --profile wins over server.profile.
    let (ok, out, err) = check(&cfg("profile = \"nope\""), &["--profile", "small-vm"]);
    assert!(ok, "{err}");
    assert!(out.contains("1 shard, profile \"small-vm\""), "{out}");
    for name in ["latency", "throughput", "small-vm", "sqpoll"] {
        let (ok, out, err) = check(&cfg(""), &["--profile", name]);
        assert!(ok, "{name}: {err}");
        assert!(out.contains(&format!("profile \"{name}\"")), "{out}");
    }
}

#[test]
fn cpus_outside_the_affinity_mask_stop_startup() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ringgate.toml");
    std::fs::write(
        &path,
        format!("[server]\nlisten = \"{}\"\ncpus = [1]\n{BODY}", free_addr()),
    )
    .expect("write");
    let out = run(
        Command::new("taskset")
            .args(["-c", "0"])
            .arg(binary())
            .arg("-c")
            .arg(&path),
        Duration::from_secs(15),
    );
    assert!(!out.status.success());
    let err = out.stderr_text();
    assert!(
        err.contains("server.cpus: CPU 1 is not in this process's affinity mask (0)"),
        "{err}"
    );
}

#[test]
fn tune_json_matches_the_host() {
    let out = run(
        Command::new("taskset")
            .args(["-c", "0", "prlimit", "--nofile=4096:8192", "--"])
            .arg(binary())
            .args(["tune", "--json"]),
        Duration::from_secs(30),
    );
    out.assert_success("ringgate tune --json");
    let v: Value = serde_json::from_slice(&out.stdout).expect("tune --json is JSON");
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let online: Vec<usize> = inspect::cpu_list(&read("/sys/devices/system/cpu/online"))
        .into_iter()
        .collect();
    assert_eq!(v["cpus"]["online"], serde_json::json!(online));
    assert_eq!(v["cpus"]["affinity"], serde_json::json!([0]));
    let nodes = std::fs::read_dir("/sys/devices/system/node")
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    n.strip_prefix("node")
                        .is_some_and(|r| r.parse::<u32>().is_ok())
                })
                .count()
        })
        .unwrap_or(0);
    assert_eq!(v["numa"].as_array().map(Vec::len), Some(nodes));
    assert_eq!(
        v["limits"]["nofile"],
        serde_json::json!({ "soft": 4096, "hard": 8192 })
    );
    for (key, file) in [
        ("net.core.somaxconn", "/proc/sys/net/core/somaxconn"),
        (
            "net.ipv4.tcp_max_syn_backlog",
            "/proc/sys/net/ipv4/tcp_max_syn_backlog",
        ),
        ("net.ipv4.tcp_fastopen", "/proc/sys/net/ipv4/tcp_fastopen"),
    ] {
        assert_eq!(v["sysctl"][key].to_string(), read(file), "{key}");
    }
    let range: Vec<u64> = read("/proc/sys/net/ipv4/ip_local_port_range")
        .split_whitespace()
        .map(|p| p.parse().expect("port"))
        .collect();
    assert_eq!(
        v["sysctl"]["net.ipv4.ip_local_port_range"],
        serde_json::json!(range)
    );
    let ulp_tls = read("/proc/sys/net/ipv4/tcp_available_ulp")
        .split_whitespace()
        .any(|u| u == "tls");
    assert_eq!(v["ktls"] == "available", ulp_tls, "ktls {}", v["ktls"]);
    // The gateway's own tests run on io_uring, so a plain ring works here
    // and the opcodes it uses are supported.
    assert_eq!(v["io_uring"]["setup_flags"]["plain"]["ok"], true);
    assert_eq!(v["io_uring"]["opcodes"]["accept"], true);
    assert_eq!(v["io_uring"]["opcodes"]["connect"], true);
    // One CPU allowed: the small-vm profile, one shard, and with 4096
    // descriptors a LimitNOFILE line.
    let rec = &v["recommendation"];
    assert_eq!(rec["profile"], "small-vm");
    let setting = |key: &str| {
        rec["settings"]
            .as_array()
            .and_then(|s| s.iter().find(|x| x["key"] == key))
            .unwrap_or_else(|| panic!("no {key} in {rec}"))
            .clone()
    };
    assert_eq!(setting("shards")["value"], "1");
    assert_eq!(setting("cpus")["value"], "\"0\"");
    assert!(setting("max_connections")["reason"]
        .as_str()
        .unwrap_or("")
        .contains("4096"));
    let limits = rec["limits"].to_string();
    assert!(limits.contains("LimitNOFILE="), "{limits}");
    for s in rec["settings"].as_array().expect("settings") {
        assert!(
            !s["reason"].as_str().unwrap_or("").is_empty(),
            "no reason: {s}"
        );
    }
}

#[test]
fn tune_text_recommendation_pastes_into_a_valid_config() {
    let out = ringgate(&["tune"]);
    out.assert_success("ringgate tune");
    let text = out.stdout_text();
    let server: String = text
        .split("\n\n")
        .find(|block| block.contains("[server]"))
        .expect("a [server] block")
        .lines()
        .skip_while(|l| *l != "[server]")
        .map(|l| format!("{l}\n"))
        .collect();
    let config = format!("{server}listen = \"127.0.0.1:0\"\n{BODY}");
    let (ok, stdout, err) = check(&config, &[]);
    assert!(ok, "pasted recommendation does not check:\n{config}\n{err}");
    assert!(stdout.contains("profile"), "{stdout}");
}
