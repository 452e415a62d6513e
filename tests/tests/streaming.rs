//! Bodies stream through as they arrive; response_timeout covers the
//! response head only; a truncated upstream body is not passed off as
//! complete; concurrent clients each get their own responses.

use std::thread;
use std::time::{Duration, Instant};

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};

fn setup(upstream_extra: &str) -> (Origin, Gateway) {
    let o = Origin::start("o", |req| match req.path() {
        "/trickle" => Reply::Trickle {
            chunks: vec![b"first".to_vec(), b"second".to_vec(), b"third".to_vec()],
            gap: Duration::from_secs(1),
        },
        "/truncated" => Reply::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly 20 bytes here..".to_vec(),
        ),
        "/split-head" => Reply::RawPieces {
            pieces: [
                &b"HTTP/1.1 200 OK\r\nCont"[..],
                b"ent-Length: 5\r\nX-Split: yes\r",
                b"\n\r",
                b"\nhel",
                b"lo",
            ]
            .iter()
            .map(|p| p.to_vec())
            .collect(),
            gap: Duration::from_millis(40),
        },
        _ => Reply::echo("o", req),
    });
    let gw = Gateway::builder()
        .shards(2)
        .config(&format!(
            "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"o\"\n",
            upstream("o", &[o.addr()], upstream_extra)
        ))
        .start();
    (o, gw)
}

#[test]
fn response_body_is_streamed_not_buffered() {
    let (_o, gw) = setup("");
    let mut conn = Conn::open(gw.addr());
    let sent = Instant::now();
    conn.send(b"GET /trickle HTTP/1.1\r\nHost: s.test\r\n\r\n")
        .expect("send");
    let w = conn.wire();
    w.patience = Duration::from_secs(5);
    let head = w
        .read_head(1 << 16)
        .expect("head")
        .expect("a response head");
    assert!(
        head.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    // The first chunk must arrive before the origin has written the second.
    let mut first = Vec::new();
    while first.is_empty() {
        let line = w.read_line().expect("chunk size line");
        let n =
            usize::from_str_radix(String::from_utf8_lossy(&line).trim(), 16).expect("chunk size");
        w.read_exact_to(n as u64, &mut |d| first.extend_from_slice(d))
            .expect("chunk");
        w.read_line().expect("chunk CRLF");
    }
    let at = sent.elapsed();
    assert!(
        first.starts_with(b"first"),
        "first bytes {:?}",
        String::from_utf8_lossy(&first)
    );
    assert!(
        at < Duration::from_millis(800),
        "first chunk arrived after {at:?}: the gateway buffered the body"
    );
}

#[test]
fn response_timeout_covers_only_the_head() {
    // The head comes at once; the body takes 3 s; response_timeout is 500 ms.
    let (_o, gw) = setup("response_timeout = \"500ms\"");
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request("GET", "s.test", "/trickle", &[], b"")
        .expect("slow body");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.body, b"firstsecondthird");
}

#[test]
fn truncated_upstream_body_is_not_passed_off_as_complete() {
    let (_o, gw) = setup("");
    let mut conn = Conn::open(gw.addr());
    conn.set_patience(Duration::from_secs(5));
    match conn.request("GET", "s.test", "/truncated", &[], b"") {
        Ok(r) if r.status == 200 => panic!(
            "a truncated upstream body reached the client as a complete response: {:?}",
            r.text()
        ),
        Ok(r) => assert_eq!(
            r.status, 502,
            "truncated before the head was sent: expected 502, got {}",
            r.status
        ),
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            ),
            "the client must see the connection end early, got {e}"
        ),
    }
    let r = ringgate_tests::client::get(gw.addr(), "/after");
    assert_eq!(r.status, 200);
}

#[test]
fn concurrent_clients_get_their_own_responses() {
    let (o, gw) = setup("");
    let addr = gw.addr();
    let workers: Vec<_> = (0..16)
        .map(|w| {
            thread::spawn(move || {
                let mut conn = Conn::open(addr);
                for i in 0..100 {
                    let target = format!("/c/{w}/{i}");
                    let body = format!("worker {w} request {i}");
                    let r = conn
                        .request("POST", "c.test", &target, &[], body.as_bytes())
                        .unwrap_or_else(|e| panic!("{target}: {e}"));
                    assert_eq!(r.status, 200, "{target}");
                    let echo = r.json();
                    assert_eq!(echo["target"], target, "response for another request");
                    assert_eq!(echo["body"], body, "body of another request");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked");
    }
    assert_eq!(o.request_count(), 1600);
}

#[test]
fn response_head_split_across_segments() {
    // The origin's head arrives in pieces; the gateway must assemble it.
    let (o, gw) = setup("");
    let mut conn = Conn::open(gw.addr());
    for i in 0..2 {
        let r = conn
            .request("GET", "s.test", "/split-head", &[], b"")
            .unwrap_or_else(|e| panic!("split response head, round {i}: {e}"));
        assert_eq!(r.status, 200, "round {i}: {:?}", r.text());
        assert_eq!(r.header("x-split"), Some("yes"));
        assert_eq!(r.body, b"hello");
    }
    assert_eq!(o.accepted(), 1, "the upstream connection should be reused");
}

#[test]
fn request_body_in_many_segments() {
    let (o, gw) = setup("");
    let mut conn = Conn::open(gw.addr());
    let body = ringgate_tests::pattern::bytes(4000);
    conn.send(b"POST /segments HTTP/1.1\r\nHost: s.test\r\nContent-Length: 4000\r\n\r\n")
        .expect("head");
    for piece in body.chunks(500) {
        std::thread::sleep(Duration::from_millis(20));
        conn.send(piece).expect("body piece");
    }
    let r = conn.read_response("POST").expect("response");
    assert_eq!(r.status, 200, "{}", r.text());
    let req = o.last_request();
    assert_eq!(req.body_len, 4000);
    assert!(
        req.body_pattern_ok,
        "the body was corrupted on its way through"
    );
}
