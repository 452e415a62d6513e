//! Table-driven tests of route matching and prefix stripping.

use std::borrow::Cow;

use super::*;
use crate::config::load_str;

const ROUTES: &str = r#"
[server]
listen = "127.0.0.1:0"

[upstreams.u]
targets = ["127.0.0.1:1"]

[[routes]]
name = "health"
path = "/health"
upstream = "u"

[[routes]]
name = "users-write"
host = "api.example.com"
path_prefix = "/users"
methods = ["POST", "PUT"]
upstream = "u"

[[routes]]
name = "users"
host = "API.example.com"
path_prefix = "/users"
upstream = "u"

[[routes]]
name = "static"
path_prefix = "/static/"
upstream = "u"

[[routes]]
name = "tenant"
host = "*.tenants.example.com"
headers = { "X-Tenant" = "acme", "x-plan" = "gold" }
upstream = "u"

[[routes]]
name = "wild"
host = "*.tenants.example.com"
path_regex = "/v[0-9]+/.*"
upstream = "u"

[[routes]]
name = "v6"
host = "[::1]"
upstream = "u"

[[routes]]
name = "fallback-get"
methods = ["GET"]
path_prefix = "/"
upstream = "u"
"#;

fn find(
    router: &Router,
    names: &[String],
    method: &str,
    host: Option<&str>,
    path: &str,
    headers: &[(&str, &str)],
) -> Option<String> {
    router
        .find(
            method.as_bytes(),
            host.map(str::as_bytes),
            path.as_bytes(),
            &headers,
        )
        .map(|i| names[i].clone())
}

/// (method, host, path, headers, expected route name)
type Case = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
);

#[test]
fn first_matching_route_wins() {
    let config = load_str(ROUTES).unwrap();
    let names: Vec<String> = config.routes.iter().map(|r| r.name.clone()).collect();
    let router = Router::new(&config.routes);
    assert_eq!(router.len(), 8);

    let gold: &[(&str, &str)] = &[("x-tenant", "acme"), ("X-Plan", "gold")];
    let cases: &[Case] = &[
        // Exact paths, any host and method.
        ("GET", None, "/health", &[], Some("health")),
        ("DELETE", Some("x"), "/health", &[], Some("health")),
        ("DELETE", Some("x"), "/health/", &[], None),
        ("DELETE", Some("x"), "/healthz", &[], None),
        // Methods are case-sensitive; the first listed route that matches wins.
        (
            "POST",
            Some("api.example.com"),
            "/users",
            &[],
            Some("users-write"),
        ),
        (
            "post",
            Some("api.example.com"),
            "/users",
            &[],
            Some("users"),
        ),
        ("GET", Some("api.example.com"), "/users", &[], Some("users")),
        // Host: case-insensitive, port and trailing dot ignored.
        (
            "GET",
            Some("API.Example.Com:8080"),
            "/users/42",
            &[],
            Some("users"),
        ),
        (
            "GET",
            Some("api.example.com."),
            "/users/",
            &[],
            Some("users"),
        ),
        ("DELETE", Some("other.example.com"), "/users", &[], None),
        ("DELETE", None, "/users", &[], None),
        // Prefix on a segment boundary unless the prefix ends in '/'.
        ("DELETE", Some("api.example.com"), "/usersfoo", &[], None),
        (
            "GET",
            Some("api.example.com"),
            "/usersfoo",
            &[],
            Some("fallback-get"),
        ),
        ("DELETE", None, "/static/app.js", &[], Some("static")),
        ("DELETE", None, "/static/", &[], Some("static")),
        ("DELETE", None, "/static", &[], None),
        ("DELETE", None, "/staticfoo", &[], None),
        // Wildcard hosts need at least one more label; headers must all match.
        (
            "DELETE",
            Some("a.tenants.example.com"),
            "/x",
            gold,
            Some("tenant"),
        ),
        (
            "DELETE",
            Some("a.b.tenants.example.com:443"),
            "/x",
            gold,
            Some("tenant"),
        ),
        ("DELETE", Some("tenants.example.com"), "/x", gold, None),
        ("DELETE", Some("xtenants.example.com"), "/x", gold, None),
        (
            "DELETE",
            Some("a.tenants.example.com"),
            "/x",
            &[("x-tenant", "acme")],
            None,
        ),
        (
            "DELETE",
            Some("a.tenants.example.com"),
            "/x",
            &[("x-tenant", "ACME"), ("x-plan", "gold")],
            None,
        ),
        // Regexes match the whole path.
        (
            "DELETE",
            Some("a.tenants.example.com"),
            "/v2/things",
            &[],
            Some("wild"),
        ),
        (
            "DELETE",
            Some("a.tenants.example.com"),
            "/api/v2/things",
            &[],
            None,
        ),
        (
            "DELETE",
            Some("a.tenants.example.com"),
            "/vx/things",
            &[],
            None,
        ),
        // IPv6 literal hosts keep their brackets, lose their port.
        ("DELETE", Some("[::1]:8080"), "/", &[], Some("v6")),
        ("DELETE", Some("[::1]"), "/", &[], Some("v6")),
        // Catch-all GET.
        ("GET", None, "/", &[], Some("fallback-get")),
        ("HEAD", None, "/", &[], None),
    ];
    for (method, host, path, headers, want) in cases {
        assert_eq!(
            find(&router, &names, method, *host, path, headers).as_deref(),
            *want,
            "{method} host={host:?} {path} {headers:?}"
        );
    }
}

#[test]
fn non_utf8_paths_do_not_match_regex_routes() {
    let config = load_str(ROUTES).unwrap();
    let router = Router::new(&config.routes);
    assert_eq!(
        router.find(b"DELETE", Some(b"a.tenants.example.com"), b"/v1/\xff", &()),
        None
    );
}

#[test]
fn no_routes_match_nothing() {
    let router = Router::new(&[]);
    assert!(router.is_empty());
    assert_eq!(router.find(b"GET", Some(b"a"), b"/", &()), None);
}

#[test]
fn router_is_shareable_across_shards() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Router>();
}

#[test]
fn strip_prefix_cases() {
    let cases: &[(&str, &str, &str, bool)] = &[
        // (target, prefix, expected, borrowed)
        ("/users/42", "/users", "/42", true),
        ("/users/42?x=1", "/users", "/42?x=1", true),
        ("/users", "/users", "/", true),
        ("/users/", "/users", "/", true),
        ("/users?page=2", "/users", "/?page=2", false),
        ("/static/app.js", "/static/", "/app.js", true),
        ("/static/", "/static/", "/", true),
        ("/anything", "/", "/anything", true),
        ("/usersfoo", "/users", "/usersfoo", true),
        ("/other", "/users", "/other", true),
        ("/a?/users", "/users", "/a?/users", true),
    ];
    for (target, prefix, want, borrowed) in cases {
        let got = strip_prefix(target.as_bytes(), prefix);
        assert_eq!(&*got, want.as_bytes(), "{target} - {prefix}");
        assert_eq!(
            matches!(got, Cow::Borrowed(_)),
            *borrowed,
            "{target} - {prefix}"
        );
    }
}
