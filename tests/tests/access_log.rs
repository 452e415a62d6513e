//! Access logs through the real binary: JSON lines with the request's
//! facts (byte counts checked against what a raw client sent and got),
//! request ids generated and forwarded, nginx combined lines, sampling,
//! periodic flushing and reopening on SIGUSR1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use ringgate_tests::auth::Files;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::wait_until;
use serde_json::Value;

fn start(o: &Origin, log: &str) -> Gateway {
    Gateway::builder()
        .server(log)
        .config(&format!(
            "{}\n[[routes]]\nname = \"api\"\npath_prefix = \"/api\"\nupstream = \"svc\"\n",
            upstream("svc", &[o.addr()], "")
        ))
        .start()
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn json_lines(path: &Path) -> Vec<Value> {
    lines(path)
        .iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Send `request` on a new connection and read the whole answer (the
/// request asks for `Connection: close`).
fn exchange(gw: &Gateway, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(gw.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    s.write_all(request).expect("write");
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("read");
    got
}

#[test]
fn json_lines_say_what_happened() {
    let o = Origin::echo("svc");
    let files = Files::new();
    let path = files.write("access.log", "");
    let mut gw = start(
        &o,
        &format!("access_log = {{ path = \"{path}\", flush_interval = \"100ms\" }}"),
    );

    let get = b"GET /api/users?id=7 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: raw/1\r\nReferer: http://r.test/\r\nConnection: close\r\n\r\n";
    let got_get = exchange(&gw, get);
    let post = b"POST /api/orders HTTP/1.1\r\nHost: example.test\r\nX-Request-Id: client-id-42\r\ntraceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world";
    let got_post = exchange(&gw, post);
    let missing = b"GET /nowhere HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n";
    let got_404 = exchange(&gw, missing);
    let bad = b"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    let got_400 = exchange(&gw, bad);

    let p = Path::new(&path);
    let flushed = wait_until(Duration::from_secs(5), || lines(p).len() >= 4);
    assert!(
        flushed,
        "4 lines were not flushed within 5s: {:?}",
        lines(p)
    );
    let log = json_lines(p);
    let by_status = |s: u64| {
        log.iter()
            .find(|l| l["status"] == s)
            .unwrap_or_else(|| panic!("no {s} line in {log:#?}"))
            .clone()
    };

    let requests = o.requests();
    let l = by_status(200);
    assert!(l["method"] == "GET" || l["method"] == "POST");
    let (l_get, l_post): (Vec<&Value>, Vec<&Value>) = log
        .iter()
        .filter(|l| l["status"] == 200)
        .partition(|l| l["method"] == "GET");
    let (l_get, l_post) = (l_get[0], l_post[0]);
    assert_eq!(l_get["path"], "/api/users?id=7");
    assert_eq!(l_get["route"], "api");
    assert_eq!(l_get["upstream"], "svc");
    assert_eq!(l_get["upstream_addr"], o.addr().to_string());
    assert_eq!(l_get["client"], "127.0.0.1");
    assert_eq!(l_get["protocol"], "HTTP/1.1");
    assert_eq!(l_get["tls"], "plain");
    assert_eq!(l_get["user_agent"], "raw/1");
    assert_eq!(l_get["referer"], "http://r.test/");
    assert_eq!(l_get["bytes_in"], get.len() as u64);
    assert_eq!(l_get["bytes_out"], got_get.len() as u64);
    assert!(l_get["upstream_time_ms"].as_f64().is_some_and(|t| t > 0.0));
    assert!(
        l_get["total_time_ms"].as_f64() >= l_get["upstream_time_ms"].as_f64(),
        "{l_get}"
    );
    // The generated id is 32 hex digits and is what the origin received.
    let id = l_get["request_id"].as_str().expect("request_id");
    assert!(
        id.len() == 32 && id.bytes().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
    let at_origin: Vec<&str> = requests
        .iter()
        .filter_map(|r| r.header("x-request-id"))
        .collect();
    assert!(
        at_origin.contains(&id),
        "origin saw {at_origin:?}, log says {id}"
    );

    // A valid received id is kept (and forwarded once, unchanged).
    assert_eq!(l_post["request_id"], "client-id-42");
    assert_eq!(l_post["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(l_post["bytes_in"], post.len() as u64);
    assert_eq!(l_post["bytes_out"], got_post.len() as u64);
    let posted = requests
        .iter()
        .find(|r| r.method == "POST")
        .expect("POST at origin");
    assert_eq!(posted.header_all("x-request-id"), vec!["client-id-42"]);

    let l = by_status(404);
    assert_eq!(l["route"], Value::Null);
    assert_eq!(l["upstream_addr"], Value::Null);
    assert_eq!(l["bytes_out"], got_404.len() as u64);
    let l = by_status(400);
    assert_eq!(l["method"], "-");
    assert_eq!(l["bytes_out"], got_400.len() as u64);

    gw.signal("TERM");
    assert!(gw.wait_exit(Duration::from_secs(10)).is_some());
}

#[test]
fn combined_format_like_nginx() {
    let o = Origin::echo("svc");
    let files = Files::new();
    let path = files.write("access.log", "");
    let mut gw = start(
        &o,
        &format!("access_log = {{ path = \"{path}\", format = \"combined\" }}"),
    );
    let req = b"GET /api/a%20b?q=\"x\" HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0 (X11)\r\nConnection: close\r\n\r\n";
    let got = exchange(&gw, req);
    // Exit flushes: the line is there after a clean stop.
    gw.signal("TERM");
    assert!(gw.wait_exit(Duration::from_secs(10)).is_some());
    let l = lines(Path::new(&path));
    assert_eq!(l.len(), 1, "{l:?}");
    let line = &l[0];
    // $remote_addr - $remote_user [$time_local] "$request" $status $bytes_sent "$http_referer" "$http_user_agent"
    let (addr, rest) = line.split_once(" - - [").expect(line);
    assert_eq!(addr, "127.0.0.1");
    let (time, rest) = rest.split_once("] ").expect(line);
    assert_eq!(time.len(), "10/Oct/2000:13:55:36 +0000".len(), "{time}");
    assert!(
        time.ends_with(" +0000") && time.as_bytes()[2] == b'/',
        "{time}"
    );
    assert_eq!(
        rest,
        format!(
            "\"GET /api/a%20b?q=\\x22x\\x22 HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0 (X11)\"",
            got.len()
        )
    );
}

#[test]
fn sampling_keeps_errors_and_a_share_of_the_rest() {
    let o = Origin::echo("svc");
    let files = Files::new();
    let path = files.write("access.log", "");
    let mut gw = start(
        &o,
        &format!("access_log = {{ path = \"{path}\", sample = 0.25 }}"),
    );
    let mut conn = ringgate_tests::client::Conn::open(gw.addr());
    for i in 0..400 {
        assert_eq!(conn.get(&format!("/api/{i}")).expect("get").status, 200);
    }
    for i in 0..20 {
        assert_eq!(conn.get(&format!("/none/{i}")).expect("get").status, 404);
    }
    drop(conn);
    gw.signal("TERM");
    assert!(gw.wait_exit(Duration::from_secs(10)).is_some());
    let log = json_lines(Path::new(&path));
    let ok = log.iter().filter(|l| l["status"] == 200).count();
    let missing = log.iter().filter(|l| l["status"] == 404).count();
    assert_eq!(missing, 20, "every 4xx is logged");
    // Binomial(400, 0.25): mean 100, sd ~8.7; 50..150 is beyond 5 sd.
    assert!((50..=150).contains(&ok), "{ok} of 400 sampled at 0.25");
}

#[test]
fn sigusr1_reopens_the_file() {
    let o = Origin::echo("svc");
    let files = Files::new();
    let path = files.write("access.log", "");
    let gw = start(
        &o,
        &format!("access_log = {{ path = \"{path}\", flush_interval = \"50ms\" }}"),
    );
    let p = Path::new(&path);
    let mut conn = ringgate_tests::client::Conn::open(gw.addr());
    assert_eq!(conn.get("/api/before").expect("get").status, 200);
    assert!(wait_until(Duration::from_secs(5), || lines(p).len() == 1));
    // What logrotate does: move the file away, then signal.
    let rotated = p.with_extension("log.1");
    std::fs::rename(p, &rotated).expect("rename");
    gw.signal("USR1");
    // The writer notices the flag within its 500ms poll; requests until then
    // may still land in the old file.
    let reopened = wait_until(Duration::from_secs(5), || {
        assert_eq!(conn.get("/api/after").expect("get").status, 200);
        std::thread::sleep(Duration::from_millis(100));
        p.exists() && !lines(p).is_empty()
    });
    assert!(reopened, "no new file after SIGUSR1");
    let old = json_lines(&rotated);
    assert_eq!(old[0]["path"], "/api/before");
    assert!(json_lines(p).iter().all(|l| l["path"] == "/api/after"));
}

#[test]
fn unwritable_log_path_stops_startup_naming_the_key() {
    let o = Origin::echo("svc");
    let files = Files::new();
    let config = files.write(
        "gw.toml",
        &format!(
            "[server]\nlisten = \"127.0.0.1:0\"\naccess_log = {{ path = \"/nonexistent-dir/a.log\" }}\n{}\n[[routes]]\nupstream = \"svc\"\n",
            upstream("svc", &[o.addr()], "")
        ),
    );
    let out = ringgate_tests::process::run(
        std::process::Command::new(ringgate_tests::gateway::binary()).args(["-c", &config]),
        Duration::from_secs(10),
    );
    assert!(!out.status.success());
    let err = out.stderr_text();
    assert!(
        err.contains("server.access_log.path") && err.contains("/nonexistent-dir/a.log"),
        "{err}"
    );
}
