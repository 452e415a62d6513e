//! `ringbench upstream` answers real clients: curl, Python's http.client
//! and a raw client for pipelining, request bodies, HEAD and HTTP/1.0.

use std::time::Duration;

use ringgate_tests::client::Conn;
use ringgate_tests::process::{curl, python};
use ringgate_tests::ringbench::Ringbench;

#[test]
fn ringbench_curl_gets_hello() {
    let rb = Ringbench::start(&[]);
    let out = curl(&["-i", &rb.url("/anything?x=1")]);
    out.assert_success("curl");
    let text = out.stdout_text();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Length: 5\r\n"), "{text}");
    assert!(text.contains("Content-Type: text/plain\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nhello"), "{text}");
}

#[test]
fn ringbench_status_and_body_bytes_are_configurable() {
    let rb = Ringbench::start(&["--status", "503", "--body-bytes", "12"]);
    let out = curl(&["-o", "-", "-w", "\n%{http_code}", &rb.url("/")]);
    out.assert_success("curl");
    assert_eq!(out.stdout_text(), "hellohellohe\n503");
}

#[test]
fn ringbench_large_bodies_arrive_whole() {
    let rb = Ringbench::start(&["--body-bytes", "1000000"]);
    let mut conn = Conn::open(rb.addr());
    for i in 0..5 {
        let r = conn
            .get("/big")
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(r.status, 200);
        assert_eq!(r.body.len(), 1_000_000, "request {i}");
        assert!(r.body.starts_with(b"hellohello"));
    }
    let out = curl(&["-o", "/dev/null", "-w", "%{size_download}", &rb.url("/")]);
    assert_eq!(out.assert_success("curl").stdout_text(), "1000000");
}

#[test]
fn ringbench_zero_byte_body_and_no_content() {
    let rb = Ringbench::start(&["--body-bytes", "0"]);
    let r = Conn::open(rb.addr()).get("/").expect("request");
    assert_eq!((r.status, r.header("content-length")), (200, Some("0")));
    assert!(r.body.is_empty());
    let rb = Ringbench::start(&["--status", "204", "--body-bytes", "100"]);
    let mut conn = Conn::open(rb.addr());
    for _ in 0..3 {
        let r = conn.get("/").expect("request");
        assert_eq!(r.status, 204);
        assert_eq!(r.header("content-length"), None);
    }
}

#[test]
fn ringbench_python_http_client_reuses_one_connection() {
    let rb = Ringbench::start(&["--body-bytes", "300"]);
    let script = r#"
import http.client, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
socks = set()
for i in range(500):
    method = "POST" if i % 3 == 0 else "GET"
    body = b"x" * (i % 50) if method == "POST" else None
    conn.request(method, "/py/%d" % i, body=body)
    r = conn.getresponse()
    data = r.read()
    assert r.status == 200, (i, r.status)
    assert len(data) == 300 and data.startswith(b"hello"), (i, len(data))
    socks.add(conn.sock.getsockname())
print(len(socks))
"#;
    let out = python(script, &[&rb.addr().port().to_string()]);
    out.assert_success("python http.client");
    assert_eq!(
        out.stdout_text().trim(),
        "1",
        "requests used several connections"
    );
}

#[test]
fn ringbench_many_requests_on_one_connection() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    for i in 0..20_000 {
        let r = conn
            .get(&format!("/n/{i}"))
            .unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"hello"[..]),
            "request {i}"
        );
    }
}

#[test]
fn ringbench_pipelined_requests_in_one_write_are_answered_in_order() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    // GET, HEAD, GET, ...: HEAD answers have no body, so a reordered or
    // merged answer breaks the framing of the ones after it.
    let mut batch = Vec::new();
    let methods: Vec<&str> = (0..200)
        .map(|i| if i % 3 == 1 { "HEAD" } else { "GET" })
        .collect();
    for (i, m) in methods.iter().enumerate() {
        batch.extend_from_slice(format!("{m} /p/{i} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
    }
    conn.send(&batch).expect("send pipeline");
    for (i, m) in methods.iter().enumerate() {
        let r = conn
            .read_response(m)
            .unwrap_or_else(|e| panic!("response {i} ({m}): {e}"));
        assert_eq!(r.status, 200, "response {i}");
        assert_eq!(r.header("content-length"), Some("5"), "response {i}");
        let want: &[u8] = if *m == "HEAD" { b"" } else { b"hello" };
        assert_eq!(r.body, want, "response {i} ({m})");
    }
    // The connection is still usable afterwards.
    assert_eq!(conn.get("/after").expect("after the pipeline").status, 200);
}

#[test]
fn ringbench_request_bodies_are_skipped() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    // Content-Length bodies, small and large; the body bytes look like a
    // request so a server that failed to skip them would answer twice.
    let fake = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    let r = conn.request("POST", "x", "/cl", &[], fake).expect("POST");
    assert_eq!(r.status, 200);
    let big = vec![b'b'; 3 * 1024 * 1024];
    let r = conn
        .request("PUT", "x", "/big", &[], &big)
        .expect("PUT 3 MiB");
    assert_eq!(r.status, 200);
    // Chunked, with extensions and a trailer, split into odd pieces.
    conn.send(
        b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhel",
    )
    .expect("send");
    std::thread::sleep(Duration::from_millis(50));
    conn.send(b"lo\r\n16\r\nGET /smuggled HTTP/1.1\r\n0\r\nTrailer: t\r\n\r\n")
        .expect("send");
    let r = conn.read_response("POST").expect("chunked response");
    assert_eq!(r.status, 200);
    // One more request on the same connection: framing stayed in sync, and
    // nothing extra (no answer to a "smuggled" request) is waiting.
    let r = conn.get("/next").expect("request after bodies");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
    assert!(conn.wire().buffered().is_empty(), "unexpected extra bytes");
    assert!(!conn.closed_within(Duration::from_millis(200)));
}

