//! The upgrade socket's system calls: a `SOCK_SEQPACKET` Unix socket (each
//! message arrives whole, with the descriptors sent along with it), owner-only
//! (mode 0600, and the peer's uid checked with `SO_PEERCRED`), and
//! `SCM_RIGHTS` both ways. `nix` makes the calls; this module only turns the
//! raw descriptors they return into owned ones.
#![allow(unsafe_code)]

use nix::sys::socket::{self, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags};
use nix::sys::socket::{SockFlag, SockType, UnixAddr};
use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::Duration;

/// Descriptors sent in one message (the kernel's SCM_MAX_FD is 253).
pub const FDS_PER_MESSAGE: usize = 200;

/// Take ownership of a descriptor a system call just returned.
fn own(fd: RawFd) -> OwnedFd {
    // SAFETY: `fd` was just returned by socket(2)/recvmsg(2) to this
    // process, is open, and nothing else owns or closes it.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

fn seqpacket() -> io::Result<OwnedFd> {
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    Ok(own(fd))
}

/// Bind and listen on `path` (which must not exist), mode 0600.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    let fd = seqpacket()?;
    socket::bind(fd.as_raw_fd(), &UnixAddr::new(path)?)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    socket::listen(fd.as_raw_fd(), 16)?;
    Ok(UnixListener::from(fd))
}

/// Connect to the upgrade socket at `path`.
pub fn connect(path: &Path) -> io::Result<UnixStream> {
    let fd = seqpacket()?;
    socket::connect(fd.as_raw_fd(), &UnixAddr::new(path)?)?;
    Ok(UnixStream::from(fd))
}

/// The connected peer's (uid, pid), from `SO_PEERCRED`.
pub fn peer(stream: &UnixStream) -> io::Result<(u32, i32)> {
    let cred = socket::getsockopt(stream.as_raw_fd(), socket::sockopt::PeerCredentials)?;
    Ok((cred.uid(), cred.pid()))
}

/// This process's effective uid.
pub fn euid() -> u32 {
    nix::unistd::geteuid().as_raw()
}

/// Send one message carrying `fds`.
pub fn send(stream: &UnixStream, payload: &[u8], fds: &[RawFd]) -> io::Result<()> {
    let iov = [IoSlice::new(payload)];
    let rights = [ControlMessage::ScmRights(fds)];
    let cmsgs: &[ControlMessage] = if fds.is_empty() { &[] } else { &rights };
    let sent = socket::sendmsg::<()>(
        stream.as_raw_fd(),
        &iov,
        cmsgs,
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    if sent == payload.len() {
        Ok(())
    } else {
        Err(io::Error::new(io::ErrorKind::WriteZero, "short send"))
    }
}

/// Receive one message into `buf`: its length (0: the peer closed) and the
/// descriptors that came with it. A message or a descriptor list that did
/// not fit is an error (the descriptors that did arrive are closed).
pub fn recv(stream: &UnixStream, buf: &mut [u8]) -> io::Result<(usize, Vec<OwnedFd>)> {
    let mut cmsg = nix::cmsg_space!([RawFd; FDS_PER_MESSAGE]);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = socket::recvmsg::<()>(
        stream.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    let mut fds = Vec::new();
    for c in msg.cmsgs() {
        if let ControlMessageOwned::ScmRights(raw) = c {
            fds.extend(raw.into_iter().map(own));
        }
    }
    if msg.flags.contains(MsgFlags::MSG_TRUNC) || msg.flags.contains(MsgFlags::MSG_CTRUNC) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "upgrade message truncated",
        ));
    }
    Ok((msg.bytes, fds))
}

/// Wait up to `timeout` for `fd` to be readable (a connection to accept).
pub fn readable(fd: &impl AsRawFd, timeout: Duration) -> io::Result<bool> {
    use nix::poll::{poll, PollFd, PollFlags};
    let mut fds = [PollFd::new(fd.as_raw_fd(), PollFlags::POLLIN)];
    let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
    match poll(&mut fds, ms) {
        Ok(n) => Ok(n > 0),
        Err(nix::errno::Errno::EINTR) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A connected pair, for tests.
#[cfg(test)]
pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
    let (a, b) = socket::socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    Ok((UnixStream::from(own(a)), UnixStream::from(own(b))))
}
