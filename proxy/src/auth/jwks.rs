//! JWKS URLs: fetched once at startup, then refreshed by one background
//! thread per process.
//!
//! A fetch is a blocking HTTP/1.1 GET over `std::net` (TLS for an
//! `https://` URL, verified with `jwks_tls` or the system roots) with a
//! deadline ([`FETCH_TIMEOUT`]) and a size cap ([`MAX_JWKS_BYTES`]); the
//! response is parsed with the gateway's own codec. A good key set (plus the route's
//! `keys_file` keys) is stored into the route's `ArcSwap`, which every shard
//! reads lock-free on its next request. A failed refresh keeps the old set
//! and logs a warning. At startup a failed fetch stops the gateway, unless
//! the route also has a `keys_file` to start with.

use crate::blocking;
use crate::drain::DrainFlag;
use crate::error::ProxyError;
use crate::tls::client::Connector;
use ringgate_core::auth::body::Collector;
use ringgate_core::auth::jwt::{JwksSource, JwtAuth, KeySet};
use ringgate_core::auth::AuthKind;
use ringgate_core::config::Config;
use std::net::ToSocketAddrs;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// Longest a fetch may take, connect to last byte.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document accepted.
pub const MAX_JWKS_BYTES: usize = 1 << 20;
/// How often the refresh thread looks at the drain flag.
const TICK: Duration = Duration::from_millis(50);

/// One route's JWKS to keep fresh.
struct Refresh {
    route: String,
    source: JwksSource,
    /// TLS for an `https://` URL.
    tls: Option<Connector>,
    jwt: JwtKeys,
    due: Instant,
    /// The last document fetched: an unchanged one is not published again
    /// (a new set empties every shard's token cache).
    last: Vec<u8>,
}

/// What the thread needs of a route's JWT settings (shared with the shards).
struct JwtKeys {
    keys: Arc<arc_swap::ArcSwap<KeySet>>,
    file_keys: Arc<KeySet>,
}

impl JwtKeys {
    fn of(jwt: &JwtAuth) -> JwtKeys {
        JwtKeys {
            keys: Arc::clone(&jwt.keys),
            file_keys: Arc::clone(&jwt.file_keys),
        }
    }

    fn publish(&self, fetched: &KeySet) -> usize {
        let merged = self.file_keys.merged(fetched);
        let count = merged.len();
        self.keys.store(Arc::new(merged));
        count
    }
}

