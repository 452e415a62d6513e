//! Choosing the certificate for a handshake by SNI, from a set that the
//! reload thread can replace at any time.
//!
//! Exact names win over wildcards; `*.b.example` matches one label in
//! front of `b.example` (`a.b.example`, not `b.example` nor `x.a.b.example`),
//! as in RFC 6125 §6.4.3. With no SNI, or a name no certificate lists, the
//! first certificate (the default) is served. The set sits behind an
//! `ArcSwap`: a handshake loads it without a lock, a reload stores a new
//! one, and connections already established are not touched.

use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::Arc;

/// One certificate and the names it is chosen for.
#[derive(Debug)]
pub struct Entry {
    /// Exact names and `*.suffix` wildcards, lowercase.
    pub names: Vec<String>,
    /// The chain and signing key.
    pub key: Arc<CertifiedKey>,
}

/// A listener's certificates; the first is the default.
#[derive(Debug)]
pub struct CertSet(pub Vec<Entry>);

impl CertSet {
    /// The certificate for `sni` (lowercase expected; compared case-insensitively).
    pub fn pick(&self, sni: Option<&str>) -> Option<&Arc<CertifiedKey>> {
        if let Some(name) = sni {
            let exact = self
                .0
                .iter()
                .find(|e| e.names.iter().any(|n| n.eq_ignore_ascii_case(name)));
            if let Some(entry) = exact {
                return Some(&entry.key);
            }
            if let Some((_, parent)) = name.split_once('.') {
                let wild = self.0.iter().find(|e| {
                    e.names.iter().any(|n| {
                        n.strip_prefix("*.")
                            .is_some_and(|suffix| suffix.eq_ignore_ascii_case(parent))
                    })
                });
                if let Some(entry) = wild {
                    return Some(&entry.key);
                }
            }
        }
        self.0.first().map(|e| &e.key)
    }
}

/// The rustls resolver of one listener.
#[derive(Debug)]
pub struct SniResolver {
    set: ArcSwap<CertSet>,
}

impl SniResolver {
    /// A resolver serving `set`.
    pub fn new(set: CertSet) -> SniResolver {
        SniResolver {
            set: ArcSwap::from_pointee(set),
        }
    }

    /// Serve `set` to handshakes from now on.
    pub fn replace(&self, set: CertSet) {
        self.set.store(Arc::new(set));
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.set.load().pick(hello.server_name()).cloned()
    }
}
