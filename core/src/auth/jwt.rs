//! JWT bearer tokens (RFC 7519) checked against a key set.
//!
//! A token is `base64url(header).base64url(claims).base64url(signature)`.
//! Checks, in order: three parts; a header whose `alg` is one of the
//! route's `algorithms` (`none` never is) and that has no `crit`; a key of
//! the set whose family matches the algorithm (an HMAC token is never
//! checked with an RSA key's bytes: no algorithm confusion) and whose `kid`
//! and `alg`, when given, match the token's; the signature (ring, through
//! `jsonwebtoken::crypto`); then the claims: `exp` and `nbf` with the
//! configured leeway, `iss` and `aud` when configured, and the required
//! claims. Failures are [`JwtError`]s whose text is the Bearer
//! `error_description` (RFC 6750 section 3).
//!
//! Verified tokens are cached per shard ([`super::jwt_cache`]). The key set
//! lives in an [`ArcSwap`]: the proxy's JWKS refresh thread
//! stores a new set and every shard sees it on its next request, lock-free.

use std::sync::Arc;

use arc_swap::ArcSwap;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use super::jwt_cache::{self, Cache};
use super::{credentials, realm_param, Denial, Granted, RouteAuth};
use crate::http1::RequestHead;
use crate::status::Failure;

/// At most this many keys are tried for a token without a matching `kid`.
pub const MAX_KEY_ATTEMPTS: usize = 8;

/// `auth = { jwt = { ... } }`, loaded.
pub struct JwtAuth {
    /// The keys tokens are checked against: the `keys_file` keys plus the
    /// latest JWKS fetched from `jwks`.
    pub keys: Arc<ArcSwap<KeySet>>,
    /// The keys from `keys_file` (kept in every refreshed set).
    pub file_keys: Arc<KeySet>,
    /// Where a JWKS is fetched from, and how often.
    pub jwks: Option<JwksSource>,
    /// Claim checks.
    pub rules: Rules,
    /// Claims sent upstream: (claim name, header name).
    pub forward_claims: Vec<(String, String)>,
    /// Realm of the `WWW-Authenticate: Bearer` challenge.
    pub realm: String,
}

/// A JWKS URL and its refresh interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwksSource {
    /// The URL as configured (`http://host:port/path` or `https://...`).
    pub url: String,
    /// `host:port` to connect to (resolved at each fetch).
    pub authority: String,
    /// The request-target.
    pub path: String,
    /// How often the set is fetched again.
    pub refresh: std::time::Duration,
    /// For an `https://` URL: how the server is verified (`jwks_tls`, the
    /// system roots by default).
    pub tls: Option<Box<crate::config::tls::UpstreamTls>>,
}

/// What a token's header and claims must satisfy.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Accepted `alg` values.
    pub algorithms: Vec<Algorithm>,
    /// Accepted `iss` values; empty accepts any.
    pub issuers: Vec<String>,
    /// Accepted audiences: `aud` must name one; empty skips the check.
    pub audiences: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway: u64,
    /// Claims that must be present.
    pub required: Vec<String>,
}

/// Why a token was refused; the text is the `error_description`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts, or a part is not JSON.
    #[error("malformed token")]
    Malformed,
    /// `alg` is `none`.
    #[error("unsigned tokens (alg none) are not accepted")]
    AlgNone,
    /// `alg` is not one of the route's algorithms.
    #[error("token algorithm not allowed")]
    AlgNotAllowed,
    /// The header has `crit` (RFC 7515 section 4.1.11): no extension is understood.
    #[error("critical header extensions are not supported")]
    Critical,
    /// No key of the set has the token's `kid` and a matching family.
    #[error("no key for this token")]
    NoKey,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("token expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("token not yet valid")]
    NotYetValid,
    /// A time claim is not a number.
    #[error("exp or nbf is not a number")]
    BadTime,
    /// `iss` missing or not accepted.
    #[error("issuer not accepted")]
    BadIssuer,
    /// `aud` missing or names no accepted audience.
    #[error("audience not accepted")]
    BadAudience,
    /// A required claim is missing.
    #[error("a required claim is missing")]
    MissingClaim,
}

