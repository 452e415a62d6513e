//! Unit tests of CIDR parsing, set lookups, the allow/deny decision and the
//! `X-Forwarded-For` walk.

use std::net::IpAddr;

use super::client::walk_for_test;
use super::{Access, Cidr, CidrSet, Refusal};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn set(list: &[&str]) -> CidrSet {
    CidrSet::new(list.iter().map(|c| Cidr::parse(c).unwrap()).collect())
}

#[test]
fn parse_accepts_and_rejects() {
    for good in [
        "10.0.0.0/8",
        "10.1.2.3",
        "0.0.0.0/0",
        "::/0",
        "2001:db8::/32",
        "::1",
        "10.1.2.3/32",
    ] {
        assert!(Cidr::parse(good).is_ok(), "{good}");
    }
    for (bad, needle) in [
        ("10.0.0.0/33", "0..=32"),
        ("2001:db8::/129", "0..=128"),
        ("10.1.2.3/8", "did you mean \"10.0.0.0/8\""),
        ("2001:db8::1/32", "did you mean \"2001:db8::/32\""),
        ("example.com", "invalid CIDR"),
        ("10.0.0.0/", "prefix length"),
        ("10.0.0.0/+8", "prefix length"),
        ("", "invalid CIDR"),
    ] {
        let error = Cidr::parse(bad).unwrap_err();
        assert!(error.contains(needle), "{bad}: {error}");
    }
    assert_eq!(
        Cidr::parse("::ffff:10.0.0.0/104").unwrap(),
        Cidr::parse("10.0.0.0/8").unwrap()
    );
}

#[test]
fn lookups_by_family_and_longest_prefix() {
    let s = set(&[
        "10.0.0.0/8",
        "10.1.0.0/16",
        "192.168.1.7",
        "2001:db8::/32",
        "::1",
        "10.0.0.0/8",
    ]);
    assert_eq!(s.find(ip("10.9.9.9")), Some(0));
    assert_eq!(s.find(ip("10.1.2.3")), Some(1), "longest prefix wins");
    assert_eq!(s.find(ip("192.168.1.7")), Some(2));
    assert_eq!(s.find(ip("192.168.1.8")), None);
    assert_eq!(s.find(ip("2001:db8:ffff::1")), Some(3));
    assert_eq!(s.find(ip("2001:db9::1")), None);
    assert_eq!(s.find(ip("::1")), Some(4));
    assert_eq!(s.find(ip("::2")), None);
    assert_eq!(s.find(ip("::ffff:10.2.3.4")), Some(0), "v4-mapped is v4");
    assert_eq!(s.find(ip("11.0.0.0")), None);
    assert!(set(&["0.0.0.0/0"]).contains(ip("1.2.3.4")));
    assert!(!set(&["0.0.0.0/0"]).contains(ip("::2")));
    assert!(set(&["::/0"]).contains(ip("2001:db8::5")));
    assert!(!CidrSet::default().contains(ip("1.2.3.4")));
}

#[test]
fn lookup_matches_a_linear_scan() {
    let list = [
        "10.0.0.0/8",
        "10.128.0.0/9",
        "172.16.0.0/12",
        "10.1.2.3",
        "0.0.0.0/1",
        "2001:db8::/48",
        "fe80::/10",
    ];
    let s = set(&list);
    let cidrs: Vec<Cidr> = list.iter().map(|c| Cidr::parse(c).unwrap()).collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let addr = if x & 1 == 0 {
            IpAddr::from(((x >> 32) as u32).to_be_bytes())
        } else {
            let hi = if x & 2 == 0 {
                0x2001_0db8_0000_0000u128
            } else {
                0xfe80u128 << 48
            };
            IpAddr::from(((hi << 64) | u128::from(x)).to_be_bytes())
        };
        let linear = cidrs.iter().any(|c| c.contains(addr));
        assert_eq!(s.contains(addr), linear, "{addr}");
    }
}

#[test]
fn deny_before_allow() {
    let access = Access {
        allow: set(&["10.0.0.0/8", "2001:db8::/32"]),
        deny: set(&["10.1.2.3/32"]),
        trusted_proxies: CidrSet::default(),
    };
    assert_eq!(access.check(ip("10.4.4.4")), Ok(()));
    assert_eq!(access.check(ip("2001:db8::1")), Ok(()));
    assert_eq!(
        access.check(ip("10.1.2.3")),
        Err(Refusal::Denied {
            index: 0,
            cidr: Cidr::parse("10.1.2.3").unwrap()
        })
    );
    assert_eq!(access.check(ip("11.0.0.1")), Err(Refusal::NotAllowed));
    assert_eq!(
        access.check(ip("::ffff:10.1.2.3")).unwrap_err().to_string(),
        "deny[0] 10.1.2.3/32"
    );
    let only_deny = Access {
        deny: set(&["127.0.0.0/8"]),
        ..Access::default()
    };
    assert!(only_deny.check(ip("127.0.0.1")).is_err());
    assert_eq!(only_deny.check(ip("192.0.2.1")), Ok(()));
}

#[test]
fn forwarded_for_walk() {
    let trusted = set(&["127.0.0.1", "10.0.0.0/8"]);
    let peer = ip("127.0.0.1");
    let cases: &[(&[&str], &str)] = &[
        (&[], "127.0.0.1"),
        (&["203.0.113.7"], "203.0.113.7"),
        (&["198.51.100.1, 203.0.113.7, 10.0.0.5"], "203.0.113.7"),
        (&["198.51.100.1", "203.0.113.7", "10.0.0.5"], "203.0.113.7"),
        (&["10.0.0.9, 10.0.0.5"], "10.0.0.9"),
        (&["203.0.113.7, bogus"], "127.0.0.1"),
        (&["bogus, 203.0.113.7"], "203.0.113.7"),
        (&["bogus, 10.0.0.5"], "127.0.0.1"),
        (&["203.0.113.7:443"], "127.0.0.1"),
        (&["[2001:db8::7]"], "2001:db8::7"),
        (&["2001:db8::7 ,, "], "2001:db8::7"),
        (&["::ffff:203.0.113.9"], "203.0.113.9"),
    ];
    for (values, want) in cases {
        assert_eq!(
            walk_for_test(peer, values, &trusted),
            ip(want),
            "{values:?}"
        );
    }
}
