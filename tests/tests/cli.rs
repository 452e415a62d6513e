//! The command line: `--version`, `--help`, `check`, `-c`, and `demo`.

use std::process::Command;
use std::time::Duration;

use ringgate_tests::free_addr;
use ringgate_tests::gateway::{binary, Gateway};
use ringgate_tests::process::{curl, run, Finished};

fn ringgate(args: &[&str]) -> Finished {
    run(Command::new(binary()).args(args), Duration::from_secs(10))
}

fn write_config(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ringgate.toml");
    std::fs::write(&path, text).expect("write config");
    (dir, path.display().to_string())
}

#[test]
fn version() {
    let out = ringgate(&["--version"]);
    out.assert_success("ringgate --version");
    let text = out.stdout_text();
    assert!(text.contains("ringgate"), "{text:?}");
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "version {text:?}");
}

#[test]
fn help_lists_subcommands() {
    let out = ringgate(&["--help"]);
    out.assert_success("ringgate --help");
    let text = out.stdout_text();
    for word in ["check", "demo", "--config"] {
        assert!(
            text.contains(word),
            "--help does not mention {word}:\n{text}"
        );
    }
}

const GOOD: &str = r#"
[server]
listen = "127.0.0.1:18080"
shards = 1
header_timeout = "10s"
max_body_bytes = "1MiB"

[upstreams.users]
targets = ["127.0.0.1:9001", { addr = "127.0.0.1:9002", weight = 3 }]
balance = "round_robin"
connect_timeout = "1s"

[upstreams.orders]
targets = ["127.0.0.1:9003"]
balance = "consistent_hash"
hash_key = "header:x-user"

[[routes]]
name = "users"
host = "*.example.com"
path_prefix = "/users"
methods = ["GET", "POST"]
upstream = "users"
strip_prefix = true

[[routes]]
name = "orders"
path_regex = "^/orders/[0-9]+$"
headers = { "x-env" = "canary" }
upstream = "orders"
"#;

#[test]
fn check_accepts_a_good_file() {
    let (_dir, path) = write_config(GOOD);
    for flag in ["--config", "-c"] {
        let out = ringgate(&["check", flag, &path]);
        out.assert_success("ringgate check on a good file");
        let stdout = out.stdout_text();
        assert_eq!(
            stdout.trim_end().lines().count(),
            1,
            "check must print a one-line summary, got:\n{stdout}"
        );
        assert!(!stdout.trim().is_empty());
    }
}

#[test]
fn check_reports_every_error_with_its_path() {
    let (_dir, path) = write_config(
        r#"
[server]
listen = "127.0.0.1:18081"

[upstreams.users]
targets = ["127.0.0.1:9001"]

[[routes]]
path_prefix = "/a"
upstream = "usres"

[[routes]]
path_regex = "^/u/(["
upstream = "users"

[[routes]]
path_prefix = "/c"
upstream = "nope"
"#,
    );
    let out = ringgate(&["check", "--config", &path]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "check on a bad file must exit 1; stderr:\n{}",
        out.stderr_text()
    );
    let stderr = out.stderr_text();
    let lines: Vec<&str> = stderr.lines().collect();
    let line_with = |needle: &str| lines.iter().position(|l| l.contains(needle));
    let a = line_with("routes[0].upstream: ")
        .unwrap_or_else(|| panic!("no routes[0].upstream error in:\n{stderr}"));
    assert!(
        lines[a].contains("\"usres\""),
        "error should name the missing upstream: {}",
        lines[a]
    );
    let b = line_with("routes[1].path_regex")
        .unwrap_or_else(|| panic!("no routes[1].path_regex error in:\n{stderr}"));
    let c = line_with("routes[2].upstream: ")
        .unwrap_or_else(|| panic!("no routes[2].upstream error in:\n{stderr}"));
    assert!(lines[c].contains("\"nope\""), "{}", lines[c]);
    assert!(
        a != b && b != c && a != c,
        "each error on its own line:\n{stderr}"
    );
}

#[test]
fn check_rejects_unknown_keys() {
    let (_dir, path) = write_config("[server]\nlisten = \"127.0.0.1:18082\"\nlisen_backlog = 5\n");
    let out = ringgate(&["check", "--config", &path]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "unknown key must fail check; stdout {:?}",
        out.stdout_text()
    );
    assert!(
        out.stderr_text().contains("lisen_backlog"),
        "stderr should name the key:\n{}",
        out.stderr_text()
    );
}

#[test]
fn check_missing_file_fails() {
    let out = ringgate(&["check", "--config", "/nonexistent/ringgate.toml"]);
    assert!(!out.status.success(), "check of a missing file succeeded");
    assert!(
        !out.stderr_text().trim().is_empty(),
        "no message for a missing file"
    );
}

#[test]
fn run_with_short_config_flag() {
    let o = ringgate_tests::origin::Origin::echo("o");
    let listen = free_addr();
    let (dir, path) = write_config(&format!(
        "[server]\nlisten = \"{listen}\"\nshards = 1\n\n[upstreams.o]\ntargets = [\"{}\"]\n\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        o.addr()
    ));
    let gw = Gateway::spawn(dir, &["-c".to_string(), path], listen, None);
    let out = curl(&["-w", "\n%{http_code}", &gw.url("/short-flag")]);
    assert!(
        out.stdout_text().ends_with("\n200"),
        "curl got {:?}",
        out.stdout_text()
    );
}

#[test]
fn demo_serves_sample_services() {
    let listen = free_addr();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gw = Gateway::spawn(
        dir,
        &[
            "demo".to_string(),
            "--listen".to_string(),
            listen.to_string(),
        ],
        listen,
        None,
    );
    for path in ["/users", "/orders", "/catalog"] {
        let out = curl(&["-i", &gw.url(path)]);
        out.assert_success("curl demo");
        let text = out.stdout_text();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{path}: {head}"
        );
        serde_json::from_str::<serde_json::Value>(body)
            .unwrap_or_else(|e| panic!("{path}: body is not JSON ({e}): {body:?}"));
    }
    assert!(
        gw.stdout().contains("/users"),
        "demo should print its URLs; stdout:\n{}",
        gw.stdout()
    );
    gw.signal("TERM");
    let status = gw
        .wait_exit(Duration::from_secs(5))
        .expect("demo still running 5 s after SIGTERM");
    assert!(status.success(), "demo exit status {status}");
}

#[test]
fn listen_list_and_auto_shards() {
    let o = ringgate_tests::origin::Origin::echo("o");
    let (a, b) = (free_addr(), free_addr());
    let (dir, path) = write_config(&format!(
        "[server]\nlisten = [\"{a}\", \"{b}\"]\nshards = \"auto\"\n\n[upstreams.o]\ntargets = [\"{}\"]\n\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
        o.addr()
    ));
    let out = ringgate(&["check", "--config", &path]);
    out.assert_success("check with a listen list and shards = \"auto\"");
    let _gw = Gateway::spawn(dir, &["--config".to_string(), path], a, None);
    for addr in [a, b] {
        let out = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://{addr}/both"),
        ]);
        assert_eq!(out.stdout_text(), "200", "listener {addr}");
    }
}