impl JwtError {
    /// The same text as `Display`, as a static string for log fields.
    pub fn describe(self) -> &'static str {
        match self {
            JwtError::Malformed => "malformed token",
            JwtError::AlgNone => "unsigned tokens (alg none) are not accepted",
            JwtError::AlgNotAllowed => "token algorithm not allowed",
            JwtError::Critical => "critical header extensions are not supported",
            JwtError::NoKey => "no key for this token",
            JwtError::BadSignature => "invalid signature",
            JwtError::Expired => "token expired",
            JwtError::NotYetValid => "token not yet valid",
            JwtError::BadTime => "exp or nbf is not a number",
            JwtError::BadIssuer => "issuer not accepted",
            JwtError::BadAudience => "audience not accepted",
            JwtError::MissingClaim => "a required claim is missing",
        }
    }
}

/// Which keys can check which algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// HS256/384/512: a shared secret.
    Hmac,
    /// RS256/384/512, PS256/384/512.
    Rsa,
    /// ES256 (P-256), ES384 (P-384).
    Ec,
    /// EdDSA (Ed25519).
    Ed,
}

/// The family of keys that checks `alg`.
pub fn family(alg: Algorithm) -> Family {
    match alg {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
        Algorithm::ES256 | Algorithm::ES384 => Family::Ec,
        Algorithm::EdDSA => Family::Ed,
        _ => Family::Rsa,
    }
}

/// One verification key.
pub struct Key {
    /// The JWK's `kid`, if any (PEM keys have none).
    pub kid: Option<String>,
    /// Which algorithms it can check.
    pub family: Family,
    /// The only algorithm it may check: the JWK's `alg`, or the one its
    /// curve implies (`P-256`: ES256).
    pub alg: Option<Algorithm>,
    key: DecodingKey,
}

/// A set of verification keys.
#[derive(Default)]
pub struct KeySet {
    /// The keys, in file order.
    pub keys: Vec<Key>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self
            .keys
            .iter()
            .map(|k| k.kid.as_deref().unwrap_or("-"))
            .collect();
        f.debug_struct("KeySet").field("kids", &kids).finish()
    }
}

