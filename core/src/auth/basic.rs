//! Basic authentication (RFC 7617) against an htpasswd file of bcrypt
//! hashes, with a per-shard cache of successful checks.
//!
//! bcrypt is slow on purpose (tens of milliseconds at cost 10), and a shard
//! that runs it runs nothing else meanwhile. So each shard remembers, per
//! route, the credentials it has verified: a bounded map keyed by
//! SHA-256(per-shard random salt, stored hash, user, password) that expires
//! entries after [`CACHE_TTL`]. Only the first request of a credential on a
//! shard pays for bcrypt. Failed attempts are not cached, and an unknown user
//! is checked against a real hash anyway so both answers take as long.
//! Keying by the stored hash makes an entry useless once the file changes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;

use super::{credentials, realm_param, Denial, Granted, RouteAuth};
use crate::http1::RequestHead;
use crate::status::Failure;

/// How long a verified credential is trusted without running bcrypt again.
pub const CACHE_TTL: Duration = Duration::from_secs(60);
/// Most cached credentials per route per shard.
pub const CACHE_MAX: usize = 1024;

/// `auth = { basic = { ... } }`, loaded.
pub struct BasicAuth {
    /// The users and their bcrypt hashes.
    pub users: Htpasswd,
    /// Realm of the `WWW-Authenticate: Basic` challenge.
    pub realm: String,
    /// Header sent upstream with the user name.
    pub forward_as: Option<String>,
}

/// Users and bcrypt hashes from an htpasswd file.
#[derive(Default)]
pub struct Htpasswd {
    users: HashMap<String, String>,
    /// A real hash verified against for unknown users (equal timing).
    decoy: String,
}

impl std::fmt::Debug for Htpasswd {
    /// User names only: hashes stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut users: Vec<&str> = self.users.keys().map(String::as_str).collect();
        users.sort_unstable();
        f.debug_struct("Htpasswd").field("users", &users).finish()
    }
}

impl Htpasswd {
    /// Parses `user:hash` lines; only bcrypt hashes (`$2y$`, `$2b$`, `$2a$`)
    /// are accepted. Errors name the line.
    pub fn parse(text: &str) -> Result<Htpasswd, String> {
        let mut users = HashMap::new();
        let mut decoy = String::new();
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((user, hash)) = line.split_once(':') else {
                return Err(format!("line {number}: expected \"user:bcrypt-hash\""));
            };
            if user.is_empty() || !super::is_field_value(user.as_bytes()) {
                return Err(format!(
                    "line {number}: the user name must be non-empty printable text"
                ));
            }
            let hash = hash.trim();
            if !["$2y$", "$2b$", "$2a$"].iter().any(|p| hash.starts_with(p)) {
                return Err(format!(
                    "line {number}: user \"{user}\": only bcrypt hashes ($2y$, $2b$, $2a$) are supported; make one with `htpasswd -B`"
                ));
            }
            if hash.parse::<bcrypt::HashParts>().is_err() {
                return Err(format!(
                    "line {number}: user \"{user}\": invalid bcrypt hash"
                ));
            }
            if decoy.is_empty() {
                decoy = hash.to_owned();
            }
            if users.insert(user.to_owned(), hash.to_owned()).is_some() {
                return Err(format!("line {number}: user \"{user}\" is listed twice"));
            }
        }
        if users.is_empty() {
            return Err("holds no user (expected lines of \"user:bcrypt-hash\")".into());
        }
        Ok(Htpasswd { users, decoy })
    }

    /// How many users the file held.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the file held no user (never true once parsed).
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl BasicAuth {
    /// Checks `Authorization: Basic ...`, consulting and filling `cache`.
    pub fn check<'a>(
        &self,
        auth: &'a RouteAuth,
        head: &RequestHead,
        cache: &mut Cache,
        now: Instant,
    ) -> Result<Granted<'a>, Denial> {
        let Some(encoded) = credentials(head, "Basic") else {
            return Err(self.deny(Failure::Unauthenticated, "no basic credentials"));
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| self.deny(Failure::BadCredentials, "credentials are not base64"))?;
        let text = std::str::from_utf8(&decoded)
            .map_err(|_| self.deny(Failure::BadCredentials, "credentials are not UTF-8"))?;
        let Some((user, password)) = text.split_once(':') else {
            return Err(self.deny(Failure::BadCredentials, "credentials lack ':'"));
        };
        let Some((name, hash)) = self.users.users.get_key_value(user) else {
            let _ = bcrypt::verify(password, &self.users.decoy);
            return Err(self.deny(Failure::BadCredentials, "unknown user or wrong password"));
        };
        let key = cache.key(hash, user, password);
        if !cache.hit(&key, now) {
            if !bcrypt::verify(password, hash).unwrap_or(false) {
                return Err(self.deny(Failure::BadCredentials, "unknown user or wrong password"));
            }
            cache.insert(key, now);
        }
        let mut granted = Granted::new(auth);
        if let Some(header) = &self.forward_as {
            granted.add_header(header, name.as_bytes());
        }
        Ok(granted)
    }

    fn deny(&self, failure: Failure, detail: &'static str) -> Denial {
        Denial {
            failure,
            challenge: Some(format!(
                "Basic {}, charset=\"UTF-8\"",
                realm_param(&self.realm)
            )),
            detail,
        }
    }
}

/// One shard's verified credentials for one route; see the module docs.
#[derive(Debug)]
pub struct Cache {
    salt: [u8; 16],
    verified: HashMap<[u8; 32], Instant>,
    ttl: Duration,
    max: usize,
}

impl Cache {
    /// An empty cache whose keys are salted with `salt` (random per shard).
    pub fn new(salt: [u8; 16], ttl: Duration, max: usize) -> Cache {
        Cache {
            salt,
            verified: HashMap::new(),
            ttl,
            max,
        }
    }

    fn key(&self, hash: &str, user: &str, password: &str) -> [u8; 32] {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.salt);
        for part in [hash, user, password] {
            ctx.update(&(part.len() as u64).to_be_bytes());
            ctx.update(part.as_bytes());
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        key
    }

    fn hit(&mut self, key: &[u8; 32], now: Instant) -> bool {
        match self.verified.get(key) {
            Some(&at) if now.saturating_duration_since(at) < self.ttl => true,
            Some(_) => {
                self.verified.remove(key);
                false
            }
            None => false,
        }
    }

    fn insert(&mut self, key: [u8; 32], now: Instant) {
        if self.verified.len() >= self.max {
            let ttl = self.ttl;
            self.verified
                .retain(|_, at| now.saturating_duration_since(*at) < ttl);
            if self.verified.len() >= self.max {
                self.verified.clear();
            }
        }
        self.verified.insert(key, now);
    }

    /// Cached credentials (for tests and metrics).
    pub fn len(&self) -> usize {
        self.verified.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.verified.is_empty()
    }
}
