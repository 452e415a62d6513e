//! CORS end to end with curl: preflights answered by the gateway (never
//! forwarded, before authentication, after the IP check), allowed and
//! refused origins, methods and headers, the origin echoed with
//! credentials, `*` without, `Vary: Origin`, the fields on actual
//! responses and on the gateway's own refusals, and bad `cors` tables refused by `ringgate check` with paths.

use std::process::Command;
use std::time::Duration;

use ringgate_tests::auth::{curl_i, sha256sum, Files};
use ringgate_tests::gateway::{binary, upstream, Gateway};
use ringgate_tests::origin::Origin;
use ringgate_tests::process::run;

fn setup(files: &Files) -> (Origin, Gateway) {
    let keys = files.write("keys.txt", &format!("app:{}\n", sha256sum("app-key")));
    let o = Origin::echo("o");
    let gw = Gateway::start(&format!(
        r#"{}
[[routes]]
name = "api"
path_prefix = "/api"
upstream = "o"
auth = {{ api_key = {{ keys_file = "{keys}" }} }}
cors = {{ allow_origins = ["https://app.example", "*.example.com"], allow_methods = ["GET", "PUT", "DELETE"], allow_headers = ["Content-Type", "X-Api-Key"], expose_headers = ["X-Request-Id"], allow_credentials = true, max_age = "10m" }}

[[routes]]
name = "public"
path_prefix = "/public"
upstream = "o"
cors = {{ allow_origins = ["*"] }}

[[routes]]
name = "walled"
path_prefix = "/walled"
upstream = "o"
access = {{ deny = ["127.0.0.0/8"] }}
cors = {{ allow_origins = ["*"] }}
"#,
        upstream("o", &[o.addr()], "")
    ));
    (o, gw)
}

fn preflight(
    gw: &Gateway,
    path: &str,
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> (u16, String) {
    let mut args = vec![
        "-X".to_owned(),
        "OPTIONS".to_owned(),
        "-H".to_owned(),
        format!("Origin: {origin}"),
        "-H".to_owned(),
        format!("Access-Control-Request-Method: {method}"),
    ];
    if let Some(h) = headers {
        args.push("-H".to_owned());
        args.push(format!("Access-Control-Request-Headers: {h}"));
    }
    args.push(gw.url(path));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, head, body) = curl_i(&refs);
    if status == 204 {
        assert_eq!(body, "", "a preflight answer has no body");
    }
    (status, head)
}

fn has(head: &str, line: &str) -> bool {
    head.lines().any(|l| l.eq_ignore_ascii_case(line))
}

