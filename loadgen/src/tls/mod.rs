//! https: rustls client sessions for `https://` targets.
//!
//! [`client_config`] builds one `rustls::ClientConfig` on the main thread
//! (the `ring` provider, TLS 1.3 and 1.2, ALPN `http/1.1`, the roots of a
//! [`Trust`]); each shard takes its own copy with [`for_shard`] so that its
//! session-resumption cache is shard-local like everything else. A
//! connection then runs a [`TlsStream`]: the handshake and the records are
//! driven over the same owned-buffer io_uring reads and writes as plain
//! connections, which never touch this module (see [`crate::stream`]).
//!
//! A failed handshake is a `connect` error; its cause is printed once per
//! run by [`report_handshake_failure`], not once per connection.

mod trust;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rustls::client::Resumption;
use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig};

pub use ringgate::tls::{HandshakeError, TlsStream};
pub use trust::Trust;

/// The only application protocol ringload speaks.
const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Why https could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The system trust store is empty or unreadable.
    #[error(
        "no system CA certificates ({0}): install ca-certificates, \
         or use --cacert FILE or --insecure"
    )]
    NoSystemRoots(String),
    /// `--cacert` could not be used.
    #[error("--cacert {path}: {reason}")]
    CaCert {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A host that cannot be a TLS server name.
    #[error("\"{0}\" is not a valid TLS server name")]
    ServerName(String),
    /// `--tls-cipher` names no suite of the ring provider.
    #[error("--tls-cipher {0}: unknown cipher suite (e.g. TLS13_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)")]
    Cipher(String),
    /// rustls refused the configuration.
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The client configuration every shard starts from.
pub fn client_config(trust: &Trust) -> Result<Arc<ClientConfig>, TlsSetupError> {
    client_config_with(trust, &[])
}

/// [`client_config`] offering only the named cipher suites (rustls' names,
/// e.g. `TLS13_AES_128_GCM_SHA256`; empty: all of them), so a benchmark can
/// pin the cipher on servers that follow the client's preference.
pub fn client_config_with(
    trust: &Trust,
    ciphers: &[String],
) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let mut provider = rustls::crypto::ring::default_provider();
    if !ciphers.is_empty() {
        let mut chosen = Vec::with_capacity(ciphers.len());
        for name in ciphers {
            let suite = provider
                .cipher_suites
                .iter()
                .find(|s| format!("{:?}", s.suite()).eq_ignore_ascii_case(name))
                .ok_or_else(|| TlsSetupError::Cipher(name.clone()))?;
            chosen.push(*suite);
        }
        provider.cipher_suites = chosen;
    }
    let provider = Arc::new(provider);
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let mut config = match trust {
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(trust::insecure(algorithms)),
        Trust::System | Trust::File(_) => builder.with_root_certificates(trust::roots(trust)?),
    }
    .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}

/// A shard's copy of `base`, with a session cache of its own (no lock
/// shared between cores when `--no-keepalive` resumes sessions).
pub fn for_shard(base: &ClientConfig) -> Arc<ClientConfig> {
    let mut config = base.clone();
    config.resumption = Resumption::default();
    Arc::new(config)
}

/// The name to verify (and send as SNI) for a URL host; an IP address
/// gets no SNI and is checked against the certificate's IP SANs.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsSetupError> {
    ServerName::try_from(host.to_string()).map_err(|_| TlsSetupError::ServerName(host.into()))
}

/// Whether a handshake failure was already printed in this run.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Print the first handshake failure of the run on stderr (later ones are
/// only counted as `connect` errors).
pub fn report_handshake_failure(peer: &str, trust: &Trust, error: &HandshakeError) {
    if REPORTED.swap(true, Ordering::Relaxed) {
        return;
    }
    eprintln!("ringload: {}", handshake_message(peer, trust, error));
}

/// "TLS handshake with PEER failed: CAUSE (HINT)".
pub fn handshake_message(peer: &str, trust: &Trust, error: &HandshakeError) -> String {
    let hint = match error {
        HandshakeError::Tls(rustls::Error::InvalidCertificate(e)) => certificate_hint(e, trust),
        HandshakeError::Tls(rustls::Error::InvalidMessage(_)) => {
            Some("is the server speaking TLS on that port?".to_string())
        }
        _ => None,
    };
    match hint {
        Some(h) => format!("TLS handshake with {peer} failed: {error} ({h})"),
        None => format!("TLS handshake with {peer} failed: {error}"),
    }
}

fn certificate_hint(e: &CertificateError, trust: &Trust) -> Option<String> {
    Some(match e {
        CertificateError::UnknownIssuer => format!(
            "the certificate is not trusted by {}: use --cacert FILE or --insecure",
            trust.describe()
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "the certificate is not valid for the URL's host: use a name it lists, or --insecure"
                .to_string()
        }
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => {
            "check the certificate's validity dates and this machine's clock".to_string()
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests;
