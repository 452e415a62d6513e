//! Upstream side: connections to targets ([`conn`]), establishing them with a
//! deadline ([`connect`]) and keeping them alive per shard ([`pool`]).

pub mod conn;
pub mod connect;
pub mod pool;

pub use conn::UpstreamConn;
pub use pool::Pools;
