//! Taking over the old process's client listeners: each `server.listen`
//! entry adopts the SO_REUSEPORT group the old process had for it (same
//! configured or same bound address) or binds a new one.
//!
//! With a different shard count, socket *k* of a group goes to shard
//! *k mod shards*: with fewer shards some shards accept on two sockets,
//! with more the missing sockets are bound into the same group. No socket
//! of an adopted group is ever closed here, since its queue may hold
//! connections. The group's CPU steering program is attached again for the
//! new mapping (or detached when this config turns steering off), and the
//! config's socket options and backlog are applied to the adopted sockets.

use crate::error::ProxyError;
use crate::listener;
use crate::shard::Listener;
use crate::sockopt;
use crate::tls::Acceptor;
use ringgate_core::config::{Steering, Tcp};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use tracing::info;

/// A group received from the old process.
#[derive(Debug)]
pub struct Received {
    /// The address as the old config wrote it (maybe port 0).
    pub configured: SocketAddr,
    /// The address it is bound to.
    pub addr: SocketAddr,
    /// Its sockets with their index in the group.
    pub sockets: Vec<(usize, TcpListener)>,
}

/// A group this process serves, kept for the next upgrade.
#[derive(Debug)]
pub struct Kept {
    pub entry: usize,
    pub configured: SocketAddr,
    pub addr: SocketAddr,
    /// A duplicate of each socket, in group order.
    pub sockets: Vec<TcpListener>,
}

/// Per shard its listeners, the bound addresses, and the kept groups.
pub type Adopted = (Vec<Vec<Listener>>, Vec<SocketAddr>, Vec<Kept>);

/// Adopt `received` groups for `listen` where they match, bind the rest.
pub fn listeners(
    listen: &[SocketAddr],
    tcp: &Tcp,
    shard_cpus: &[usize],
    acceptors: &[Option<Arc<Acceptor>>],
    mut received: Vec<Option<Received>>,
) -> Result<Adopted, ProxyError> {
    let shards = shard_cpus.len().max(1);
    let mut per_shard: Vec<Vec<Listener>> = (0..shards).map(|_| Vec::new()).collect();
    let mut resolved = Vec::with_capacity(listen.len());
    let mut kept = Vec::with_capacity(listen.len());
    for (entry, &configured) in listen.iter().enumerate() {
        let found = received.iter_mut().find(|g| {
            g.as_ref()
                .is_some_and(|g| g.configured == configured || g.addr == configured)
        });
        let (sockets, addr) = match found.and_then(Option::take) {
            Some(group) => adopt(group, tcp, shard_cpus)?,
            None => listener::bind_group(configured, shard_cpus, tcp)?,
        };
        let tls = acceptors.get(entry).cloned().flatten();
        let mut dups = Vec::with_capacity(sockets.len());
        for (k, socket) in sockets.into_iter().enumerate() {
            dups.push(
                socket
                    .try_clone()
                    .map_err(|source| ProxyError::Listen { addr, source })?,
            );
            if let Some(list) = per_shard.get_mut(k % shards) {
                list.push((socket, tls.clone()));
            }
        }
        resolved.push(addr);
        kept.push(Kept {
            entry,
            configured,
            addr,
            sockets: dups,
        });
    }
    for group in received.into_iter().flatten() {
        info!(
            listener = %group.addr,
            sockets = group.sockets.len(),
            "listener not in the new config: it closes when the old process exits"
        );
    }
    Ok((per_shard, resolved, kept))
}

/// Take over one received group: options, backlog, missing sockets, steering.
fn adopt(
    group: Received,
    tcp: &Tcp,
    shard_cpus: &[usize],
) -> Result<(Vec<TcpListener>, SocketAddr), ProxyError> {
    let addr = group.addr;
    let err = |source| ProxyError::Listen { addr, source };
    let mut received = group.sockets;
    received.sort_by_key(|(index, _)| *index);
    let mut sockets: Vec<TcpListener> = received.into_iter().map(|(_, s)| s).collect();
    for socket in &sockets {
        listener::retune(socket, tcp).map_err(err)?;
    }
    let adopted = sockets.len();
    while sockets.len() < shard_cpus.len() {
        sockets.push(listener::bind_tuned(addr, tcp).map_err(err)?);
    }
    let shards = shard_cpus.len().max(1);
    if let Some(first) = sockets.first() {
        match tcp.steering {
            Steering::Cpu => {
                // Group index k belongs to shard k mod shards.
                let cpus: Vec<usize> = (0..sockets.len())
                    .map(|k| shard_cpus.get(k % shards).copied().unwrap_or(0))
                    .collect();
                let prog = sockopt::cpu_steering_program(&cpus);
                sockopt::attach_reuseport_cbpf(first, &prog).map_err(err)?;
            }
            Steering::Hash => sockopt::detach_reuseport_bpf(first).map_err(err)?,
        }
    }
    info!(
        listener = %addr,
        adopted,
        bound = sockets.len() - adopted,
        shards,
        steering = ?tcp.steering,
        "took over the listening sockets"
    );
    Ok((sockets, addr))
}

/// The admin listener: the received one when it is for `addr`, else bound.
pub fn admin(
    addr: SocketAddr,
    received: &mut Option<(SocketAddr, SocketAddr, TcpListener)>,
) -> Result<TcpListener, ProxyError> {
    if let Some((configured, bound, _)) = received {
        if *configured == addr || *bound == addr {
            if let Some((_, bound, socket)) = received.take() {
                info!(admin = %bound, "took over the admin listener");
                return Ok(socket);
            }
        }
    }
    TcpListener::bind(addr).map_err(|source| ProxyError::Listen { addr, source })
}
