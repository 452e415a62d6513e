//! kTLS: the kernel does the TLS record layer after rustls did the
//! handshake.
//!
//! At startup [`probe`] asks the kernel whether the "tls" ULP exists and
//! which ciphers it takes. Per connection, [`switch::handshake`] runs the
//! rustls handshake on whole records, [`switch::switch`] extracts the
//! traffic secrets (`enable_secret_extraction`) and installs them with
//! `TCP_ULP "tls"` + `TLS_TX`/`TLS_RX` ([`crypto_info`] builds the kernel
//! structs, [`sys`] makes the calls); from then on the connection's socket
//! is read and written with plain io_uring operations and the kernel (or a
//! NIC with TLS offload) encrypts and decrypts. Records the kernel does not
//! decrypt into the byte stream (alerts, post-handshake messages) surface
//! as EIO on a read and are handled in [`control`]. [`accept`] is the
//! listener's entry point; [`KtlsStream`] the connection's stream.

pub mod accept;
pub mod control;
pub mod crypto_info;
pub mod mode;
pub mod probe;
pub mod stream;
pub mod switch;
pub mod sys;

pub use probe::{probe, Support};
pub use stream::KtlsStream;

/// The probe's answer, asked once per process (on first use).
pub fn support() -> &'static Support {
    static SUPPORT: std::sync::OnceLock<Support> = std::sync::OnceLock::new();
    SUPPORT.get_or_init(probe)
}

#[cfg(test)]
mod tests;
