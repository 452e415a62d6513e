//! Tests of the `access` and `cors` tables: accepted shapes and every
//! refusal named by its path.

use super::super::*;
use super::{errors, single_error, with_upstream, MINIMAL};

fn route(extra: &str) -> String {
    with_upstream(&format!("[[routes]]\nupstream = \"users\"\n{extra}\n"))
}

#[test]
fn access_and_cors_are_accepted() {
    let text = route(
        r#"access = { allow = ["10.0.0.0/8", "2001:db8::/32"], deny = ["10.1.2.3/32"], trusted_proxies = ["127.0.0.1/32"] }
cors = { allow_origins = ["https://app.example", "*.example.com"], allow_methods = ["GET", "PUT"], allow_headers = ["Content-Type"], expose_headers = ["X-Request-Id"], allow_credentials = true, max_age = "10m" }"#,
    );
    let config = load_str(&text).unwrap();
    let r = &config.routes[0];
    let access = r.access.as_deref().unwrap();
    assert!(access.check("10.9.9.9".parse().unwrap()).is_ok());
    assert!(access.check("10.1.2.3".parse().unwrap()).is_err());
    assert!(access
        .trusted_proxies
        .contains("127.0.0.1".parse().unwrap()));
    let cors = r.cors.as_deref().unwrap();
    assert!(cors.allows_origin(b"https://x.example.com"));
    assert!(!cors.allows_origin(b"https://evil.example"));
    let server = load_str(&format!(
        "{MINIMAL}access = {{ deny = [\"192.0.2.0/24\"] }}\n"
    ))
    .unwrap();
    assert!(server.server.access.is_some());
}

#[test]
fn access_errors_name_their_path() {
    let text = with_upstream(
        "[[routes]]\nupstream = \"users\"\n[[routes]]\nupstream = \"users\"\n[[routes]]\nupstream = \"users\"\naccess = { allow = [\"10.0.0.0/8\", \"10.0.0.0/33\"], deny = [\"10.1.2.3/8\"], trusted_proxies = [\"proxy.local\"] }\n",
    );
    let errors = errors(&text);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(
        errors[0].starts_with("routes[2].access.allow[1]: invalid CIDR \"10.0.0.0/33\""),
        "{errors:?}"
    );
    assert!(
        errors[1].starts_with("routes[2].access.deny[0]: ") && errors[1].contains("10.0.0.0/8"),
        "{errors:?}"
    );
    assert!(
        errors[2].starts_with("routes[2].access.trusted_proxies[0]: invalid CIDR"),
        "{errors:?}"
    );
    single_error(
        &route("access = { allow = [] }"),
        "routes[0].access.allow",
        "must not be empty",
    );
    single_error(
        &route("access = {}"),
        "routes[0].access",
        "set allow, deny or trusted_proxies",
    );
    single_error(
        &route("access = { alow = [\"127.0.0.1\"] }"),
        "routes[0].access.alow",
        "unknown field",
    );
    single_error(
        &format!("{MINIMAL}access = {{ allow = [\"x\"] }}\n"),
        "server.access.allow[0]",
        "invalid CIDR",
    );
}

#[test]
fn cors_errors_name_their_path() {
    single_error(
        &route(
            "cors = { allow_origins = [\"https://a.example\", \"*\"], allow_credentials = true }",
        ),
        "routes[0].cors.allow_origins[1]",
        "cannot be used with allow_credentials",
    );
    single_error(
        &route("cors = { allow_origins = [\"a.example\"] }"),
        "routes[0].cors.allow_origins[0]",
        "invalid origin",
    );
    single_error(
        &route("cors = { allow_origins = [] }"),
        "routes[0].cors.allow_origins",
        "must not be empty",
    );
    single_error(
        &route("cors = { allow_methods = [\"GET\"] }"),
        "routes[0].cors",
        "missing field `allow_origins`",
    );
    single_error(
        &route("cors = { allow_origins = [\"*\"], allow_methods = [\"get\"] }"),
        "routes[0].cors.allow_methods[0]",
        "uppercase",
    );
    single_error(
        &route("cors = { allow_origins = [\"*\"], allow_headers = [\"bad header\"] }"),
        "routes[0].cors.allow_headers[0]",
        "not a valid header name",
    );
    single_error(&route("cors = { allow_origins = [\"https://a.example\"], allow_headers = [\"*\"], allow_credentials = true }"), "routes[0].cors.allow_headers[0]", "cannot be used with allow_credentials");
    single_error(
        &route("cors = { allow_origins = [\"*\"], max_age = \"ten\" }"),
        "routes[0].cors.max_age",
        "",
    );
    single_error(
        &route("cors = { allow_origins = [\"*\"], credentials = true }"),
        "routes[0].cors.credentials",
        "unknown field",
    );
}
