//! `ringbench` as a process: ready line, signals, bad arguments, and the
//! real gateway in front of it.

use std::process::Command;
use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::process::{curl, run};
use ringgate_tests::ringbench::{binary, Ringbench};

#[test]
fn ringbench_sigterm_exits_zero() {
    let mut rb = Ringbench::start(&["--threads", "2"]);
    // With an open connection, too.
    let mut conn = Conn::open(rb.addr());
    assert_eq!(conn.get("/").expect("request").status, 200);
    rb.signal("TERM");
    let status = rb
        .wait_exit(Duration::from_secs(5))
        .expect("exit after SIGTERM");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn ringbench_sigint_exits_zero() {
    let mut rb = Ringbench::start(&[]);
    rb.signal("INT");
    let status = rb
        .wait_exit(Duration::from_secs(5))
        .expect("exit after SIGINT");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn ringbench_bad_arguments_are_refused() {
    for args in [
        &["upstream"][..],
        &["upstream", "--listen", "nonsense"],
        &["upstream", "--listen", "127.0.0.1:0", "--delay", "5"],
        &["upstream", "--listen", "127.0.0.1:0", "--stall-after", "5"],
        &["upstream", "--listen", "127.0.0.1:0", "--status", "99"],
        &["upstream", "--listen", "127.0.0.1:0", "--threads", "0"],
        &["compare", "--runs", "0"],
        &["compare", "--duration", "0s"],
        &["compare", "--duration", "5"],
        &["compare", "--min-ratio", "-1"],
        &["compare", "--connections", "0"],
    ] {
        let out = run(Command::new(binary()).args(args), Duration::from_secs(5));
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(!out.stderr.is_empty(), "{args:?}: no message");
    }
}

#[test]
fn ringbench_a_taken_port_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = run(
        Command::new(binary()).args(["upstream", "--listen", &addr]),
        Duration::from_secs(5),
    );
    assert!(!out.status.success());
    assert!(
        out.stderr_text().contains("cannot listen on"),
        "{}",
        out.stderr_text()
    );
}

#[test]
fn ringbench_behind_the_gateway() {
    let rb = Ringbench::start(&["--body-bytes", "70000"]);
    let gw = Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"rb\"\n",
        upstream("rb", &[rb.addr()], "")
    ));
    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code} %{size_download}",
        &gw.url("/x"),
    ]);
    assert_eq!(
        out.assert_success("curl via gateway").stdout_text(),
        "200 70000"
    );
    let mut conn = Conn::open(gw.addr());
    for i in 0..200 {
        let body = vec![b'q'; i * 100];
        let r = conn
            .request("POST", "x", &format!("/post/{i}"), &[], &body)
            .unwrap_or_else(|e| panic!("request {i} via gateway: {e}"));
        assert_eq!(r.status, 200, "request {i}");
        assert_eq!(r.body.len(), 70_000, "request {i}");
        assert!(r.body.starts_with(b"hellohello"));
    }
}
