//! Unit tests of the pieces that need no socket: rendering and the stall
//! clock. The server itself is tested end to end in `tests/tests/ringbench_*.rs`.

use std::time::Duration;

use super::response::{body_pattern, Persist, Responses};
use super::{Stall, StallClock};

#[test]
fn body_is_hello_cut_to_length() {
    assert_eq!(body_pattern(0), b"");
    assert_eq!(body_pattern(5), b"hello");
    assert_eq!(body_pattern(12), b"hellohellohe");
}

#[test]
fn renders_every_form() {
    let r = Responses::render(200, 5);
    let text = |p, head_only| String::from_utf8(r.get(p, head_only).to_vec()).unwrap();
    assert_eq!(
        text(Persist::KeepAlive, false),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"
    );
    assert_eq!(
        text(Persist::Close, false),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    );
    assert_eq!(
        text(Persist::KeepAlive10, true),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n"
    );
    assert_eq!(
        &r.shared(Persist::KeepAlive)[..],
        r.get(Persist::KeepAlive, false)
    );
}

#[test]
fn no_content_has_no_length_and_no_body() {
    let r = Responses::render(204, 100);
    assert_eq!(
        r.get(Persist::KeepAlive, false),
        b"HTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n"
    );
    let r = Responses::render(503, 3);
    assert!(r
        .get(Persist::KeepAlive, false)
        .starts_with(b"HTTP/1.1 503 Service Unavailable\r\n"));
}

#[test]
fn stall_clock_freezes_once_after_n() {
    let clock = StallClock::new(Stall {
        after: 3,
        duration: Duration::from_millis(200),
    });
    for _ in 0..3 {
        assert_eq!(clock.on_request(), (None, false));
    }
    let (wait, over) = clock.on_request();
    assert_eq!(wait, Some(Duration::from_millis(200)));
    assert!(!over);
    // During the freeze others wait for what is left of it.
    let (wait, _) = clock.on_request();
    let wait = wait.expect("still frozen");
    assert!(wait <= Duration::from_millis(200) && wait > Duration::from_millis(100));
    std::thread::sleep(Duration::from_millis(250));
    assert_eq!(clock.on_request(), (None, true));
    assert_eq!(clock.on_request(), (None, true));
}

#[test]
fn stall_after_zero_freezes_the_first_request() {
    let clock = StallClock::new(Stall {
        after: 0,
        duration: Duration::from_millis(50),
    });
    assert_eq!(clock.on_request().0, Some(Duration::from_millis(50)));
}
