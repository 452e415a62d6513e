//! Validation of a route's `auth` table: one kind, its keys, and the files
//! it names, read and parsed now so a bad file is a config error that names
//! both the key and the problem (`routes[0].auth.basic.htpasswd:
//! "/etc/ringgate/users" line 3: ...`). Relative file paths are resolved
//! against the config file's folder.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use jsonwebtoken::Algorithm;

use super::super::error::Errors;
use super::super::model::Route;
use super::super::raw_auth::{RawApiKey, RawAuth, RawBasic, RawForward, RawJwt};
use super::super::units::parse_duration;
use super::tls::upstream_tls;
use super::upstream::resolve;
use super::{duration, files, is_token};
use crate::auth::api_key::{ApiKeyAuth, KeyStore};
use crate::auth::basic::{BasicAuth, Htpasswd};
use crate::auth::forward::ForwardAuth;
use crate::auth::jwt::{self, JwksSource, JwtAuth, KeySet, Rules};
use crate::auth::{AuthKind, RouteAuth};

/// Realm of challenges when none is configured.
pub const DEFAULT_REALM: &str = "ringgate";
/// `api_key.header` when neither `header` nor `query` is set.
pub const DEFAULT_API_KEY_HEADER: &str = "x-api-key";
/// `jwt.refresh`: how often a JWKS URL is fetched again.
pub const DEFAULT_JWKS_REFRESH: Duration = Duration::from_secs(300);
/// `jwt.leeway`: clock skew allowed on `exp` and `nbf` (Envoy's default).
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);
/// `forward.timeout`: the whole subrequest.
pub const DEFAULT_FORWARD_TIMEOUT: Duration = Duration::from_secs(1);
/// `forward.request_headers`.
pub const DEFAULT_FORWARD_REQUEST_HEADERS: [&str; 2] = ["authorization", "cookie"];

/// Header names the gateway owns or that frame or route a request: never
/// set from an identity.
const RESERVED: [&str; 15] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
    "via",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "authorization",
];

/// Validates the `auth` tables taken out of the raw routes (in route order)
/// and attaches them to the validated routes.
pub(super) fn apply(
    routes: &mut [Route],
    raw: Vec<Option<RawAuth>>,
    base: Option<&Path>,
    errors: &mut Errors,
) {
    for (index, (route, raw)) in routes.iter_mut().zip(raw).enumerate() {
        if let Some(raw) = raw {
            let ctx = Ctx {
                at: format!("routes[{index}].auth"),
                base,
            };
            route.auth = route_auth(&ctx, raw, errors).map(Arc::new);
        }
    }
}

struct Ctx<'a> {
    at: String,
    base: Option<&'a Path>,
}

impl Ctx<'_> {
    fn table(&self, kind: &str) -> String {
        format!("{}.{kind}", self.at)
    }

    fn key(&self, kind: &str, key: &str) -> String {
        format!("{}.{kind}.{key}", self.at)
    }

    /// Reads and parses a file, naming the file in a parse error.
    fn load<T>(
        &self,
        errors: &mut Errors,
        path: &str,
        name: &str,
        parse: impl FnOnce(&[u8]) -> Result<T, String>,
    ) -> Option<T> {
        files::load(self.base, errors, path, name, parse)
    }
}

impl Ctx<'_> {
    /// The required text file named by `kind.key`, parsed by `parse`.
    fn load_text<T>(
        &self,
        errors: &mut Errors,
        (kind, key): (&str, &str),
        name: Option<String>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let Some(name) = name else {
            errors.push(self.table(kind), format!("missing field `{key}`"));
            return None;
        };
        files::load_text(self.base, errors, &self.key(kind, key), &name, parse)
    }
}

