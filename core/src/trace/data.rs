//! A finished span held until export: [`SpanData`] copies what a
//! [`SpanRecord`] borrows into one buffer (one allocation per span), so
//! the shard does no more than that and the exporter thread builds the
//! OTLP message ([`SpanRecord::to_span`], a few dozen small allocations)
//! off the request path.

use std::net::SocketAddr;

use super::context::SpanContext;
use super::span::SpanRecord;
use crate::http1::Version;

/// The texts of a span, in [`SpanData::text`] order.
const TEXTS: usize = 9;

/// An owned [`SpanRecord`].
#[derive(Debug, Clone)]
pub struct SpanData {
    context: SpanContext,
    start_unix_nanos: u64,
    end_unix_nanos: u64,
    version: Version,
    client: SocketAddr,
    status: u16,
    upstream_addr: Option<SocketAddr>,
    shard: usize,
    /// tracestate, method, target, scheme, host, route, http_route,
    /// upstream, user agent, back to back.
    text: Vec<u8>,
    /// End offset of each text in `text`, `u32::MAX` for an absent one.
    ends: [u32; TEXTS],
}

impl SpanData {
    /// Copy `record`.
    pub fn new(record: &SpanRecord<'_>) -> SpanData {
        let texts: [Option<&[u8]>; TEXTS] = [
            record.tracestate,
            Some(record.method),
            Some(record.target),
            Some(record.scheme.as_bytes()),
            record.host,
            record.route.map(str::as_bytes),
            record.http_route.map(str::as_bytes),
            record.upstream.map(str::as_bytes),
            record.user_agent,
        ];
        let mut text = Vec::with_capacity(texts.iter().flatten().map(|t| t.len()).sum());
        let mut ends = [u32::MAX; TEXTS];
        for (t, end) in texts.iter().zip(ends.iter_mut()) {
            if let Some(t) = t {
                text.extend_from_slice(t);
                *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
            }
        }
        SpanData {
            context: *record.context,
            start_unix_nanos: record.start_unix_nanos,
            end_unix_nanos: record.end_unix_nanos,
            version: record.version,
            client: record.client,
            status: record.status,
            upstream_addr: record.upstream_addr,
            shard: record.shard,
            text,
            ends,
        }
    }

    /// The record again, borrowing from this copy.
    pub fn record(&self) -> SpanRecord<'_> {
        let mut texts: [Option<&[u8]>; TEXTS] = [None; TEXTS];
        let mut start = 0usize;
        for (slot, &end) in texts.iter_mut().zip(self.ends.iter()) {
            if end != u32::MAX {
                let end = end as usize;
                *slot = self.text.get(start..end);
                start = end;
            }
        }
        let [tracestate, method, target, scheme, host, route, http_route, upstream, user_agent] =
            texts;
        SpanRecord {
            context: &self.context,
            tracestate,
            start_unix_nanos: self.start_unix_nanos,
            end_unix_nanos: self.end_unix_nanos,
            method: method.unwrap_or_default(),
            target: target.unwrap_or_default(),
            scheme: utf8(scheme).unwrap_or("http"),
            version: self.version,
            host,
            client: self.client,
            status: self.status,
            route: utf8(route),
            http_route: utf8(http_route),
            upstream: utf8(upstream),
            upstream_addr: self.upstream_addr,
            user_agent,
            shard: self.shard,
        }
    }
}

fn utf8(text: Option<&[u8]>) -> Option<&str> {
    text.and_then(|t| std::str::from_utf8(t).ok())
}
