//! ringgate-core: everything the gateway decides without doing I/O.
//!
//! The HTTP/1 codec ([`http1`]) parses heads zero-copy out of connection
//! buffers and frames bodies; [`config`] turns TOML into a validated model;
//! [`access`] and [`cors`] decide IP access and CORS per route;
//! [`router`] and [`balance`] pick a route and a target for a request;
//! [`policy`] holds the rate limits, circuit breakers, retry budgets and
//! target health that all shards share, in lock-free atomics;
//! [`status`] maps every failure to one HTTP status. The `proxy` crate wires
//! these to sockets; nothing here touches one, so all of it is unit-testable.
#![forbid(unsafe_code)]

pub mod access;
pub mod access_log;
pub mod auth;
pub mod balance;
pub mod config;
pub mod cors;
pub mod http1;
pub mod policy;
pub mod router;
pub mod status;
pub mod trace;
