//! JWT verification: every algorithm family, the claim checks with leeway,
//! `alg: none` and algorithm confusion, key selection by `kid`.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::{fixture, head};
use crate::auth::jwt::{verify, JwtError, KeySet, Rules};
use crate::auth::jwt_cache::Cache;

const NOW: u64 = 1_700_000_000;

fn rules(algorithms: &[Algorithm]) -> Rules {
    Rules {
        algorithms: algorithms.to_vec(),
        issuers: Vec::new(),
        audiences: Vec::new(),
        leeway: 30,
        required: vec!["exp".into()],
    }
}

fn claims() -> Value {
    json!({ "sub": "alice", "exp": NOW + 600, "iss": "https://issuer", "aud": ["api", "other"] })
}

/// A token signed with fixture private key `key` (or HMAC secret bytes).
fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

fn rsa1() -> EncodingKey {
    EncodingKey::from_rsa_pem(&fixture("rsa1.key")).unwrap()
}

fn keys(name: &str) -> KeySet {
    KeySet::parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const HS_SECRET: &[u8] = b"test-only-hmac-secret-0123456789";

#[test]
fn every_algorithm_family_verifies() {
    let cases: Vec<(Algorithm, EncodingKey, &str)> = vec![
        (
            Algorithm::HS256,
            EncodingKey::from_secret(HS_SECRET),
            "hs.jwk.json",
        ),
        (
            Algorithm::HS384,
            EncodingKey::from_secret(HS_SECRET),
            "hs.jwk.json",
        ),
        (
            Algorithm::HS512,
            EncodingKey::from_secret(HS_SECRET),
            "hs.jwk.json",
        ),
        (Algorithm::RS256, rsa1(), "rsa1.pub.pem"),
        (Algorithm::RS256, rsa1(), "rsa1.jwk.json"),
        (
            Algorithm::ES256,
            EncodingKey::from_ec_pem(&fixture("ec.key")).unwrap(),
            "ec.pub.pem",
        ),
        (
            Algorithm::ES256,
            EncodingKey::from_ec_pem(&fixture("ec.key")).unwrap(),
            "ec.jwk.json",
        ),
        (
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(&fixture("ed.key")).unwrap(),
            "ed.pub.pem",
        ),
        (
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(&fixture("ed.key")).unwrap(),
            "ed.jwk.json",
        ),
    ];
    for (alg, key, file) in cases {
        let token = sign(alg, None, &claims(), &key);
        let got = verify(&token, &keys(file), &rules(&[alg]), NOW);
        assert_eq!(
            got.map(|c| c["sub"].clone()),
            Ok(json!("alice")),
            "{alg:?} with {file}"
        );
        // The same token against another family's keys finds no key.
        let other = if file.starts_with("rsa") {
            "ec.pub.pem"
        } else {
            "rsa1.pub.pem"
        };
        assert_eq!(
            verify(&token, &keys(other), &rules(&[alg]), NOW).err(),
            Some(JwtError::NoKey),
            "{alg:?}"
        );
    }
}

#[test]
fn time_claims_with_leeway() {
    let set = keys("rsa1.pub.pem");
    let r = rules(&[Algorithm::RS256]);
    let at = |exp: Option<u64>, nbf: Option<u64>| {
        let mut c = json!({ "sub": "a" });
        if let Some(exp) = exp {
            c["exp"] = json!(exp);
        }
        if let Some(nbf) = nbf {
            c["nbf"] = json!(nbf);
        }
        verify(&sign(Algorithm::RS256, None, &c, &rsa1()), &set, &r, NOW).err()
    };
    assert_eq!(at(Some(NOW + 1), None), None);
    assert_eq!(at(Some(NOW - 29), None), None, "within the 30 s leeway");
    assert_eq!(at(Some(NOW - 30), None), Some(JwtError::Expired));
    assert_eq!(at(Some(NOW - 3600), None), Some(JwtError::Expired));
    assert_eq!(
        at(Some(NOW + 60), Some(NOW + 30)),
        None,
        "nbf within the leeway"
    );
    assert_eq!(
        at(Some(NOW + 60), Some(NOW + 31)),
        Some(JwtError::NotYetValid)
    );
    assert_eq!(
        at(None, None),
        Some(JwtError::MissingClaim),
        "exp is required by default"
    );
    let lax = Rules {
        required: Vec::new(),
        ..r.clone()
    };
    let token = sign(Algorithm::RS256, None, &json!({ "sub": "a" }), &rsa1());
    assert!(verify(&token, &set, &lax, NOW).is_ok());
    let bad_exp = sign(Algorithm::RS256, None, &json!({ "exp": "soon" }), &rsa1());
    assert_eq!(
        verify(&bad_exp, &set, &r, NOW).err(),
        Some(JwtError::BadTime)
    );
}

#[test]
fn issuer_and_audience() {
    let set = keys("rsa1.pub.pem");
    let check = |iss: &[&str], aud: &[&str], claims: Value| {
        let r = Rules {
            issuers: iss.iter().map(|s| (*s).to_owned()).collect(),
            audiences: aud.iter().map(|s| (*s).to_owned()).collect(),
            ..rules(&[Algorithm::RS256])
        };
        verify(
            &sign(Algorithm::RS256, None, &claims, &rsa1()),
            &set,
            &r,
            NOW,
        )
        .err()
    };
    assert_eq!(check(&["https://issuer"], &["api"], claims()), None);
    assert_eq!(
        check(&["a", "https://issuer"], &["x", "other"], claims()),
        None
    );
    assert_eq!(
        check(&["https://evil"], &[], claims()),
        Some(JwtError::BadIssuer)
    );
    assert_eq!(check(&[], &["web"], claims()), Some(JwtError::BadAudience));
    let single = json!({ "exp": NOW + 60, "aud": "api" });
    assert_eq!(check(&[], &["api"], single.clone()), None);
    assert_eq!(
        check(&["https://issuer"], &[], single.clone()),
        Some(JwtError::BadIssuer),
        "iss missing"
    );
    let no_aud = json!({ "exp": NOW + 60 });
    assert_eq!(check(&[], &["api"], no_aud), Some(JwtError::BadAudience));
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn alg_none_and_unlisted_algorithms_are_refused() {
    let set = keys("rsa1.pub.pem");
    let payload = b64(&claims().to_string());
    for header in [r#"{"alg":"none"}"#, r#"{"alg":"None","typ":"JWT"}"#] {
        let token = format!("{}.{payload}.", b64(header));
        assert_eq!(
            verify(&token, &set, &rules(&[Algorithm::RS256]), NOW).err(),
            Some(JwtError::AlgNone)
        );
    }
    let token = sign(Algorithm::RS384, None, &claims(), &rsa1());
    assert_eq!(
        verify(&token, &set, &rules(&[Algorithm::RS256]), NOW).err(),
        Some(JwtError::AlgNotAllowed)
    );
    let crit = format!("{}.{payload}.sig", b64(r#"{"alg":"RS256","crit":["exp"]}"#));
    assert_eq!(
        verify(&crit, &set, &rules(&[Algorithm::RS256]), NOW).err(),
        Some(JwtError::Critical)
    );
}

#[test]
fn algorithm_confusion_is_refused() {
    // HS256 signed with the RSA public key's PEM bytes as the HMAC secret.
    let public_pem = fixture("rsa1.pub.pem");
    let token = sign(
        Algorithm::HS256,
        None,
        &claims(),
        &EncodingKey::from_secret(&public_pem),
    );
    let set = keys("rsa1.pub.pem");
    assert_eq!(
        verify(&token, &set, &rules(&[Algorithm::RS256]), NOW).err(),
        Some(JwtError::AlgNotAllowed)
    );
    // Even with HS256 allowed, an RSA key never checks an HMAC token.
    let both = rules(&[Algorithm::RS256, Algorithm::HS256]);
    assert_eq!(
        verify(&token, &set, &both, NOW).err(),
        Some(JwtError::NoKey)
    );
    let mixed = set.merged(&keys("hs.jwk.json"));
    assert_eq!(
        verify(&token, &mixed, &both, NOW).err(),
        Some(JwtError::BadSignature)
    );
}

#[test]
fn malformed_and_tampered_tokens() {
    let set = keys("rsa1.pub.pem");
    let r = rules(&[Algorithm::RS256]);
    for token in ["", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.sig"] {
        assert_eq!(
            verify(token, &set, &r, NOW).err(),
            Some(JwtError::Malformed),
            "{token:?}"
        );
    }
    let token = sign(Algorithm::RS256, None, &claims(), &rsa1());
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = b64(&json!({ "sub": "admin", "exp": NOW + 600 }).to_string());
    parts[1] = &forged;
    assert_eq!(
        verify(&parts.join("."), &set, &r, NOW).err(),
        Some(JwtError::BadSignature)
    );
    let other_key = sign(
        Algorithm::RS256,
        None,
        &claims(),
        &EncodingKey::from_rsa_pem(&fixture("rsa2.key")).unwrap(),
    );
    assert_eq!(
        verify(&other_key, &set, &r, NOW).err(),
        Some(JwtError::BadSignature)
    );
}

#[test]
fn keys_are_chosen_by_kid() {
    let jwks = format!(
        r#"{{"keys": [{}, {}, {{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}}, {{"kty": "XYZ"}}]}}"#,
        String::from_utf8(fixture("rsa1.jwk.json")).unwrap(),
        String::from_utf8(fixture("rsa2.jwk.json")).unwrap()
    );
    let set = KeySet::from_json(&jwks).unwrap();
    assert_eq!(set.len(), 2, "the enc key and the unknown type are skipped");
    let r = rules(&[Algorithm::RS256]);
    let rsa2 = EncodingKey::from_rsa_pem(&fixture("rsa2.key")).unwrap();
    assert!(verify(
        &sign(Algorithm::RS256, Some("rsa-2"), &claims(), &rsa2),
        &set,
        &r,
        NOW
    )
    .is_ok());
    assert!(
        verify(
            &sign(Algorithm::RS256, None, &claims(), &rsa2),
            &set,
            &r,
            NOW
        )
        .is_ok(),
        "no kid: every key is tried"
    );
    assert_eq!(
        verify(
            &sign(Algorithm::RS256, Some("rsa-9"), &claims(), &rsa2),
            &set,
            &r,
            NOW
        )
        .err(),
        Some(JwtError::NoKey)
    );
    assert_eq!(
        verify(
            &sign(Algorithm::RS256, Some("rsa-1"), &claims(), &rsa2),
            &set,
            &r,
            NOW
        )
        .err(),
        Some(JwtError::BadSignature)
    );
}

#[test]
fn key_files_that_are_refused() {
    assert!(KeySet::parse(&fixture("rsa1.key"))
        .unwrap_err()
        .contains("private key"));
    assert!(KeySet::parse(b"hello").unwrap_err().contains("neither"));
    assert!(KeySet::parse(b"{\"keys\": []}")
        .unwrap_err()
        .contains("no usable signing key"));
    assert!(KeySet::parse(br#"{"keys": [{"kty": "RSA"}]}"#)
        .unwrap_err()
        .contains(r#"key 0: missing "n""#));
    assert!(KeySet::parse(b"{not json")
        .unwrap_err()
        .contains("not valid JSON"));
}

#[test]
fn bearer_challenges() {
    use crate::auth::jwt::JwtAuth;
    use crate::auth::{AuthKind, RouteAuth};
    use std::sync::Arc;
    let set = Arc::new(keys("rsa1.pub.pem"));
    let kind = AuthKind::Jwt(JwtAuth {
        keys: Arc::new(arc_swap::ArcSwap::new(Arc::clone(&set))),
        file_keys: set,
        jwks: None,
        rules: rules(&[Algorithm::RS256]),
        forward_claims: vec![
            ("sub".into(), "x-user".into()),
            ("aud".into(), "x-aud".into()),
            ("none".into(), "x-none".into()),
        ],
        realm: "api".into(),
    });
    let auth = RouteAuth::new(kind, vec!["x-user".into(), "authorization".into()], None);
    let AuthKind::Jwt(jwt) = &auth.kind else {
        unreachable!()
    };
    let mut cache = Cache::default();
    let missing = jwt
        .check(&auth, &head("GET / HTTP/1.1\nHost: h\n\n"), &mut cache, NOW)
        .unwrap_err();
    assert_eq!(missing.challenge.as_deref(), Some("Bearer realm=\"api\""));
    let expired = sign(
        Algorithm::RS256,
        None,
        &json!({ "exp": NOW - 100 }),
        &rsa1(),
    );
    let text = format!("GET / HTTP/1.1\nHost: h\nAuthorization: Bearer {expired}\n\n");
    let denial = jwt.check(&auth, &head(&text), &mut cache, NOW).unwrap_err();
    assert_eq!(
        denial.challenge.as_deref(),
        Some("Bearer realm=\"api\", error=\"invalid_token\", error_description=\"token expired\"")
    );
    let good = sign(Algorithm::RS256, None, &claims(), &rsa1());
    let text = format!("GET / HTTP/1.1\nHost: h\nAuthorization: bearer {good}\n\n");
    let granted = jwt.check(&auth, &head(&text), &mut cache, NOW).unwrap();
    assert_eq!(
        String::from_utf8(granted.headers).unwrap(),
        "x-user: alice\r\nx-aud: [\"api\",\"other\"]\r\n"
    );
}

#[test]
fn verified_tokens_are_cached_until_exp_or_rotation() {
    use crate::auth::jwt::JwtAuth;
    use crate::auth::{AuthKind, RouteAuth};
    use std::sync::Arc;
    let rsa1_set = Arc::new(keys("rsa1.pub.pem"));
    let swap = Arc::new(arc_swap::ArcSwap::new(Arc::clone(&rsa1_set)));
    let kind = AuthKind::Jwt(JwtAuth {
        keys: Arc::clone(&swap),
        file_keys: Arc::new(KeySet::default()),
        jwks: None,
        rules: rules(&[Algorithm::RS256]),
        forward_claims: vec![("sub".into(), "x-user".into())],
        realm: "api".into(),
    });
    let auth = RouteAuth::new(kind, vec!["x-user".into()], None);
    let AuthKind::Jwt(jwt) = &auth.kind else {
        unreachable!()
    };
    let token = sign(
        Algorithm::RS256,
        None,
        &json!({ "sub": "alice", "exp": NOW + 100 }),
        &rsa1(),
    );
    let text = format!("GET / HTTP/1.1\nHost: h\nAuthorization: Bearer {token}\n\n");
    let mut cache = Cache::default();
    let check = |cache: &mut Cache, now| {
        jwt.check(&auth, &head(&text), cache, now)
            .map(|g| g.headers)
            .map_err(|d| d.detail)
    };
    assert_eq!(check(&mut cache, NOW), Ok(b"x-user: alice\r\n".to_vec()));
    assert_eq!(cache.len(), 1);
    assert_eq!(
        check(&mut cache, NOW + 50),
        Ok(b"x-user: alice\r\n".to_vec()),
        "a hit"
    );
    assert_eq!(cache.len(), 1);
    // exp + leeway (30 s) ends the entry and the token.
    assert_eq!(check(&mut cache, NOW + 130), Err("token expired"));
    assert!(cache.is_empty());
    // A new key set (a JWKS refresh) empties the cache: a rotated-out key
    // stops working at once.
    assert!(check(&mut cache, NOW).is_ok());
    swap.store(Arc::new(keys("rsa2.pub.pem")));
    assert_eq!(check(&mut cache, NOW + 1), Err("invalid signature"));
    swap.store(Arc::clone(&rsa1_set));
    assert!(check(&mut cache, NOW + 2).is_ok());
    // A failure is never cached; an entry lives at most CACHE_TTL.
    let later = NOW + 2 + crate::auth::jwt_cache::CACHE_TTL;
    assert!(check(&mut cache, later).is_ok());
}
