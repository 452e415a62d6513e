//! CORS (the Fetch standard's cross-origin protocol) for a route: answer
//! preflights at the edge and add `Access-Control-*` fields to actual
//! responses.
//!
//! A preflight is an `OPTIONS` request with `Origin` and
//! `Access-Control-Request-Method`. It is answered by the gateway (204) and
//! never forwarded. When the origin, the requested method (beyond the
//! safelisted GET, HEAD and POST) and every requested header are allowed,
//! the answer carries the allow fields; otherwise it carries only
//! `Vary: Origin`, and the browser, finding no `Access-Control-Allow-Origin`,
//! blocks the actual request (Envoy's CORS filter with
//! `forward_not_matching_preflights = false` does the same). Actual requests
//! with an allowed `Origin` get `Access-Control-Allow-Origin` (the origin
//! echoed, or `*` when any origin is allowed without credentials),
//! `Access-Control-Allow-Credentials` and `Access-Control-Expose-Headers`
//! when configured; every response of the route gets `Vary: Origin`.
//! Everything here only writes complete `Name: value\r\n` lines into a
//! buffer: the proxy adds them through its one response encoder.

#[cfg(test)]
mod tests;

use crate::http1::RequestHead;

/// Methods a browser sends cross-origin without asking for them.
const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// One `allow_origins` entry other than `"*"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginRule {
    /// Exactly this origin, lowercase: `https://app.example:8443`.
    Exact(String),
    /// Any origin whose host ends with `suffix` (`.example.com`), with
    /// this scheme when one is given (`https://*.example.com`).
    Suffix {
        /// `http` or `https`; `None` matches both.
        scheme: Option<String>,
        /// `.example.com`, lowercase.
        suffix: String,
    },
}

impl OriginRule {
    /// Parses one `allow_origins` entry; `Ok(None)` is `"*"`.
    pub fn parse(text: &str) -> Result<Option<OriginRule>, String> {
        if text == "*" {
            return Ok(None);
        }
        let lower = text.to_ascii_lowercase();
        let (scheme, rest) = match lower.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, lower.as_str()),
        };
        let bad = || {
            format!(
                "invalid origin \"{text}\": expected \"*\", \"https://app.example\" (scheme, host, optional port; no path) or \"*.example.com\""
            )
        };
        if let Some(s) = scheme {
            if s != "http" && s != "https" {
                return Err(bad());
            }
        }
        if let Some(suffix) = rest.strip_prefix("*.") {
            if !is_host(suffix) {
                return Err(bad());
            }
            return Ok(Some(OriginRule::Suffix {
                scheme: scheme.map(str::to_owned),
                suffix: format!(".{suffix}"),
            }));
        }
        // `host[:port]` or `[v6]`, `[v6]:port`; `port` is None when absent.
        let (host_ok, port) = match rest.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((addr, after)) if addr.parse::<std::net::Ipv6Addr>().is_ok() => {
                    match after.strip_prefix(':') {
                        Some(port) => (true, Some(port)),
                        None => (after.is_empty(), None),
                    }
                }
                _ => (false, None),
            },
            None => match rest.split_once(':') {
                Some((host, port)) => (is_host(host), Some(port)),
                None => (is_host(rest), None),
            },
        };
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if scheme.is_none() || !host_ok || !port_ok {
            return Err(bad());
        }
        Ok(Some(OriginRule::Exact(lower)))
    }

    fn matches(&self, origin: &[u8]) -> bool {
        match self {
            OriginRule::Exact(exact) => origin.eq_ignore_ascii_case(exact.as_bytes()),
            OriginRule::Suffix { scheme, suffix } => {
                let Some(at) = find(origin, b"://") else {
                    return false;
                };
                let (origin_scheme, rest) = (&origin[..at], &origin[at + 3..]);
                if let Some(s) = scheme {
                    if !origin_scheme.eq_ignore_ascii_case(s.as_bytes()) {
                        return false;
                    }
                }
                let host = match rest.iter().rposition(|&b| b == b':') {
                    Some(colon) => &rest[..colon],
                    None => rest,
                };
                host.len() > suffix.len()
                    && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
            }
        }
    }
}

/// A route's validated `cors` table, with its answer lines rendered once.
#[derive(Debug, Clone)]
pub struct Cors {
    origins: Vec<OriginRule>,
    any_origin: bool,
    methods: Vec<String>,
    headers: Vec<String>,
    any_header: bool,
    credentials: bool,
    /// `Access-Control-Allow-Methods: ...\r\n`.
    methods_line: String,
    /// `Access-Control-Allow-Headers: ...\r\n`, or empty.
    headers_line: String,
    /// `Access-Control-Expose-Headers: ...\r\n`, or empty.
    expose_line: String,
    /// `Access-Control-Max-Age: ...\r\n`, or empty.
    max_age_line: String,
}