impl KeySet {
    /// Parses a key file: JSON (a JWKS `{"keys": [...]}` or one JWK) or a
    /// PEM public key (RSA, EC or Ed25519).
    pub fn parse(bytes: &[u8]) -> Result<KeySet, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "is neither PEM nor JSON text")?;
        if text.trim_start().starts_with('{') {
            KeySet::from_json(text)
        } else if text.contains("-----BEGIN") {
            KeySet::from_pem(bytes)
        } else {
            Err("is neither a PEM public key nor a JWK/JWKS JSON document".into())
        }
    }

    /// One PEM public key.
    pub fn from_pem(pem: &[u8]) -> Result<KeySet, String> {
        if std::str::from_utf8(pem).is_ok_and(|t| t.contains("PRIVATE KEY")) {
            return Err(
                "holds a private key; give the public key (`openssl pkey -in KEY -pubout`)".into(),
            );
        }
        let (family, key) = if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
            (Family::Rsa, key)
        } else if let Ok(key) = DecodingKey::from_ec_pem(pem) {
            (Family::Ec, key)
        } else if let Ok(key) = DecodingKey::from_ed_pem(pem) {
            (Family::Ed, key)
        } else {
            return Err("is not a PEM RSA, EC or Ed25519 public key".into());
        };
        Ok(KeySet {
            keys: vec![Key {
                kid: None,
                family,
                alg: None,
                key,
            }],
        })
    }

    /// A JWKS or a single JWK. Keys whose `use` is not `sig` or whose type
    /// is not supported are skipped; a set with no usable key is an error.
    pub fn from_json(text: &str) -> Result<KeySet, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
        let list: Vec<&Value> = match value.get("keys") {
            Some(Value::Array(keys)) => keys.iter().collect(),
            Some(_) => return Err("\"keys\" is not an array".into()),
            None => vec![&value],
        };
        let mut keys = Vec::new();
        let mut problems = Vec::new();
        for (i, jwk) in list.into_iter().enumerate() {
            match jwk_key(jwk) {
                Ok(Some(key)) => keys.push(key),
                Ok(None) => {}
                Err(problem) => problems.push(format!("key {i}: {problem}")),
            }
        }
        if keys.is_empty() {
            let why = if problems.is_empty() {
                String::new()
            } else {
                format!(" ({})", problems.join("; "))
            };
            return Err(format!("holds no usable signing key{why}"));
        }
        Ok(KeySet { keys })
    }

    /// This set's keys followed by `other`'s.
    pub fn merged(&self, other: &KeySet) -> KeySet {
        let copy = |k: &Key| Key {
            kid: k.kid.clone(),
            family: k.family,
            alg: k.alg,
            key: k.key.clone(),
        };
        KeySet {
            keys: self.keys.iter().chain(&other.keys).map(copy).collect(),
        }
    }

    /// How many keys the set holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn jwk_key(jwk: &Value) -> Result<Option<Key>, String> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if field("use").is_some_and(|u| u != "sig") {
        return Ok(None);
    }
    let alg = match field("alg") {
        None => None,
        Some(name) => match name.parse::<Algorithm>() {
            Ok(alg) => Some(alg),
            Err(_) => return Ok(None),
        },
    };
    let need = |name: &str| field(name).ok_or_else(|| format!("missing \"{name}\""));
    let bad = |e: jsonwebtoken::errors::Error| format!("invalid key material: {e}");
    let (family, key, implied) = match need("kty")? {
        "RSA" => (
            Family::Rsa,
            DecodingKey::from_rsa_components(need("n")?, need("e")?).map_err(bad)?,
            None,
        ),
        "EC" => {
            let implied = match need("crv")? {
                "P-256" => Algorithm::ES256,
                "P-384" => Algorithm::ES384,
                _ => return Ok(None),
            };
            let key = DecodingKey::from_ec_components(need("x")?, need("y")?).map_err(bad)?;
            (Family::Ec, key, Some(implied))
        }
        "OKP" => {
            if need("crv")? != "Ed25519" {
                return Ok(None);
            }
            let key = DecodingKey::from_ed_components(need("x")?).map_err(bad)?;
            (Family::Ed, key, Some(Algorithm::EdDSA))
        }
        "oct" => {
            let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(need("k")?.trim_end_matches('='))
                .map_err(|_| "\"k\" is not base64url".to_owned())?;
            if secret.is_empty() {
                return Err("\"k\" is empty".into());
            }
            (Family::Hmac, DecodingKey::from_secret(&secret), None)
        }
        _ => return Ok(None),
    };
    if alg.is_some_and(|a| self::family(a) != family) {
        return Err("its \"alg\" does not fit its \"kty\"".into());
    }
    Ok(Some(Key {
        kid: field("kid").map(str::to_owned),
        family,
        alg: alg.or(implied),
        key,
    }))
}

/// The header fields the gateway reads.
struct Header {
    alg: Algorithm,
    kid: Option<String>,
}

fn b64(part: &str) -> Result<Vec<u8>, JwtError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)
}

fn header(part: &str, rules: &Rules) -> Result<Header, JwtError> {
    let json: Map<String, Value> =
        serde_json::from_slice(&b64(part)?).map_err(|_| JwtError::Malformed)?;
    let alg = json
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(JwtError::Malformed)?;
    if alg.eq_ignore_ascii_case("none") {
        return Err(JwtError::AlgNone);
    }
    let alg: Algorithm = alg.parse().map_err(|_| JwtError::AlgNotAllowed)?;
    if !rules.algorithms.contains(&alg) {
        return Err(JwtError::AlgNotAllowed);
    }
    if json.contains_key("crit") {
        return Err(JwtError::Critical);
    }
    let kid = json.get("kid").and_then(Value::as_str).map(str::to_owned);
    Ok(Header { alg, kid })
}