fn route_auth(ctx: &Ctx<'_>, raw: RawAuth, errors: &mut Errors) -> Option<RouteAuth> {
    let set: Vec<&str> = [
        ("api_key", raw.api_key.is_some()),
        ("jwt", raw.jwt.is_some()),
        ("basic", raw.basic.is_some()),
        ("forward", raw.forward.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, present)| present.then_some(key))
    .collect();
    if set.len() != 1 {
        let found = if set.is_empty() {
            "none".to_owned()
        } else {
            set.join(" and ")
        };
        errors.push(
            &ctx.at,
            format!("set exactly one of api_key, jwt, basic, forward; found {found}"),
        );
        return None;
    }
    if let Some(raw) = raw.api_key {
        api_key(ctx, raw, errors)
    } else if let Some(raw) = raw.jwt {
        jwt(ctx, raw, errors)
    } else if let Some(raw) = raw.basic {
        basic(ctx, raw, errors)
    } else {
        raw.forward.and_then(|raw| forward(ctx, raw, errors))
    }
}

fn api_key(ctx: &Ctx<'_>, raw: RawApiKey, errors: &mut Errors) -> Option<RouteAuth> {
    let key = |k: &str| ctx.key("api_key", k);
    let mut header = raw
        .header
        .and_then(|h| errors.check(key("header"), header_name(&h)));
    let query = raw.query.and_then(|q| {
        let valid = !q.is_empty()
            && q.bytes()
                .all(|b| b.is_ascii_graphic() && !b"&=#?%+".contains(&b));
        errors.check(
            key("query"),
            if valid {
                Ok(q.clone())
            } else {
                Err(format!("\"{q}\" is not a valid query parameter name"))
            },
        )
    });
    if header.is_none() && query.is_none() {
        header = Some(DEFAULT_API_KEY_HEADER.to_owned());
    }
    let forward_as = identity_header(errors, &key("forward_as"), raw.forward_as);
    let realm = realm(errors, &key("realm"), raw.realm);
    let keys = ctx.load_text(
        errors,
        ("api_key", "keys_file"),
        raw.keys_file,
        KeyStore::parse,
    )?;
    let forward_credentials = raw.forward_credentials.unwrap_or(false);
    let mut strip: Vec<String> = forward_as.iter().cloned().collect();
    if !forward_credentials {
        strip.extend(header.iter().cloned());
    }
    let strip_query = query.clone().filter(|_| !forward_credentials);
    let kind = AuthKind::ApiKey(ApiKeyAuth {
        header,
        query,
        keys,
        forward_as,
        realm,
    });
    Some(RouteAuth::new(kind, strip, strip_query))
}

