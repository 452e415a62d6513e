//! The TLS settings: listen entries as tables, `server.tls` for plain
//! entries, several certificates, paths resolved against the config's
//! folder, upstream TLS, and errors that name their key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::super::tls::{KtlsMode, TlsVersion};
use super::*;

const TWO_LISTENERS: &str = r#"
[server]
listen = ["127.0.0.1:8080", { addr = "127.0.0.1:8443", tls = { cert = "certs/site.pem", key = "certs/site.key", ktls = "off" } }]
"#;

#[test]
fn a_table_entry_has_its_own_tls_and_a_string_entry_is_plain() {
    let c = load_str_in(TWO_LISTENERS, Some(Path::new("/etc/ringgate"))).unwrap();
    assert_eq!(
        c.server.listen,
        vec![addr("127.0.0.1:8080"), addr("127.0.0.1:8443")]
    );
    assert_eq!(c.server.listen_tls.len(), 2);
    assert!(c.server.listen_tls[0].is_none());
    let tls = c.server.listen_tls[1].as_ref().unwrap();
    assert_eq!(tls.path, "server.listen[1].tls");
    assert_eq!(
        tls.certs[0].cert,
        PathBuf::from("/etc/ringgate/certs/site.pem")
    );
    assert_eq!(
        tls.certs[0].key,
        PathBuf::from("/etc/ringgate/certs/site.key")
    );
    assert_eq!(tls.ktls, KtlsMode::Off);
    assert_eq!(tls.protocols, vec![TlsVersion::Tls13, TlsVersion::Tls12]);
    assert!(tls.session_tickets);
    assert_eq!(tls.reload_interval, Duration::from_secs(5));
}

#[test]
fn server_tls_applies_to_string_entries_and_certs_keep_their_names() {
    let c = load_str(
        r#"
[server]
listen = "127.0.0.1:8443"
tls = { certs = [{ cert = "/a.pem", key = "/a.key" }, { cert = "b.pem", key = "b.key", names = ["B.example", "*.c.example"] }], protocols = ["TLSv1.3"], reload_interval = "250ms", session_cache = 0 }
"#,
    )
    .unwrap();
    let tls = c.server.listen_tls[0].as_ref().unwrap();
    assert_eq!(tls.path, "server.tls");
    assert_eq!(tls.ktls, KtlsMode::Auto);
    assert_eq!(tls.certs.len(), 2);
    assert_eq!(tls.certs[1].path, "server.tls.certs[1]");
    assert_eq!(tls.certs[1].names, vec!["b.example", "*.c.example"]);
    assert_eq!(tls.certs[1].cert, PathBuf::from("b.pem"));
    assert_eq!(tls.protocols, vec![TlsVersion::Tls13]);
    assert_eq!(tls.reload_interval, Duration::from_millis(250));
    assert_eq!(tls.session_cache, 0);
}

#[test]
fn upstream_tls_keeps_each_targets_host_for_sni() {
    let c = load_str(
        r#"
[server]
listen = "127.0.0.1:0"
[upstreams.a]
targets = ["127.0.0.1:9443", { addr = "[::1]:9444" }]
tls = { ca = "ca.pem", client_cert = "c.pem", client_key = "c.key" }
"#,
    )
    .unwrap();
    let tls = c.upstreams[0].tls.as_ref().unwrap();
    assert_eq!(tls.target_hosts, vec!["127.0.0.1", "::1"]);
    assert_eq!(tls.sni, None);
    assert_eq!(tls.ca, Some(PathBuf::from("ca.pem")));
    assert_eq!(
        tls.client_cert,
        Some((PathBuf::from("c.pem"), PathBuf::from("c.key")))
    );
}

#[test]
fn tls_errors_name_their_key() {
    let e = errors(
        r#"
[server]
listen = [{ tls = { cert = "a.pem", key = "a.key" } }, { addr = "127.0.0.1:1", tls = { cert = "a.pem" } }]
tls = { certs = [{ cert = "x.pem", key = "x.key", names = ["bad name"] }], ktls = "maybe", protocols = ["SSLv3"] }
[upstreams.u]
targets = ["127.0.0.1:1"]
tls = { client_cert = "c.pem", sni = "not valid" }
"#,
    );
    assert_eq!(
        e,
        vec![
            "server.listen[0]: missing field `addr`",
            "server.tls.certs[0].names[0]: invalid server name \"bad name\": expected a DNS name or \"*.\" and one",
            "server.tls.ktls: must be \"auto\", \"on\" or \"off\", got \"maybe\"",
            "server.tls.protocols[0]: must be \"TLSv1.2\" or \"TLSv1.3\", got \"SSLv3\"",
            "server.listen[1].tls: needs both `cert` and `key`",
            "upstreams.u.tls: needs both `client_cert` and `client_key`",
            "upstreams.u.tls.sni: invalid server name \"not valid\": expected a DNS name or \"*.\" and one",
        ]
    );
    let e = errors("[server]\nlisten = { addr = \"127.0.0.1:1\", tsl = {} }\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with("server.listen.tsl: unknown field `tsl`"),
        "{e:?}"
    );
    let e = errors(
        "[server]\nlisten = \"127.0.0.1:1\"\ntls = { cert = \"a\", key = \"b\", certs = [] }\n",
    );
    assert_eq!(
        e,
        vec!["server.tls: use either `cert` and `key` or `certs`, not both"]
    );
}
