//! Whom an https run trusts: the system roots, a `--cacert` PEM bundle, or
//! nobody (`--insecure`).
//!
//! The roots are loaded once on the main thread into the one
//! `rustls::ClientConfig` every shard starts from. `--insecure` swaps the
//! certificate verifier for [`NoVerification`], which accepts any chain and
//! name but still checks the handshake signatures with the provider's
//! algorithms, as `curl -k` does: the peer must hold the key of the
//! certificate it sent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::TlsSetupError;

/// Where the certificates that verify servers come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// The system's CA certificates (`SSL_CERT_FILE`/`SSL_CERT_DIR` if set).
    System,
    /// Only the CA certificates in this PEM file (`--cacert`).
    File(PathBuf),
    /// No verification of the chain or the name (`--insecure`).
    Insecure,
}

impl Trust {
    /// From the command line flags.
    pub fn from_flags(insecure: bool, cacert: Option<&Path>) -> Trust {
        match (insecure, cacert) {
            (true, _) => Trust::Insecure,
            (false, Some(p)) => Trust::File(p.to_path_buf()),
            (false, None) => Trust::System,
        }
    }

    /// How an error message names this trust store.
    pub fn describe(&self) -> String {
        match self {
            Trust::System => "the system's CA certificates".to_string(),
            Trust::File(p) => format!("--cacert {}", p.display()),
            Trust::Insecure => "--insecure".to_string(),
        }
    }
}

/// The root store for [`Trust::System`] or [`Trust::File`].
pub fn roots(trust: &Trust) -> Result<RootCertStore, TlsSetupError> {
    let mut store = RootCertStore::empty();
    match trust {
        Trust::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _unparsable) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map_or("none found".to_string(), ToString::to_string);
                return Err(TlsSetupError::NoSystemRoots(why));
            }
        }
        Trust::File(path) => {
            let bad = |reason: String| TlsSetupError::CaCert {
                path: path.display().to_string(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))?;
            for cert in certs {
                let cert = cert.map_err(|e| bad(e.to_string()))?;
                store.add(cert).map_err(|e| bad(e.to_string()))?;
            }
            if store.is_empty() {
                return Err(bad("no CERTIFICATE block in the file".into()));
            }
        }
        Trust::Insecure => {}
    }
    Ok(store)
}

/// `--insecure`: any certificate for any name, but a valid handshake signature.
#[derive(Debug)]
pub struct NoVerification {
    algorithms: WebPkiSupportedAlgorithms,
}

impl NoVerification {
    /// Check signatures with these algorithms (the provider's).
    pub fn new(algorithms: WebPkiSupportedAlgorithms) -> NoVerification {
        NoVerification { algorithms }
    }
}

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Wrap a verifier for the config builder.
pub fn insecure(algorithms: WebPkiSupportedAlgorithms) -> Arc<dyn ServerCertVerifier> {
    Arc::new(NoVerification::new(algorithms))
}
