//! Per-shard cache of verified JWTs, so a client that sends the same token
//! again does not pay for the signature check again (an RS256 check costs
//! more than the rest of the request; see the README section's numbers).
//!
//! Keyed by SHA-256 of the token; an entry keeps the identity headers the
//! token granted and the window its `exp` and `nbf` (with the leeway) allow,
//! capped at [`CACHE_TTL`]. Every claim check other than time depends only
//! on the token's bytes, which the key pins. The cache belongs to one key
//! set: it holds an `Arc` of the set it was filled under and empties itself
//! when the route's current set is another one (a JWKS refresh), so a key
//! rotated out stops working at once. Failures are not cached.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::jwt::{KeySet, Rules};

/// Longest a verified token is trusted without checking its signature again.
pub const CACHE_TTL: u64 = 60;
/// Most tokens cached per route per shard.
pub const CACHE_MAX: usize = 1024;

/// One shard's verified tokens for one route.
#[derive(Debug, Default)]
pub struct Cache {
    /// The key set the entries were verified with.
    keys: Option<Arc<KeySet>>,
    entries: HashMap<[u8; 32], Entry>,
}

#[derive(Debug)]
struct Entry {
    /// First second (Unix) the token is valid in.
    not_before: u64,
    /// First second it is no longer trusted in.
    until: u64,
    /// The identity header lines it granted.
    headers: Vec<u8>,
}

/// SHA-256 of a token, the cache key.
pub fn digest(token: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    key.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token).as_ref());
    key
}

impl Cache {
    /// The headers granted to the token with digest `key` if it was
    /// verified under `keys` and is valid at `now`.
    pub fn get(&mut self, keys: &Arc<KeySet>, key: &[u8; 32], now: u64) -> Option<&[u8]> {
        if !self.keys.as_ref().is_some_and(|k| Arc::ptr_eq(k, keys)) {
            self.entries.clear();
            self.keys = Some(Arc::clone(keys));
            return None;
        }
        match self.entries.get(key) {
            Some(e) if e.not_before <= now && now < e.until => {}
            Some(_) => {
                self.entries.remove(key);
                return None;
            }
            None => return None,
        }
        self.entries.get(key).map(|e| e.headers.as_slice())
    }

    /// Remember a token verified at `now` with `claims`, granting `headers`.
    pub fn insert(
        &mut self,
        key: [u8; 32],
        claims: &Map<String, Value>,
        rules: &Rules,
        now: u64,
        headers: Vec<u8>,
    ) {
        let leeway = rules.leeway as f64;
        let time = |name: &str| claims.get(name).and_then(Value::as_f64);
        let until = time("exp").map_or(u64::MAX, |exp| (exp + leeway).ceil().max(0.0) as u64);
        let not_before = time("nbf").map_or(0, |nbf| (nbf - leeway).ceil().max(0.0) as u64);
        if self.entries.len() >= CACHE_MAX {
            self.entries.retain(|_, e| now < e.until);
            if self.entries.len() >= CACHE_MAX {
                self.entries.clear();
            }
        }
        self.entries.insert(
            key,
            Entry {
                not_before,
                until: until.min(now.saturating_add(CACHE_TTL)),
                headers,
            },
        );
    }

    /// Cached tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
