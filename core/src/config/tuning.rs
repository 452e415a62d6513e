//! The validated per-core tuning settings of `[server]`: connection
//! buffers and the options of the listening sockets, including how the
//! kernel steers a new connection to a shard.
//!
//! Profiles (`tuning/profiles/*.toml`, see [`super::profile`]) set these
//! together with `shards`, `cpus`, `[server.uring]` and `max_connections`.

use std::time::Duration;

/// `[server.buffers]`: initial capacity of each connection's read buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffers {
    /// A client connection's buffer (grows for a large head or body chunk).
    pub client: usize,
    /// An upstream connection's buffer (kept while the connection is pooled).
    pub upstream: usize,
}

/// `[server.tcp]`: listening socket options. Accepted sockets inherit
/// them on Linux (TCP_NODELAY, SO_RCVBUF/SO_SNDBUF, keepalive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tcp {
    /// `listen()` backlog of each shard's socket (the kernel caps it at
    /// `net.core.somaxconn`).
    pub backlog: u32,
    /// Which shard's socket a new connection lands on.
    pub steering: Steering,
    /// TCP_NODELAY.
    pub nodelay: bool,
    /// TCP_DEFER_ACCEPT: accept only once data arrived (or this passed).
    pub defer_accept: Option<Duration>,
    /// TCP_FASTOPEN queue length of the listener; `None` leaves it off.
    pub fastopen: Option<u32>,
    /// SO_RCVBUF in bytes (the kernel doubles it and stops autotuning).
    pub recv_buffer: Option<usize>,
    /// SO_SNDBUF in bytes (the kernel doubles it and stops autotuning).
    pub send_buffer: Option<usize>,
    /// TCP keepalive probes of idle client connections; `None` leaves them off.
    pub keepalive: Option<Keepalive>,
}

/// TCP keepalive timing (SO_KEEPALIVE, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// Idle time before the first probe.
    pub idle: Duration,
    /// Time between probes; the kernel's default when `None`.
    pub interval: Option<Duration>,
    /// Unanswered probes before the connection is dropped; kernel default when `None`.
    pub count: Option<u32>,
}

/// Accept steering across the shards' SO_REUSEPORT sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Steering {
    /// The kernel's default: a hash of the connection's addresses and ports.
    Hash,
    /// A classic BPF program (SO_ATTACH_REUSEPORT_CBPF) picks the socket of
    /// the shard pinned to the CPU whose softirq received the SYN, so a
    /// connection is served on the core that already has it in cache.
    Cpu,
}

impl Default for Buffers {
    fn default() -> Buffers {
        use super::defaults as d;
        Buffers {
            client: d::CLIENT_BUFFER,
            upstream: d::UPSTREAM_BUFFER,
        }
    }
}

impl Default for Tcp {
    fn default() -> Tcp {
        use super::defaults as d;
        Tcp {
            backlog: d::TCP_BACKLOG,
            steering: Steering::Hash,
            nodelay: true,
            defer_accept: None,
            fastopen: None,
            recv_buffer: None,
            send_buffer: None,
            keepalive: None,
        }
    }
}
