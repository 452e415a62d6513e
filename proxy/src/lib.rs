//! ringgate: the gateway process.
//!
//! [`server`] builds shards from a validated config: one monoio runtime per
//! shard ([`runtime`]), pinned to a CPU, each with its own SO_REUSEPORT
//! listeners ([`listener`]), connections ([`conn`]), upstream pools
//! ([`upstream`]) and metrics ([`metrics`]). The control thread handles
//! signals and drain ([`drain`]); the [`admin`] listener serves health and
//! metrics; [`health`] runs the active health checks once per process;
//! [`auth`] runs each route's authentication. Policies shared by all shards
//! (rate limits, breakers, retry budgets) live in the [`snapshot`] and read
//! the process [`clock`]. [`demo`] runs the whole thing in front of built-in
//! services. [`upgrade`] hands the listening sockets to a new binary.

pub mod accept;
pub mod access_log;
pub mod admin;
pub mod auth;
pub mod blocking;
pub mod check;
pub mod cli;
pub mod clock;
pub mod conn;
pub mod demo;
pub mod drain;
pub mod error;
pub mod health;
pub mod ktls;
pub mod listener;
pub mod logging;
pub mod metrics;
pub mod reload;
pub mod runtime;
pub mod server;
pub mod shard;
pub mod snapshot;
pub mod sockopt;
pub mod stream;
pub mod tls;
pub mod trace;
pub mod tune;
pub mod upgrade;
pub mod upstream;
pub mod view;
