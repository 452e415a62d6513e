//! Listening sockets: one SO_REUSEPORT socket per thread on the same
//! address, bound on the control thread so a bind error stops startup
//! before any thread runs. With port 0 the first socket picks the port and
//! the others bind the port it got. The kernel spreads new connections over
//! the sockets by a hash of the 4-tuple.

use std::net::{SocketAddr, TcpListener};

use crate::BenchError;

fn bind_one(addr: SocketAddr) -> Result<TcpListener, BenchError> {
    ringgate::listener::bind_reuseport(addr).map_err(|source| BenchError::Listen { addr, source })
}

/// `threads` listeners on `addr`, and the address they are bound to.
pub fn bind(
    addr: SocketAddr,
    threads: usize,
) -> Result<(Vec<TcpListener>, SocketAddr), BenchError> {
    let first = bind_one(addr)?;
    let actual = first
        .local_addr()
        .map_err(|source| BenchError::Listen { addr, source })?;
    let mut all = Vec::with_capacity(threads);
    all.push(first);
    for _ in 1..threads {
        all.push(bind_one(actual)?);
    }
    Ok((all, actual))
}
