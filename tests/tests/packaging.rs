//! Packaging for edge hosts: every example config in `tuning/examples/`
//! passes `ringgate check`, the systemd unit in `tuning/systemd/` passes
//! `systemd-analyze verify` and its ExecStartPre check runs, and the logs
//! the journal gets are plain text (no ANSI colour) when stderr is not a
//! terminal.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ringgate_tests::gateway::{binary, Gateway};
use ringgate_tests::process::run;
use ringgate_tests::wait_until;

fn tuning_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tuning")
}

fn examples() -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(tuning_dir().join("examples"))
        .expect("tuning/examples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    list.sort();
    list
}

#[test]
fn every_example_config_checks() {
    let list = examples();
    assert!(list.len() >= 4, "examples: {list:?}");
    for path in list {
        // From another directory: relative key files resolve against the
        // config's folder and profiles are built in.
        let out = run(
            Command::new(binary())
                .arg("check")
                .arg("-c")
                .arg(&path)
                .current_dir(std::env::temp_dir()),
            Duration::from_secs(15),
        );
        out.assert_success(&format!("ringgate check -c {}", path.display()));
        assert!(
            out.stdout_text().contains(": ok: "),
            "{}",
            out.stdout_text()
        );
    }
}

#[test]
fn systemd_unit_verifies_and_its_check_runs() {
    let unit = std::fs::read_to_string(tuning_dir().join("systemd/ringgate.service"))
        .expect("tuning/systemd/ringgate.service");
    for key in [
        "ExecStartPre=/usr/local/bin/ringgate check -c /etc/ringgate/ringgate.toml",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "LimitNOFILE=",
        "LimitMEMLOCK=infinity",
        "RestrictAddressFamilies=",
        "io_uring_setup io_uring_enter io_uring_register",
    ] {
        assert!(unit.contains(key), "unit lacks {key}");
    }
    assert!(
        unit.lines()
            .any(|l| l == "ExecReload=/bin/kill -HUP $MAINPID"),
        "systemctl reload sends SIGHUP"
    );
    // The unit with this build's binary and an example config.
    let example = tuning_dir().join("examples/single-service.toml");
    let local = unit
        .replace("/usr/local/bin/ringgate", &binary().display().to_string())
        .replace(
            "/etc/ringgate/ringgate.toml",
            &example.display().to_string(),
        );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ringgate.service");
    std::fs::write(&path, &local).expect("write unit");
    let pre = local
        .lines()
        .find_map(|l| l.strip_prefix("ExecStartPre="))
        .expect("ExecStartPre");
    let words: Vec<&str> = pre.split_whitespace().collect();
    let out = run(
        Command::new(words[0]).args(&words[1..]),
        Duration::from_secs(15),
    );
    out.assert_success("the unit's ExecStartPre");
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("not verified: systemd-analyze missing (apt-get install -y systemd)");
        return;
    }
    let out = run(
        Command::new("systemd-analyze").arg("verify").arg(&path),
        Duration::from_secs(30),
    );
    out.assert_success("systemd-analyze verify ringgate.service");
}

#[test]
fn logs_are_plain_text_when_stderr_is_not_a_terminal() {
    let gw = Gateway::builder()
        .config("[upstreams.o]\ntargets = [\"127.0.0.1:9\"]\n[[routes]]\nupstream = \"o\"\n")
        .start();
    // The listener accepts a moment before the ready line is written.
    assert!(
        wait_until(Duration::from_secs(10), || gw
            .stderr()
            .contains("ringgate ready")),
        "no ready line:\n{}",
        gw.stderr()
    );
    let log = gw.stderr();
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escapes in a non-terminal log:\n{log:?}"
    );
}
