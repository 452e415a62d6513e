//! A client connection's transport: plain TCP or TLS over TCP.
//!
//! An enum, not a boxed trait object: a plain connection pays one
//! predictable branch per read or write and runs exactly the code it ran
//! before https existed (`ringgate::conn::io`); only `Tls` goes through
//! [`crate::tls::TlsStream`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use monoio::net::TcpStream;
use ringgate::conn::io::{read_into, write_vec};
use rustls::pki_types::ServerName;
use rustls::ClientConfig;

use crate::tls::{HandshakeError, TlsStream};

/// An open connection.
pub enum Stream {
    /// `http://`.
    Plain(TcpStream),
    /// `https://` (boxed: a TLS session is large and rarely moved).
    Tls(Box<TlsStream>),
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// TCP connect failed.
    #[error("{0}")]
    Tcp(io::Error),
    /// The TLS handshake failed.
    #[error("{0}")]
    Handshake(#[from] HandshakeError),
}

impl Stream {
    /// Connect to `addr`; with `tls`, also run the handshake for that name.
    pub async fn connect(
        addr: SocketAddr,
        tls: Option<(&Arc<ClientConfig>, &ServerName<'static>)>,
    ) -> Result<Stream, ConnectError> {
        let tcp = TcpStream::connect_addr(addr)
            .await
            .map_err(ConnectError::Tcp)?;
        let _ = tcp.set_nodelay(true);
        let Some((config, name)) = tls else {
            return Ok(Stream::Plain(tcp));
        };
        let session = rustls::ClientConnection::new(config.clone(), name.clone())
            .map_err(HandshakeError::Tls)?;
        let tls = TlsStream::handshake(tcp, session).await?;
        Ok(Stream::Tls(Box::new(tls)))
    }

    /// Write all of `out`, handing the (unchanged) vector back in place.
    #[inline]
    pub async fn write_all(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Stream::Plain(s) => write_vec(s, out).await,
            Stream::Tls(s) => s.write_all(out).await,
        }
    }

    /// Read once, appending to `buf`; returns bytes read (0 = EOF).
    #[inline]
    pub async fn read_into(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => read_into(s, buf).await,
            Stream::Tls(s) => s.read_into(buf).await,
        }
    }
}
