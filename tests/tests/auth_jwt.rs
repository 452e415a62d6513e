//! JWT authentication end to end: a JWKS served by a test origin and
//! refreshed every 200 ms (key rotation picked up within a bounded wait), a
//! PEM `keys_file` route, RFC 6750 challenges, claims forwarded as headers,
//! an `https://` JWKS from nginx with TLS verified against its CA.
//! Tokens are signed and JWKs written by PyJWT from openssl-made keys.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ringgate_tests::auth::{
    assert_identity, fixture, jwk, jwks, now, sign, start_behind, unsigned, Files,
};
use ringgate_tests::client::{one_shot, Response};
use ringgate_tests::gateway::Gateway;
use ringgate_tests::origin::{Origin, Reply};
use ringgate_tests::process::run;
use ringgate_tests::tls::{Pki, TlsNginx};
use ringgate_tests::{free_addr, wait_until};
use serde_json::json;

/// A JWKS server whose key set is `sets[current]`.
fn jwks_server(sets: Vec<String>, current: Arc<AtomicUsize>) -> Origin {
    Origin::start("jwks", move |_req| Reply::Full {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: sets[current.load(Ordering::SeqCst).min(sets.len() - 1)]
            .clone()
            .into_bytes(),
    })
}

fn bearer(gw: &Gateway, target: &str, token: &str) -> Response {
    let auth = format!("Bearer {token}");
    one_shot(
        gw.addr(),
        "GET",
        "localhost",
        target,
        &[("Authorization", &auth), ("X-User", "spoofed")],
        b"",
    )
}

/// The JWK of test key `rsa{n}` (kid `rsa-{n}`).
fn rsa(n: u8) -> String {
    jwk(&format!("rsa{n}.pub.pem"), &format!("rsa-{n}"), "RS256")
}

fn claims(sub: &str) -> serde_json::Value {
    json!({ "sub": sub, "iss": "https://idp.test", "aud": "api", "exp": now() + 300, "tenant": 7 })
}

#[test]
fn jwks_tokens_challenges_and_rotation() {
    let current = Arc::new(AtomicUsize::new(0));
    let keys = jwks_server(vec![jwks(&[rsa(1)]), jwks(&[rsa(2)])], Arc::clone(&current));
    let o = Origin::echo("o");
    let gw = start_behind(
        &o,
        &format!(
            r#"[[routes]]
path_prefix = "/api"
upstream = "o"
auth = {{ jwt = {{ jwks_url = "http://{}/.well-known/jwks.json", refresh = "200ms", algorithms = ["RS256"], issuer = "https://idp.test", audience = "api", leeway = "5s", forward_claims = {{ sub = "x-user", tenant = "x-tenant" }}, realm = "api" }} }}
"#,
            keys.addr()
        ),
    );

    let none = one_shot(gw.addr(), "GET", "localhost", "/api/me", &[], b"");
    assert_eq!(none.status, 401);
    assert_eq!(
        none.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );

    let token1 = sign("RS256", "rsa1.key", Some("rsa-1"), &claims("alice"));
    let ok = bearer(&gw, "/api/me", &token1);
    assert_eq!(ok.status, 200, "{}", ok.text());
    let seen = o.last_request();
    assert_identity(&seen, "x-user", "alice");
    assert_eq!(seen.header("x-tenant"), Some("7"));
    assert_eq!(
        seen.header("authorization"),
        None,
        "the token is not forwarded"
    );

    let mut expired = claims("alice");
    expired["exp"] = json!(now() - 60);
    let r = bearer(
        &gw,
        "/api/me",
        &sign("RS256", "rsa1.key", Some("rsa-1"), &expired),
    );
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token expired\"")
    );
    let mut wrong_aud = claims("alice");
    wrong_aud["aud"] = json!("web");
    let r = bearer(
        &gw,
        "/api/me",
        &sign("RS256", "rsa1.key", Some("rsa-1"), &wrong_aud),
    );
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap_or("")
        .contains("audience not accepted"));
    let r = bearer(&gw, "/api/me", "not.a.token");
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap_or("")
        .contains("error=\"invalid_token\""));

    // Rotation: the JWKS now holds only rsa-2.
    let token2 = sign("RS256", "rsa2.key", Some("rsa-2"), &claims("bob"));
    assert_eq!(
        bearer(&gw, "/api/me", &token2).status,
        401,
        "rsa-2 is unknown before rotation"
    );
    current.store(1, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(10), || bearer(&gw, "/api/me", &token2)
            .status
            == 200),
        "the rotated key was not picked up within 10 s (refresh is 200 ms)"
    );
    assert_eq!(o.last_request().header("x-user"), Some("bob"));
    let old = bearer(&gw, "/api/me", &token1);
    assert_eq!(old.status, 401);
    assert!(old
        .header("www-authenticate")
        .unwrap_or("")
        .contains("no key for this token"));
}

