//! TLS termination on one listener: the rustls server config built from
//! `ServerTls` (ring provider, the configured versions, ALPN `http/1.1`,
//! session tickets and a stateful session cache for resumption, the SNI
//! resolver), shared by every shard's socket of that listener.

use super::certs::certified_key;
use super::error::TlsError;
use super::resolver::{CertSet, Entry, SniResolver};
use super::{protocol_versions, provider};
use ringgate_core::config::tls::ServerTls;
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache};
use rustls::ServerConfig;
use std::sync::Arc;

/// What a listener hands each accepted connection for its handshake.
#[derive(Debug)]
pub struct Acceptor {
    /// The rustls config (its resolver sees certificate reloads).
    pub config: Arc<ServerConfig>,
    /// The certificates, replaced on reload.
    pub resolver: Arc<SniResolver>,
    /// The settings it was built from.
    pub settings: ServerTls,
    /// The kernel's kTLS, when this listener hands records to it.
    pub ktls: Option<&'static crate::ktls::Support>,
}

impl Acceptor {
    /// The connection mode this listener runs (logged at startup).
    pub fn mode(&self) -> &'static str {
        if self.ktls.is_some() {
            "ktls"
        } else {
            "rustls"
        }
    }
}

/// Load every certificate of `tls` into a set.
pub fn load_set(tls: &ServerTls) -> Result<CertSet, TlsError> {
    let provider = provider();
    let entries = tls
        .certs
        .iter()
        .map(|pair| {
            Ok(Entry {
                names: pair.names.clone(),
                key: certified_key(&pair.path, &pair.cert, &pair.key, &provider)?,
            })
        })
        .collect::<Result<Vec<_>, TlsError>>()?;
    Ok(CertSet(entries))
}

/// Build the acceptor of one listener.
pub fn acceptor(tls: &ServerTls) -> Result<Acceptor, TlsError> {
    let ktls = crate::ktls::mode::decide(tls.ktls).map_err(|error| TlsError::Setting {
        key: format!("{}.ktls", tls.path),
        error,
    })?;
    let resolver = Arc::new(SniResolver::new(load_set(tls)?));
    let setting = |error: rustls::Error| TlsError::Setting {
        key: format!("{}.protocols", tls.path),
        error: error.to_string(),
    };
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&protocol_versions(&tls.protocols))
        .map_err(setting)?
        .with_no_client_auth()
        .with_cert_resolver(resolver.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.enable_secret_extraction = ktls.is_some();
    config.session_storage = if tls.session_cache > 0 {
        ServerSessionMemoryCache::new(tls.session_cache)
    } else {
        Arc::new(NoServerSessionStorage {})
    };
    if tls.session_tickets {
        config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(setting)?;
    }
    Ok(Acceptor {
        config: Arc::new(config),
        resolver,
        settings: tls.clone(),
        ktls,
    })
}
