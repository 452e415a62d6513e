//! Listening sockets: one SO_REUSEPORT socket per listen address per shard,
//! created on the control thread (so a bind error stops startup before any
//! shard runs) and handed to each shard, which never shares it.
//!
//! With port 0 the first socket picks the port and every other shard binds
//! the same resolved port.

use crate::error::ProxyError;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{SocketAddr, TcpListener};

/// Backlog for each listening socket (the kernel caps it at somaxconn).
pub const BACKLOG: i32 = 4096;

/// One non-blocking SO_REUSEPORT listening socket on `addr` (accepted
/// sockets inherit TCP_NODELAY from it on Linux).
pub fn bind_reuseport(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nodelay(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

fn bind_one(addr: SocketAddr) -> Result<TcpListener, ProxyError> {
    bind_reuseport(addr).map_err(|source| ProxyError::Listen { addr, source })
}

/// Bind `addrs` once per shard. Returns, per shard, its listeners in the
/// order of `addrs`, and the resolved addresses (port 0 replaced).
pub fn bind_all(
    addrs: &[SocketAddr],
    shards: usize,
) -> Result<(Vec<Vec<TcpListener>>, Vec<SocketAddr>), ProxyError> {
    let mut per_shard: Vec<Vec<TcpListener>> = (0..shards).map(|_| Vec::new()).collect();
    let mut resolved = Vec::with_capacity(addrs.len());
    for &addr in addrs {
        let first = bind_one(addr)?;
        let actual = first
            .local_addr()
            .map_err(|source| ProxyError::Listen { addr, source })?;
        resolved.push(actual);
        let mut sockets = vec![first];
        for _ in 1..shards {
            sockets.push(bind_one(actual)?);
        }
        for (shard, socket) in sockets.into_iter().enumerate() {
            if let Some(list) = per_shard.get_mut(shard) {
                list.push(socket);
            }
        }
    }
    Ok((per_shard, resolved))
}
