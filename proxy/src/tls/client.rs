//! TLS to upstream targets: one rustls client config per upstream (its CA
//! file or the system roots, an optional client certificate for mutual
//! TLS, ALPN `http/1.1`, the default client session cache so reconnects
//! resume), and the server name each target is verified against.

use super::certs::{read_certs, read_key};
use super::error::TlsError;
use super::session::HandshakeError;
use super::{protocol_versions, provider, TlsStream};
use monoio::net::TcpStream;
use ringgate_core::config::tls::UpstreamTls;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, RootCertStore};
use std::sync::Arc;

/// How to open TLS to the targets of one upstream.
#[derive(Debug)]
pub struct Connector {
    config: Arc<ClientConfig>,
    /// Per target, in target order: the name sent in SNI and verified.
    names: Vec<ServerName<'static>>,
}

impl Connector {
    /// Run the client handshake to target `target` over `tcp`.
    pub async fn connect(
        &self,
        tcp: TcpStream,
        target: usize,
    ) -> Result<TlsStream, HandshakeError> {
        let name = self.names.get(target).cloned().ok_or(HandshakeError::Eof)?;
        let session =
            ClientConnection::new(Arc::clone(&self.config), name).map_err(HandshakeError::Tls)?;
        TlsStream::handshake(tcp, Connection::Client(session)).await
    }

    /// TLS to target `target` over a blocking socket (the control plane's
    /// health checks); the handshake runs with the first write.
    pub fn blocking(
        &self,
        tcp: std::net::TcpStream,
        target: usize,
    ) -> std::io::Result<rustls::StreamOwned<ClientConnection, std::net::TcpStream>> {
        let name =
            self.names.get(target).cloned().ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such target")
            })?;
        let session = ClientConnection::new(Arc::clone(&self.config), name)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(rustls::StreamOwned::new(session, tcp))
    }
}

fn roots(tls: &UpstreamTls) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    match &tls.ca {
        Some(ca) => {
            let key = format!("{}.ca", tls.path);
            for cert in read_certs(&key, ca)? {
                roots.add(cert).map_err(|e| TlsError::File {
                    key: key.clone(),
                    file: ca.clone(),
                    error: e.to_string(),
                })?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(TlsError::Setting {
                    key: format!("{}.ca", tls.path),
                    error:
                        "no system root certificates found (install ca-certificates or set `ca`)"
                            .to_owned(),
                });
            }
        }
    }
    Ok(roots)
}

/// Build the connector of one upstream.
pub fn connector(tls: &UpstreamTls) -> Result<Connector, TlsError> {
    let setting = |key: &str, error: String| TlsError::Setting {
        key: format!("{}.{key}", tls.path),
        error,
    };
    let builder = ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&protocol_versions(&tls.protocols))
        .map_err(|e| setting("protocols", e.to_string()))?
        .with_root_certificates(roots(tls)?);
    let mut config = match &tls.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let chain = read_certs(&format!("{}.client_cert", tls.path), cert)?;
            let der = read_key(&format!("{}.client_key", tls.path), key)?;
            builder
                .with_client_auth_cert(chain, der)
                .map_err(|e| setting("client_key", e.to_string()))?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let names = tls
        .target_hosts
        .iter()
        .map(|host| {
            let name = tls.sni.as_deref().unwrap_or(host);
            ServerName::try_from(name.to_owned())
                .map_err(|e| setting("sni", format!("\"{name}\": {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Connector {
        config: Arc::new(config),
        names,
    })
}
