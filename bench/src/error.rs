//! Errors of the ringbench tools; each names what failed and where.
//!
//! [`BenchError::exit_code`] is the process exit status: 2 when something
//! `ringbench` needs is missing (install it or build it first), 1 for
//! everything else.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Exit status when a program `ringbench` needs is missing.
pub const EXIT_MISSING: u8 = 2;

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
    /// A program `ringbench compare` needs is not there.
    #[error("{what} not found{at}: {hint}")]
    Missing {
        /// The program (`nginx`, `ringgate`, ...).
        what: &'static str,
        /// Where it was looked for, as ` at PATH` (empty: on PATH).
        at: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// Reading or writing a file or folder failed.
    #[error("{}: {source}", path.display())]
    File {
        /// The file or folder.
        path: PathBuf,
        /// What the kernel said.
        source: std::io::Error,
    },
    /// A child process could not be started.
    #[error("cannot start {name}: {source}")]
    Spawn {
        /// Its role (`origin`, `nginx`, `ringgate`, a run's name).
        name: String,
        /// What the kernel said.
        source: std::io::Error,
    },
    /// A child process exited while it was still needed.
    #[error("{name} exited unexpectedly ({status}); the end of {}:\n{tail}", log.display())]
    Exited {
        /// Its role.
        name: String,
        /// How it ended.
        status: ExitStatus,
        /// Its output file.
        log: PathBuf,
        /// The last lines of that file.
        tail: String,
    },
    /// A server never answered its readiness probe.
    #[error("{name} did not answer GET / on {addr} with 200 within {secs}s; the end of {}:\n{tail}", log.display())]
    NotReady {
        /// Its role.
        name: String,
        /// The address probed.
        addr: SocketAddr,
        /// How long it was given.
        secs: u64,
        /// Its output file.
        log: PathBuf,
        /// The last lines of that file.
        tail: String,
    },
    /// ringload did not finish a run within its deadline.
    #[error("run {run}: ringload still running after {secs}s; killed")]
    RunTimeout {
        /// The run's name (`closed-nginx-1`).
        run: String,
        /// The deadline.
        secs: u64,
    },
    /// A run's ringload report could not be read.
    #[error("run {run}: {source}")]
    Report {
        /// The run's name.
        run: String,
        /// Why.
        source: ringload::compare::CompareError,
    },
    /// SIGINT or SIGTERM arrived; the children were stopped.
    #[error("interrupted; every child process was stopped")]
    Interrupted,
}

impl BenchError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            BenchError::Missing { .. } => EXIT_MISSING,
            _ => 1,
        }
    }
}
