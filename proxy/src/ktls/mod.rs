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
//! as EIO on a read and are handled in [`control`].

pub mod control;
pub mod crypto_info;
pub mod probe;
pub mod switch;
pub mod sys;

pub use probe::{probe, Support};

#[cfg(test)]
mod tests;
