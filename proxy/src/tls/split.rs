//! A TLS stream split in two for the tunnel after a `101`: each half owns
//! its side of the socket and its ciphertext buffer, and both share the
//! session through an `Rc<RefCell<_>>` borrowed only between awaits (the
//! halves run on the same shard, never at the same instant).
//!
//! Records the session must send because of what the read half received
//! (a TLS 1.3 KeyUpdate answer) leave with the write half's next write.

use super::session::{decrypt_buffered, encrypt, Incoming, Outgoing};
use super::TlsStream;
use bytes::BytesMut;
use monoio::io::{AsyncWriteRent, OwnedReadHalf, OwnedWriteHalf, Splitable};
use monoio::net::TcpStream;
use rustls::Connection;
use std::cell::RefCell;
use std::io;
use std::rc::Rc;

/// The reading half of a split TLS stream.
pub struct TlsReadHalf {
    tcp: OwnedReadHalf<TcpStream>,
    session: Rc<RefCell<Connection>>,
    rx: Incoming,
}

/// The writing half of a split TLS stream.
pub struct TlsWriteHalf {
    tcp: OwnedWriteHalf<TcpStream>,
    session: Rc<RefCell<Connection>>,
    tx: Outgoing,
}

impl std::fmt::Debug for TlsReadHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsReadHalf")
    }
}

impl std::fmt::Debug for TlsWriteHalf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsWriteHalf")
    }
}

/// Split `stream`; ciphertext already read stays with the read half.
pub fn split(stream: TlsStream) -> (TlsReadHalf, TlsWriteHalf) {
    let (r, w) = stream.tcp.into_split();
    let session = Rc::new(RefCell::new(stream.session));
    (
        TlsReadHalf {
            tcp: r,
            session: Rc::clone(&session),
            rx: stream.rx,
        },
        TlsWriteHalf {
            tcp: w,
            session,
            tx: stream.tx,
        },
    )
}

impl TlsReadHalf {
    /// Append plaintext to `buf`; 0 = EOF or close_notify.
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        loop {
            let (n, closed) = decrypt_buffered(&mut self.rx, &mut self.session.borrow_mut(), buf)?;
            if n > 0 {
                return Ok(n);
            }
            if closed || self.rx.eof {
                return Ok(0);
            }
            if self.rx.drained() && self.rx.fill(&mut self.tcp).await? == 0 {
                self.rx.eof = true;
            }
        }
    }
}

impl TlsWriteHalf {
    /// Encrypt all of `plain` and write it in one flight.
    pub async fn write_all(&mut self, plain: &[u8]) -> io::Result<()> {
        let more = {
            let mut session = self.session.borrow_mut();
            encrypt(&mut session, plain)?;
            self.tx.collect(&mut session)?
        };
        if more {
            self.tx.send(&mut self.tcp).await?;
        }
        Ok(())
    }

    /// Send close_notify and shut the socket's write side.
    pub async fn shutdown(&mut self) -> io::Result<()> {
        let more = {
            let mut session = self.session.borrow_mut();
            session.send_close_notify();
            self.tx.collect(&mut session)?
        };
        if more {
            self.tx.send(&mut self.tcp).await?;
        }
        self.tcp.shutdown().await
    }
}
