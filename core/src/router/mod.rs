//! Routing: which configured route a request head belongs to.
//!
//! A [`Router`] is built once per config snapshot from the validated
//! [`Route`]s and shared read-only by every shard (it is `Send + Sync`).
//! [`Router::find`] runs on every request, so it allocates nothing: hosts and
//! header names are lowercased at build time, a request's host is compared
//! case-insensitively in place, and routes are tried in file order with the
//! cheapest conditions (method, host) first. With the few dozen routes of a
//! typical gateway a linear scan of compact entries beats any index; see
//! `benches/route.rs`. [`strip_prefix`] computes the path sent upstream for
//! routes with `strip_prefix = true`.

mod strip;
#[cfg(test)]
mod tests;

pub use strip::strip_prefix;

use crate::config::{HostMatch, PathMatch, Route};

/// Request headers by lowercase name, as the HTTP/1 codec exposes them.
pub trait HeaderLookup {
    /// The value of the first header named `name_lowercase`, if any.
    fn header(&self, name_lowercase: &str) -> Option<&[u8]>;
}

/// A request without headers (or whose headers no route looks at).
impl HeaderLookup for () {
    fn header(&self, _name_lowercase: &str) -> Option<&[u8]> {
        None
    }
}

/// Name-value pairs, names compared case-insensitively (handy in tests and
/// tools): pass `&pairs` where `pairs: &[(name, value)]`.
impl<N: AsRef<str>, V: AsRef<[u8]>> HeaderLookup for &[(N, V)] {
    fn header(&self, name_lowercase: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(name, _)| name.as_ref().eq_ignore_ascii_case(name_lowercase))
            .map(|(_, value)| value.as_ref())
    }
}

/// The routes of one config snapshot, ready for matching.
#[derive(Debug, Clone)]
pub struct Router {
    entries: Box<[Entry]>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Allowed methods; empty allows all.
    methods: Box<[Box<[u8]>]>,
    host: Option<Host>,
    path: Option<Path>,
    /// Required headers.
    headers: Box<[HeaderMatch]>,
}

/// A required header: lowercase name, exact value.
type HeaderMatch = (Box<str>, Box<[u8]>);

#[derive(Debug, Clone)]
enum Host {
    /// Lowercase host.
    Exact(Box<[u8]>),
    /// Lowercase suffix starting with `.`.
    Suffix(Box<[u8]>),
}

#[derive(Debug, Clone)]
enum Path {
    Exact(Box<[u8]>),
    Prefix(Box<[u8]>),
    Regex(regex::Regex),
}

impl Router {
    /// Prepares `routes` (in file order) for matching.
    pub fn new(routes: &[Route]) -> Router {
        let entries = routes
            .iter()
            .map(|route| Entry {
                methods: route.methods.iter().map(|m| bytes(m)).collect(),
                host: route.host.as_ref().map(|host| match host {
                    HostMatch::Exact(h) => Host::Exact(lower(h)),
                    HostMatch::Suffix(s) => Host::Suffix(lower(s)),
                }),
                path: route.path.as_ref().map(|path| match path {
                    PathMatch::Exact(p) => Path::Exact(bytes(p)),
                    PathMatch::Prefix(p) => Path::Prefix(bytes(p)),
                    PathMatch::Regex(re) => Path::Regex(re.clone()),
                }),
                headers: route
                    .headers
                    .iter()
                    .map(|(name, value)| (name.to_ascii_lowercase().into_boxed_str(), bytes(value)))
                    .collect(),
            })
            .collect();
        Router { entries }
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no routes (every request is a 404).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The index of the first route, in file order, that matches.
    ///
    /// `host` is the Host header value (it may carry a `:port`, which is
    /// ignored, and is compared case-insensitively); `path` is the
    /// request-target path without the query string; `method` is compared
    /// case-sensitively (RFC 9110 section 9.1).
    pub fn find(
        &self,
        method: &[u8],
        host: Option<&[u8]>,
        path: &[u8],
        headers: &dyn HeaderLookup,
    ) -> Option<usize> {
        let host = host.map(host_name);
        self.entries
            .iter()
            .position(|entry| entry.matches(method, host, path, headers))
    }
}

impl Entry {
    fn matches(
        &self,
        method: &[u8],
        host: Option<&[u8]>,
        path: &[u8],
        headers: &dyn HeaderLookup,
    ) -> bool {
        if !self.methods.is_empty() && !self.methods.iter().any(|m| **m == *method) {
            return false;
        }
        if let Some(want) = &self.host {
            let Some(host) = host else {
                return false;
            };
            let ok = match want {
                Host::Exact(exact) => host.eq_ignore_ascii_case(exact),
                Host::Suffix(suffix) => {
                    host.len() > suffix.len()
                        && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
                }
            };
            if !ok {
                return false;
            }
        }
        if let Some(want) = &self.path {
            let ok = match want {
                Path::Exact(exact) => path == &**exact,
                Path::Prefix(prefix) => prefix_matches(path, prefix),
                // Request paths are ASCII in practice; one that is not even
                // UTF-8 cannot match a (Unicode) regex route.
                Path::Regex(re) => std::str::from_utf8(path).is_ok_and(|p| re.is_match(p)),
            };
            if !ok {
                return false;
            }
        }
        self.headers
            .iter()
            .all(|(name, value)| headers.header(name) == Some(&**value))
    }
}

/// Does `path` fall under `prefix`, on a segment boundary?
///
/// `/users` matches `/users`, `/users/` and `/users/42` but not `/usersfoo`;
/// a prefix that ends in `/` matches anything that starts with it.
pub(crate) fn prefix_matches(path: &[u8], prefix: &[u8]) -> bool {
    path.starts_with(prefix)
        && (path.len() == prefix.len() || prefix.ends_with(b"/") || path[prefix.len()] == b'/')
}

/// The host part of a Host header value: without `:port`, surrounding
/// whitespace or a trailing root dot; `[v6]` literals keep their brackets.
fn host_name(value: &[u8]) -> &[u8] {
    let value = value.trim_ascii();
    let name = if value.first() == Some(&b'[') {
        match value.iter().position(|&b| b == b']') {
            Some(end) => &value[..=end],
            None => value,
        }
    } else {
        match value.iter().position(|&b| b == b':') {
            Some(colon) => &value[..colon],
            None => value,
        }
    };
    name.strip_suffix(b".").unwrap_or(name)
}

fn bytes(s: &str) -> Box<[u8]> {
    s.as_bytes().into()
}

fn lower(s: &str) -> Box<[u8]> {
    s.to_ascii_lowercase().into_bytes().into_boxed_slice()
}
