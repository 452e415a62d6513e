//! The validated TLS settings: per client listener ([`ServerTls`]) and per
//! upstream ([`UpstreamTls`]). File names are resolved against the config
//! file's folder here; the files themselves are read by the proxy at
//! startup (and again on change), so core stays free of I/O on them.

use std::path::PathBuf;
use std::time::Duration;

/// TLS termination on one listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerTls {
    /// Where it was configured (`server.tls`, `server.listen[1].tls`), for messages.
    pub path: String,
    /// Certificate chains with their keys; the first is the default.
    pub certs: Vec<CertPair>,
    /// Whether the kernel takes over record encryption after the handshake.
    pub ktls: KtlsMode,
    /// Protocol versions offered (at least one).
    pub protocols: Vec<TlsVersion>,
    /// How often the certificate and key files are checked for changes.
    pub reload_interval: Duration,
    /// Stateless resumption with session tickets.
    pub session_tickets: bool,
    /// Sessions kept for stateful resumption (0 disables it).
    pub session_cache: usize,
}

/// One certificate chain (PEM) and its private key (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPair {
    /// The key path of this pair (`server.tls.certs[0]`), for messages.
    pub path: String,
    /// Certificate chain file, leaf first.
    pub cert: PathBuf,
    /// Private key file (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Server names (exact or `*.suffix`) it is chosen for by SNI; empty
    /// means the names in the certificate decide nothing: only the default.
    pub names: Vec<String>,
}

/// `ktls = "auto" | "on" | "off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KtlsMode {
    /// Use kTLS where the kernel supports the negotiated cipher.
    Auto,
    /// Require kTLS: startup fails where it is not available.
    On,
    /// Always userspace rustls.
    Off,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// TLS from the gateway to an upstream's targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamTls {
    /// Where it was configured (`upstreams.NAME.tls`), for messages.
    pub path: String,
    /// CA bundle to verify targets with; the system roots when `None`.
    pub ca: Option<PathBuf>,
    /// Server name sent and verified, for every target; when `None`, each
    /// target's host as written in `targets` (a name or an IP address).
    pub sni: Option<String>,
    /// Each target's host as written, in target order.
    pub target_hosts: Vec<String>,
    /// Client certificate chain and key for mutual TLS.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Protocol versions offered (at least one).
    pub protocols: Vec<TlsVersion>,
}

/// Default `tls.reload_interval`.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(5);
/// Default `tls.session_cache` (sessions kept for stateful resumption).
pub const SESSION_CACHE: usize = 4096;
