//! `--delay` and `--stall-after/--stall`: the origin is slow on purpose,
//! exactly as asked, and the stall happens once.

use std::time::{Duration, Instant};

use ringgate_tests::client::Conn;
use ringgate_tests::ringbench::Ringbench;

fn timed_get(conn: &mut Conn, what: &str) -> Duration {
    let start = Instant::now();
    let r = conn.get("/").unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(r.status, 200, "{what}");
    start.elapsed()
}

#[test]
fn ringbench_delay_holds_every_answer() {
    let rb = Ringbench::start(&["--delay", "150ms"]);
    let mut conn = Conn::open(rb.addr());
    for i in 0..3 {
        let took = timed_get(&mut conn, &format!("request {i}"));
        assert!(
            took >= Duration::from_millis(150),
            "request {i} took {took:?}"
        );
        assert!(took < Duration::from_secs(2), "request {i} took {took:?}");
    }
    // Pipelined: answered one after another, each after its own delay.
    let start = Instant::now();
    conn.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send");
    let first = conn.read_response("GET").expect("first");
    let first_at = start.elapsed();
    conn.read_response("GET").expect("second");
    let second_at = start.elapsed();
    assert_eq!(first.body, b"hello");
    // The first answer is not held back by the second one's delay.
    assert!(
        first_at >= Duration::from_millis(150),
        "first pipelined answer after {first_at:?}"
    );
    assert!(
        second_at >= first_at + Duration::from_millis(140),
        "second pipelined answer {second_at:?}, first {first_at:?}"
    );
}

#[test]
fn ringbench_no_delay_is_fast() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    let start = Instant::now();
    for i in 0..200 {
        timed_get(&mut conn, &format!("request {i}"));
    }
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn ringbench_stall_freezes_exactly_once() {
    let rb = Ringbench::start(&["--stall-after", "5", "--stall", "1s"]);
    let mut conn = Conn::open(rb.addr());
    let took: Vec<Duration> = (1..=15)
        .map(|i| timed_get(&mut conn, &format!("request {i}")))
        .collect();
    let slow: Vec<usize> = took
        .iter()
        .enumerate()
        .filter(|(_, d)| **d >= Duration::from_millis(300))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(slow, vec![6], "slow requests (1-based) with times {took:?}");
    let stalled = took.get(5).copied().unwrap_or_default();
    assert!(
        stalled >= Duration::from_millis(900) && stalled < Duration::from_secs(3),
        "request 6 took {stalled:?}"
    );
}

#[test]
fn ringbench_stall_freezes_every_connection() {
    let rb = Ringbench::start(&["--threads", "2", "--stall-after", "3", "--stall", "1s"]);
    let mut a = Conn::open(rb.addr());
    for i in 0..3 {
        timed_get(&mut a, &format!("request {i}"));
    }
    // Request 4 starts the freeze; requests on other connections that come
    // during it wait until it is over.
    let start = Instant::now();
    let addr = rb.addr();
    let stalled = std::thread::spawn(move || {
        let mut a = a;
        timed_get(&mut a, "request 4")
    });
    std::thread::sleep(Duration::from_millis(300));
    let others: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                let mut c = Conn::open(addr);
                let _ = timed_get(&mut c, &format!("other {t}"));
                start.elapsed()
            })
        })
        .collect();
    let first = stalled.join().expect("stalled request");
    assert!(
        first >= Duration::from_millis(900),
        "request 4 took {first:?}"
    );
    for (t, h) in others.into_iter().enumerate() {
        let done_at = h.join().expect("other client");
        assert!(
            done_at >= Duration::from_millis(900),
            "connection {t} was answered {done_at:?} after the freeze began"
        );
    }
    // And then it is fast again.
    let mut c = Conn::open(rb.addr());
    assert!(timed_get(&mut c, "after") < Duration::from_millis(300));
}
