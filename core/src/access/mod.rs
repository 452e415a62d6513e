//! IP access control: who may use a route (or the whole server) by the
//! client's address.
//!
//! An [`Access`] is three CIDR lists: `deny`, `allow` and
//! `trusted_proxies`. The client address is worked out first
//! ([`client_ip`]: the socket peer, or the real client behind trusted
//! proxies from `X-Forwarded-For`). Then a client in `deny` is refused; else
//! a client not in a non-empty `allow` is refused; else it passes. So `deny`
//! carves exceptions out of `allow` whatever the order in the file, and an
//! empty `allow` means "everyone not denied". The proxy answers a refusal
//! with 403; nothing here does I/O.

mod cidr;
mod client;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::IpAddr;

pub use cidr::{Cidr, CidrSet};
pub use client::client_ip;

/// `access = { allow = [...], deny = [...], trusted_proxies = [...] }`.
#[derive(Debug, Clone, Default)]
pub struct Access {
    /// Prefixes allowed in; empty lets in everyone not denied.
    pub allow: CidrSet,
    /// Prefixes refused, checked before `allow`.
    pub deny: CidrSet,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: CidrSet,
}

/// Why a client was refused: the rule that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// It is in `deny[index]`.
    Denied {
        /// Position in the `deny` list.
        index: usize,
        /// The prefix there.
        cidr: Cidr,
    },
    /// `allow` is not empty and no prefix in it contains the client.
    NotAllowed,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Denied { index, cidr } => write!(f, "deny[{index}] {cidr}"),
            Refusal::NotAllowed => f.write_str("not in allow"),
        }
    }
}

impl Access {
    /// Whether `client` may pass, or the rule that refuses it.
    pub fn check(&self, client: IpAddr) -> Result<(), Refusal> {
        if let Some(index) = self.deny.find(client) {
            if let Some(&cidr) = self.deny.get(index) {
                return Err(Refusal::Denied { index, cidr });
            }
        }
        if !self.allow.is_empty() && !self.allow.contains(client) {
            return Err(Refusal::NotAllowed);
        }
        Ok(())
    }
}
