//! Target picking on the hot path: one `Balancer::pick` per request.
//!
//! Round robin over 3 equal targets, smooth weighted round robin 5/1/1,
//! least request (power of two choices, bracketed by `started`/`finished`
//! as the proxy does) and consistent hashing of a 16-byte key. Each should
//! be a few nanoseconds and allocation-free.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringgate_core::balance::Balancer;
use ringgate_core::config::{BalanceKind, HashKey};

fn balance(c: &mut Criterion) {
    let none = |_: usize| false;
    let mut group = c.benchmark_group("balance_pick");
    group.throughput(Throughput::Elements(1));

    let rr = Balancer::new(&BalanceKind::RoundRobin, &[1, 1, 1], 1);
    group.bench_function("round_robin_3_equal", |b| {
        b.iter(|| black_box(rr.pick(None, &none)))
    });

    let wrr = Balancer::new(&BalanceKind::RoundRobin, &[5, 1, 1], 1);
    group.bench_function("round_robin_weighted_5_1_1", |b| {
        b.iter(|| black_box(wrr.pick(None, &none)))
    });

    let lr = Balancer::new(&BalanceKind::LeastRequest, &[1, 1, 1], 1);
    group.bench_function("least_request_3", |b| {
        b.iter(|| {
            let target = lr.pick(None, &none);
            if let Some(t) = target {
                lr.started(t);
                lr.finished(t);
            }
            black_box(target)
        })
    });

    let hash = Balancer::new(
        &BalanceKind::ConsistentHash(HashKey::Header("x-user".into())),
        &[1, 1, 1],
        1,
    );
    let key = *b"user-0123456789a";
    group.bench_function("consistent_hash_16b_key", |b| {
        b.iter(|| black_box(hash.pick(Some(black_box(&key[..])), &none)))
    });
    group.finish();
}

criterion_group!(benches, balance);
criterion_main!(benches);
