//! API keys: the keys file, constant-time lookup, header and query keys.

use super::head;
use crate::auth::api_key::{ApiKeyAuth, KeyStore};
use crate::auth::{sha256_hex, without_param, AuthKind, RouteAuth};
use crate::status::Failure;

fn store() -> KeyStore {
    let text = format!(
        "# consumers\n\nalice:{}\nbob : {}\n",
        sha256_hex(b"alice-key"),
        sha256_hex(b"bob-key").to_uppercase()
    );
    KeyStore::parse(&text).expect("valid keys file")
}

#[test]
fn keys_file_lookup() {
    let keys = store();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys.lookup(b"alice-key"), Some("alice"));
    assert_eq!(keys.lookup(b"bob-key"), Some("bob"));
    assert_eq!(keys.lookup(b"alice-key "), None);
    assert_eq!(keys.lookup(b""), None);
    assert_eq!(keys.lookup(b"carol-key"), None);
}

#[test]
fn sha256_hex_matches_sha256sum() {
    // printf %s abc | sha256sum
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn keys_file_errors_name_the_line() {
    let hash = sha256_hex(b"k");
    let cases = [
        ("alice\n".to_owned(), "line 1: expected \"name:sha256-hex\""),
        (format!("# c\n:{hash}\n"), "line 2: the consumer name"),
        (
            "alice:abc\n".to_owned(),
            "line 1: \"abc\" is not 64 hex digits",
        ),
        (
            format!("a:{hash}\nb:{hash}\n"),
            "line 2: the same key digest",
        ),
        ("# only comments\n".to_owned(), "holds no key"),
    ];
    for (text, want) in cases {
        let Err(error) = KeyStore::parse(&text) else {
            panic!("accepted {text:?}");
        };
        assert!(error.contains(want), "{text:?}: {error}");
    }
}

fn policy(header: Option<&str>, query: Option<&str>, forward_credentials: bool) -> RouteAuth {
    let mut strip = vec!["x-consumer".to_owned()];
    if !forward_credentials {
        strip.extend(header.map(str::to_owned));
    }
    let kind = AuthKind::ApiKey(ApiKeyAuth {
        header: header.map(str::to_owned),
        query: query.map(str::to_owned),
        keys: store(),
        forward_as: Some("x-consumer".into()),
        realm: "api".into(),
    });
    let strip_query = query.filter(|_| !forward_credentials).map(str::to_owned);
    RouteAuth::new(kind, strip, strip_query)
}

/// The grant's headers and target, or the denial's failure and challenge.
type Outcome = Result<(Vec<u8>, Option<Vec<u8>>), (Failure, String)>;

fn check(auth: &RouteAuth, text: &str) -> Outcome {
    let AuthKind::ApiKey(api_key) = &auth.kind else {
        unreachable!()
    };
    api_key
        .check(auth, &head(text))
        .map(|g| (g.headers, g.target))
        .map_err(|d| (d.failure, d.challenge.unwrap_or_default()))
}

#[test]
fn header_and_query_keys() {
    let auth = policy(Some("x-api-key"), Some("api_key"), false);
    let (headers, target) =
        check(&auth, "GET /a HTTP/1.1\nHost: h\nX-API-Key: alice-key\n\n").unwrap();
    assert_eq!(headers, b"x-consumer: alice\r\n");
    assert_eq!(target, None);
    let (headers, target) = check(
        &auth,
        "GET /a?x=1&api_key=bob%2Dkey&y=2 HTTP/1.1\nHost: h\n\n",
    )
    .unwrap();
    assert_eq!(headers, b"x-consumer: bob\r\n");
    assert_eq!(target.as_deref(), Some(&b"/a?x=1&y=2"[..]));
    assert_eq!(
        check(&auth, "GET /a HTTP/1.1\nHost: h\n\n"),
        Err((Failure::Unauthenticated, "Key realm=\"api\"".into()))
    );
    assert_eq!(
        check(&auth, "GET /a?api_key=nope HTTP/1.1\nHost: h\n\n")
            .unwrap_err()
            .0,
        Failure::BadCredentials
    );
    assert_eq!(
        check(&auth, "GET /a?api_key=%zz HTTP/1.1\nHost: h\n\n")
            .unwrap_err()
            .0,
        Failure::Unauthenticated
    );
    // A header key wins over a query key; the query is still cleaned.
    let (headers, target) = check(
        &auth,
        "GET /a?api_key=bob-key HTTP/1.1\nHost: h\nx-api-key: alice-key\n\n",
    )
    .unwrap();
    assert_eq!(headers, b"x-consumer: alice\r\n");
    assert_eq!(target.as_deref(), Some(&b"/a"[..]));
}

#[test]
fn forward_credentials_keeps_the_query() {
    let auth = policy(None, Some("api_key"), true);
    let (_, target) = check(&auth, "GET /a?api_key=bob-key HTTP/1.1\nHost: h\n\n").unwrap();
    assert_eq!(target, None);
    assert_eq!(auth.strip, vec!["x-consumer".to_owned()]);
}

#[test]
fn query_parameter_removal() {
    let cases: [(&str, Option<&str>); 6] = [
        ("/p?k=1", Some("/p")),
        ("/p?a=1&k=1", Some("/p?a=1")),
        ("/p?k=1&a=1&k=2", Some("/p?a=1")),
        ("/p?kk=1", None),
        ("/p", None),
        ("/p?k", Some("/p")),
    ];
    for (target, want) in cases {
        let got = without_param(target.as_bytes(), "k");
        assert_eq!(got.as_deref(), want.map(str::as_bytes), "{target}");
    }
}
