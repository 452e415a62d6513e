//! Upstream side: connections to targets ([`conn`]), establishing them with a
//! deadline ([`connect`]) and keeping them alive per shard ([`pool`]),
//! handing out only idle connections that are still quiet ([`quiet`]).

pub mod conn;
pub mod connect;
pub mod pool;
pub mod quiet;

pub use conn::UpstreamConn;
pub use pool::Pools;
