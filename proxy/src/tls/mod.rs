//! TLS with rustls (ring provider, TLS 1.2 and 1.3), both ways.
//!
//! Downstream, a listener with TLS has an [`Acceptor`] ([`server`]): its
//! rustls config picks a certificate by SNI ([`resolver`]), resumes
//! sessions (tickets and a session cache) and offers ALPN `http/1.1`; a
//! control thread reloads changed certificate files ([`reload`]).
//! Upstream, a [`client::Connector`] per upstream verifies targets against
//! a CA file or the system roots and may present a client certificate.
//! Either way the handshake and the records are driven by hand over a
//! monoio socket ([`session`], [`stream`]), and the tunnel after a 101 can
//! split a stream in two ([`split`]). Files are read with errors naming the
//! config key and the file ([`certs`]).

pub mod certs;
pub mod client;
pub mod error;
pub mod listeners;
pub mod reload;
pub mod resolver;
pub mod server;
pub mod session;
pub mod split;
pub mod stream;

pub use error::TlsError;
pub use server::Acceptor;
pub use session::HandshakeError;
pub use stream::TlsStream;

use ringgate_core::config::tls::TlsVersion;
use rustls::crypto::CryptoProvider;
use rustls::SupportedProtocolVersion;

/// The crypto provider: ring.
pub fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The rustls versions for the configured ones.
pub fn protocol_versions(versions: &[TlsVersion]) -> Vec<&'static SupportedProtocolVersion> {
    versions
        .iter()
        .map(|v| match v {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect()
}
