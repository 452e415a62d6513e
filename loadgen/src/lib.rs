//! ringload: the load generator that ships with ringgate.
//!
//! Threads are shards: each runs one pinned monoio runtime (io_uring) with
//! its share of the connections ([`shard`]), each connection a task in a
//! write-then-read loop ([`conn`]) over a plain or TLS ([`tls`]) [`stream`]
//! that parses responses with the gateway's own HTTP/1 codec ([`response`]). Closed loop by default; open loop with a
//! per-connection send [`schedule`] and coordinated-omission-corrected
//! latency. Statistics are per thread ([`stats`]) and merged at the end by
//! [`run`] into a [`report::Summary`], rendered as text, JSON, `.hgrm` and
//! an interval log. [`compare`] is the `ringload compare` subcommand that
//! judges two `--json` reports against each other.

pub mod cli;
pub mod compare;
pub mod conn;
pub mod cpu;
pub mod plan;
pub mod report;
pub mod response;
pub mod run;
pub mod schedule;
pub mod shard;
pub mod stats;
pub mod stream;
pub mod target;
pub mod tls;
