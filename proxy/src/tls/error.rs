//! Why TLS could not be set up (startup, reload): each names the config key
//! and the file it is about.

use std::path::PathBuf;

/// A TLS setup error.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A certificate, key or CA file could not be read or parsed.
    #[error("{key}: {file}: {error}")]
    File {
        /// The config key that names the file (`server.tls.certs[0].key`).
        key: String,
        /// The file.
        file: PathBuf,
        /// What was wrong with it.
        error: String,
    },
    /// A setting could not be applied (protocol versions, kTLS).
    #[error("{key}: {error}")]
    Setting {
        /// The config key.
        key: String,
        /// What was wrong.
        error: String,
    },
}

impl From<TlsError> for crate::error::ProxyError {
    fn from(error: TlsError) -> Self {
        crate::error::ProxyError::Tls(error)
    }
}
