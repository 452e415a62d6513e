//! Whether an idle pooled upstream connection is still quiet: nothing to
//! read and not closed.
//!
//! An upstream may send bytes after a complete response (a broken or
//! hostile server, or a response split by ambiguous framing upstream of
//! it). Bytes that arrive with the response are seen and the connection is
//! never pooled; bytes that arrive later sit in the socket while it idles.
//! Reusing it would answer the next request with them, a desync. So before
//! a pooled connection is handed out, one non-blocking `MSG_PEEK` looks at
//! it (as nginx's keepalive pool drops an idle connection that becomes
//! readable): any byte, or EOF, and it is dropped instead. A side effect is
//! that a connection the upstream closed while idle is noticed before the
//! request is written.
//!
//! The only `unsafe` is borrowing the stream's file descriptor for the
//! duration of the call: monoio's `TcpStream` exposes a raw fd, not `AsFd`.
#![allow(unsafe_code)]

use monoio::net::TcpStream;
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `true` when the socket has no byte to read and is not closed (the peek
/// would block); `false` on data, EOF or any error.
pub fn is_quiet(stream: &TcpStream) -> bool {
    let raw = stream.as_raw_fd();
    // SAFETY: `raw` is the open descriptor owned by `stream`, which is
    // borrowed for this whole function; the `BorrowedFd` does not outlive
    // it and is never closed through.
    let fd = unsafe { BorrowedFd::borrow_raw(raw) };
    let sock = socket2::SockRef::from(&fd);
    let mut byte = [MaybeUninit::<u8>::uninit(); 1];
    match sock.recv_with_flags(&mut byte, libc::MSG_PEEK | libc::MSG_DONTWAIT) {
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
        Ok(_) => false,
    }
}
