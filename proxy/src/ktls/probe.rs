//! What the running kernel's kTLS can do, asked once at startup: whether the
//! "tls" ULP attaches to an established loopback TCP socket, and for which
//! ciphers it accepts `TLS_TX` and `TLS_RX` (a fresh socket pair per
//! cipher, all-zero keys: the kernel checks the cipher and the struct size,
//! and loads the AEAD, but never uses the keys on these sockets).

use super::crypto_info::{self, AES_GCM_128, AES_GCM_256, CHACHA20_POLY1305};
use super::sys;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// The probe's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Support {
    /// Kernel cipher numbers taken for both directions.
    pub ciphers: Vec<u16>,
    /// Why kTLS is unavailable (no ULP), when it is.
    pub unavailable: Option<String>,
}

impl Support {
    /// Whether the kernel has kTLS at all.
    pub fn available(&self) -> bool {
        self.unavailable.is_none()
    }

    /// Whether the kernel takes this cipher both ways.
    pub fn takes(&self, cipher: u16) -> bool {
        self.ciphers.contains(&cipher)
    }

    /// The ciphers as names, for the startup log.
    pub fn describe(&self) -> String {
        match &self.unavailable {
            Some(why) => format!("unavailable ({why})"),
            None if self.ciphers.is_empty() => "ulp only, no cipher accepted".to_owned(),
            None => self
                .ciphers
                .iter()
                .map(|&c| crypto_info::cipher_name(c))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// Ask the kernel. Never fails: anything that goes wrong is the answer.
pub fn probe() -> Support {
    let mut support = Support::default();
    for cipher in [AES_GCM_128, AES_GCM_256, CHACHA20_POLY1305] {
        match try_cipher(cipher) {
            Ok(true) => support.ciphers.push(cipher),
            Ok(false) => {}
            Err(Unavailable(why)) => {
                support.unavailable = Some(why);
                support.ciphers.clear();
                return support;
            }
        }
    }
    support
}

/// The ULP itself is missing (or loopback sockets failed).
struct Unavailable(String);

fn try_cipher(cipher: u16) -> Result<bool, Unavailable> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .map_err(|e| Unavailable(format!("loopback listener: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Unavailable(format!("loopback listener: {e}")))?;
    let _client =
        TcpStream::connect(addr).map_err(|e| Unavailable(format!("loopback connect: {e}")))?;
    let (server, _) = listener
        .accept()
        .map_err(|e| Unavailable(format!("loopback accept: {e}")))?;
    let fd = server.as_raw_fd();
    sys::set_ulp_tls(fd).map_err(|e| Unavailable(format!("TCP_ULP \"tls\": {e}")))?;
    let blob = crypto_info::probe_blob(cipher);
    Ok(sys::set_crypto_info(fd, sys::TLS_TX, &blob).is_ok()
        && sys::set_crypto_info(fd, sys::TLS_RX, &blob).is_ok())
}
