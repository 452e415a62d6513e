//! Authentication per route (issue 5): who is calling, decided before a
//! request is forwarded.
//!
//! A route's `auth` table picks one kind: [`api_key`] (a key in a header
//! or query parameter, looked up by SHA-256 digest in constant time),
//! [`jwt`] (a signed bearer token checked against a key set that a JWKS URL
//! may refresh), [`basic`] (an htpasswd file of bcrypt hashes, with a
//! per-shard cache of successful checks) or [`forward`] (a subrequest to an
//! auth service, done by the proxy). Everything here is pure: files are read
//! by config validation, sockets belong to the proxy. A check either grants
//! the request, with identity headers to add ([`Granted`]), or denies it
//! with a [`Denial`]: a [`Failure`] (401) and the `WWW-Authenticate`
//! challenge to send.
//!
//! Identity headers are set by the gateway only: every header a route's auth
//! may set is in [`RouteAuth::strip`], so a client-sent copy is removed
//! before forwarding, and so is the credential itself unless the route sets
//! `forward_credentials = true`.

pub mod api_key;
pub mod basic;
pub mod body;
pub mod forward;
pub mod jwt;
pub mod jwt_cache;
mod query;

#[cfg(test)]
mod tests;

use std::fmt;

use crate::http1::{HeaderEdit, RequestHead};
use crate::status::Failure;

pub use query::without_param;

/// A route's authentication policy, validated and loaded.
pub struct RouteAuth {
    /// What checks the credentials.
    pub kind: AuthKind,
    /// Request headers (lowercase) removed before forwarding: every identity
    /// header the gateway may set and, unless `forward_credentials`, the
    /// header carrying the credential.
    pub strip: Vec<String>,
    /// A query parameter removed from the forwarded target (an API key sent
    /// in the query, unless `forward_credentials`).
    pub strip_query: Option<String>,
}

impl RouteAuth {
    /// A policy of `kind` stripping `strip` (lowercased, deduplicated).
    pub fn new(kind: AuthKind, strip: Vec<String>, strip_query: Option<String>) -> RouteAuth {
        let mut names: Vec<String> = Vec::with_capacity(strip.len());
        for name in strip {
            let lower = name.to_ascii_lowercase();
            if !names.contains(&lower) {
                names.push(lower);
            }
        }
        RouteAuth {
            kind,
            strip: names,
            strip_query,
        }
    }

    /// The kind's name as used in config, logs and metrics.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            AuthKind::ApiKey(_) => "api_key",
            AuthKind::Jwt(_) => "jwt",
            AuthKind::Basic(_) => "basic",
            AuthKind::Forward(_) => "forward",
        }
    }
}

impl fmt::Debug for RouteAuth {
    /// Names the kind only: key digests and hashes stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteAuth")
            .field("kind", &self.kind_name())
            .field("strip", &self.strip)
            .finish_non_exhaustive()
    }
}

/// The four kinds of authentication.
pub enum AuthKind {
    /// `auth = { api_key = { ... } }`.
    ApiKey(api_key::ApiKeyAuth),
    /// `auth = { jwt = { ... } }`.
    Jwt(jwt::JwtAuth),
    /// `auth = { basic = { ... } }`.
    Basic(basic::BasicAuth),
    /// `auth = { forward = { ... } }`.
    Forward(forward::ForwardAuth),
}

/// A request the route's auth let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted<'a> {
    /// Headers to remove from the forwarded request (see [`RouteAuth::strip`]).
    pub strip: &'a [String],
    /// Identity header lines to add, each `Name: value\r\n`.
    pub headers: Vec<u8>,
    /// The request-target to forward instead of the client's (the API key
    /// query parameter removed).
    pub target: Option<Vec<u8>>,
}

impl<'a> Granted<'a> {
    /// A grant for `auth` adding no header yet.
    pub fn new(auth: &'a RouteAuth) -> Granted<'a> {
        Granted {
            strip: &auth.strip,
            headers: Vec::new(),
            target: None,
        }
    }

    /// Adds the identity header `name: value`; a value that is not a valid
    /// field value (control characters) is not added and `false` returned.
    pub fn add_header(&mut self, name: &str, value: &[u8]) -> bool {
        if !is_field_value(value) {
            return false;
        }
        self.headers.extend_from_slice(name.as_bytes());
        self.headers.extend_from_slice(b": ");
        self.headers.extend_from_slice(value);
        self.headers.extend_from_slice(b"\r\n");
        true
    }

    /// How the forwarded head is edited.
    pub fn edit(&self) -> HeaderEdit<'_> {
        HeaderEdit {
            drop: self.strip,
            extra: &self.headers,
        }
    }
}

/// Why a request was refused, and the challenge to send with the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// The status and body the client sees.
    pub failure: Failure,
    /// The `WWW-Authenticate` value, if any.
    pub challenge: Option<String>,
    /// What was wrong, for the log line (and the Bearer `error_description`).
    pub detail: &'static str,
}

impl Denial {
    /// The `WWW-Authenticate: ...\r\n` line, or nothing.
    pub fn header_lines(&self) -> Vec<u8> {
        match &self.challenge {
            Some(value) => format!("WWW-Authenticate: {value}\r\n").into_bytes(),
            None => Vec::new(),
        }
    }
}

/// A realm as a quoted-string parameter (RFC 9110 section 11.2): config
/// validation refuses `"`, `\` and control characters in realms.
pub(crate) fn realm_param(realm: &str) -> String {
    format!("realm=\"{realm}\"")
}

/// Whether `value` may be sent as a header field value.
pub fn is_field_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// The lowercase SHA-256 hex of `bytes` (what the API keys file holds).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = String::with_capacity(64);
    for b in digest.as_ref() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// The credentials after `scheme ` in the request's `Authorization` header
/// (scheme compared case-insensitively, RFC 9110 section 11.1), trimmed.
pub(crate) fn credentials<'h>(head: &'h RequestHead, scheme: &str) -> Option<&'h [u8]> {
    let authorization = head.header("authorization")?;
    let scheme = scheme.as_bytes();
    let head = authorization.get(..scheme.len())?;
    if !head.eq_ignore_ascii_case(scheme) || authorization.get(scheme.len()) != Some(&b' ') {
        return None;
    }
    let rest = authorization.get(scheme.len() + 1..)?;
    let start = rest.iter().position(|&b| b != b' ')?;
    rest.get(start..)
}