fn jwt(ctx: &Ctx<'_>, raw: RawJwt, errors: &mut Errors) -> Option<RouteAuth> {
    let key = |k: &str| ctx.key("jwt", k);
    let mut ok = true;
    let algorithms = match raw.algorithms {
        None => {
            errors.push(
                key("algorithms"),
                "required: the algorithms tokens may use, e.g. [\"RS256\"]",
            );
            ok = false;
            Vec::new()
        }
        Some(list) if list.is_empty() => {
            errors.push(key("algorithms"), "must list at least one algorithm");
            ok = false;
            Vec::new()
        }
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                errors.check(format!("{}[{i}]", key("algorithms")), algorithm(name))
            })
            .collect(),
    };
    let has_source = raw.keys_file.is_some() || raw.jwks_url.is_some();
    let file_keys = raw.keys_file.and_then(|name| {
        let path = key("keys_file");
        let keys = ctx.load(errors, &path, &name, KeySet::parse)?;
        let usable = keys
            .keys
            .iter()
            .any(|k| algorithms.iter().any(|&a| jwt::family(a) == k.family));
        if !usable && !algorithms.is_empty() {
            errors.push(
                &path,
                format!("holds no key for the algorithms {:?}", algorithms),
            );
        }
        Some(keys)
    });
    let jwks = match raw.jwks_url {
        Some(url) => {
            let refresh = duration(
                errors,
                &key("refresh"),
                raw.refresh.as_deref(),
                DEFAULT_JWKS_REFRESH,
            );
            let parsed = errors.check(key("jwks_url"), http_url(&url, "JWKS", true));
            let tls_raw = raw.jwks_tls;
            parsed.and_then(|u| {
                let tls = match (u.tls, tls_raw) {
                    (true, tls_raw) => Some(Box::new(upstream_tls(
                        tls_raw.unwrap_or_default(),
                        key("jwks_tls"),
                        vec![u.host],
                        ctx.base,
                        errors,
                    ))),
                    (false, Some(_)) => {
                        errors.push(key("jwks_tls"), "only used with an https:// jwks_url");
                        return None;
                    }
                    (false, None) => None,
                };
                Some(JwksSource {
                    url: url.clone(),
                    authority: u.authority,
                    path: u.path,
                    refresh,
                    tls,
                })
            })
        }
        None => {
            if raw.refresh.is_some() {
                errors.push(key("refresh"), "only used with jwks_url");
            }
            if raw.jwks_tls.is_some() {
                errors.push(key("jwks_tls"), "only used with jwks_url");
            }
            None
        }
    };
    if !has_source {
        errors.push(ctx.table("jwt"), "set keys_file, jwks_url or both");
    }
    ok &= file_keys.is_some() || jwks.is_some();
    let leeway = match raw.leeway {
        None => DEFAULT_LEEWAY,
        Some(text) => errors
            .check(key("leeway"), parse_duration(&text))
            .unwrap_or(DEFAULT_LEEWAY),
    };
    let mut forward_claims = Vec::new();
    for (claim, header) in raw.forward_claims.map(|o| o.0).unwrap_or_default() {
        if let Some(h) = identity_header(
            errors,
            &format!("{}.{claim}", key("forward_claims")),
            Some(header),
        ) {
            forward_claims.push((claim, h));
        }
    }
    let realm = realm(errors, &key("realm"), raw.realm);
    let rules = Rules {
        algorithms,
        issuers: raw.issuer.map(|i| i.into_vec()).unwrap_or_default(),
        audiences: raw.audience.map(|a| a.into_vec()).unwrap_or_default(),
        leeway: leeway.as_secs(),
        required: raw
            .required_claims
            .unwrap_or_else(|| vec!["exp".to_owned()]),
    };
    if !ok {
        return None;
    }
    let file_keys = Arc::new(file_keys.unwrap_or_default());
    let mut strip: Vec<String> = forward_claims.iter().map(|(_, h)| h.clone()).collect();
    if !raw.forward_credentials.unwrap_or(false) {
        strip.push("authorization".to_owned());
    }
    let kind = AuthKind::Jwt(JwtAuth {
        keys: Arc::new(ArcSwap::new(Arc::new(file_keys.merged(&KeySet::default())))),
        file_keys,
        jwks,
        rules,
        forward_claims,
        realm,
    });
    Some(RouteAuth::new(kind, strip, None))
}

fn basic(ctx: &Ctx<'_>, raw: RawBasic, errors: &mut Errors) -> Option<RouteAuth> {
    let key = |k: &str| ctx.key("basic", k);
    let forward_as = identity_header(errors, &key("forward_as"), raw.forward_as);
    let realm = realm(errors, &key("realm"), raw.realm);
    let users = ctx.load_text(errors, ("basic", "htpasswd"), raw.htpasswd, Htpasswd::parse)?;
    let mut strip: Vec<String> = forward_as.iter().cloned().collect();
    if !raw.forward_credentials.unwrap_or(false) {
        strip.push("authorization".to_owned());
    }
    let kind = AuthKind::Basic(BasicAuth {
        users,
        realm,
        forward_as,
    });
    Some(RouteAuth::new(kind, strip, None))
}

