//! Validation of `[[routes]]`: match conditions, the upstream reference, rewrites.

use super::super::error::Errors;
use super::super::model::{HostMatch, PathMatch, Route, Upstream};
use super::super::raw::RawRoute;
use super::policy::{concurrency, rate_limit, retry, Scope};
use super::{is_token, size};

pub(super) fn routes(
    raw: Vec<RawRoute>,
    upstreams: &[Upstream],
    errors: &mut Errors,
) -> Vec<Route> {
    let mut routes: Vec<Route> = Vec::with_capacity(raw.len());
    for (index, raw) in raw.into_iter().enumerate() {
        let route = route(index, raw, upstreams, errors);
        if let Some(first) = routes.iter().position(|r| r.name == route.name) {
            errors.push(
                format!("routes[{index}].name"),
                format!(
                    "duplicate route name \"{}\" (first used by routes[{first}])",
                    route.name
                ),
            );
        }
        routes.push(route);
    }
    routes
}

fn route(index: usize, raw: RawRoute, upstreams: &[Upstream], errors: &mut Errors) -> Route {
    let at = |key: &str| format!("routes[{index}].{key}");

    let name = match raw.name {
        Some(name) if name.is_empty() => {
            errors.push(at("name"), "must not be empty");
            format!("route{index}")
        }
        Some(name) => name,
        None => format!("route{index}"),
    };

    let host = raw
        .host
        .and_then(|text| errors.check(at("host"), host_match(&text)));

    let set: Vec<&str> = [
        ("path", raw.path.is_some()),
        ("path_prefix", raw.path_prefix.is_some()),
        ("path_regex", raw.path_regex.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, present)| present.then_some(key))
    .collect();
    if set.len() > 1 {
        errors.push(
            format!("routes[{index}]"),
            format!(
                "at most one of path, path_prefix, path_regex may be set, found {}",
                set.join(" and ")
            ),
        );
    }
    let is_prefix = raw.path_prefix.is_some();
    let path = if let Some(p) = raw.path {
        errors
            .check(at("path"), absolute_path(&p))
            .map(PathMatch::Exact)
    } else if let Some(p) = raw.path_prefix {
        errors
            .check(at("path_prefix"), absolute_path(&p))
            .map(PathMatch::Prefix)
    } else if let Some(p) = raw.path_regex {
        errors
            .check(at("path_regex"), regex(&p))
            .map(PathMatch::Regex)
    } else {
        None
    };

    let mut methods: Vec<String> = Vec::new();
    if let Some(list) = raw.methods {
        if list.is_empty() {
            errors.push(
                at("methods"),
                "must not be empty (omit it to match every method)",
            );
        }
        for (i, method) in list.into_iter().enumerate() {
            let path = format!("routes[{index}].methods[{i}]");
            if !is_token(&method) {
                errors.push(path, format!("\"{method}\" is not a valid method token"));
            } else if method.bytes().any(|b| b.is_ascii_lowercase()) {
                errors.push(
                    path,
                    format!("methods are case-sensitive and uppercase: \"{method}\" (did you mean \"{}\"?)", method.to_ascii_uppercase()),
                );
            } else if methods.contains(&method) {
                errors.push(path, format!("\"{method}\" is listed twice"));
            } else {
                methods.push(method);
            }
        }
    }

    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in raw.headers.map(|h| h.0).unwrap_or_default() {
        let path = format!("routes[{index}].headers.{name}");
        let lower = name.to_ascii_lowercase();
        if !is_token(&name) {
            errors.push(path, format!("\"{name}\" is not a valid header name"));
        } else if headers.iter().any(|(n, _)| *n == lower) {
            errors.push(path, "listed twice (header names are case-insensitive)");
        } else if !is_field_value(&value) {
            errors.push(path, "value must not contain control characters");
        } else {
            headers.push((lower, value));
        }
    }

    let upstream = match raw.upstream {
        None => {
            errors.push(format!("routes[{index}]"), "missing field `upstream`");
            0
        }
        Some(name) => match upstreams.iter().position(|u| u.name == name) {
            Some(i) => i,
            None => {
                errors.push(at("upstream"), format!("no upstream named \"{name}\""));
                0
            }
        },
    };

    let strip_prefix = raw.strip_prefix.unwrap_or(false);
    if strip_prefix && !is_prefix {
        errors.push(at("strip_prefix"), "requires path_prefix");
    }

    let host_rewrite = raw.host_rewrite.and_then(|text| {
        let valid = !text.is_empty() && text.bytes().all(|b| b.is_ascii_graphic());
        let result = if valid {
            Ok(text)
        } else {
            Err(format!("\"{text}\" is not a valid Host value"))
        };
        errors.check(at("host_rewrite"), result)
    });

    let max_body_bytes = raw
        .max_body_bytes
        .as_ref()
        .and_then(|v| size(errors, &at("max_body_bytes"), v, 0, u64::MAX));

    let rate_limit = raw
        .rate_limit
        .and_then(|r| rate_limit(errors, &at("rate_limit"), r, Scope::Route));
    let concurrency = raw
        .concurrency
        .and_then(|c| concurrency(errors, &at("concurrency"), c));
    let retry = raw.retry.map(|r| retry(errors, &at("retry"), r));

    Route {
        name,
        host,
        path,
        methods,
        headers,
        upstream,
        strip_prefix,
        host_rewrite,
        max_body_bytes,
        rate_limit,
        concurrency,
        retry,
        auth: None,
        access: None,
        cors: None,
    }
}

/// `"api.example.com"` or `"*.example.com"`, lowercased; no port.
fn host_match(text: &str) -> Result<HostMatch, String> {
    let lower = text.to_ascii_lowercase();
    let (wildcard, name) = match lower.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, lower.as_str()),
    };
    let is_ipv6 = !wildcard
        && name.len() > 2
        && name.starts_with('[')
        && name.ends_with(']')
        && name[1..name.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    let is_name = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !(is_ipv6 || is_name) {
        return Err(format!(
            "invalid host \"{text}\": expected a host name without port, like \"api.example.com\" or \"*.example.com\""
        ));
    }
    Ok(if wildcard {
        HostMatch::Suffix(format!(".{name}"))
    } else {
        HostMatch::Exact(lower)
    })
}

fn absolute_path(text: &str) -> Result<String, String> {
    if !text.starts_with('/') {
        return Err(format!("must start with \"/\", got \"{text}\""));
    }
    if text.contains('?') || text.contains('#') {
        return Err(format!(
            "matches the path only and must not contain '?' or '#', got \"{text}\""
        ));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "must not contain spaces or control characters, got \"{text}\""
        ));
    }
    Ok(text.to_owned())
}

/// Compiles `pattern` anchored at both ends: it must match the whole path.
fn regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|error| {
        // regex's message spans several lines with a caret under the
        // (anchored) pattern; keep the line that says what is wrong.
        let text = error.to_string();
        let reason = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("error: "))
            .map_or_else(
                || text.split_whitespace().collect::<Vec<_>>().join(" "),
                str::to_owned,
            );
        format!("invalid regex \"{pattern}\": {reason}")
    })
}

fn is_field_value(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || !b.is_ascii_control())
}
