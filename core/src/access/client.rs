//! Which address a request comes from, the way nginx's `real_ip` module
//! with `real_ip_recursive on` decides it.
//!
//! The client is the socket peer, unless the peer is a trusted proxy: then
//! `X-Forwarded-For` is walked from the right (every field line, in order,
//! as one list), trusted addresses are skipped, and the first untrusted one
//! is the client. When every listed address is trusted, the leftmost is.
//! An element that is not a bare IP address (a name, `ip:port`, garbage)
//! stops the walk and the peer is used: a proxy chain that cannot be read
//! is not believed. IPv4-mapped IPv6 addresses are taken as IPv4.

use std::net::IpAddr;

use super::cidr::CidrSet;
use crate::http1::RequestHead;

/// The address `head` is from, given its socket `peer` and the proxies
/// whose `X-Forwarded-For` is believed.
pub fn client_ip(peer: IpAddr, head: &RequestHead, trusted: &CidrSet) -> IpAddr {
    let peer = peer.to_canonical();
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    walk(peer, head.forwarded_for(), trusted)
}

/// The walk over `X-Forwarded-For` values (in field order), done left to
/// right in one pass without collecting: the answer from the right is the
/// last untrusted element, unless a malformed element follows it.
fn walk<'a>(peer: IpAddr, values: impl Iterator<Item = &'a [u8]>, trusted: &CidrSet) -> IpAddr {
    let mut leftmost: Option<IpAddr> = None;
    let mut last_untrusted: Option<IpAddr> = None;
    let mut malformed_after = false;
    for value in values {
        for element in value.split(|&b| b == b',') {
            let text = match std::str::from_utf8(element) {
                Ok(text) => text.trim_matches([' ', '\t']),
                Err(_) => {
                    malformed_after = true;
                    continue;
                }
            };
            if text.is_empty() {
                continue;
            }
            let Some(ip) = parse_ip(text) else {
                malformed_after = true;
                continue;
            };
            leftmost.get_or_insert(ip);
            if !trusted.contains(ip) {
                last_untrusted = Some(ip);
                malformed_after = false;
            }
        }
    }
    if malformed_after {
        return peer;
    }
    last_untrusted.or(leftmost).unwrap_or(peer)
}

/// A bare IPv4 or IPv6 address, optionally in brackets (`[2001:db8::1]`).
fn parse_ip(text: &str) -> Option<IpAddr> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    inner.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
pub(super) fn walk_for_test(peer: IpAddr, values: &[&str], trusted: &CidrSet) -> IpAddr {
    walk(peer, values.iter().map(|v| v.as_bytes()), trusted)
}
