//! ringload counts every error class: refused connects, resets, timeouts
//! (with their latency recorded) and garbage responses.

use std::time::Duration;

use ringgate_tests::free_addr;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::ringload::{Resetter, Ringload};

const DEADLINE: Duration = Duration::from_secs(30);
const CLASSES: [&str; 5] = ["connect", "read", "write", "timeout", "protocol"];

/// Asserts `class` was counted and no other class was (`also` may be counted too).
fn only(r: &Ringload, class: &str, also: &[&str]) {
    assert!(
        r.u64(&format!("/errors/{class}")) > 0,
        "no {class} error: {}",
        r.json["errors"]
    );
    for other in CLASSES.iter().filter(|c| **c != class && !also.contains(c)) {
        assert_eq!(
            r.u64(&format!("/errors/{other}")),
            0,
            "{other}: {}",
            r.json["errors"]
        );
    }
    let text = r.out.stdout_text();
    assert!(text.contains("Errors: connect "), "{text}");
}

#[test]
fn ringload_refused_connections_are_connect_errors() {
    let url = format!("http://{}/", free_addr());
    let r = Ringload::run(&["-c", "2", "-d", "1s", &url], DEADLINE);
    only(&r, "connect", &[]);
    assert_eq!(r.u64("/requests"), 0);
    assert_eq!(r.u64("/sent"), 0);
}

#[test]
fn ringload_n_against_a_dead_server_ends_after_n_connect_failures() {
    let url = format!("http://{}/", free_addr());
    let r = Ringload::run(&["-c", "2", "-n", "5", &url], DEADLINE);
    only(&r, "connect", &[]);
    // Both connections may be connecting when the last of the 5 goes.
    let failed = r.u64("/errors/connect");
    assert!((5..=6).contains(&failed), "{failed} connect errors");
    assert_eq!(r.u64("/requests"), 0);
}

#[test]
fn ringload_resets_are_read_errors() {
    let peer = Resetter::start();
    let url = format!("http://{}/", peer.addr());
    let r = Ringload::run(&["-c", "2", "-d", "1s", &url], DEADLINE);
    // A reset can also hit the write of the next request or its connect.
    only(&r, "read", &["write", "connect"]);
    assert_eq!(r.u64("/requests"), 0);
}

#[test]
fn ringload_unanswered_requests_time_out_with_their_latency_recorded() {
    let origin = Origin::start("silent", |_| {
        Reply::Delay(Duration::from_secs(30), Box::new(Reply::empty(200)))
    });
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(
        &["-c", "2", "-d", "1500ms", "--timeout", "300ms", &url],
        DEADLINE,
    );
    only(&r, "timeout", &[]);
    let timeouts = r.u64("/errors/timeout");
    // 2 connections, one timeout every ~300 ms each.
    assert!((4..=12).contains(&timeouts), "{timeouts} timeouts");
    assert_eq!(r.u64("/requests"), 0);
    assert_eq!(r.u64("/latency_us/count"), timeouts);
    let p50 = r.u64("/latency_us/p50");
    assert!(
        (300_000..400_000).contains(&p50),
        "timeout latency p50 {p50} us"
    );
    // Each timeout closed its connection and opened a new one.
    assert!(
        origin.accepted() as u64 >= timeouts,
        "{} connections",
        origin.accepted()
    );
}

#[test]
fn ringload_garbage_is_a_protocol_error() {
    let origin = Origin::start("garbage", |_| {
        Reply::Raw(b"this is not HTTP at all\r\n\r\n".to_vec())
    });
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(&["-c", "2", "-d", "1s", &url], DEADLINE);
    only(&r, "protocol", &[]);
    assert_eq!(r.u64("/requests"), 0);
}

#[test]
fn ringload_a_close_mid_response_is_a_protocol_error() {
    let origin = Origin::start("cut", |_| {
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part".to_vec())
    });
    let url = format!("http://{}/", origin.addr());
    let r = Ringload::run(&["-c", "1", "-d", "1s", &url], DEADLINE);
    only(&r, "protocol", &[]);
}
