//! Errors of the ringbench tools; each names what failed and where.

use std::net::SocketAddr;

/// Everything that can stop `ringbench` from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Creating, binding or listening on a socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// What the kernel said.
        source: std::io::Error,
    },
    /// A thread's io_uring runtime could not be built (old kernel, locked
    /// memory limit, seccomp).
    #[error("thread {thread}: cannot build the io_uring runtime ({flags}): {source}")]
    Runtime {
        /// The thread index.
        thread: usize,
        /// The ring setup flags that were asked for.
        flags: &'static str,
        /// What the kernel said.
        source: std::io::Error,
    },
    /// A thread could not adopt its listening socket.
    #[error("thread {thread}: cannot register the listener: {source}")]
    Register {
        /// The thread index.
        thread: usize,
        /// What monoio said.
        source: std::io::Error,
    },
    /// A worker thread could not be spawned, or died before it was ready.
    #[error("thread {thread}: {what}")]
    Thread {
        /// The thread index.
        thread: usize,
        /// What happened.
        what: String,
    },
    /// Installing the SIGTERM/SIGINT handlers failed.
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
    /// Writing the readiness line to stdout failed.
    #[error("cannot write to stdout: {0}")]
    Stdout(std::io::Error),
}
