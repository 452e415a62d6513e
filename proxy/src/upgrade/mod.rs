//! Zero-downtime binary upgrade: a new process takes the listening sockets
//! over from the running one, which then drains and exits.
//!
//! The running process listens on `server.upgrade_socket`, a Unix socket
//! only its own user may use ([`endpoint`], [`unix`]). `ringgate -c FILE
//! --upgrade` connects there and receives every listening socket with
//! `SCM_RIGHTS`, each described (listen entry, address, index in its
//! SO_REUSEPORT group), plus the admin listener and the upgrade socket
//! itself ([`wire`]). It adopts the sockets its config still lists and
//! binds the rest ([`adopt`]), starts its shards, and reports ready; only
//! then does the old process stop accepting and drain ([`serve`]). The
//! sockets stay open all along, so no SYN is refused and nothing queued is
//! lost. Until the new process reports ready the old one is untouched.
//!
//! [`Sockets`] is the hook in [`crate::server`]: where the listeners come
//! from, and what to do once every shard serves.

pub mod adopt;
pub mod endpoint;
pub mod error;
pub mod serve;
pub mod unix;
pub mod wire;

#[cfg(test)]
mod tests;

use crate::drain::DrainFlag;
use crate::error::ProxyError;
use crate::shard::Listener;
use crate::tls::Acceptor;
use adopt::{Kept, Received};
use endpoint::Endpoint;
pub use error::UpgradeError;
use ringgate_core::config::Server;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tracing::{error, info, warn};
use wire::{Described, Reply};

/// How long the new process waits for each message of the old one.
const RECV_TIMEOUT: Duration = Duration::from_secs(10);

/// Where this process's listeners come from, and what it keeps of them
/// for the next upgrade.
#[derive(Debug, Default)]
pub struct Sockets {
    /// The connection to the old process, and its pid (with `--upgrade`).
    old: Option<(UnixStream, u32)>,
    received: Vec<Option<Received>>,
    received_admin: Option<(SocketAddr, SocketAddr, TcpListener)>,
    kept: Vec<Kept>,
    admin: Option<(SocketAddr, SocketAddr, TcpListener)>,
    endpoint: Option<Endpoint>,
}

impl Sockets {
    /// With `upgrade`, take the sockets from the process on
    /// `server.upgrade_socket`; then bind (or take over) that socket.
    pub fn take(server: &Server, upgrade: bool) -> Result<Sockets, ProxyError> {
        let mut sockets = Sockets::default();
        let mut old_endpoint = None;
        if upgrade {
            let path = server
                .upgrade_socket
                .clone()
                .ok_or(UpgradeError::NoSocket)?;
            old_endpoint = sockets.receive(path)?;
        }
        sockets.endpoint = match (&server.upgrade_socket, old_endpoint) {
            (Some(path), Some((old_path, listener))) if *path == old_path => {
                Some(Endpoint::adopt(listener, old_path))
            }
            (Some(path), _) => Some(Endpoint::bind(path)?),
            (None, _) => None,
        };
        Ok(sockets)
    }

