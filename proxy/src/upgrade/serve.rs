//! The running process's side of an upgrade: a thread that waits on the
//! upgrade socket, checks that the peer runs as the same user
//! (`SO_PEERCRED`), passes every listening socket to it, and once the new
//! process reports that all its shards serve, stops accepting and drains
//! (as on SIGTERM, but keeping idle keep-alive connections for their next
//! request: see [`crate::drain`]).
//!
//! A new process that fails, is refused or goes quiet changes nothing
//! here: this process keeps serving and waits for the next attempt. On a
//! plain SIGTERM the thread lets go of its copies of the listeners, so the
//! ports close as the shards stop.

use super::adopt::Kept;
use super::endpoint::Endpoint;
use super::unix;
use super::wire::{self, Described, Hello, Reply};
use crate::drain::DrainFlag;
use crate::error::ProxyError;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;
use tracing::{info, warn};

/// How long a new process may take from receiving the sockets to ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the thread looks at the drain flag while idle.
const POLL: Duration = Duration::from_millis(200);

/// What this process hands over.
#[derive(Debug)]
pub struct Offer {
    pub listen: Vec<Kept>,
    /// The admin listener: configured and bound address, and a duplicate.
    pub admin: Option<(SocketAddr, SocketAddr, TcpListener)>,
}

/// Serve the upgrade socket on its own thread.
pub fn start(endpoint: Endpoint, offer: Offer, flag: DrainFlag) -> Result<(), ProxyError> {
    std::thread::Builder::new()
        .name("ringgate-upgrade".into())
        .spawn(move || run(&endpoint, offer, &flag))
        .map(drop)
        .map_err(|source| ProxyError::Spawn {
            what: "upgrade thread".into(),
            source,
        })
}

fn run(endpoint: &Endpoint, offer: Offer, flag: &DrainFlag) {
    info!(path = %endpoint.path.display(), "upgrade socket listening");
    while !flag.is_raised() {
        match unix::readable(&endpoint.listener, POLL) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                warn!(%error, "upgrade socket poll failed");
                std::thread::sleep(POLL);
                continue;
            }
        }
        let stream = match endpoint.listener.accept() {
            Ok((stream, _)) => stream,
            Err(error) => {
                warn!(%error, "upgrade socket accept failed");
                continue;
            }
        };
        match hand_over(&stream, endpoint, &offer, flag) {
            Ok(true) => return,
            Ok(false) => {}
            Err(error) => warn!(%error, "upgrade failed; this process keeps serving"),
        }
    }
    // Draining on a signal: let the ports close with the shards' sockets
    // (the socket file goes with the server's cleanup guard).
    drop(offer);
}

/// One upgrade attempt; `Ok(true)` once the new process took over.
fn hand_over(
    stream: &UnixStream,
    endpoint: &Endpoint,
    offer: &Offer,
    flag: &DrainFlag,
) -> io::Result<bool> {
    let (uid, peer_pid) = unix::peer(stream)?;
    let own = unix::euid();
    if uid != own {
        warn!(
            peer_uid = uid,
            peer_pid,
            uid = own,
            "upgrade refused: the peer runs as another user"
        );
        return Ok(false);
    }
    stream.set_read_timeout(Some(READY_TIMEOUT))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    match wire::recv_json::<Reply>(stream)? {
        Some(Reply::Take { .. }) => {}
        None => return Ok(false),
        Some(other) => return Err(unexpected(&other)),
    }
    if flag.is_raised() {
        warn!(
            new_pid = peer_pid,
            "upgrade refused: this process is draining"
        );
        return Ok(false);
    }
    let (hello, fds) = describe(endpoint, offer);
    info!(
        new_pid = peer_pid,
        sockets = fds.len(),
        "upgrade: passing the listening sockets to the new process"
    );
    wire::send_sockets(stream, &hello, &fds)?;
    match wire::recv_json::<Reply>(stream) {
        Ok(Some(Reply::Ready { pid, path })) => {
            // A SIGTERM that came during the upgrade already drains: another
            // one would be the "second signal" that exits at once.
            let draining = flag.is_raised();
            flag.hand_over();
            info!(
                new_pid = pid,
                "upgrade: the new process serves; stopping accepting and draining"
            );
            if path.as_deref() != Some(endpoint.path.as_path()) {
                endpoint.remove_file();
            }
            if let Err(error) = wire::send_json(stream, &Reply::Draining { pid: hello.pid }) {
                warn!(%error, new_pid = pid, "upgrade: cannot confirm the drain to the new process");
            }
            if !draining {
                // Wake the control thread: it drains as on SIGTERM.
                signal_hook::low_level::raise(signal_hook::consts::SIGTERM)?;
            }
            Ok(true)
        }
        Ok(None) => {
            warn!(
                new_pid = peer_pid,
                "upgrade aborted: the new process exited before it was ready; this process keeps serving"
            );
            Ok(false)
        }
        Ok(Some(other)) => Err(unexpected(&other)),
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
            warn!(
                new_pid = peer_pid,
                timeout = ?READY_TIMEOUT,
                "upgrade aborted: the new process was not ready in time; this process keeps serving"
            );
            Ok(false)
        }
        Err(error) => Err(error),
    }
}

fn unexpected(reply: &Reply) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected upgrade message {reply:?}"),
    )
}

/// The hello and the descriptors, in the same order.
fn describe(endpoint: &Endpoint, offer: &Offer) -> (Hello, Vec<RawFd>) {
    let mut sockets = Vec::new();
    let mut fds = Vec::new();
    for group in &offer.listen {
        for (index, socket) in group.sockets.iter().enumerate() {
            sockets.push(Described::Listen {
                entry: group.entry,
                configured: group.configured,
                addr: group.addr,
                group: index,
            });
            fds.push(socket.as_raw_fd());
        }
    }
    if let Some((configured, addr, socket)) = &offer.admin {
        sockets.push(Described::Admin {
            configured: *configured,
            addr: *addr,
        });
        fds.push(socket.as_raw_fd());
    }
    sockets.push(Described::Upgrade {
        path: endpoint.path.clone(),
    });
    fds.push(endpoint.listener.as_raw_fd());
    let hello = Hello {
        version: wire::VERSION,
        pid: std::process::id(),
        sockets,
    };
    (hello, fds)
}
