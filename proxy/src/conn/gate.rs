//! The checks a request passes right after routing, before admission and
//! authentication: IP access (`server.access`, then the route's `access`)
//! and the CORS preflight answer.
//!
//! A refused address gets 403 with a short body, a log line naming the
//! client, the peer, the route and the rule, and a count in
//! `ringgate_access_denied_total`; nothing reaches the origin. A preflight
//! on a route with `cors` is answered here with 204 (after the IP check: a
//! refused address gets no CORS answer; before authentication: a preflight
//! carries no credentials) and never forwarded.

use super::{reply, Client, Next};
use crate::auth::close_after;
use crate::shard::Shard;
use monoio::time::Instant;
use ringgate_core::access::{client_ip, Access};
use ringgate_core::config::{Config, Route};
use ringgate_core::cors::{self, Cors, Preflight};
use ringgate_core::http1::{encode_no_content, RequestHead};
use ringgate_core::status::Failure;
use std::net::IpAddr;
use std::time::Duration;
use tracing::info;

/// The address a request is from, for the rate-limit key and consistent
/// hashing on `client_ip`: `X-Forwarded-For` resolved through the route's
/// `access.trusted_proxies`, or else `server.access`'s (as the access rules
/// see it); the socket peer when neither names trusted proxies.
pub fn client_addr(
    cfg: &Config,
    route: Option<&Route>,
    head: &RequestHead,
    peer: IpAddr,
) -> IpAddr {
    let trusted = route
        .and_then(|r| r.access.as_deref())
        .map(|a| &a.trusted_proxies)
        .filter(|t| !t.is_empty())
        .or_else(|| cfg.server.access.as_deref().map(|a| &a.trusted_proxies));
    match trusted {
        Some(trusted) => client_ip(peer, head, trusted),
        None => peer,
    }
}

/// Whether [`check`] has anything to do for a request on `route`.
pub fn needed(cfg: &Config, route: Option<&Route>) -> bool {
    cfg.server.access.is_some() || route.is_some_and(|r| r.access.is_some() || r.cors.is_some())
}

/// Run the checks; `Err(next)`: the client has been answered.
pub async fn check(
    shard: &Shard,
    client: &mut Client,
    head: &RequestHead,
    server_access: Option<&Access>,
    found: Option<(usize, &Route)>,
) -> Result<(), Next> {
    if let Some(access) = server_access {
        allow(shard, client, head, access, None).await?;
    }
    let Some((index, route)) = found else {
        return Ok(());
    };
    if let Some(access) = route.access.as_deref() {
        allow(shard, client, head, access, Some((index, route))).await?;
    }
    if let Some(cors) = route.cors.as_deref() {
        if cors::is_preflight(head) {
            return Err(preflight(shard, client, head, cors, index, route).await);
        }
    }
    Ok(())
}

/// Refuse `head` with 403 unless `access` lets its client in.
async fn allow(
    shard: &Shard,
    client: &mut Client,
    head: &RequestHead,
    access: &Access,
    route: Option<(usize, &Route)>,
) -> Result<(), Next> {
    let ip = client_ip(client.peer.ip(), head, &access.trusted_proxies);
    let Err(rule) = access.check(ip) else {
        return Ok(());
    };
    let name = route.map_or("(server)", |(_, r)| r.name.as_str());
    info!(
        shard = shard.index,
        client = %ip,
        peer = %client.peer,
        route = name,
        rule = %rule,
        status = 403,
        "access denied"
    );
    let index = route.map(|(i, _)| i);
    client.view.metrics.access_denied(index);
    shard
        .metrics
        .request(index, Failure::Forbidden.status(), Duration::ZERO);
    let answer = reply::Answer {
        close: close_after(shard, head),
        head_only: head.is_head(),
    };
    reply::send(client, Failure::Forbidden, answer, &[]).await;
    Err(if answer.close {
        Next::Close
    } else {
        Next::KeepAlive
    })
}

/// Answer a CORS preflight with 204 and the route's allow fields (or
/// without them when something asked for is not allowed).
async fn preflight(
    shard: &Shard,
    client: &mut Client,
    head: &RequestHead,
    cors: &Cors,
    index: usize,
    route: &Route,
) -> Next {
    let started = Instant::now();
    let mut lines = Vec::with_capacity(256);
    if let Preflight::Refused(reason) = cors.preflight(head, &mut lines) {
        info!(
            shard = shard.index,
            client = %client.peer,
            route = %route.name,
            origin = %String::from_utf8_lossy(head.header("origin").unwrap_or_default()),
            reason,
            "CORS preflight refused"
        );
    }
    let close = close_after(shard, head);
    client.out.clear();
    encode_no_content(&lines, close, &mut client.out);
    let written = super::io::write_vec(&mut client.stream, &mut client.out).await;
    client.out.clear();
    client
        .view
        .metrics
        .request(Some(index), 204, started.elapsed());
    if close || written.is_err() {
        Next::Close
    } else {
        Next::KeepAlive
    }
}
