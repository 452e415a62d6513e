//! A client connection's transport: the gateway's own [`Stream`] (plain TCP
//! or TLS over TCP, one enum, no boxing per call), so ringload and ringgate
//! drive rustls over monoio with the same code.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use monoio::net::TcpStream;
pub use ringgate::stream::Stream;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, Connection};

use crate::tls::{HandshakeError, TlsStream};

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
    let session =
        rustls::ClientConnection::new(config.clone(), name.clone()).map_err(HandshakeError::Tls)?;
    let tls = TlsStream::handshake(tcp, Connection::Client(session)).await?;
    Ok(Stream::Tls(Box::new(tls)))
}
