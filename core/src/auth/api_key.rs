//! API keys: a key in a header or a query parameter, looked up in a keys
//! file by its SHA-256 digest.
//!
//! The file holds one `name:sha256-hex` per line (`#` comments and blank
//! lines are skipped), so the gateway never stores a key itself:
//! `printf %s "$KEY" | sha256sum` gives the hex. A request's key is hashed
//! and compared with the stored digests in constant time (`subtle`), every
//! digest of its bucket compared in full with no early exit. Buckets are
//! picked by the digest's first byte: that tells an attacker at most that
//! the digest of the key they sent shares a byte with some valid key's
//! digest, which they could compute themselves and which says nothing about
//! any valid key; it keeps a lookup at O(keys / 256).

use std::collections::HashSet;

use subtle::{ConditionallySelectable, ConstantTimeEq};

use super::{query, realm_param, Denial, Granted, RouteAuth};
use crate::http1::RequestHead;
use crate::status::Failure;

/// `auth = { api_key = { ... } }`, loaded.
pub struct ApiKeyAuth {
    /// Header carrying the key (lowercase), if keys are read from one.
    pub header: Option<String>,
    /// Query parameter carrying the key, if keys are read from one.
    pub query: Option<String>,
    /// The consumers and their key digests.
    pub keys: KeyStore,
    /// Header sent upstream with the consumer's name.
    pub forward_as: Option<String>,
    /// Realm of the `WWW-Authenticate: Key` challenge.
    pub realm: String,
}

impl ApiKeyAuth {
    /// Checks the request's key; on success the grant names the consumer.
    pub fn check<'a>(
        &self,
        auth: &'a RouteAuth,
        head: &RequestHead,
    ) -> Result<Granted<'a>, Denial> {
        let from_header = self
            .header
            .as_deref()
            .and_then(|name| head.header(name))
            .filter(|v| !v.is_empty());
        let key = match from_header {
            Some(key) => Some(std::borrow::Cow::Borrowed(key)),
            None => self
                .query
                .as_deref()
                .and_then(|name| query::param(head.target(), name))
                .filter(|v| !v.is_empty()),
        };
        let Some(key) = key else {
            return Err(self.deny(Failure::Unauthenticated, "no API key"));
        };
        let Some(consumer) = self.keys.lookup(&key) else {
            return Err(self.deny(Failure::BadCredentials, "unknown API key"));
        };
        let mut granted = Granted::new(auth);
        if let Some(name) = &self.forward_as {
            granted.add_header(name, consumer.as_bytes());
        }
        if let Some(param) = &auth.strip_query {
            granted.target = query::without_param(&head.origin_target(), param);
        }
        Ok(granted)
    }

    fn deny(&self, failure: Failure, detail: &'static str) -> Denial {
        Denial {
            failure,
            challenge: Some(format!("Key {}", realm_param(&self.realm))),
            detail,
        }
    }
}

/// SHA-256 digests of the valid keys and whose they are.
pub struct KeyStore {
    /// 256 buckets by the digest's first byte: (digest, consumer index).
    buckets: Vec<Vec<([u8; 32], u32)>>,
    consumers: Vec<String>,
}

impl std::fmt::Debug for KeyStore {
    /// Consumer names only: digests stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("consumers", &self.consumers)
            .finish()
    }
}

impl KeyStore {
    /// Parses a keys file: one `name:sha256-hex` per line. Errors name the
    /// line.
    pub fn parse(text: &str) -> Result<KeyStore, String> {
        let mut buckets: Vec<Vec<([u8; 32], u32)>> = vec![Vec::new(); 256];
        let mut consumers: Vec<String> = Vec::new();
        let mut seen: HashSet<[u8; 32]> = HashSet::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, hex)) = line.rsplit_once(':') else {
                return Err(format!(
                    "line {number}: expected \"name:sha256-hex\", got no ':'"
                ));
            };
            let name = name.trim();
            if name.is_empty() || !super::is_field_value(name.as_bytes()) {
                return Err(format!(
                    "line {number}: the consumer name must be non-empty printable text"
                ));
            }
            let digest = parse_digest(hex.trim()).ok_or_else(|| {
                format!("line {number}: \"{}\" is not 64 hex digits (a SHA-256 digest; make one with `printf %s KEY | sha256sum`)", hex.trim())
            })?;
            if !seen.insert(digest) {
                return Err(format!(
                    "line {number}: the same key digest is listed twice"
                ));
            }
            let consumer = u32::try_from(consumers.len())
                .map_err(|_| format!("line {number}: too many keys"))?;
            consumers.push(name.to_owned());
            if let Some(bucket) = buckets.get_mut(usize::from(digest[0])) {
                bucket.push((digest, consumer));
            }
        }
        if consumers.is_empty() {
            return Err("holds no key (expected lines of \"name:sha256-hex\")".into());
        }
        Ok(KeyStore { buckets, consumers })
    }

    /// The consumer whose key is `key`, compared by digest in constant time
    /// within its bucket.
    pub fn lookup(&self, key: &[u8]) -> Option<&str> {
        let digest = ring::digest::digest(&ring::digest::SHA256, key);
        let digest = digest.as_ref();
        let bucket = self.buckets.get(usize::from(*digest.first()?))?;
        let mut found = u32::MAX;
        for (stored, consumer) in bucket {
            found.conditional_assign(consumer, stored.as_slice().ct_eq(digest));
        }
        self.consumers
            .get(usize::try_from(found).ok()?)
            .map(String::as_str)
    }

    /// How many keys the file held.
    pub fn len(&self) -> usize {
        self.consumers.len()
    }

    /// Whether the store holds no key (never true once parsed).
    pub fn is_empty(&self) -> bool {
        self.consumers.is_empty()
    }
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        *slot = u8::try_from(high << 4 | low).ok()?;
    }
    Some(out)
}
