//! Routing: host (exact, wildcard), path (exact, prefix, regex), methods,
//! headers, first match wins, strip_prefix keeping the query, and the 404
//! for requests no route matches.

use ringgate_tests::client::{self, Conn, Response};
use ringgate_tests::gateway::{upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::process::curl;

struct Fixture {
    gw: Gateway,
    a: Origin,
    b: Origin,
    c: Origin,
    d: Origin,
}

fn fixture() -> Fixture {
    let (a, b, c, d) = (
        Origin::echo("a"),
        Origin::echo("b"),
        Origin::echo("c"),
        Origin::echo("d"),
    );
    let config = format!(
        r#"{}{}{}{}
[[routes]]
name = "host-exact"
host = "api.example.com"
path_prefix = "/svc"
upstream = "a"

[[routes]]
name = "host-wild"
host = "*.example.com"
path_prefix = "/svc"
upstream = "b"

[[routes]]
name = "path-exact"
path = "/exact"
upstream = "c"

[[routes]]
name = "path-regex"
path_regex = "^/u/[0-9]+$"
upstream = "d"

[[routes]]
name = "methods"
path_prefix = "/m"
methods = ["POST", "PUT"]
upstream = "a"

[[routes]]
name = "headers"
path_prefix = "/h"
headers = {{ "x-env" = "canary" }}
upstream = "b"

[[routes]]
name = "strip"
path_prefix = "/strip"
strip_prefix = true
upstream = "c"

[[routes]]
name = "first"
path_prefix = "/first"
upstream = "a"

[[routes]]
name = "second"
path_prefix = "/first/second"
upstream = "b"
"#,
        upstream("a", &[a.addr()], ""),
        upstream("b", &[b.addr()], ""),
        upstream("c", &[c.addr()], ""),
        upstream("d", &[d.addr()], ""),
    );
    let gw = Gateway::start(&config);
    Fixture { gw, a, b, c, d }
}

fn send(gw: &Gateway, method: &str, host: &str, target: &str, extra: &[(&str, &str)]) -> Response {
    let body: &[u8] = if method == "POST" || method == "PUT" {
        b"x"
    } else {
        b""
    };
    client::one_shot(gw.addr(), method, host, target, extra, body)
}

/// Asserts the request reached origin `want` with target `target_seen`.
fn assert_routed(r: &Response, want: &str, target_seen: &str, case: &str) {
    assert_eq!(r.status, 200, "{case}: status; body {:?}", r.text());
    assert_eq!(r.origin(), Some(want), "{case}: served by the wrong origin");
    let echo = r.json();
    assert_eq!(
        echo["target"], target_seen,
        "{case}: target seen by the origin"
    );
}

fn assert_no_route(r: &Response, case: &str) {
    assert_eq!(
        r.status,
        404,
        "{case}: expected 404, got {} from {:?}",
        r.status,
        r.origin()
    );
    assert!(
        r.origin().is_none(),
        "{case}: a 404 must come from the gateway, not an origin"
    );
}

#[test]
fn host_exact_and_wildcard() {
    let f = fixture();
    assert_routed(
        &send(&f.gw, "GET", "api.example.com", "/svc/x", &[]),
        "a",
        "/svc/x",
        "exact host",
    );
    assert_routed(
        &send(&f.gw, "GET", "shop.example.com", "/svc/x", &[]),
        "b",
        "/svc/x",
        "wildcard host",
    );
    assert_routed(
        &send(&f.gw, "GET", "a.b.example.com", "/svc", &[]),
        "b",
        "/svc",
        "wildcard, deeper host",
    );
    assert_no_route(
        &send(&f.gw, "GET", "example.org", "/svc/x", &[]),
        "other host",
    );
    // Host names are case-insensitive (RFC 9110 section 4.2.3).
    assert_routed(
        &send(&f.gw, "GET", "API.Example.COM", "/svc/y", &[]),
        "a",
        "/svc/y",
        "host case",
    );
    assert_eq!(f.d.request_count(), 0);
}

#[test]
fn path_exact_prefix_and_regex() {
    let f = fixture();
    assert_routed(
        &send(&f.gw, "GET", "x", "/exact", &[]),
        "c",
        "/exact",
        "exact path",
    );
    assert_routed(
        &send(&f.gw, "GET", "x", "/exact?q=1", &[]),
        "c",
        "/exact?q=1",
        "exact path with query",
    );
    assert_no_route(
        &send(&f.gw, "GET", "x", "/exact/more", &[]),
        "exact path is not a prefix",
    );
    assert_no_route(
        &send(&f.gw, "GET", "x", "/exactly", &[]),
        "exact path is not a string prefix",
    );
    assert_routed(
        &send(&f.gw, "GET", "x", "/u/12345", &[]),
        "d",
        "/u/12345",
        "regex",
    );
    assert_no_route(&send(&f.gw, "GET", "x", "/u/abc", &[]), "regex digits only");
    assert_no_route(&send(&f.gw, "GET", "x", "/u/1/x", &[]), "regex anchored");
    assert_routed(
        &send(&f.gw, "GET", "x", "/first/anything/deep", &[]),
        "a",
        "/first/anything/deep",
        "prefix",
    );
}

#[test]
fn methods_and_headers() {
    let f = fixture();
    assert_no_route(&send(&f.gw, "GET", "x", "/m", &[]), "GET not in methods");
    assert_routed(
        &send(&f.gw, "POST", "x", "/m", &[]),
        "a",
        "/m",
        "POST in methods",
    );
    assert_routed(
        &send(&f.gw, "PUT", "x", "/m/1", &[]),
        "a",
        "/m/1",
        "PUT in methods",
    );
    assert_no_route(&send(&f.gw, "GET", "x", "/h", &[]), "header missing");
    assert_no_route(
        &send(&f.gw, "GET", "x", "/h", &[("X-Env", "prod")]),
        "header value differs",
    );
    assert_routed(
        &send(&f.gw, "GET", "x", "/h", &[("X-Env", "canary")]),
        "b",
        "/h",
        "header matches",
    );
    assert_eq!(f.b.request_count(), 1);
}

#[test]
fn first_match_wins() {
    let f = fixture();
    // Both "first" and the more specific "second" match; file order decides.
    assert_routed(
        &send(&f.gw, "GET", "x", "/first/second/x", &[]),
        "a",
        "/first/second/x",
        "first match",
    );
    assert_eq!(f.b.request_count(), 0, "the later route must not be used");
    // A host route listed first wins over later path routes too.
    assert_routed(
        &send(&f.gw, "GET", "api.example.com", "/svc", &[]),
        "a",
        "/svc",
        "host route first",
    );
}

#[test]
fn strip_prefix_keeps_query() {
    let f = fixture();
    assert_routed(
        &send(&f.gw, "GET", "x", "/strip/foo/bar?x=1&y=two", &[]),
        "c",
        "/foo/bar?x=1&y=two",
        "strip",
    );
    assert_routed(
        &send(&f.gw, "GET", "x", "/strip/?q=1", &[]),
        "c",
        "/?q=1",
        "strip to root, slash kept",
    );
    // Stripping everything must still leave a valid origin-form target.
    assert_routed(
        &send(&f.gw, "GET", "x", "/strip?q=1", &[]),
        "c",
        "/?q=1",
        "strip to empty path",
    );
    assert_routed(
        &send(&f.gw, "GET", "x", "/strip", &[]),
        "c",
        "/",
        "strip whole path",
    );
    // The same with curl, a real client.
    let out = curl(&[&f.gw.url("/strip/with/curl?a=b")]);
    out.assert_success("curl");
    let echo: serde_json::Value = serde_json::from_slice(&out.stdout).expect("echo JSON from curl");
    assert_eq!(echo["target"], "/with/curl?a=b");
    assert_eq!(echo["origin"], "c");
}

#[test]
fn no_route_is_404_with_text_body() {
    let f = fixture();
    let r = send(&f.gw, "GET", "nowhere.test", "/nothing/here", &[]);
    assert_no_route(&r, "no route");
    let ct = r.header("content-type").unwrap_or("");
    assert!(ct.starts_with("text/plain"), "404 content-type {ct:?}");
    let body = r.text().to_ascii_lowercase();
    assert!(
        body.contains("route"),
        "404 body should name the reason (no route): {body:?}"
    );
    // curl sees the same.
    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &f.gw.url("/nothing"),
    ]);
    assert_eq!(out.stdout_text(), "404");
    for o in [&f.a, &f.b, &f.c, &f.d] {
        assert_eq!(
            o.request_count(),
            0,
            "origin {} must not see unrouted requests",
            o.name()
        );
    }
    // The connection that got the 404 can carry the next request.
    let mut conn = Conn::open(f.gw.addr());
    assert_eq!(conn.get("/nothing").expect("first").status, 404);
    assert_eq!(
        conn.get("/exact").expect("second, same connection").status,
        200
    );
}
