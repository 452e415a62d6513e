//! Reading certificate chains, private keys and CA bundles from PEM files,
//! with errors that name the config key and the file.

use super::error::TlsError;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use std::path::Path;
use std::sync::Arc;

fn file_error(key: &str, file: &Path, error: impl ToString) -> TlsError {
    TlsError::File {
        key: key.to_owned(),
        file: file.to_path_buf(),
        error: error.to_string(),
    }
}

/// Every certificate in a PEM file (at least one).
pub fn read_certs(key: &str, file: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(file)
        .map_err(|e| file_error(key, file, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(key, file, e))?;
    if certs.is_empty() {
        return Err(file_error(key, file, "no PEM certificate in the file"));
    }
    Ok(certs)
}

/// The first private key in a PEM file (PKCS#8, PKCS#1 or SEC1).
pub fn read_key(key: &str, file: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(file).map_err(|e| file_error(key, file, e))
}

/// A chain and its key, checked to belong together, ready to serve.
/// `at` is the config key of the pair (`server.tls`, `server.tls.certs[1]`).
pub fn certified_key(
    at: &str,
    cert: &Path,
    key: &Path,
    provider: &CryptoProvider,
) -> Result<Arc<CertifiedKey>, TlsError> {
    let cert_key = format!("{at}.cert");
    let key_key = format!("{at}.key");
    let chain = read_certs(&cert_key, cert)?;
    let der = read_key(&key_key, key)?;
    let signing = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| file_error(&key_key, key, e))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|e| {
        file_error(
            &key_key,
            key,
            format!("does not match {}: {e}", cert.display()),
        )
    })?;
    Ok(Arc::new(certified))
}
