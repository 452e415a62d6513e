//! Route lookup on the hot path: a realistic table of 20 routes.
//!
//! `hit_near_end` matches the last route (host, prefix, method and header
//! checks on everything before it); `miss` scans every route and finds none.
//! Both should stay allocation-free and well under a microsecond.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringgate_core::config::load_str;
use ringgate_core::router::{HeaderLookup, Router};

/// Headers as the HTTP/1 codec would offer them: a short list, scanned.
struct Headers(&'static [(&'static str, &'static [u8])]);

impl HeaderLookup for Headers {
    fn header(&self, name_lowercase: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(name, _)| *name == name_lowercase)
            .map(|(_, value)| *value)
    }
}

fn config() -> String {
    let mut text = String::from(
        "[server]\nlisten = \"127.0.0.1:0\"\n[upstreams.svc]\ntargets = [\"127.0.0.1:9000\"]\n",
    );
    let services = [
        "users",
        "orders",
        "billing",
        "search",
        "catalog",
        "cart",
        "reviews",
        "inventory",
        "shipping",
        "auth",
    ];
    for (i, service) in services.iter().enumerate() {
        writeln!(
            text,
            "[[routes]]\nhost = \"api.example.com\"\npath_prefix = \"/{service}\"\nmethods = [\"POST\", \"PUT\"]\nupstream = \"svc\"\n\
             [[routes]]\nhost = \"*.{service}.example.com\"\npath_prefix = \"/v{i}/{service}\"\nheaders = {{ \"x-tenant\" = \"t{i}\" }}\nupstream = \"svc\""
        )
        .unwrap();
    }
    text
}

fn route(c: &mut Criterion) {
    let config = load_str(&config()).unwrap();
    let router = Router::new(&config.routes);
    assert_eq!(router.len(), 20);
    let headers = Headers(&[
        ("user-agent", b"ringload/0.1"),
        ("accept", b"*/*"),
        ("x-tenant", b"t9"),
    ]);

    let mut group = c.benchmark_group("route");
    group.throughput(Throughput::Elements(1));
    let hit = (
        &b"GET"[..],
        Some(&b"eu.auth.example.com:8443"[..]),
        &b"/v9/auth/sessions/42"[..],
    );
    assert_eq!(router.find(hit.0, hit.1, hit.2, &headers), Some(19));
    group.bench_function("hit_near_end", |b| {
        b.iter(|| {
            router.find(
                black_box(hit.0),
                black_box(hit.1),
                black_box(hit.2),
                &headers,
            )
        })
    });
    let miss = (
        &b"GET"[..],
        Some(&b"www.example.com"[..]),
        &b"/index.html"[..],
    );
    assert_eq!(router.find(miss.0, miss.1, miss.2, &headers), None);
    group.bench_function("miss", |b| {
        b.iter(|| {
            router.find(
                black_box(miss.0),
                black_box(miss.1),
                black_box(miss.2),
                &headers,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, route);
criterion_main!(benches);