fn has_name(head: &str, name: &str) -> bool {
    head.lines().any(|l| {
        l.split(':')
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

#[test]
fn preflight_is_answered_at_the_edge_before_auth() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    let (status, head) = preflight(
        &gw,
        "/api/items",
        "https://app.example",
        "PUT",
        Some("content-type, x-api-key"),
    );
    assert_eq!(status, 204, "{head}");
    for line in [
        "Access-Control-Allow-Origin: https://app.example",
        "Access-Control-Allow-Credentials: true",
        "Access-Control-Allow-Methods: GET, PUT, DELETE",
        "Access-Control-Allow-Headers: content-type, x-api-key",
        "Access-Control-Max-Age: 600",
        "Vary: Origin",
    ] {
        assert!(has(&head, line), "missing {line:?} in\n{head}");
    }
    let (status, head) = preflight(
        &gw,
        "/api/items",
        "https://shop.example.com",
        "DELETE",
        None,
    );
    assert_eq!(status, 204);
    assert!(
        has(
            &head,
            "Access-Control-Allow-Origin: https://shop.example.com"
        ),
        "{head}"
    );
    assert_eq!(o.request_count(), 0, "a preflight reached the origin");
    // The actual request still needs its key; the 401 carries the CORS
    // fields so the page's script can read it.
    let (status, head, _) = curl_i(&["-H", "Origin: https://app.example", &gw.url("/api/items")]);
    assert_eq!(status, 401);
    assert!(
        has(&head, "Access-Control-Allow-Origin: https://app.example"),
        "{head}"
    );
    assert!(has(&head, "Vary: Origin"), "{head}");
    // A plain OPTIONS (no Access-Control-Request-Method) is not a preflight.
    let (status, _, _) = curl_i(&[
        "-X",
        "OPTIONS",
        "-H",
        "X-Api-Key: app-key",
        "-H",
        "Origin: https://app.example",
        &gw.url("/api/items"),
    ]);
    assert_eq!(status, 200);
    assert_eq!(o.last_request().method, "OPTIONS");
}

#[test]
fn refused_preflights_carry_no_allow_fields() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    for (origin, method, headers) in [
        ("https://evil.example", "GET", None),
        ("https://example.com", "GET", None),
        ("http://app.example", "GET", None),
        ("https://app.example", "PATCH", None),
        ("https://app.example", "PUT", Some("x-secret")),
    ] {
        let (status, head) = preflight(&gw, "/api/items", origin, method, headers);
        assert_eq!(status, 204, "{origin} {method}");
        assert!(has(&head, "Vary: Origin"), "{head}");
        for name in [
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Methods",
            "Access-Control-Allow-Credentials",
        ] {
            assert!(
                !has_name(&head, name),
                "{origin} {method} {headers:?}: {name} in\n{head}"
            );
        }
    }
    assert_eq!(o.request_count(), 0);
    assert!(
        gw.stderr().contains("CORS preflight refused"),
        "{}",
        gw.stderr()
    );
}

#[test]
fn actual_responses_get_cors_fields() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    let (status, head, _) = curl_i(&[
        "-H",
        "X-Api-Key: app-key",
        "-H",
        "Origin: https://app.example",
        &gw.url("/api/items"),
    ]);
    assert_eq!(status, 200, "{head}");
    for line in [
        "Access-Control-Allow-Origin: https://app.example",
        "Access-Control-Allow-Credentials: true",
        "Access-Control-Expose-Headers: X-Request-Id",
        "Vary: Origin",
    ] {
        assert!(has(&head, line), "missing {line:?} in\n{head}");
    }
    let (status, head, _) = curl_i(&[
        "-H",
        "X-Api-Key: app-key",
        "-H",
        "Origin: https://evil.example",
        &gw.url("/api/items"),
    ]);
    assert_eq!(status, 200);
    assert!(!has_name(&head, "Access-Control-Allow-Origin"), "{head}");
    assert!(has(&head, "Vary: Origin"), "{head}");

    let (status, head, _) = curl_i(&["-H", "Origin: https://anyone.example", &gw.url("/public/x")]);
    assert_eq!(status, 200);
    assert!(has(&head, "Access-Control-Allow-Origin: *"), "{head}");
    assert!(
        !has_name(&head, "Access-Control-Allow-Credentials"),
        "{head}"
    );
    let (status, head) = preflight(&gw, "/public/x", "https://anyone.example", "GET", None);
    assert_eq!(status, 204);
    assert!(has(&head, "Access-Control-Allow-Origin: *"), "{head}");
    assert_eq!(o.request_count(), 3);
}

#[test]
fn the_ip_check_comes_before_the_preflight() {
    let files = Files::new();
    let (o, gw) = setup(&files);
    let (status, head) = preflight(&gw, "/walled/x", "https://a.example", "GET", None);
    assert_eq!(status, 403, "{head}");
    assert!(!has_name(&head, "Access-Control-Allow-Origin"), "{head}");
    assert_eq!(o.request_count(), 0);
}

#[test]
fn bad_cors_and_access_tables_are_refused_with_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ringgate.toml");
    std::fs::write(
        &path,
        r#"[server]
listen = "127.0.0.1:0"

[upstreams.o]
targets = ["127.0.0.1:9"]

[[routes]]
upstream = "o"

[[routes]]
upstream = "o"
cors = { allow_origins = ["https://a.example", "*"], allow_credentials = true, allow_methods = ["get"] }

[[routes]]
upstream = "o"
access = { allow = ["10.0.0.0/8", "10.0.0.1/8"], trusted_proxies = ["proxy"] }
"#,
    )
    .expect("write config");
    let out = run(
        Command::new(binary()).args(["check", "--config", &path.display().to_string()]),
        Duration::from_secs(10),
    );
    assert!(!out.status.success(), "check accepted a bad file");
    let text = format!("{}{}", out.stdout_text(), out.stderr_text());
    for needle in [
        "routes[1].cors.allow_origins[1]: \"*\" cannot be used with allow_credentials",
        "routes[1].cors.allow_methods[0]: \"get\" is not an uppercase method token",
        "routes[2].access.allow[1]: invalid CIDR \"10.0.0.1/8\"",
        "routes[2].access.trusted_proxies[0]: invalid CIDR \"proxy\"",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
}
