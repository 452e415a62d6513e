//! Errors of the gateway process (startup, shards, admin). Request-level
//! failures are [`ringgate_core::status::Failure`]s, mapped to a status in
//! one place; these are the ones that stop a component.

use std::net::SocketAddr;

/// Why a part of the gateway could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The config did not validate; every error is listed. (Not a
    /// `#[source]`: the message already lists them, and `{:#}` would print
    /// them twice.)
    #[error("invalid config:\n{0}")]
    Config(ringgate_core::config::ConfigErrors),
    /// A listening socket could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The io_uring (or legacy) runtime of a shard could not be built.
    #[error(
        "shard {shard}: cannot set up the {driver} driver ({flags}): {error}; \
         check `sysctl kernel.io_uring_disabled` and the kernel version \
         (DEFER_TASKRUN needs Linux 6.1), or turn [server] uring flags off, \
         or set [server] driver = \"legacy\""
    )]
    Runtime {
        shard: usize,
        driver: &'static str,
        flags: String,
        error: std::io::Error,
    },
    /// The access log file cannot be opened for appending.
    #[error("server.access_log.path: cannot open {}: {source}", path.display())]
    AccessLog {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `server.cpus` names a CPU the process may not run on.
    #[error(
        "server.cpus: CPU {cpu} is not in this process's affinity mask ({allowed}); \
         see `ringgate tune`"
    )]
    Cpus { cpu: usize, allowed: String },
    /// A thread could not be spawned.
    #[error("cannot spawn {what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A route's JWKS could not be fetched at startup (and it has no `keys_file`).
    #[error("{route}: cannot load the JWKS from {url}: {error}")]
    Jwks {
        route: String,
        url: String,
        error: String,
    },
    /// A TLS certificate, key or setting could not be loaded. (Not a
    /// `#[source]`: the message says it all, once.)
    #[error("TLS: {0}")]
    Tls(crate::tls::TlsError),
    /// A binary upgrade could not take over (the old process keeps serving).
    #[error("upgrade: {0}")]
    Upgrade(#[from] crate::upgrade::UpgradeError),
    /// Installing signal handlers failed.
    #[error("cannot install signal handlers: {0}")]
    Signals(#[source] std::io::Error),
}
