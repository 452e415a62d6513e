//! Why a binary upgrade could not start, on either side.

use std::path::PathBuf;

/// A failed upgrade step; the running process keeps serving in every case.
#[derive(Debug, thiserror::Error)]
pub enum UpgradeError {
    /// `--upgrade` without `server.upgrade_socket`.
    #[error(
        "--upgrade needs server.upgrade_socket in the config: the upgrade socket of the running process"
    )]
    NoSocket,
    /// The running process cannot be reached.
    #[error("cannot reach the running process at {}: {source}", path.display())]
    Connect {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The handover of the sockets failed half way.
    #[error("cannot take the listening sockets over from {}: {source}", path.display())]
    Receive {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A fresh start found a live process on the upgrade socket.
    #[error(
        "server.upgrade_socket: {} belongs to a running process; start with --upgrade to take over from it",
        path.display()
    )]
    InUse { path: PathBuf },
    /// The upgrade socket cannot be created.
    #[error("server.upgrade_socket: cannot listen on {}: {source}", path.display())]
    Bind {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
