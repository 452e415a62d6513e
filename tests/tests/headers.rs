//! Header handling as the origin and the client see it: hop-by-hop headers
//! removed in both directions, Via added, X-Forwarded-* set, Host kept or
//! rewritten.

use ringgate_tests::client::Conn;
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::{Origin, Reply, Request};
use ringgate_tests::process::python;

const HOP_BY_HOP: [&str; 7] = [
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "x-drop-me",
    "x-also-drop",
];

fn setup() -> (Origin, Gateway) {
    let o = Origin::start("o", |req| {
        if req.path() == "/hop-response" {
            Reply::Full {
                status: 200,
                headers: vec![
                    ("Connection".into(), "X-Resp-Drop".into()),
                    ("X-Resp-Drop".into(), "1".into()),
                    ("Keep-Alive".into(), "timeout=5".into()),
                    ("Proxy-Connection".into(), "keep-alive".into()),
                    ("Upgrade".into(), "foo/2".into()),
                    ("X-Resp-Keep".into(), "yes".into()),
                    ("Via".into(), "1.1 upstream-cache".into()),
                ],
                body: b"ok".to_vec(),
            }
        } else {
            Reply::echo("o", req)
        }
    });
    let gw = Gateway::start(&format!(
        r#"{}
[[routes]]
path_prefix = "/rw"
host_rewrite = "users.internal"
upstream = "o"

[[routes]]
path_prefix = "/"
upstream = "o"
"#,
        upstream("o", &[o.addr()], "")
    ));
    (o, gw)
}

fn joined(req: &Request, name: &str) -> String {
    req.header_all(name).join(", ")
}

#[test]
fn hop_by_hop_request_headers_are_removed() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request(
            "GET",
            "front.example",
            "/hop",
            &[
                ("Connection", "keep-alive, X-Drop-Me, x-also-drop"),
                ("X-Drop-Me", "1"),
                ("X-Also-Drop", "2"),
                ("Keep-Alive", "timeout=5"),
                ("Proxy-Connection", "keep-alive"),
                ("TE", "trailers"),
                ("Trailer", "X-Checksum"),
                ("Upgrade", "foo/2"),
                ("X-Keep-Me", "kept"),
            ],
            b"",
        )
        .expect("request");
    assert_eq!(r.status, 200);
    let req = o.last_request();
    for name in HOP_BY_HOP {
        assert!(
            req.header(name).is_none(),
            "origin saw hop-by-hop header {name}: {:?}",
            req.headers
        );
    }
    let conn_hdr = joined(&req, "connection").to_ascii_lowercase();
    assert!(
        !conn_hdr.contains("drop"),
        "Connection forwarded with the client's tokens: {conn_hdr:?}"
    );
    assert_eq!(req.header("x-keep-me"), Some("kept"));
}

#[test]
fn forwarded_headers_and_via() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request(
            "GET",
            "front.example",
            "/fwd",
            &[("X-Forwarded-For", "203.0.113.7"), ("Via", "1.0 fred")],
            b"",
        )
        .expect("request");
    assert_eq!(r.status, 200);
    let req = o.last_request();
    assert_eq!(
        req.header("host"),
        Some("front.example"),
        "Host must be forwarded unchanged"
    );
    let xff: Vec<String> = joined(&req, "x-forwarded-for")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    assert_eq!(
        xff,
        ["203.0.113.7", "127.0.0.1"],
        "X-Forwarded-For must be appended to"
    );
    assert_eq!(req.header("x-forwarded-proto"), Some("http"));
    assert_eq!(req.header("x-forwarded-host"), Some("front.example"));
    let via = joined(&req, "via");
    assert!(via.contains("1.1 ringgate"), "request Via {via:?}");
    assert!(
        via.contains("1.0 fred"),
        "the client's Via must be kept: {via:?}"
    );

    // A client that sent no X-Forwarded-For gets one with just its address.
    let r = conn
        .request("GET", "front.example", "/fwd2", &[], b"")
        .expect("request");
    assert_eq!(r.status, 200);
    assert_eq!(
        o.last_request().header_all("x-forwarded-for"),
        ["127.0.0.1"]
    );
}

#[test]
fn host_rewrite() {
    let (o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request("GET", "front.example", "/rw/x", &[], b"")
        .expect("request");
    assert_eq!(r.status, 200);
    let req = o.last_request();
    assert_eq!(req.target, "/rw/x");
    assert_eq!(req.header_all("host"), ["users.internal"]);
    assert_eq!(req.header("x-forwarded-host"), Some("front.example"));
}

#[test]
fn hop_by_hop_response_headers_are_removed() {
    let (_o, gw) = setup();
    let mut conn = Conn::open(gw.addr());
    let r = conn
        .request("GET", "front.example", "/hop-response", &[], b"")
        .expect("request");
    assert_eq!(r.status, 200);
    for name in ["x-resp-drop", "keep-alive", "proxy-connection", "upgrade"] {
        assert!(
            r.header(name).is_none(),
            "client saw hop-by-hop response header {name}: {:?}",
            r.headers
        );
    }
    assert_eq!(r.header("x-resp-keep"), Some("yes"));
    let via = r.header_all("via").join(", ");
    assert!(via.contains("1.1 ringgate"), "response Via {via:?}");
    assert!(
        via.contains("1.1 upstream-cache"),
        "the origin's Via must be kept: {via:?}"
    );
    // Still keep-alive.
    assert_eq!(
        conn.request("GET", "front.example", "/again", &[], b"")
            .expect("again")
            .status,
        200
    );
}

#[test]
fn python_client_sees_via() {
    let (o, gw) = setup();
    let script = r#"
import http.client, json, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
conn.request("GET", "/py", headers={"Host": "py.example"})
r = conn.getresponse()
echo = json.loads(r.read())
print(r.status, r.getheader("Via"))
"#;
    let out = python(script, &[&gw.addr().port().to_string()]);
    out.assert_success("python");
    let line = out.stdout_text();
    assert!(
        line.starts_with("200 ") && line.contains("ringgate"),
        "python saw {line:?}"
    );
    assert_eq!(
        o.last_request().header("x-forwarded-host"),
        Some("py.example")
    );
}
