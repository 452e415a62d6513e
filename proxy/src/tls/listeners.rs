//! Startup wiring of downstream TLS: one [`Acceptor`] per TLS listener
//! (built once on the control thread and shared by every shard's socket of
//! that address, paired with them by [`crate::upgrade::adopt`]), the mode
//! of each listener logged, and the certificate reload thread started.

use super::{reload, server, Acceptor};
use crate::drain::DrainFlag;
use crate::error::ProxyError;
use ringgate_core::config::tls::KtlsMode;
use ringgate_core::config::Server;
use std::sync::Arc;
use tracing::info;

/// The acceptor of each `server.listen` entry, in order (`None`: plain).
pub fn build(server: &Server, stop: &DrainFlag) -> Result<Vec<Option<Arc<Acceptor>>>, ProxyError> {
    let mut acceptors = Vec::with_capacity(server.listen.len());
    for (i, addr) in server.listen.iter().enumerate() {
        let tls = server.listen_tls.get(i).and_then(Option::as_ref);
        let acceptor = tls.map(server::acceptor).transpose()?.map(Arc::new);
        match &acceptor {
            None => info!(listener = %addr, mode = "plain", "listener TLS mode"),
            Some(a) => info!(
                listener = %addr,
                mode = a.mode(),
                ktls = match a.settings.ktls {
                    KtlsMode::Auto => "auto",
                    KtlsMode::On => "on",
                    KtlsMode::Off => "off",
                },
                kernel = %crate::ktls::mode::describe(a.settings.ktls),
                certs = a.settings.certs.len(),
                "listener TLS mode"
            ),
        }
        acceptors.push(acceptor);
    }
    reload::start(acceptors.iter().flatten().cloned().collect(), stop.clone())?;
    Ok(acceptors)
}
