//! Head parsing and forwarding cost: a browser-like GET (~500 bytes) and
//! the minimal wrk request, parsed from a connection buffer and re-encoded
//! for the upstream. Throughput is reported in head bytes.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringgate_core::http1::{encode_request, Forwarded, HeadReader, Limits, RequestHead};

const BROWSER: &[u8] =
    b"GET /api/v1/users/12345/profile?fields=name,email,avatar&lang=en HTTP/1.1\r\n\
Host: api.example.com\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: en-US,en;q=0.5\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Referer: https://www.example.com/dashboard\r\n\
Cookie: session=4f9c2a7e1b3d5f60; theme=dark; _ga=GA1.2.1234567890\r\n\
Connection: keep-alive\r\n\
Upgrade-Insecure-Requests: 1\r\n\
Sec-Fetch-Dest: document\r\n\
Sec-Fetch-Mode: navigate\r\n\
\r\n";

const WRK: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

fn parse(
    reader: &mut HeadReader,
    buf: &mut BytesMut,
    input: &[u8],
    limits: &Limits,
) -> RequestHead {
    buf.clear();
    buf.extend_from_slice(input);
    match reader.read_request(buf, limits) {
        Ok(Some(head)) => head,
        other => panic!("benchmark input must parse: {other:?}"),
    }
}

fn bench_parse(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("parse_request");
    for (name, input) in [("browser", BROWSER), ("wrk", WRK)] {
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            let mut reader = HeadReader::default();
            let mut buf = BytesMut::with_capacity(4096);
            b.iter(|| black_box(parse(&mut reader, &mut buf, black_box(input), &limits)));
        });
    }
    // Baseline: httparse alone on the same bytes, no validation, no offsets.
    for (name, input) in [("httparse_browser", BROWSER), ("httparse_wrk", WRK)] {
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut headers = [httparse::EMPTY_HEADER; 64];
                let mut req = httparse::Request::new(&mut headers);
                black_box(req.parse(black_box(input)).is_ok())
            });
        });
    }
    // The browser head arriving in 64-byte reads: the incremental scan.
    group.throughput(Throughput::Bytes(BROWSER.len() as u64));
    group.bench_function("browser_64b_reads", |b| {
        let mut reader = HeadReader::default();
        let mut buf = BytesMut::with_capacity(4096);
        b.iter(|| {
            buf.clear();
            for piece in BROWSER.chunks(64) {
                buf.extend_from_slice(piece);
                if let Ok(Some(head)) = reader.read_request(&mut buf, &limits) {
                    return black_box(head);
                }
            }
            panic!("benchmark input must parse")
        });
    });
    group.finish();
}

fn bench_encode(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("encode_request");
    for (name, input) in [("browser", BROWSER), ("wrk", WRK)] {
        let head = parse(
            &mut HeadReader::default(),
            &mut BytesMut::new(),
            input,
            &limits,
        );
        let fwd = Forwarded {
            target: head.target(),
            client_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
            proto: "http",
            host_rewrite: None,
            upgrade: false,
            strip_expect: false,
            request_id: None,
            trace: None,
        };
        let mut out = Vec::with_capacity(4096);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                out.clear();
                encode_request(black_box(&head), &fwd, &mut out);
                black_box(out.len())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_parse, bench_encode);
criterion_main!(benches);
