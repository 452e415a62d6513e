//! 1 GiB through the gateway each way, byte-exact, in bounded memory.
//!
//! The client streams a deterministic pattern up to an origin that checks
//! every byte, and an origin streams it down to a client that checks every
//! byte; the gateway's peak RSS (VmHWM) must stay small, proving it streams
//! rather than buffers. The two tests share a lock so they run one at a time.

use std::time::{Duration, Instant};

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::pattern::{self, Verifier};
use ringgate_tests::wire::{self, Framing};

const GIB: u64 = 1 << 30;
const MAX_HWM_KIB: u64 = 64 * 1024;

/// One 1 GiB transfer at a time keeps CPU and memory modest in parallel runs.
/// A `Mutex` in test code is outside the gateway's no-locks rule.
#[allow(clippy::disallowed_types)]
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn gateway(o: &Origin) -> Gateway {
    Gateway::start(&format!(
        "{}\n[[routes]]\npath_prefix = \"/\"\nupstream = \"big\"\n",
        upstream("big", &[o.addr()], "response_timeout = \"60s\"")
    ))
}

fn assert_small_peak_rss(gw: &mut Gateway) {
    gw.assert_alive();
    let hwm = gw
        .proc_status_kib("VmHWM")
        .expect("VmHWM in /proc/PID/status");
    assert!(
        hwm < MAX_HWM_KIB,
        "gateway peak RSS {hwm} KiB >= {MAX_HWM_KIB} KiB: it buffers bodies"
    );
    eprintln!("gateway VmHWM: {hwm} KiB");
}

#[test]
fn upload_one_gib_byte_exact() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let o = Origin::echo("sink");
    let mut gw = gateway(&o);
    let started = Instant::now();
    let mut conn = Conn::open(gw.addr());
    conn.send(
        format!("POST /upload HTTP/1.1\r\nHost: big.test\r\nContent-Length: {GIB}\r\n\r\n")
            .as_bytes(),
    )
    .expect("send head");
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0u64;
    while off < GIB {
        let n = (GIB - off).min(buf.len() as u64) as usize;
        pattern::fill(off, &mut buf[..n]);
        if let Err(e) = conn.send(&buf[..n]) {
            let early = conn.read_response("POST").map(|r| (r.status, r.text()));
            panic!("upload write failed at byte {off}: {e}; gateway answered {early:?}");
        }
        off += n as u64;
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "upload too slow: {off} bytes in 120 s"
        );
    }
    conn.set_patience(Duration::from_secs(30));
    let r = conn
        .read_response("POST")
        .expect("response after the upload");
    assert_eq!(r.status, 200, "{}", r.text());
    let echo = r.json();
    assert_eq!(echo["body_len"], GIB, "origin received a different length");
    assert_eq!(
        echo["body_pattern_ok"], true,
        "origin received corrupted bytes"
    );
    eprintln!("1 GiB upload in {:?}", started.elapsed());
    assert_small_peak_rss(&mut gw);
}

#[test]
fn download_one_gib_byte_exact() {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let o = Origin::start("source", |req| {
        if req.path() == "/download" {
            Reply::Pattern { len: GIB }
        } else {
            Reply::echo("source", req)
        }
    });
    let mut gw = gateway(&o);
    let started = Instant::now();
    let mut conn = Conn::open(gw.addr());
    conn.send(b"GET /download HTTP/1.1\r\nHost: big.test\r\n\r\n")
        .expect("send request");
    let w = conn.wire();
    w.patience = Duration::from_secs(30);
    let head = w
        .read_head(1 << 20)
        .expect("read head")
        .expect("a response head");
    let (status, headers) = wire::parse_header_lines(&head).expect("parse head");
    assert!(status.starts_with("HTTP/1.1 200"), "status line {status:?}");
    let mut v = Verifier::new();
    match wire::framing(&headers, false).expect("framing") {
        Framing::Length(n) => {
            assert_eq!(n, GIB, "Content-Length");
            w.read_exact_to(n, &mut |d| v.update(d)).expect("read body");
        }
        Framing::Chunked => w
            .read_chunked_to(&mut |d| v.update(d))
            .expect("read chunked body"),
        other => panic!("unexpected framing {other:?}"),
    }
    assert_eq!(v.len(), GIB);
    assert!(
        v.ok(),
        "downloaded bytes differ from the origin's from offset {:?}",
        v.first_mismatch()
    );
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "download took {:?}",
        started.elapsed()
    );
    eprintln!("1 GiB download in {:?}", started.elapsed());
    assert_small_peak_rss(&mut gw);
    // The connection is still good for another request.
    w.patience = Duration::from_secs(10);
    let r = conn.get("/small").expect("request after the download");
    assert_eq!(r.status, 200);
}
