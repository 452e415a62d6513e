//! Validation of the TLS settings: `server.tls`, `server.listen[i].tls` and
//! `upstreams.NAME.tls`.
//!
//! The TLS tables are taken out of the raw tree before the sections are
//! validated (like `auth`), then applied to the validated [`Server`] and
//! [`Upstream`]s: a plain `"ip:port"` listen entry terminates TLS with
//! `server.tls` when that is set; a table entry uses its own `tls` (none =
//! plain HTTP). File names resolve against the config file's folder.

use std::path::Path;

use super::super::error::Errors;
use super::super::model::{Server, Upstream};
use super::super::raw::{RawServer, RawTarget, RawUpstream};
use super::super::raw_tls::{RawListenEntry, RawServerTls, RawUpstreamTls};
use super::super::tls::{
    CertPair, KtlsMode, ServerTls, TlsVersion, UpstreamTls, RELOAD_INTERVAL, SESSION_CACHE,
};
use super::files::resolve;
use super::{duration, integer, to_usize};

/// What each listen entry says about TLS, taken from the raw tree.
#[derive(Debug, Default)]
pub(super) struct ListenTls {
    global: Option<RawServerTls>,
    /// Per listen entry: its key path, and `Some(tls)` when it is a table.
    entries: Vec<(String, Option<Option<RawServerTls>>)>,
}

/// Take the TLS settings out of `[server]` (leaving the addresses).
pub(super) fn take_server(raw: Option<&mut RawServer>) -> ListenTls {
    let Some(raw) = raw else {
        return ListenTls::default();
    };
    let global = raw.tls.take();
    let entries = raw
        .listen
        .as_mut()
        .map(|listen| {
            listen
                .entries_mut()
                .into_iter()
                .map(|(path, entry)| match entry {
                    RawListenEntry::Addr(_) => (path, None),
                    RawListenEntry::Table(table) => (path, Some(table.tls.take())),
                })
                .collect()
        })
        .unwrap_or_default();
    ListenTls { global, entries }
}

/// Fill `server.listen_tls`, one entry per listen address.
pub(super) fn apply_server(
    server: &mut Server,
    taken: ListenTls,
    base: Option<&Path>,
    errors: &mut Errors,
) {
    let global = taken
        .global
        .map(|raw| server_tls("server.tls".to_owned(), raw, base, errors));
    server.listen_tls = taken
        .entries
        .into_iter()
        .map(|(path, entry)| match entry {
            None => global.clone(),
            Some(None) => None,
            Some(Some(raw)) => Some(server_tls(format!("{path}.tls"), raw, base, errors)),
        })
        .collect();
}

fn server_tls(
    path: String,
    raw: RawServerTls,
    base: Option<&Path>,
    errors: &mut Errors,
) -> ServerTls {
    let mut certs = Vec::new();
    match (raw.cert, raw.key, raw.certs) {
        (Some(cert), Some(key), None) => certs.push(CertPair {
            path: path.clone(),
            cert: resolve(base, &cert),
            key: resolve(base, &key),
            names: Vec::new(),
        }),
        (None, None, Some(list)) => {
            if list.is_empty() {
                errors.push(
                    format!("{path}.certs"),
                    "must list at least one certificate",
                );
            }
            for (i, pair) in list.into_iter().enumerate() {
                let at = format!("{path}.certs[{i}]");
                let (Some(cert), Some(key)) = (pair.cert, pair.key) else {
                    errors.push(at, "needs both `cert` and `key`");
                    continue;
                };
                let names = pair.names.unwrap_or_default();
                for (j, name) in names.iter().enumerate() {
                    if let Err(message) = server_name(name) {
                        errors.push(format!("{at}.names[{j}]"), message);
                    }
                }
                certs.push(CertPair {
                    path: at,
                    cert: resolve(base, &cert),
                    key: resolve(base, &key),
                    names: names.into_iter().map(|n| n.to_ascii_lowercase()).collect(),
                });
            }
        }
        (None, None, None) => errors.push(
            path.clone(),
            "needs `cert` and `key`, or `certs = [{ cert, key, names }]`",
        ),
        (_, _, Some(_)) => errors.push(
            path.clone(),
            "use either `cert` and `key` or `certs`, not both",
        ),
        _ => errors.push(path.clone(), "needs both `cert` and `key`"),
    }
    let ktls = match raw.ktls.as_deref() {
        None | Some("auto") => KtlsMode::Auto,
        Some("on") => KtlsMode::On,
        Some("off") => KtlsMode::Off,
        Some(other) => {
            errors.push(
                format!("{path}.ktls"),
                format!("must be \"auto\", \"on\" or \"off\", got \"{other}\""),
            );
            KtlsMode::Auto
        }
    };
    let protocols = protocols(&path, raw.protocols, errors);
    let reload_interval = duration(
        errors,
        &format!("{path}.reload_interval"),
        raw.reload_interval.as_deref(),
        RELOAD_INTERVAL,
    );
    let session_cache = to_usize(integer(
        errors,
        &format!("{path}.session_cache"),
        raw.session_cache,
        0,
        1 << 24,
        SESSION_CACHE as u64,
    ));
    ServerTls {
        path,
        certs,
        ktls,
        protocols,
        reload_interval,
        session_tickets: raw.session_tickets.unwrap_or(true),
        session_cache,
    }
}

