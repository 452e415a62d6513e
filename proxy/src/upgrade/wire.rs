//! The handover protocol, one JSON message per `SOCK_SEQPACKET` packet.
//!
//! 0. new -> old: [`Reply::Take`] (a connection that says nothing, such
//!    as a fresh start probing whether the socket is live, gets nothing);
//! 1. old -> new: [`Hello`]: the old pid and what each socket is, in the
//!    order the descriptors follow;
//! 2. old -> new: the descriptors, [`unix::FDS_PER_MESSAGE`] per packet
//!    (payload `fds`);
//! 3. new -> old: [`Reply::Ready`] once every shard of the new process
//!    serves (closing instead means the upgrade failed: the old one goes on);
//! 4. old -> new: [`Reply::Draining`]: the old process stopped accepting.

use super::unix;
use serde::{Deserialize, Serialize};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

/// Protocol version; a peer speaking another is refused.
pub const VERSION: u32 = 1;
/// Largest message (a hello describing a few thousand sockets).
const MAX_MESSAGE: usize = 256 * 1024;

/// What one passed socket is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Described {
    /// A client listener: entry `entry` of `server.listen` as configured,
    /// bound to `addr`, at index `group` of its SO_REUSEPORT group.
    Listen {
        entry: usize,
        configured: SocketAddr,
        addr: SocketAddr,
        group: usize,
    },
    /// The admin listener.
    Admin {
        configured: SocketAddr,
        addr: SocketAddr,
    },
    /// The upgrade socket itself, listening at `path`.
    Upgrade { path: PathBuf },
}

/// The first message: who sends, and what follows.
#[derive(Debug, Serialize, Deserialize)]
pub struct Hello {
    pub version: u32,
    pub pid: u32,
    pub sockets: Vec<Described>,
}

/// The later messages.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "msg", rename_all = "snake_case")]
pub enum Reply {
    /// From the new process: send the sockets.
    Take { pid: u32 },
    /// From the new process: every shard serves; `path` is its upgrade
    /// socket (the old one removes its own file unless it is the same).
    Ready { pid: u32, path: Option<PathBuf> },
    /// From the old process: it stopped accepting and drains.
    Draining { pid: u32 },
}

fn bad(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Send `value` as one message.
pub fn send_json<T: Serialize>(stream: &UnixStream, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec(value).map_err(|e| bad(e.to_string()))?;
    unix::send(stream, &bytes, &[])
}

/// Receive one JSON message; `Ok(None)` when the peer closed.
pub fn recv_json<T: for<'de> Deserialize<'de>>(stream: &UnixStream) -> io::Result<Option<T>> {
    let mut buf = vec![0u8; MAX_MESSAGE];
    let (n, fds) = unix::recv(stream, &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if !fds.is_empty() {
        return Err(bad("descriptors where none were expected".into()));
    }
    let text = buf.get(..n).unwrap_or_default();
    serde_json::from_slice(text)
        .map(Some)
        .map_err(|e| bad(format!("bad upgrade message: {e}")))
}

/// Send the hello and every descriptor (`fds[i]` is `hello.sockets[i]`).
pub fn send_sockets(stream: &UnixStream, hello: &Hello, fds: &[RawFd]) -> io::Result<()> {
    send_json(stream, hello)?;
    for chunk in fds.chunks(unix::FDS_PER_MESSAGE) {
        unix::send(stream, b"fds", chunk)?;
    }
    Ok(())
}

/// Receive the hello and its descriptors, paired.
pub fn recv_sockets(stream: &UnixStream) -> io::Result<(Hello, Vec<(Described, OwnedFd)>)> {
    let hello: Hello = recv_json(stream)?
        .ok_or_else(|| bad("the running process closed the upgrade socket".into()))?;
    if hello.version != VERSION {
        return Err(bad(format!(
            "the running process speaks upgrade protocol {}, this one {VERSION}",
            hello.version
        )));
    }
    let mut fds: Vec<OwnedFd> = Vec::with_capacity(hello.sockets.len());
    let mut buf = [0u8; 16];
    while fds.len() < hello.sockets.len() {
        let (n, got) = unix::recv(stream, &mut buf)?;
        if n == 0 || got.is_empty() {
            return Err(bad(format!(
                "the running process sent {} of {} sockets",
                fds.len(),
                hello.sockets.len()
            )));
        }
        fds.extend(got);
    }
    if fds.len() != hello.sockets.len() {
        return Err(bad(format!(
            "the running process sent {} sockets for {} described",
            fds.len(),
            hello.sockets.len()
        )));
    }
    let pairs = hello.sockets.iter().cloned().zip(fds).collect();
    Ok((hello, pairs))
}