#[test]
fn ringbench_pipelined_requests_with_bodies() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    let mut batch = Vec::new();
    for i in 0..50 {
        if i % 2 == 0 {
            let body = "y".repeat(i * 7);
            batch.extend_from_slice(
                format!(
                    "POST /{i} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        } else {
            batch.extend_from_slice(
                format!("POST /{i} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
                    .as_bytes(),
            );
        }
    }
    conn.send(&batch).expect("send");
    for i in 0..50 {
        let r = conn
            .read_response("POST")
            .unwrap_or_else(|e| panic!("response {i}: {e}"));
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"hello"[..]),
            "response {i}"
        );
    }
}

#[test]
fn ringbench_expect_continue_gets_an_interim_response() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    conn.send(b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        .expect("send head");
    let interim = conn.read_response("POST").expect("100 Continue");
    assert_eq!(interim.status, 100);
    conn.send(b"body").expect("send body");
    let r = conn.read_response("POST").expect("final response");
    assert_eq!((r.status, r.body.as_slice()), (200, &b"hello"[..]));
    // curl sends Expect: 100-continue for large uploads.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("upload");
    std::fs::write(&file, vec![b'z'; 200_000]).expect("write upload");
    let data = format!("@{}", file.display());
    let out = curl(&[
        "-o",
        "-",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &data,
        &rb.url("/upload"),
    ]);
    assert_eq!(out.assert_success("curl upload").stdout_text(), "hello");
}

#[test]
fn ringbench_http10_closes_unless_asked_to_keep_alive() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    conn.send(b"GET / HTTP/1.0\r\n\r\n").expect("send");
    let r = conn.read_response("GET").expect("response");
    assert_eq!((r.status, r.header("connection")), (200, Some("close")));
    assert!(conn.closed_within(Duration::from_secs(2)));

    let mut conn = Conn::open(rb.addr());
    for _ in 0..3 {
        conn.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .expect("send");
        let r = conn.read_response("GET").expect("response");
        assert_eq!(r.header("connection"), Some("keep-alive"));
        assert_eq!(r.body, b"hello");
    }
    assert!(!conn.closed_within(Duration::from_millis(200)));
}

#[test]
fn ringbench_connection_close_is_honoured() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    let r = conn
        .request("GET", "x", "/", &[("Connection", "close")], b"")
        .expect("request");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(conn.closed_within(Duration::from_secs(2)));
}

#[test]
fn ringbench_malformed_requests_get_400_and_close() {
    let rb = Ringbench::start(&[]);
    let mut conn = Conn::open(rb.addr());
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nG@T / HTTP/1.1\r\n\r\n")
        .expect("send");
    assert_eq!(conn.read_response("GET").expect("first").status, 200);
    assert_eq!(conn.read_response("GET").expect("error").status, 400);
    assert!(conn.closed_within(Duration::from_secs(2)));
    // The server is fine afterwards.
    assert_eq!(
        Conn::open(rb.addr()).get("/").expect("new conn").status,
        200
    );
}

#[test]
fn ringbench_several_threads_serve_many_connections() {
    let rb = Ringbench::start(&["--threads", "2"]);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let addr = rb.addr();
            std::thread::spawn(move || {
                let mut conn = Conn::open(addr);
                for i in 0..500 {
                    let r = conn
                        .get("/")
                        .unwrap_or_else(|e| panic!("client {t} request {i}: {e}"));
                    assert_eq!(r.body, b"hello");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
}