/// A name for SNI selection: a DNS name, or `*.` and one.
fn server_name(name: &str) -> Result<(), String> {
    let rest = name.strip_prefix("*.").unwrap_or(name);
    let ok = !rest.is_empty()
        && rest.len() <= 253
        && rest.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid server name \"{name}\": expected a DNS name or \"*.\" and one"
        ))
    }
}

fn protocols(path: &str, raw: Option<Vec<String>>, errors: &mut Errors) -> Vec<TlsVersion> {
    let Some(list) = raw else {
        return vec![TlsVersion::Tls13, TlsVersion::Tls12];
    };
    let at = format!("{path}.protocols");
    if list.is_empty() {
        errors.push(
            at.clone(),
            "must list at least one of \"TLSv1.2\", \"TLSv1.3\"",
        );
    }
    let mut out = Vec::new();
    for (i, text) in list.iter().enumerate() {
        let version = match text.as_str() {
            "TLSv1.2" => TlsVersion::Tls12,
            "TLSv1.3" => TlsVersion::Tls13,
            other => {
                errors.push(
                    format!("{at}[{i}]"),
                    format!("must be \"TLSv1.2\" or \"TLSv1.3\", got \"{other}\""),
                );
                continue;
            }
        };
        if !out.contains(&version) {
            out.push(version);
        }
    }
    out
}

/// Per upstream: its raw `tls` and its targets' hosts as written.
pub(super) type UpstreamTlsRaw = Vec<(Option<RawUpstreamTls>, Vec<String>)>;

/// Take `tls` out of every raw upstream, with the hosts of its targets.
pub(super) fn take_upstreams<'a>(raw: impl Iterator<Item = &'a mut RawUpstream>) -> UpstreamTlsRaw {
    raw.map(|u| {
        let hosts = u
            .targets
            .iter()
            .flatten()
            .map(|t| match t {
                RawTarget::Addr(text) => host_of(text),
                RawTarget::Table(table) => host_of(&table.addr),
            })
            .collect();
        (u.tls.take(), hosts)
    })
    .collect()
}

/// The host part of `host:port` / `[v6]:port`.
fn host_of(addr: &str) -> String {
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned()
}

/// Fill `upstreams[i].tls`.
pub(super) fn apply_upstreams(
    upstreams: &mut [Upstream],
    taken: UpstreamTlsRaw,
    base: Option<&Path>,
    errors: &mut Errors,
) {
    for (upstream, (raw, target_hosts)) in upstreams.iter_mut().zip(taken) {
        let Some(raw) = raw else { continue };
        let path = format!("upstreams.{}.tls", upstream.name);
        upstream.tls = Some(upstream_tls(raw, path, target_hosts, base, errors));
    }
}

/// One client-side `tls` table at `path`, for a peer reached under
/// `target_hosts` (an upstream's targets, or a JWKS URL's host).
pub(super) fn upstream_tls(
    raw: RawUpstreamTls,
    path: String,
    target_hosts: Vec<String>,
    base: Option<&Path>,
    errors: &mut Errors,
) -> UpstreamTls {
    let client_cert = match (raw.client_cert, raw.client_key) {
        (Some(cert), Some(key)) => Some((resolve(base, &cert), resolve(base, &key))),
        (None, None) => None,
        _ => {
            errors.push(path.clone(), "needs both `client_cert` and `client_key`");
            None
        }
    };
    if let Some(sni) = &raw.sni {
        if sni.parse::<std::net::IpAddr>().is_err() {
            if let Err(message) = server_name(sni) {
                errors.push(format!("{path}.sni"), message);
            }
        }
    }
    let protocols = protocols(&path, raw.protocols, errors);
    UpstreamTls {
        ca: raw.ca.map(|ca| resolve(base, &ca)),
        sni: raw.sni,
        target_hosts,
        client_cert,
        protocols,
        path,
    }
}