fn forward(ctx: &Ctx<'_>, raw: RawForward, errors: &mut Errors) -> Option<RouteAuth> {
    let key = |k: &str| ctx.key("forward", k);
    let timeout = duration(
        errors,
        &key("timeout"),
        raw.timeout.as_deref(),
        DEFAULT_FORWARD_TIMEOUT,
    );
    let request_headers: Vec<String> = match raw.request_headers {
        None => DEFAULT_FORWARD_REQUEST_HEADERS
            .iter()
            .map(|h| (*h).to_owned())
            .collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                errors.check(format!("{}[{i}]", key("request_headers")), header_name(h))
            })
            .collect(),
    };
    let response_headers: Vec<String> = raw
        .response_headers
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .filter_map(|(i, h)| {
            identity_header(
                errors,
                &format!("{}[{i}]", key("response_headers")),
                Some(h),
            )
        })
        .collect();
    let url = match raw.url {
        None => {
            errors.push(ctx.table("forward"), "missing field `url`");
            return None;
        }
        Some(url) => url,
    };
    let parsed = errors.check(key("url"), http_url(&url, "forward-auth", false))?;
    let addr = errors.check(key("url"), resolve(&parsed.authority))?;
    let strip = response_headers.clone();
    let kind = AuthKind::Forward(ForwardAuth {
        url,
        addr,
        host: parsed.authority,
        path: parsed.path.trim_end_matches('/').to_owned(),
        timeout,
        request_headers,
        response_headers,
    });
    Some(RouteAuth::new(kind, strip, None))
}

fn algorithm(name: &str) -> Result<Algorithm, String> {
    if name.eq_ignore_ascii_case("none") {
        return Err("\"none\" (unsigned tokens) is never accepted".into());
    }
    name.parse().map_err(|_| {
        format!("unknown algorithm \"{name}\": expected one of HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA")
    })
}

fn header_name(name: &str) -> Result<String, String> {
    if is_token(name) {
        Ok(name.to_ascii_lowercase())
    } else {
        Err(format!("\"{name}\" is not a valid header name"))
    }
}

/// A header the gateway sets from an identity: a valid name it does not
/// otherwise own.
fn identity_header(errors: &mut Errors, path: &str, raw: Option<String>) -> Option<String> {
    let name = errors.check(path, header_name(&raw?))?;
    if RESERVED.contains(&name.as_str()) {
        errors.push(
            path,
            format!("\"{name}\" cannot carry an identity: the gateway or HTTP framing owns it"),
        );
        return None;
    }
    Some(name)
}

fn realm(errors: &mut Errors, path: &str, raw: Option<String>) -> String {
    let Some(realm) = raw else {
        return DEFAULT_REALM.to_owned();
    };
    let valid = realm
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if valid {
        realm
    } else {
        errors.push(path, "must be printable ASCII without '\"' or '\\'");
        DEFAULT_REALM.to_owned()
    }
}

/// The parts of an `http://` or `https://` URL the gateway uses.
struct HttpUrl {
    /// `host:port` (port 80, or 443 for https, when absent).
    authority: String,
    /// The host alone (brackets of an IPv6 address removed), for TLS.
    host: String,
    /// The path and query, `/` when absent.
    path: String,
    /// `https://`.
    tls: bool,
}

/// Parse `url`; `https://` only where `https` allows it.
fn http_url(url: &str, what: &str, https: bool) -> Result<HttpUrl, String> {
    let (rest, tls) = if let Some(rest) = url.strip_prefix("https://") {
        if !https {
            return Err(format!(
                "https {what} URLs are not supported yet: use http:// on a trusted network"
            ));
        }
        (rest, true)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, false)
    } else {
        return Err(format!("\"{url}\" is not an http:// URL"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let valid = !authority.is_empty()
        && !authority.contains('@')
        && authority.bytes().all(|b| b.is_ascii_graphic())
        && path.bytes().all(|b| b.is_ascii_graphic())
        && !path.contains('#');
    if !valid {
        return Err(format!("\"{url}\" is not a valid http:// URL"));
    }
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()) && !authority.ends_with(']'));
    let host = if has_port {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    } else {
        authority
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let authority = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:{}", if tls { 443 } else { 80 })
    };
    Ok(HttpUrl {
        authority,
        host,
        path: path.to_owned(),
        tls,
    })
}
