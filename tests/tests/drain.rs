//! Graceful shutdown: on SIGTERM/SIGINT the gateway stops accepting,
//! finishes in-flight requests, and exits 0 within `drain_timeout`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::wait_until;

fn setup(drain: &str, sleep: Duration) -> (Origin, Gateway) {
    let o = Origin::start("o", move |req| {
        if req.path() == "/slow" {
            Reply::Delay(sleep, Box::new(Reply::echo("o", req)))
        } else {
            Reply::echo("o", req)
        }
    });
    let gw = Gateway::builder()
        .shards(2)
        .server(&format!("drain_timeout = \"{drain}\""))
        .config(&format!(
            "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
            upstream("o", &[o.addr()], "")
        ))
        .start();
    (o, gw)
}

/// Whether a new client gets served: `Some(status)` if it got a response.
fn try_new_client(addr: std::net::SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(6))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
    s.write_all(b"GET /new HTTP/1.1\r\nHost: d.test\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    text.lines()
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .map(str::to_string)
}

#[test]
fn sigterm_finishes_in_flight_then_exits_zero() {
    let (o, mut gw) = setup("5s", Duration::from_secs(1));
    let addr = gw.addr();
    // An idle keep-alive client must not hold the shutdown up.
    let mut idle = Conn::open(addr);
    assert_eq!(idle.get("/warm").expect("warm-up").status, 200);

    let in_flight = thread::spawn(move || {
        let mut c = Conn::open(addr);
        c.get("/slow")
    });
    assert!(
        wait_until(Duration::from_secs(3), || o.request_count() == 2),
        "the slow request never reached the origin"
    );
    let signalled = Instant::now();
    gw.signal("TERM");
    thread::sleep(Duration::from_millis(200));
    let newcomer = try_new_client(addr);

    let r = in_flight
        .join()
        .expect("client thread")
        .expect("the in-flight request failed during drain");
    assert_eq!(
        r.status,
        200,
        "in-flight request during drain: {:?}",
        r.text()
    );
    assert_eq!(r.json()["target"], "/slow");

    let status = gw.wait_exit(Duration::from_secs(6));
    let took = signalled.elapsed();
    let status = status.unwrap_or_else(|| {
        panic!("gateway still running {took:?} after SIGTERM (drain_timeout 5s)")
    });
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(
        took < Duration::from_millis(4500),
        "drain took {took:?} for a 1 s request"
    );
    assert!(
        newcomer.is_none(),
        "a new connection was served during the drain: {newcomer:?}"
    );
    assert!(
        TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err(),
        "still accepting after exit"
    );
    assert_eq!(
        o.request_count(),
        2,
        "a request arriving after SIGTERM reached the origin"
    );
}

#[test]
fn sigint_exits_zero_when_idle() {
    let (_o, mut gw) = setup("5s", Duration::from_secs(1));
    assert_eq!(ringgate_tests::client::get(gw.addr(), "/x").status, 200);
    let signalled = Instant::now();
    gw.signal("INT");
    let status = gw
        .wait_exit(Duration::from_secs(3))
        .expect("gateway still running 3 s after SIGINT");
    assert!(status.success(), "exit status after SIGINT: {status}");
    assert!(
        signalled.elapsed() < Duration::from_secs(2),
        "idle shutdown took {:?}",
        signalled.elapsed()
    );
}

#[test]
fn drain_timeout_bounds_shutdown() {
    let (o, mut gw) = setup("1s", Duration::from_secs(8));
    let addr = gw.addr();
    let stuck = thread::spawn(move || {
        let mut c = Conn::open(addr);
        c.set_patience(Duration::from_secs(10));
        c.get("/slow").map(|r| r.status)
    });
    assert!(
        wait_until(Duration::from_secs(3), || o.request_count() == 1),
        "the slow request never reached the origin"
    );
    let signalled = Instant::now();
    gw.signal("TERM");
    let status = gw.wait_exit(Duration::from_secs(4));
    let took = signalled.elapsed();
    assert!(
        status.is_some(),
        "gateway still running {took:?} after SIGTERM with drain_timeout 1s"
    );
    assert!(
        took < Duration::from_millis(2500),
        "shutdown took {took:?} with drain_timeout 1s"
    );
    // The client is not left hanging once the gateway is gone.
    let _ = stuck.join().expect("client thread");
}