/// Fetch every route's JWKS now and start the refresh thread (if any route
/// has a `jwks_url`), which stops when `flag` is raised.
pub fn start(config: &Config, flag: DrainFlag) -> Result<(), ProxyError> {
    let mut work = Vec::new();
    for route in &config.routes {
        let Some(AuthKind::Jwt(jwt)) = route.auth.as_deref().map(|a| &a.kind) else {
            continue;
        };
        let Some(source) = &jwt.jwks else {
            continue;
        };
        let keys = JwtKeys::of(jwt);
        let tls = source
            .tls
            .as_deref()
            .map(crate::tls::client::connector)
            .transpose()
            .map_err(ProxyError::Tls)?;
        let mut last = Vec::new();
        match fetch(source, tls.as_ref()) {
            Ok((set, body)) => {
                let count = keys.publish(&set);
                last = body;
                info!(route = %route.name, url = %source.url, keys = count, "JWKS loaded");
            }
            Err(error) if !jwt.file_keys.is_empty() => {
                warn!(route = %route.name, url = %source.url, %error, "JWKS fetch failed, starting with keys_file only");
            }
            Err(error) => {
                return Err(ProxyError::Jwks {
                    route: route.name.clone(),
                    url: source.url.clone(),
                    error,
                })
            }
        }
        work.push(Refresh {
            route: route.name.clone(),
            source: source.clone(),
            tls,
            jwt: keys,
            due: Instant::now() + source.refresh,
            last,
        });
    }
    if work.is_empty() {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("ringgate-jwks".into())
        .spawn(move || refresh_loop(work, &flag))
        .map(|_| ())
        .map_err(|source| ProxyError::Spawn {
            what: "JWKS refresh thread".into(),
            source,
        })
}

fn refresh_loop(mut work: Vec<Refresh>, flag: &DrainFlag) {
    while !flag.is_raised() {
        let now = Instant::now();
        for item in work.iter_mut().filter(|w| w.due <= now) {
            match fetch(&item.source, item.tls.as_ref()) {
                Ok((_, body)) if body == item.last => {
                    debug!(route = %item.route, url = %item.source.url, "JWKS unchanged");
                }
                Ok((set, body)) => {
                    let count = item.jwt.publish(&set);
                    item.last = body;
                    info!(route = %item.route, url = %item.source.url, keys = count, "JWKS refreshed");
                }
                Err(error) => {
                    warn!(route = %item.route, url = %item.source.url, %error, "JWKS refresh failed, keeping the previous keys");
                }
            }
            item.due = Instant::now() + item.source.refresh;
        }
        let next = work.iter().map(|w| w.due).min().unwrap_or(now + TICK);
        std::thread::sleep(next.saturating_duration_since(Instant::now()).min(TICK));
    }
}

/// GET the JWKS at `source` (over `tls` for an `https://` URL) and parse
/// it; the set and the document.
pub fn fetch(source: &JwksSource, tls: Option<&Connector>) -> Result<(KeySet, Vec<u8>), String> {
    let deadline = Instant::now() + FETCH_TIMEOUT;
    let body = get(&source.authority, &source.path, tls, deadline)?;
    let text = std::str::from_utf8(&body).map_err(|_| "the JWKS is not UTF-8".to_owned())?;
    let set = KeySet::from_json(text).map_err(|problem| format!("the JWKS {problem}"))?;
    Ok((set, body))
}

/// A blocking `GET path` to `authority` (`host:port`), over `tls` when
/// given; the 200 body.
fn get(
    authority: &str,
    path: &str,
    tls: Option<&Connector>,
    deadline: Instant,
) -> Result<Vec<u8>, String> {
    let addrs: Vec<_> = authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .collect();
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::TimedOut => format!("no answer within {FETCH_TIMEOUT:?}"),
        _ => format!("{authority}: {e}"),
    };
    let default_port = if tls.is_some() { ":443" } else { ":80" };
    let host = authority.strip_suffix(default_port).unwrap_or(authority);
    let tcp = blocking::connect(&addrs, deadline).map_err(io)?;
    let accept = "Accept: application/json\r\n";
    match tls {
        None => body(
            blocking::get_over(tcp, host, path, accept, deadline),
            deadline,
        )
        .map_err(io),
        Some(connector) => {
            let stream = connector.blocking(tcp, 0).map_err(io)?;
            body(
                blocking::get_over(stream, host, path, accept, deadline),
                deadline,
            )
            .map_err(io)
        }
    }
}

/// The body of a 200 answer, read to its end by `deadline`.
fn body<S: blocking::Conn>(
    fetched: std::io::Result<blocking::Fetched<S>>,
    deadline: Instant,
) -> std::io::Result<Vec<u8>> {
    let blocking::Fetched {
        head,
        mut stream,
        mut buf,
    } = fetched?;
    let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    if head.status() != 200 {
        return Err(invalid(format!(
            "answered {} instead of 200",
            head.status()
        )));
    }
    let mut body = Collector::new(head.body(), MAX_JWKS_BYTES);
    loop {
        if body.feed(&mut buf).map_err(|e| invalid(e.to_string()))? {
            return Ok(body.into_body());
        }
        if blocking::read_more(&mut stream, &mut buf, deadline)? == 0 {
            return body.finish_at_eof().map_err(|e| invalid(e.to_string()));
        }
    }
}
