//! The trust store choices and the one-line handshake failure messages.

use std::io::Write;

use rustls::CertificateError;

use super::*;

#[test]
fn trust_follows_the_flags() {
    assert_eq!(Trust::from_flags(false, None), Trust::System);
    let p = std::path::Path::new("ca.pem");
    assert_eq!(Trust::from_flags(false, Some(p)), Trust::File(p.into()));
    assert_eq!(Trust::from_flags(true, None), Trust::Insecure);
    assert!(client_config(&Trust::Insecure).is_ok());
}

#[test]
fn cacert_must_hold_certificates() {
    let dir = std::env::temp_dir().join(format!("ringload-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.pem");
    std::fs::File::create(&empty)
        .unwrap()
        .write_all(b"not a pem file\n")
        .unwrap();
    let e = client_config(&Trust::File(empty.clone())).unwrap_err();
    assert!(e.to_string().contains("no CERTIFICATE block"), "{e}");
    let e = client_config(&Trust::File(dir.join("missing.pem"))).unwrap_err();
    assert!(e.to_string().starts_with("--cacert "), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn server_names_for_hosts_and_addresses() {
    assert!(matches!(
        server_name("localhost"),
        Ok(ServerName::DnsName(_))
    ));
    assert!(matches!(
        server_name("127.0.0.1"),
        Ok(ServerName::IpAddress(_))
    ));
    assert!(matches!(server_name("::1"), Ok(ServerName::IpAddress(_))));
    assert!(server_name("bad name").is_err());
}

#[test]
fn handshake_messages_name_the_cause_and_the_way_out() {
    let unknown = HandshakeError::Tls(rustls::Error::InvalidCertificate(
        CertificateError::UnknownIssuer,
    ));
    assert_eq!(
        handshake_message("127.0.0.1:8443", &Trust::System, &unknown),
        "TLS handshake with 127.0.0.1:8443 failed: invalid peer certificate: UnknownIssuer \
         (the certificate is not trusted by the system's CA certificates: use --cacert FILE \
         or --insecure)"
    );
    let name = HandshakeError::Tls(rustls::Error::InvalidCertificate(
        CertificateError::NotValidForName,
    ));
    let m = handshake_message("127.0.0.1:1", &Trust::File("ca.pem".into()), &name);
    assert!(m.contains("not valid for the URL's host"), "{m}");
    let eof = HandshakeError::Io(std::io::ErrorKind::UnexpectedEof.into());
    let m = handshake_message("h:1", &Trust::System, &eof);
    assert!(m.starts_with("TLS handshake with h:1 failed: "), "{m}");
    assert!(!m.contains('('), "{m}");
}

#[test]
fn tls_cipher_pins_known_suites_and_names_unknown_ones() {
    let pinned = client_config_with(&Trust::Insecure, &["tls13_aes_128_gcm_sha256".to_owned()])
        .expect("known suite");
    let suites: Vec<String> = pinned
        .crypto_provider()
        .cipher_suites
        .iter()
        .map(|s| format!("{:?}", s.suite()))
        .collect();
    assert_eq!(suites, ["TLS13_AES_128_GCM_SHA256"]);
    let e = client_config_with(&Trust::Insecure, &["TLS_NOPE".to_owned()]).unwrap_err();
    assert!(
        e.to_string().starts_with("--tls-cipher TLS_NOPE: unknown"),
        "{e}"
    );
}
