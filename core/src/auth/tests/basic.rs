//! Basic auth: htpasswd parsing, bcrypt checks and the per-shard cache.

use std::time::{Duration, Instant};

use base64::Engine as _;

use super::head;
use crate::auth::basic::{BasicAuth, Cache, Htpasswd};
use crate::auth::{AuthKind, RouteAuth};
use crate::status::Failure;

fn htpasswd() -> String {
    let alice = bcrypt::hash("wonderland", 4).unwrap();
    let bob = bcrypt::hash_with_result("builder", 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoB);
    format!("# users\nalice:{alice}\n\nbob:{bob}\n")
}

fn policy() -> RouteAuth {
    let kind = AuthKind::Basic(BasicAuth {
        users: Htpasswd::parse(&htpasswd()).unwrap(),
        realm: "staff".into(),
        forward_as: Some("x-user".into()),
    });
    RouteAuth::new(kind, vec!["x-user".into(), "authorization".into()], None)
}

fn basic(user: &str, password: &str) -> String {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("GET / HTTP/1.1\nHost: h\nAuthorization: Basic {token}\n\n")
}

fn check(
    auth: &RouteAuth,
    cache: &mut Cache,
    text: &str,
    now: Instant,
) -> Result<Vec<u8>, Failure> {
    let AuthKind::Basic(b) = &auth.kind else {
        unreachable!()
    };
    b.check(auth, &head(text), cache, now)
        .map(|g| g.headers)
        .map_err(|d| d.failure)
}

#[test]
fn htpasswd_parsing() {
    let users = Htpasswd::parse(&htpasswd()).unwrap();
    assert_eq!(users.len(), 2);
    let cases = [
        ("alice\n", "line 1: expected \"user:bcrypt-hash\""),
        (
            "alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n",
            "only bcrypt hashes",
        ),
        ("alice:$apr1$abc$def\n", "only bcrypt hashes"),
        ("alice:$2y$10$short\n", "invalid bcrypt hash"),
        ("\n# nobody\n", "holds no user"),
    ];
    for (text, want) in cases {
        let Err(error) = Htpasswd::parse(text) else {
            panic!("accepted {text:?}");
        };
        assert!(error.contains(want), "{text:?}: {error}");
    }
    let hash = bcrypt::hash("x", 4).unwrap();
    let twice = format!("a:{hash}\na:{hash}\n");
    assert!(Htpasswd::parse(&twice)
        .unwrap_err()
        .contains("line 2: user \"a\" is listed twice"));
}

#[test]
fn credentials_are_checked_and_cached() {
    let auth = policy();
    let mut cache = Cache::new([7; 16], Duration::from_secs(60), 2);
    let t0 = Instant::now();
    assert_eq!(
        check(&auth, &mut cache, &basic("alice", "wonderland"), t0),
        Ok(b"x-user: alice\r\n".to_vec())
    );
    assert_eq!(cache.len(), 1);
    assert_eq!(
        check(&auth, &mut cache, &basic("alice", "wonderland"), t0),
        Ok(b"x-user: alice\r\n".to_vec())
    );
    assert_eq!(cache.len(), 1, "a hit does not add an entry");
    assert_eq!(
        check(&auth, &mut cache, &basic("bob", "builder"), t0),
        Ok(b"x-user: bob\r\n".to_vec())
    );
    assert_eq!(
        check(&auth, &mut cache, &basic("alice", "wrong"), t0),
        Err(Failure::BadCredentials)
    );
    assert_eq!(
        check(&auth, &mut cache, &basic("carol", "x"), t0),
        Err(Failure::BadCredentials)
    );
    assert_eq!(cache.len(), 2, "failures are not cached");
    // Full: a third credential evicts, the cache stays bounded.
    let later = t0 + Duration::from_secs(61);
    assert_eq!(
        check(&auth, &mut cache, &basic("alice", "wonderland"), later),
        Ok(b"x-user: alice\r\n".to_vec())
    );
    assert!(cache.len() <= 2);
}

#[test]
fn missing_or_malformed_credentials() {
    let auth = policy();
    let mut cache = Cache::new([0; 16], Duration::from_secs(60), 8);
    let now = Instant::now();
    let AuthKind::Basic(b) = &auth.kind else {
        unreachable!()
    };
    let denial = b
        .check(&auth, &head("GET / HTTP/1.1\nHost: h\n\n"), &mut cache, now)
        .unwrap_err();
    assert_eq!(denial.failure, Failure::Unauthenticated);
    assert_eq!(
        denial.challenge.as_deref(),
        Some("Basic realm=\"staff\", charset=\"UTF-8\"")
    );
    for text in [
        "GET / HTTP/1.1\nHost: h\nAuthorization: Bearer abc\n\n",
        "GET / HTTP/1.1\nHost: h\nAuthorization: Basic\n\n",
    ] {
        assert_eq!(
            check(&auth, &mut cache, text, now),
            Err(Failure::Unauthenticated),
            "{text}"
        );
    }
    for text in [
        "GET / HTTP/1.1\nHost: h\nAuthorization: Basic !!!\n\n",
        "GET / HTTP/1.1\nHost: h\nAuthorization: Basic YWxpY2U=\n\n",
    ] {
        assert_eq!(
            check(&auth, &mut cache, text, now),
            Err(Failure::BadCredentials),
            "{text}"
        );
    }
    // The scheme is case-insensitive.
    let lower = basic("alice", "wonderland").replace("Basic", "basic");
    assert!(check(&auth, &mut cache, &lower, now).is_ok());
}