/// The validated settings a [`Cors`] is built from.
#[derive(Debug, Clone, Default)]
pub struct CorsSettings {
    /// `allow_origins` other than `"*"`.
    pub origins: Vec<OriginRule>,
    /// `allow_origins` has `"*"`.
    pub any_origin: bool,
    /// `allow_methods`, uppercase tokens.
    pub methods: Vec<String>,
    /// `allow_headers`, lowercase, without `"*"`.
    pub headers: Vec<String>,
    /// `allow_headers` has `"*"`.
    pub any_header: bool,
    /// `expose_headers`.
    pub expose: Vec<String>,
    /// `allow_credentials`.
    pub credentials: bool,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
}

/// How a preflight was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preflight {
    /// With the allow fields.
    Allowed,
    /// Without them, for this reason (for the log).
    Refused(&'static str),
}

/// Whether `head` is a CORS preflight.
pub fn is_preflight(head: &RequestHead) -> bool {
    head.method() == b"OPTIONS"
        && head.header("origin").is_some()
        && head.header("access-control-request-method").is_some()
}

impl Cors {
    /// Renders `settings` into the lines every answer uses.
    pub fn new(settings: CorsSettings) -> Cors {
        let line = |name: &str, items: &[String]| {
            if items.is_empty() {
                String::new()
            } else {
                format!("{name}: {}\r\n", items.join(", "))
            }
        };
        Cors {
            methods_line: line("Access-Control-Allow-Methods", &settings.methods),
            headers_line: line("Access-Control-Allow-Headers", &settings.headers),
            expose_line: line("Access-Control-Expose-Headers", &settings.expose),
            max_age_line: settings
                .max_age
                .map(|s| format!("Access-Control-Max-Age: {s}\r\n"))
                .unwrap_or_default(),
            origins: settings.origins,
            any_origin: settings.any_origin,
            methods: settings.methods,
            headers: settings.headers,
            any_header: settings.any_header,
            credentials: settings.credentials,
        }
    }

    /// Whether `origin` is allowed.
    pub fn allows_origin(&self, origin: &[u8]) -> bool {
        self.any_origin || self.origins.iter().any(|r| r.matches(origin))
    }

    /// The header lines answering preflight `head` (see the module docs).
    pub fn preflight(&self, head: &RequestHead, out: &mut Vec<u8>) -> Preflight {
        let origin = head.header("origin").unwrap_or_default();
        let method = head
            .header("access-control-request-method")
            .unwrap_or_default();
        let requested = head
            .header("access-control-request-headers")
            .unwrap_or_default();
        let verdict = if !self.allows_origin(origin) {
            Preflight::Refused("origin not allowed")
        } else if !self.allows_method(method) {
            Preflight::Refused("method not allowed")
        } else if !self.allows_headers(requested) {
            Preflight::Refused("header not allowed")
        } else {
            Preflight::Allowed
        };
        if verdict == Preflight::Allowed {
            self.allow_origin(origin, out);
            out.extend_from_slice(self.methods_line.as_bytes());
            if self.any_header && !requested.is_empty() {
                out.extend_from_slice(b"Access-Control-Allow-Headers: ");
                out.extend_from_slice(requested);
                out.extend_from_slice(b"\r\n");
            } else {
                out.extend_from_slice(self.headers_line.as_bytes());
            }
            out.extend_from_slice(self.max_age_line.as_bytes());
        }
        out.extend_from_slice(b"Vary: Origin\r\n");
        verdict
    }

    /// The header lines added to the response to actual request `head`.
    pub fn actual(&self, head: &RequestHead, out: &mut Vec<u8>) {
        if let Some(origin) = head.header("origin") {
            if self.allows_origin(origin) {
                self.allow_origin(origin, out);
                out.extend_from_slice(self.expose_line.as_bytes());
            }
        }
        out.extend_from_slice(b"Vary: Origin\r\n");
    }

    fn allow_origin(&self, origin: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(b"Access-Control-Allow-Origin: ");
        if self.any_origin && !self.credentials {
            out.push(b'*');
        } else {
            out.extend_from_slice(origin);
        }
        out.extend_from_slice(b"\r\n");
        if self.credentials {
            out.extend_from_slice(b"Access-Control-Allow-Credentials: true\r\n");
        }
    }

    fn allows_method(&self, method: &[u8]) -> bool {
        SAFELISTED_METHODS.iter().any(|m| m.as_bytes() == method)
            || self.methods.iter().any(|m| m.as_bytes() == method)
    }

    fn allows_headers(&self, requested: &[u8]) -> bool {
        self.any_header
            || requested
                .split(|&b| b == b',')
                .map(trim)
                .filter(|name| !name.is_empty())
                .all(|name| {
                    self.headers
                        .iter()
                        .any(|h| h.as_bytes().eq_ignore_ascii_case(name))
                })
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    bytes.get(start..end).unwrap_or_default()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_host(text: &str) -> bool {
    !text.is_empty()
        && text.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}