    /// Connect to the old process and receive its sockets; returns its
    /// upgrade socket.
    fn receive(&mut self, path: PathBuf) -> Result<Option<(PathBuf, UnixListener)>, ProxyError> {
        let stream = unix::connect(&path).map_err(|source| UpgradeError::Connect {
            path: path.clone(),
            source,
        })?;
        let recv_err = |source| UpgradeError::Receive {
            path: path.clone(),
            source,
        };
        stream
            .set_read_timeout(Some(RECV_TIMEOUT))
            .map_err(recv_err)?;
        stream
            .set_write_timeout(Some(RECV_TIMEOUT))
            .map_err(recv_err)?;
        let pid = std::process::id();
        wire::send_json(&stream, &Reply::Take { pid }).map_err(recv_err)?;
        let (hello, pairs) = wire::recv_sockets(&stream).map_err(recv_err)?;
        info!(
            old_pid = hello.pid,
            sockets = pairs.len(),
            path = %path.display(),
            "upgrade: received the listening sockets of the running process"
        );
        let mut groups: BTreeMap<usize, Received> = BTreeMap::new();
        let mut upgrade = None;
        for (described, fd) in pairs {
            match described {
                Described::Listen {
                    entry,
                    configured,
                    addr,
                    group,
                } => groups
                    .entry(entry)
                    .or_insert_with(|| Received {
                        configured,
                        addr,
                        sockets: Vec::new(),
                    })
                    .sockets
                    .push((group, TcpListener::from(fd))),
                Described::Admin { configured, addr } => {
                    self.received_admin = Some((configured, addr, TcpListener::from(fd)));
                }
                Described::Upgrade { path } => upgrade = Some((path, UnixListener::from(fd))),
            }
        }
        self.received = groups.into_values().map(Some).collect();
        self.old = Some((stream, hello.pid));
        Ok(upgrade)
    }

    /// The shards' listeners (adopted or bound) and the bound addresses.
    pub fn listeners(
        &mut self,
        server: &Server,
        shard_cpus: &[usize],
        acceptors: &[Option<Arc<Acceptor>>],
    ) -> Result<(Vec<Vec<Listener>>, Vec<SocketAddr>), ProxyError> {
        let received = std::mem::take(&mut self.received);
        let (listeners, listen, kept) =
            adopt::listeners(&server.listen, &server.tcp, shard_cpus, acceptors, received)?;
        self.kept = kept;
        Ok((listeners, listen))
    }

    /// The admin listener on `addr` (adopted or bound).
    pub fn admin(&mut self, addr: SocketAddr) -> Result<TcpListener, ProxyError> {
        let socket = adopt::admin(addr, &mut self.received_admin)?;
        let bound = socket
            .local_addr()
            .map_err(|source| ProxyError::Listen { addr, source })?;
        let dup = socket
            .try_clone()
            .map_err(|source| ProxyError::Listen { addr, source })?;
        self.admin = Some((addr, bound, dup));
        Ok(socket)
    }

    /// Every shard serves: tell the old process (which then drains), and
    /// serve the upgrade socket for the next upgrade. The socket file is
    /// removed when the returned guard drops, unless handed over.
    pub fn serve(self, flag: &DrainFlag) -> Option<endpoint::Cleanup> {
        if let Some((stream, old_pid)) = &self.old {
            tell_ready(
                stream,
                *old_pid,
                self.endpoint.as_ref().map(|e| e.path.clone()),
            );
        }
        drop(self.received_admin);
        let endpoint = self.endpoint?;
        let cleanup = endpoint.cleanup(flag.clone());
        let offer = serve::Offer {
            listen: self.kept,
            admin: self.admin,
        };
        match serve::start(endpoint, offer, flag.clone()) {
            Ok(()) => Some(cleanup),
            Err(error) => {
                error!(%error, "upgrade socket not served");
                Some(cleanup)
            }
        }
    }
}

/// Report ready to the old process and wait for it to confirm the drain.
fn tell_ready(stream: &UnixStream, old_pid: u32, path: Option<PathBuf>) {
    let pid = std::process::id();
    if let Err(error) = wire::send_json(stream, &Reply::Ready { pid, path }) {
        error!(%error, old_pid, "upgrade: cannot tell the old process this one is ready; it may still be serving");
        return;
    }
    match wire::recv_json::<Reply>(stream) {
        Ok(Some(Reply::Draining { pid })) => {
            info!(
                old_pid = pid,
                "upgrade done: the old process stopped accepting and drains"
            )
        }
        Ok(other) => {
            warn!(old_pid, reply = ?other, "upgrade: the old process did not confirm its drain")
        }
        Err(error) => warn!(%error, old_pid, "upgrade: the old process did not confirm its drain"),
    }
}
