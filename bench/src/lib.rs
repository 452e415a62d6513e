//! ringgate-bench: the tools that measure ringgate.
//!
//! [`upstream`] is `ringbench upstream`, a fast io_uring HTTP/1.1 origin for
//! benchmarks and end-to-end tests: thread-per-core like the gateway, one
//! pre-rendered response, no per-request allocation, and knobs to make it
//! slow on purpose (a per-request delay, a one-time stall for
//! coordinated-omission tests). [`compare`] is `ringbench compare`: ringgate
//! and nginx side by side as reverse proxies of one origin, measured with
//! ringload, judged with `ringload compare`. [`cli`] is the command line of
//! the `ringbench` binary. The criterion benches of `ringgate-core` live in
//! `benches/`.
#![forbid(unsafe_code)]

pub mod cli;
pub mod compare;
pub mod error;
pub mod upstream;

pub use error::BenchError;