#[test]
fn a_failed_refresh_keeps_the_previous_keys() {
    let current = Arc::new(AtomicUsize::new(0));
    let sets = vec![jwks(&[rsa(1)]), "{ not json".to_owned()];
    let keys = jwks_server(sets, Arc::clone(&current));
    let o = Origin::echo("o");
    let gw = start_behind(
        &o,
        &format!(
        "[[routes]]\nupstream = \"o\"\nauth = {{ jwt = {{ jwks_url = \"http://{}/k\", refresh = \"200ms\", algorithms = [\"RS256\"] }} }}\n",
        keys.addr()
    ));
    current.store(1, Ordering::SeqCst);
    assert!(
        wait_until(Duration::from_secs(10), || gw
            .stderr()
            .contains("JWKS refresh failed")),
        "no refresh failure logged:\n{}",
        gw.stderr()
    );
    let token = sign("RS256", "rsa1.key", None, &claims("alice"));
    assert_eq!(bearer(&gw, "/", &token).status, 200);
}

#[test]
fn pem_keys_file_with_eddsa_and_es256() {
    let files = Files::new();
    let ec_jwk = files.write("ec.jwk.json", &jwk("ec.pub.pem", "ec-1", "ES256"));
    let o = Origin::echo("o");
    let gw = start_behind(
        &o,
        &format!(
            r#"[[routes]]
path_prefix = "/ed"
upstream = "o"
auth = {{ jwt = {{ keys_file = "{}", algorithms = ["EdDSA"], forward_claims = {{ sub = "x-user" }} }} }}

[[routes]]
path_prefix = "/ec"
upstream = "o"
auth = {{ jwt = {{ keys_file = "{}", algorithms = ["ES256"], forward_credentials = true }} }}
"#,
            fixture("ed.pub.pem").display(),
            ec_jwk
        ),
    );
    let ed = sign("EdDSA", "ed.key", None, &claims("carol"));
    assert_eq!(bearer(&gw, "/ed/x", &ed).status, 200);
    assert_eq!(o.last_request().header("x-user"), Some("carol"));
    let ec = sign("ES256", "ec.key", Some("ec-1"), &claims("dave"));
    assert_eq!(bearer(&gw, "/ec/x", &ec).status, 200);
    let seen = o.last_request();
    assert!(
        seen.header("authorization").is_some(),
        "forward_credentials keeps the token"
    );
    assert_eq!(
        seen.header("x-user"),
        Some("spoofed"),
        "no claim is forwarded as x-user on this route"
    );
    // Each route accepts only its own algorithm.
    assert_eq!(bearer(&gw, "/ed/x", &ec).status, 401);
    // alg none is refused.
    let r = bearer(&gw, "/ed/x", &unsigned(&claims("x")));
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap_or("")
        .contains("alg none"));
}

/// Start the gateway with one JWT route `secure` on `jwks_url`; it must
/// fail: its stderr.
fn refused_at_startup(jwks_url: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("gw.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"{}\"\nshards = 1\n[upstreams.o]\ntargets = [\"127.0.0.1:9\"]\n[[routes]]\nname = \"secure\"\nupstream = \"o\"\nauth = {{ jwt = {{ jwks_url = \"{jwks_url}\", algorithms = [\"RS256\"] }} }}\n",
            free_addr()
        ),
    )
    .expect("write config");
    let out = run(
        std::process::Command::new(ringgate_tests::gateway::binary())
            .args(["--config", &config.display().to_string()]),
        Duration::from_secs(20),
    );
    assert!(!out.status.success(), "started with {jwks_url}");
    out.stderr_text()
}

#[test]
fn an_unreachable_jwks_url_stops_startup() {
    let dead = free_addr();
    let stderr = refused_at_startup(&format!("http://{dead}/jwks.json"));
    assert!(
        stderr.contains(&format!(
            "secure: cannot load the JWKS from http://{dead}/jwks.json"
        )),
        "{stderr}"
    );
}

/// An `https://` JWKS URL: fetched over TLS from nginx, verified with
/// `jwks_tls.ca` and the URL's host name; without that CA (system roots)
/// the certificate is refused and startup stops, naming the URL.
#[test]
fn an_https_jwks_url_is_verified_and_used() {
    let pki = Pki::generate("DNS:localhost");
    std::fs::write(pki.dir().join("jwks.json"), jwks(&[rsa(1)])).expect("write jwks");
    let d = pki.dir().display().to_string();
    let idp = TlsNginx::start_with(
        pki,
        "TLSv1.2 TLSv1.3",
        &format!("location = /keys {{ default_type application/json; alias {d}/jwks.json; }}"),
    );
    let ca = idp.ca().display().to_string();
    let url = format!("https://localhost:{}/keys", idp.port());
    let o = Origin::echo("o");
    let gw = start_behind(
        &o,
        &format!(
            "[[routes]]\nupstream = \"o\"\nauth = {{ jwt = {{ jwks_url = \"{url}\", jwks_tls = {{ ca = \"{ca}\" }}, algorithms = [\"RS256\"], forward_claims = {{ sub = \"x-user\" }} }} }}\n"
        ),
    );
    let token = sign("RS256", "rsa1.key", Some("rsa-1"), &claims("carol"));
    let ok = bearer(&gw, "/api/me", &token);
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_identity(&o.last_request(), "x-user", "carol");
    let fetched = idp.log();
    assert!(
        !fetched.is_empty() && fetched.iter().all(|h| h.server_name == "localhost"),
        "{fetched:?}"
    );

    // The system roots do not know the test CA: the fetch fails at startup.
    let stderr = refused_at_startup(&url);
    assert!(
        stderr.contains(&format!("secure: cannot load the JWKS from {url}"))
            && stderr.contains("certificate"),
        "{stderr}"
    );
}
