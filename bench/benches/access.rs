//! IP access and CORS on the hot path.
//!
//! `cidr/hit` and `cidr/miss` look an address up in 1,000 IPv4 prefixes of
//! 9 lengths plus 100 IPv6 ones (one mask and binary search per length);
//! `client_ip/xff_3` walks a three-element `X-Forwarded-For` behind a
//! trusted peer; `cors/actual` renders the response fields for an allowed
//! origin. All should stay allocation-free (CORS writes into a reused
//! buffer) and well under a microsecond.

use std::hint::black_box;
use std::net::IpAddr;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringgate_core::access::{client_ip, Cidr, CidrSet};
use ringgate_core::cors::{Cors, CorsSettings, OriginRule};
use ringgate_core::http1::{HeadReader, Limits, RequestHead};

fn prefixes() -> CidrSet {
    let lens = [8u8, 12, 16, 20, 22, 24, 26, 28, 32];
    let mut list = Vec::new();
    let mut x: u32 = 0x2545_f491;
    for i in 0..1000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let len = lens[i % lens.len()];
        let net = if len == 0 {
            0
        } else {
            x & (u32::MAX << (32 - len))
        };
        list.push(Cidr::parse(&format!("{}/{len}", std::net::Ipv4Addr::from(net))).unwrap());
    }
    for i in 0..100u32 {
        list.push(Cidr::parse(&format!("2001:db8:{i:x}::/48")).unwrap());
    }
    CidrSet::new(list)
}

fn head(text: &str) -> RequestHead {
    let mut buf = BytesMut::from(text);
    HeadReader::default()
        .read_request(&mut buf, &Limits::default())
        .unwrap()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    let set = prefixes();
    let hit: IpAddr = "2001:db8:7::1".parse().unwrap();
    let miss: IpAddr = "198.51.100.77".parse().unwrap();
    assert!(set.contains(hit));
    let mut g = c.benchmark_group("cidr");
    g.throughput(Throughput::Elements(1));
    g.bench_function("hit", |b| b.iter(|| set.contains(black_box(hit))));
    g.bench_function("miss", |b| b.iter(|| set.contains(black_box(miss))));
    g.finish();

    let trusted = CidrSet::new(vec![
        Cidr::parse("127.0.0.1").unwrap(),
        Cidr::parse("10.0.0.0/8").unwrap(),
    ]);
    let h = head("GET /api/v1/users HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: ringload/0.1\r\nAccept: */*\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.2, 10.0.0.1\r\n\r\n");
    let peer: IpAddr = "127.0.0.1".parse().unwrap();
    assert_eq!(
        client_ip(peer, &h, &trusted),
        "203.0.113.7".parse::<IpAddr>().unwrap()
    );
    let mut g = c.benchmark_group("client_ip");
    g.throughput(Throughput::Elements(1));
    g.bench_function("xff_3", |b| {
        b.iter(|| client_ip(black_box(peer), &h, &trusted))
    });
    g.finish();

    let mut settings = CorsSettings {
        methods: vec!["GET".into(), "PUT".into()],
        expose: vec!["x-request-id".into()],
        credentials: true,
        ..CorsSettings::default()
    };
    for o in [
        "https://app.example",
        "https://admin.example",
        "*.example.com",
    ] {
        settings
            .origins
            .push(OriginRule::parse(o).unwrap().unwrap());
    }
    let cors = Cors::new(settings);
    let h = head(
        "GET /api HTTP/1.1\r\nHost: api.example.com\r\nOrigin: https://shop.example.com\r\n\r\n",
    );
    let mut out = Vec::with_capacity(256);
    let mut g = c.benchmark_group("cors");
    g.throughput(Throughput::Elements(1));
    g.bench_function("actual", |b| {
        b.iter(|| {
            out.clear();
            cors.actual(black_box(&h), &mut out);
            out.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
