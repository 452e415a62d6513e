//! The kernel calls kTLS needs and nothing else: `TCP_ULP "tls"`,
//! `SOL_TLS`/`TLS_TX`/`TLS_RX` with a `tls12_crypto_info_*` blob, `recvmsg`
//! with a `TLS_GET_RECORD_TYPE` control message (for records that are not
//! application data), and `sendmsg` with `TLS_SET_RECORD_TYPE` (to send an
//! alert). Constants and layouts from `include/uapi/linux/tls.h`; see
//! Documentation/networking/tls.rst. The only `unsafe` of the module lives
//! here.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::RawFd;

/// `SOL_TLS` (linux/socket.h).
pub const SOL_TLS: libc::c_int = 282;
/// Socket options under `SOL_TLS`.
pub const TLS_TX: libc::c_int = 1;
/// Socket options under `SOL_TLS`.
pub const TLS_RX: libc::c_int = 2;
/// cmsg type of the record type on `sendmsg`.
const TLS_SET_RECORD_TYPE: libc::c_int = 1;
/// cmsg type of the record type on `recvmsg`.
const TLS_GET_RECORD_TYPE: libc::c_int = 2;

/// Put the "tls" upper layer protocol on an established TCP socket.
pub fn set_ulp_tls(fd: RawFd) -> io::Result<()> {
    let name = b"tls";
    // SAFETY: `name` is a valid buffer of `name.len()` bytes for the call's duration.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_TCP,
            libc::TCP_ULP,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Install one direction's crypto state (`TLS_TX` or `TLS_RX`); `info` is a
/// `tls12_crypto_info_*` laid out byte for byte (see `crypto_info`).
pub fn set_crypto_info(fd: RawFd, direction: libc::c_int, info: &[u8]) -> io::Result<()> {
    // SAFETY: `info` is a valid buffer of `info.len()` bytes for the call's
    // duration; the kernel copies it and checks its length against the cipher.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            SOL_TLS,
            direction,
            info.as_ptr().cast(),
            info.len() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Receive one record with its type (non-blocking): `(record type, bytes)`.
/// Used after a plain read failed with EIO, which is how kTLS says the next
/// record is not application data.
pub fn recv_record(fd: RawFd, buf: &mut [u8]) -> io::Result<(u8, usize)> {
    // Room for one cmsg carrying one byte, 8-byte aligned.
    let mut control = [0u64; 4];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: an all-zero msghdr is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: `msg` points at `iov` (over `buf`) and `control`, all alive and
    // writable for the call's duration.
    let n = unsafe { libc::recvmsg(fd, &mut msg, libc::MSG_DONTWAIT) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut kind = None;
    // SAFETY: `msg` was filled by recvmsg; CMSG_FIRSTHDR/NXTHDR walk only
    // within `msg_controllen` bytes of `control`, and CMSG_DATA of a
    // SOL_TLS/TLS_GET_RECORD_TYPE header points at its one data byte.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            if (*cmsg).cmsg_level == SOL_TLS && (*cmsg).cmsg_type == TLS_GET_RECORD_TYPE {
                kind = Some(*libc::CMSG_DATA(cmsg));
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    // No cmsg: application data (the kernel only adds it for other types).
    Ok((kind.unwrap_or(23), n as usize))
}

/// Send one record of `record_type` (e.g. an alert) through kTLS (non-blocking).
pub fn send_record(fd: RawFd, record_type: u8, payload: &[u8]) -> io::Result<usize> {
    let mut control = [0u64; 4];
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr().cast_mut().cast(),
        iov_len: payload.len(),
    };
    // SAFETY: an all-zero msghdr is a valid empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE is a pure size computation.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(1) } as usize;
    // SAFETY: `control` is 32 bytes, enough for CMSG_SPACE(1); the header and
    // its one data byte are written inside it; sendmsg only reads `payload`.
    let n = unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = SOL_TLS;
        (*cmsg).cmsg_type = TLS_SET_RECORD_TYPE;
        (*cmsg).cmsg_len = libc::CMSG_LEN(1) as usize;
        *libc::CMSG_DATA(cmsg) = record_type;
        libc::sendmsg(fd, &msg, libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL)
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}
