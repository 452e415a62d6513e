//! Test support for ringgate's end-to-end tests (like tokio's `tests/support`).
//!
//! Everything here drives real things: [`gateway`] starts the real `ringgate`
//! binary on a free 127.0.0.1 port with a TOML config in a temp dir;
//! [`origin`] is a small threaded HTTP/1.1 origin on `std::net` with scripted
//! replies that records every request head it receives; [`client`] is a raw
//! `TcpStream` HTTP/1.1 client for keep-alive, pipelining and malformed input;
//! [`process`] runs curl and Python with deadlines; [`tls`] makes a
//! throwaway CA with openssl and serves https with nginx; [`pattern`] is the
//! deterministic byte stream used for byte-exact body checks; [`metrics`]
//! parses the Prometheus text the admin endpoint serves; [`auth`] makes
//! keys files, htpasswd lines (Apache's `htpasswd`) and tokens and JWKs
//! (PyJWT) from the test-only openssl keys in `fixtures/auth/`.
//!
//! Every socket has timeouts and every wait has a deadline, so a broken
//! gateway makes a test fail, never hang.

pub mod auth;
pub mod client;
pub mod gateway;
pub mod inspect;
pub mod metrics;
pub mod origin;
pub mod otlp;
pub mod pattern;
pub mod process;
pub mod ringbench;
pub mod ringload;
pub mod tls;
pub mod wire;

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A free 127.0.0.1 address: bind port 0, read it, drop the listener.
///
/// Another process could take the port before we use it; that race is tiny
/// and accepted.
pub fn free_addr() -> SocketAddr {
    // The kernel may hand the same free port to two binds in a row (the
    // first listener is gone by then): a test asking for a listen and an
    // admin address would get one port twice. Never hand a port out twice
    // in one process: one bit per port, set with fetch_or.
    static HANDED_OUT: [AtomicU64; 1024] = [const { AtomicU64::new(0) }; 1024];
    for _ in 0..1000 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local_addr");
        let port = usize::from(addr.port());
        let bit = 1u64 << (port % 64);
        if HANDED_OUT[port / 64].fetch_or(bit, Ordering::SeqCst) & bit == 0 {
            return addr;
        }
    }
    panic!("no free port that was not handed out before, in 1000 tries");
}

/// Polls `cond` every 20 ms until it holds or `timeout` passes; returns
/// whether it held.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod selftest;
