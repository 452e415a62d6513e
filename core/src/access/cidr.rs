//! CIDR prefixes and sets of them, for IP allow/deny lists and trusted
//! proxies.
//!
//! A [`CidrSet`] keeps its prefixes grouped by length, each group sorted, so
//! a lookup masks the address once per distinct prefix length (longest
//! first) and binary-searches that group: no allocation, and a few
//! comparisons even for long lists. IPv4 and IPv6 prefixes live in separate
//! groups; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is looked up as
//! the IPv4 address it carries, so IPv4 rules apply to it.

use std::fmt;
use std::net::IpAddr;

/// One prefix: `10.0.0.0/8`, `2001:db8::/32`, or a bare address (`/32`, `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    /// Parses `text`; host bits beyond the prefix length are an error
    /// (`10.1.2.3/8` is most likely a mistake for `10.0.0.0/8` or
    /// `10.1.2.3/32`).
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (ip_text, len_text) = match text.split_once('/') {
            Some((ip, len)) => (ip, Some(len)),
            None => (text, None),
        };
        let addr: IpAddr = ip_text.parse().map_err(|_| {
            format!(
                "invalid CIDR \"{text}\": expected an address or address/prefix, like \"10.0.0.0/8\" or \"2001:db8::/32\""
            )
        })?;
        let max = max_len(addr);
        let len = match len_text {
            None => max,
            Some(n) => match n.parse::<u8>() {
                Ok(len) if len <= max && !n.starts_with('+') => len,
                _ => {
                    return Err(format!(
                        "invalid CIDR \"{text}\": the prefix length must be 0..={max}"
                    ))
                }
            },
        };
        let bits = bits(addr);
        let net = bits & mask(len, max);
        if net != bits {
            return Err(format!(
                "invalid CIDR \"{text}\": bits set beyond the /{len} prefix (did you mean \"{}/{len}\"?)",
                from_bits(net, addr.is_ipv4())
            ));
        }
        // An IPv4-mapped prefix of at least /96 is the IPv4 prefix it maps.
        if let IpAddr::V6(v6) = addr {
            if let (Some(v4), true) = (v6.to_ipv4_mapped(), len >= 96) {
                return Ok(Cidr {
                    addr: IpAddr::V4(v4),
                    len: len - 96,
                });
            }
        }
        Ok(Cidr { addr, len })
    }

    /// Whether `ip` is inside this prefix.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        ip.is_ipv4() == self.addr.is_ipv4()
            && bits(ip) & mask(self.len, max_len(ip)) == bits(self.addr)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// A set of prefixes, each with its position in the configured list (for
/// naming the rule that matched).
#[derive(Debug, Clone, Default)]
pub struct CidrSet {
    v4: Family,
    v6: Family,
    /// The prefixes as configured, in list order.
    listed: Vec<Cidr>,
}

/// The prefixes of one address family: `(network, list index)` sorted by
/// prefix length (longest first), then network; `groups` holds each
/// length's range in `entries`.
#[derive(Debug, Clone, Default)]
struct Family {
    entries: Vec<(u128, usize)>,
    groups: Vec<Group>,
}

#[derive(Debug, Clone, Copy)]
struct Group {
    len: u8,
    start: usize,
    end: usize,
}

impl CidrSet {
    /// A set of `prefixes`; indices in lookups are positions in this list.
    /// A prefix listed twice keeps its first position.
    pub fn new(prefixes: Vec<Cidr>) -> CidrSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for (i, c) in prefixes.iter().enumerate() {
            let entry = (c.len, bits(c.addr), i);
            if c.addr.is_ipv4() {
                v4.push(entry);
            } else {
                v6.push(entry);
            }
        }
        CidrSet {
            v4: Family::new(v4),
            v6: Family::new(v6),
            listed: prefixes,
        }
    }

    /// Whether the set has no prefix.
    pub fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The list position of the longest prefix containing `ip`, if any.
    pub fn find(&self, ip: IpAddr) -> Option<usize> {
        let ip = ip.to_canonical();
        let (family, max) = match ip {
            IpAddr::V4(_) => (&self.v4, 32),
            IpAddr::V6(_) => (&self.v6, 128),
        };
        let bits = bits(ip);
        family.groups.iter().find_map(|g| {
            let net = bits & mask(g.len, max);
            let slice = family.entries.get(g.start..g.end)?;
            let at = slice.binary_search_by(|e| e.0.cmp(&net)).ok()?;
            slice.get(at).map(|e| e.1)
        })
    }

    /// Whether any prefix contains `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.find(ip).is_some()
    }

    /// The prefix at list position `index`.
    pub fn get(&self, index: usize) -> Option<&Cidr> {
        self.listed.get(index)
    }
}

impl Family {
    fn new(mut items: Vec<(u8, u128, usize)>) -> Family {
        // Longest prefix first; within a length by network, then by list
        // position so a duplicate keeps its first position.
        items.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        items.dedup_by(|later, first| later.0 == first.0 && later.1 == first.1);
        let mut groups: Vec<Group> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match groups.last_mut() {
                Some(g) if g.len == item.0 => g.end = i + 1,
                _ => groups.push(Group {
                    len: item.0,
                    start: i,
                    end: i + 1,
                }),
            }
        }
        Family {
            entries: items.into_iter().map(|(_, net, i)| (net, i)).collect(),
            groups,
        }
    }
}

fn max_len(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

fn bits(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn from_bits(bits: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::from(u32::try_from(bits).unwrap_or(0).to_be_bytes())
    } else {
        IpAddr::from(bits.to_be_bytes())
    }
}

/// The network mask of a `/len` prefix in an address of `max` bits.
fn mask(len: u8, max: u8) -> u128 {
    let all: u128 = if max == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    match u32::from(max - len.min(max)) {
        128 => 0,
        host => (all >> host) << host,
    }
}
