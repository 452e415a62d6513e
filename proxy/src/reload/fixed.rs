//! Keys a reload cannot change: what the process set up once at startup
//! (listening sockets and their TLS, shard threads and their CPUs, the
//! io_uring setup, the admin listener, the access-log writer,
//! per-connection buffers, the connection limit the accept loops read, the
//! upgrade socket, the tracer and its exporter thread). A reload that
//! changes one is refused whole, naming the key; a restart (or a binary
//! upgrade) applies it. Every other key is applied by the reload.

use ringgate_core::config::{Config, ConfigError};

/// What a restart needs to change, as an error per key.
pub fn check(old: &Config, new: &Config) -> Vec<ConfigError> {
    let (a, b) = (&old.server, &new.server);
    let fixed: [(&str, bool); 14] = [
        ("server.listen", a.listen == b.listen),
        ("server.tls", a.listen_tls == b.listen_tls),
        ("server.shards", a.shards == b.shards),
        ("server.cpus", a.cpus == b.cpus),
        ("server.admin", a.admin == b.admin),
        ("server.access_log", a.access_log == b.access_log),
        ("server.driver", a.driver == b.driver),
        ("server.uring", a.uring == b.uring),
        ("server.buffers", a.buffers == b.buffers),
        ("server.tcp", a.tcp == b.tcp),
        (
            "server.max_connections",
            a.max_connections == b.max_connections,
        ),
        ("server.profile", a.profile == b.profile),
        ("server.tracing", a.tracing == b.tracing),
        (
            "server.upgrade_socket",
            a.upgrade_socket == b.upgrade_socket,
        ),
    ];
    fixed
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(key, _)| ConfigError::new(key, "cannot change on reload; restart or upgrade"))
        .collect()
}