/// Verifies `token` against `keys` and `rules` at `now` (seconds since the
/// Unix epoch); returns its claims.
pub fn verify(
    token: &str,
    keys: &KeySet,
    rules: &Rules,
    now: u64,
) -> Result<Map<String, Value>, JwtError> {
    let mut parts = token.split('.');
    let (Some(head), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = header(head, rules)?;
    let message = token
        .get(..head.len() + 1 + payload.len())
        .ok_or(JwtError::Malformed)?;
    let wanted = family(header.alg);
    let candidates = keys.keys.iter().filter(|k| {
        k.family == wanted
            && k.alg.is_none_or(|a| a == header.alg)
            && match (&header.kid, &k.kid) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            }
    });
    let mut tried = false;
    let mut verified = false;
    for key in candidates.take(MAX_KEY_ATTEMPTS) {
        tried = true;
        if jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key.key, header.alg)
            .unwrap_or(false)
        {
            verified = true;
            break;
        }
    }
    if !tried {
        return Err(JwtError::NoKey);
    }
    if !verified {
        return Err(JwtError::BadSignature);
    }
    let claims: Map<String, Value> =
        serde_json::from_slice(&b64(payload)?).map_err(|_| JwtError::Malformed)?;
    check_claims(&claims, rules, now)?;
    Ok(claims)
}

/// The claim checks of [`verify`], on already verified claims.
pub fn check_claims(claims: &Map<String, Value>, rules: &Rules, now: u64) -> Result<(), JwtError> {
    let time = |name: &str| -> Result<Option<f64>, JwtError> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v.as_f64().map(Some).ok_or(JwtError::BadTime),
        }
    };
    let now = now as f64;
    let leeway = rules.leeway as f64;
    if let Some(exp) = time("exp")? {
        // RFC 7519 section 4.1.4: the current time must be before exp.
        if now >= exp + leeway {
            return Err(JwtError::Expired);
        }
    }
    if let Some(nbf) = time("nbf")? {
        if now + leeway < nbf {
            return Err(JwtError::NotYetValid);
        }
    }
    if !rules.issuers.is_empty() {
        let iss = claims.get("iss").and_then(Value::as_str);
        if !iss.is_some_and(|iss| rules.issuers.iter().any(|i| i == iss)) {
            return Err(JwtError::BadIssuer);
        }
    }
    if !rules.audiences.is_empty() {
        let accepted = |aud: &str| rules.audiences.iter().any(|a| a == aud);
        let ok = match claims.get("aud") {
            Some(Value::String(aud)) => accepted(aud),
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).any(accepted),
            _ => false,
        };
        if !ok {
            return Err(JwtError::BadAudience);
        }
    }
    if rules.required.iter().any(|c| !claims.contains_key(c)) {
        return Err(JwtError::MissingClaim);
    }
    Ok(())
}

impl JwtAuth {
    /// Checks `Authorization: Bearer ...` at `now` (Unix seconds), trusting
    /// `cache` for tokens already verified under the current key set.
    pub fn check<'a>(
        &self,
        auth: &'a RouteAuth,
        head: &RequestHead,
        cache: &mut Cache,
        now: u64,
    ) -> Result<Granted<'a>, Denial> {
        let Some(token) = credentials(head, "Bearer") else {
            return Err(Denial {
                failure: Failure::Unauthenticated,
                challenge: Some(format!("Bearer {}", realm_param(&self.realm))),
                detail: "no bearer token",
            });
        };
        let keys = self.keys.load();
        let key = jwt_cache::digest(token);
        let mut granted = Granted::new(auth);
        if let Some(headers) = cache.get(&keys, &key, now) {
            granted.headers.extend_from_slice(headers);
            return Ok(granted);
        }
        let verified = std::str::from_utf8(token)
            .map_err(|_| JwtError::Malformed)
            .and_then(|token| verify(token, &keys, &self.rules, now));
        let claims = verified.map_err(|error| Denial {
            failure: Failure::BadCredentials,
            challenge: Some(format!(
                "Bearer {}, error=\"invalid_token\", error_description=\"{}\"",
                realm_param(&self.realm),
                error.describe()
            )),
            detail: error.describe(),
        })?;
        for (claim, header) in &self.forward_claims {
            let value = match claims.get(claim) {
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            granted.add_header(header, value.as_bytes());
        }
        cache.insert(key, &claims, &self.rules, now, granted.headers.clone());
        Ok(granted)
    }
}
