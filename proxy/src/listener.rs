//! Listening sockets: one SO_REUSEPORT socket per listen address per shard,
//! created on the control thread (so a bind error stops startup before any
//! shard runs) and handed to each shard, which never shares it.
//!
//! With port 0 the first socket picks the port and every other shard binds
//! the same resolved port.
//!
//! `[server.tcp]` sets the sockets' options (accepted sockets inherit
//! TCP_NODELAY, SO_RCVBUF/SO_SNDBUF and keepalive on Linux) and, with
//! `steering = "cpu"`, attaches the CPU steering program of
//! [`crate::sockopt`] to each address's group once every shard's socket is in
//! it, so shard *i* (bound *i*-th, group index *i*) gets the connections
//! whose SYN its CPU received.
//!
//! [`crate::upgrade::adopt`] calls [`bind_group`] per address, or takes a
//! group over from the running process and [`retune`]s it.

use crate::error::ProxyError;
use crate::sockopt;
use ringgate_core::config::{Steering, Tcp};
use socket2::{Domain, Protocol, Socket, TcpKeepalive, Type};
use std::net::{SocketAddr, TcpListener};

/// One non-blocking SO_REUSEPORT listening socket on `addr` with the
/// default `[server.tcp]` options (TCP_NODELAY, backlog 4096).
pub fn bind_reuseport(addr: SocketAddr) -> std::io::Result<TcpListener> {
    bind_tuned(addr, &Tcp::default())
}

/// One non-blocking SO_REUSEPORT listening socket on `addr` with `tcp`'s options.
pub fn bind_tuned(addr: SocketAddr, tcp: &Tcp) -> std::io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    apply(&socket, tcp)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(backlog(tcp))?;
    Ok(socket.into())
}

/// Apply `tcp`'s options to a listening socket another process bound (a
/// binary upgrade): the options this config sets, and its backlog (a
/// second `listen` only resizes the queue, which keeps its connections).
pub fn retune(listener: &TcpListener, tcp: &Tcp) -> std::io::Result<()> {
    let socket = socket2::SockRef::from(listener);
    apply(&socket, tcp)?;
    socket.set_nonblocking(true)?;
    socket.listen(backlog(tcp))
}

fn backlog(tcp: &Tcp) -> i32 {
    i32::try_from(tcp.backlog).unwrap_or(i32::MAX)
}

/// `[server.tcp]`'s socket options (not the backlog).
fn apply(socket: &Socket, tcp: &Tcp) -> std::io::Result<()> {
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nodelay(tcp.nodelay)?;
    if let Some(bytes) = tcp.recv_buffer {
        socket.set_recv_buffer_size(bytes)?;
    }
    if let Some(bytes) = tcp.send_buffer {
        socket.set_send_buffer_size(bytes)?;
    }
    if let Some(keepalive) = &tcp.keepalive {
        let mut params = TcpKeepalive::new().with_time(keepalive.idle);
        if let Some(interval) = keepalive.interval {
            params = params.with_interval(interval);
        }
        if let Some(count) = keepalive.count {
            params = params.with_retries(count);
        }
        socket.set_tcp_keepalive(&params)?;
    }
    if let Some(defer) = tcp.defer_accept {
        sockopt::set_defer_accept(socket, u32::try_from(defer.as_secs()).unwrap_or(u32::MAX))?;
    }
    if let Some(queue) = tcp.fastopen {
        sockopt::set_fastopen(socket, queue)?;
    }
    Ok(())
}

fn bind_one(addr: SocketAddr, tcp: &Tcp) -> Result<TcpListener, ProxyError> {
    bind_tuned(addr, tcp).map_err(|source| ProxyError::Listen { addr, source })
}

/// One SO_REUSEPORT group on `addr`: a socket per shard (group index =
/// shard), steered when `tcp` asks; returns it and the resolved address.
pub fn bind_group(
    addr: SocketAddr,
    shard_cpus: &[usize],
    tcp: &Tcp,
) -> Result<(Vec<TcpListener>, SocketAddr), ProxyError> {
    let first = bind_one(addr, tcp)?;
    let actual = first
        .local_addr()
        .map_err(|source| ProxyError::Listen { addr, source })?;
    let mut sockets = vec![first];
    for _ in 1..shard_cpus.len() {
        sockets.push(bind_one(actual, tcp)?);
    }
    if let (Steering::Cpu, Some(group)) = (tcp.steering, sockets.first()) {
        let prog = sockopt::cpu_steering_program(shard_cpus);
        sockopt::attach_reuseport_cbpf(group, &prog).map_err(|source| ProxyError::Listen {
            addr: actual,
            source,
        })?;
    }
    Ok((sockets, actual))
}
