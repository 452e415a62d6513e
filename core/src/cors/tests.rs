//! Unit tests of origin rules and the answer lines for preflights and
//! actual requests.

use bytes::BytesMut;

use super::{is_preflight, Cors, CorsSettings, OriginRule, Preflight};
use crate::http1::{HeadReader, Limits, RequestHead};

fn head(lines: &str) -> RequestHead {
    let mut buf = BytesMut::from(format!("{}\r\n\r\n", lines.replace('\n', "\r\n")).as_str());
    HeadReader::default()
        .read_request(&mut buf, &Limits::default())
        .unwrap()
        .unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}

fn cors(origins: &[&str], credentials: bool) -> Cors {
    let mut settings = CorsSettings {
        methods: vec!["GET".into(), "PUT".into()],
        headers: vec!["content-type".into(), "x-trace".into()],
        expose: vec!["x-request-id".into()],
        credentials,
        max_age: Some(600),
        ..CorsSettings::default()
    };
    for o in origins {
        match OriginRule::parse(o).unwrap() {
            Some(rule) => settings.origins.push(rule),
            None => settings.any_origin = true,
        }
    }
    Cors::new(settings)
}

#[test]
fn origin_rules_parse() {
    for good in [
        "*",
        "https://app.example",
        "http://localhost:3000",
        "https://[::1]:8443",
        "*.example.com",
        "https://*.example.com",
    ] {
        assert!(OriginRule::parse(good).is_ok(), "{good}");
    }
    for bad in [
        "app.example",
        "ftp://a.example",
        "https://a.example/path",
        "https://a.example:",
        "https://a.example:x",
        "*",
        "https://*.",
        "https://[zz]",
    ] {
        if bad == "*" {
            continue;
        }
        assert!(OriginRule::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn origin_matching() {
    let c = cors(
        &["https://app.example", "*.example.com", "http://*.dev.test"],
        false,
    );
    assert!(c.allows_origin(b"https://app.example"));
    assert!(c.allows_origin(b"HTTPS://APP.EXAMPLE"));
    assert!(!c.allows_origin(b"https://app.example:444"));
    assert!(!c.allows_origin(b"https://evil.example"));
    assert!(c.allows_origin(b"https://a.example.com"));
    assert!(c.allows_origin(b"http://a.b.example.com:8080"));
    assert!(!c.allows_origin(b"https://example.com"));
    assert!(!c.allows_origin(b"https://badexample.com"));
    assert!(c.allows_origin(b"http://x.dev.test"));
    assert!(!c.allows_origin(b"https://x.dev.test"));
    assert!(!c.allows_origin(b"null"));
}

#[test]
fn preflight_allowed_and_refused() {
    let c = cors(&["https://app.example"], true);
    let h = head("OPTIONS /x HTTP/1.1\nHost: a\nOrigin: https://app.example\nAccess-Control-Request-Method: PUT\nAccess-Control-Request-Headers: X-Trace, content-type");
    assert!(is_preflight(&h));
    let mut out = Vec::new();
    assert_eq!(c.preflight(&h, &mut out), Preflight::Allowed);
    assert_eq!(
        text(&out),
        "Access-Control-Allow-Origin: https://app.example\r\nAccess-Control-Allow-Credentials: true\r\nAccess-Control-Allow-Methods: GET, PUT\r\nAccess-Control-Allow-Headers: content-type, x-trace\r\nAccess-Control-Max-Age: 600\r\nVary: Origin\r\n"
    );
    for (lines, why) in [
        ("Origin: https://evil.example\nAccess-Control-Request-Method: GET", "origin not allowed"),
        ("Origin: https://app.example\nAccess-Control-Request-Method: DELETE", "method not allowed"),
        ("Origin: https://app.example\nAccess-Control-Request-Method: GET\nAccess-Control-Request-Headers: x-secret", "header not allowed"),
    ] {
        let h = head(&format!("OPTIONS /x HTTP/1.1\nHost: a\n{lines}"));
        let mut out = Vec::new();
        assert_eq!(c.preflight(&h, &mut out), Preflight::Refused(why));
        assert_eq!(text(&out), "Vary: Origin\r\n");
    }
    let plain = head("OPTIONS /x HTTP/1.1\nHost: a\nOrigin: https://app.example");
    assert!(!is_preflight(&plain));
}

#[test]
fn actual_responses() {
    let star = cors(&["*"], false);
    let h = head("GET / HTTP/1.1\nHost: a\nOrigin: https://any.example");
    let mut out = Vec::new();
    star.actual(&h, &mut out);
    assert_eq!(text(&out), "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: x-request-id\r\nVary: Origin\r\n");

    let creds = cors(&["https://app.example"], true);
    let mut out = Vec::new();
    creds.actual(
        &head("GET / HTTP/1.1\nHost: a\nOrigin: https://app.example"),
        &mut out,
    );
    assert_eq!(text(&out), "Access-Control-Allow-Origin: https://app.example\r\nAccess-Control-Allow-Credentials: true\r\nAccess-Control-Expose-Headers: x-request-id\r\nVary: Origin\r\n");

    for lines in ["Origin: https://evil.example", "X-No-Origin: 1"] {
        let mut out = Vec::new();
        creds.actual(
            &head(&format!("GET / HTTP/1.1\nHost: a\n{lines}")),
            &mut out,
        );
        assert_eq!(text(&out), "Vary: Origin\r\n");
    }
}
