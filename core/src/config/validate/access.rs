//! Validation of the `access` (IP allow/deny, trusted proxies) and `cors`
//! tables of routes, and of `server.access`. Every CIDR and origin is
//! checked on its own and reported at its index
//! (`routes[2].access.allow[1]: invalid CIDR ...`).

use std::sync::Arc;

use super::super::error::Errors;
use super::super::model::Route;
use super::super::raw_access::{RawAccess, RawCors};
use super::super::units::parse_duration;
use super::is_token;
use crate::access::{Access, Cidr, CidrSet};
use crate::cors::{Cors, CorsSettings, OriginRule};

/// `cors.allow_methods` when not set.
pub const DEFAULT_CORS_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// Validates the tables taken out of the raw routes (in route order) and
/// attaches them to the validated routes.
pub(super) fn apply(
    routes: &mut [Route],
    raw: Vec<(Option<RawAccess>, Option<RawCors>)>,
    errors: &mut Errors,
) {
    for (index, (route, (access_raw, cors_raw))) in routes.iter_mut().zip(raw).enumerate() {
        route.access = access_raw.map(|a| access(errors, &format!("routes[{index}].access"), a));
        route.cors = cors_raw.map(|c| Arc::new(cors(errors, &format!("routes[{index}].cors"), c)));
    }
}

/// One `access` table at `at`.
pub(super) fn access(errors: &mut Errors, at: &str, raw: RawAccess) -> Arc<Access> {
    if raw.allow.is_none() && raw.deny.is_none() && raw.trusted_proxies.is_none() {
        // trusted_proxies alone refuses no one but names the client that
        // `client_ip` rate limits and hashing see.
        errors.push(at, "set allow, deny or trusted_proxies");
    }
    if raw.allow.as_ref().is_some_and(Vec::is_empty) {
        errors.push(
            format!("{at}.allow"),
            "must not be empty (omit it to allow everyone not denied)",
        );
    }
    Arc::new(Access {
        allow: cidrs(errors, &format!("{at}.allow"), raw.allow),
        deny: cidrs(errors, &format!("{at}.deny"), raw.deny),
        trusted_proxies: cidrs(
            errors,
            &format!("{at}.trusted_proxies"),
            raw.trusted_proxies,
        ),
    })
}

fn cidrs(errors: &mut Errors, at: &str, raw: Option<Vec<String>>) -> CidrSet {
    let list = raw.unwrap_or_default();
    let parsed = list
        .iter()
        .enumerate()
        .filter_map(|(i, text)| errors.check(format!("{at}[{i}]"), Cidr::parse(text)))
        .collect();
    CidrSet::new(parsed)
}

/// One `cors` table at `at`.
fn cors(errors: &mut Errors, at: &str, raw: RawCors) -> Cors {
    let credentials = raw.allow_credentials.unwrap_or(false);
    let mut settings = CorsSettings {
        credentials,
        ..CorsSettings::default()
    };
    match raw.allow_origins {
        None => errors.push(at, "missing field `allow_origins`"),
        Some(list) if list.is_empty() => {
            errors.push(format!("{at}.allow_origins"), "must not be empty")
        }
        Some(list) => {
            for (i, text) in list.iter().enumerate() {
                let path = format!("{at}.allow_origins[{i}]");
                match errors.check(path.clone(), OriginRule::parse(text)) {
                    Some(Some(rule)) => settings.origins.push(rule),
                    Some(None) if credentials => errors.push(
                        path,
                        "\"*\" cannot be used with allow_credentials = true (browsers refuse it); list the origins",
                    ),
                    Some(None) => settings.any_origin = true,
                    None => {}
                }
            }
        }
    }
    let methods = raw.allow_methods.unwrap_or_else(|| {
        DEFAULT_CORS_METHODS
            .iter()
            .map(|m| (*m).to_owned())
            .collect()
    });
    if methods.is_empty() {
        errors.push(
            format!("{at}.allow_methods"),
            "must not be empty (omit it for GET, HEAD, POST)",
        );
    }
    for (i, method) in methods.into_iter().enumerate() {
        let path = format!("{at}.allow_methods[{i}]");
        if !is_token(&method) || method.bytes().any(|b| b.is_ascii_lowercase()) {
            errors.push(
                path,
                format!("\"{method}\" is not an uppercase method token"),
            );
        } else if !settings.methods.contains(&method) {
            settings.methods.push(method);
        }
    }
    for (i, name) in raw
        .allow_headers
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let path = format!("{at}.allow_headers[{i}]");
        if name == "*" && credentials {
            errors.push(
                path,
                "\"*\" cannot be used with allow_credentials = true; list the headers",
            );
        } else if name == "*" {
            settings.any_header = true;
        } else if !is_token(&name) {
            errors.push(path, format!("\"{name}\" is not a valid header name"));
        } else {
            settings.headers.push(name.to_ascii_lowercase());
        }
    }
    for (i, name) in raw
        .expose_headers
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        if is_token(&name) {
            settings.expose.push(name);
        } else {
            errors.push(
                format!("{at}.expose_headers[{i}]"),
                format!("\"{name}\" is not a valid header name"),
            );
        }
    }
    settings.max_age = raw.max_age.and_then(|text| {
        errors.check(
            format!("{at}.max_age"),
            parse_duration(&text).map(|d| d.as_secs()),
        )
    });
    Cors::new(settings)
}
