//! The rate limiter on the hot path: one GCRA check per limited request.
//!
//! A shared bucket (`key = "route"`: one atomic), and the keyed table
//! (`client_ip`: hash, one cache line of 8 slots, CAS) with one hot key and
//! with 10,000 keys cycling through a 64k-slot table. Single-threaded:
//! these are the uncontended costs; contention is the loom and proptest
//! suites' business, not a benchmark's.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringgate_core::policy::{Gcra, Limit, RateTable};

fn limit(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_limit_check");
    group.throughput(Throughput::Elements(1));
    // High enough that the checks are admitted (the common case).
    let limit = Limit::new(1_000_000, Duration::from_secs(1), 1_000_000);

    let bucket = Gcra::new(limit);
    let mut now = 0u64;
    group.bench_function("shared_bucket", |b| {
        b.iter(|| {
            now += 1_000;
            black_box(bucket.check(now))
        })
    });

    let table = RateTable::new(65_536, 7);
    let mut now = 0u64;
    group.bench_function("table_one_key", |b| {
        b.iter(|| {
            now += 1_000;
            black_box(table.check(&limit, 0, b"10.0.0.1", now))
        })
    });

    let keys: Vec<[u8; 4]> = (0u32..10_000).map(|i| i.to_be_bytes()).collect();
    let mut i = 0usize;
    let mut now = 0u64;
    group.bench_function("table_10k_keys", |b| {
        b.iter(|| {
            now += 1_000;
            i = (i + 1) % keys.len();
            black_box(table.check(&limit, 0, &keys[i], now))
        })
    });
    group.finish();
}

criterion_group!(benches, limit);
criterion_main!(benches);
