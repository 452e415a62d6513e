//! Building one monoio runtime per shard and pinning its thread.
//!
//! [`uring`] turns the `[server] uring` knobs into io_uring setup flags and
//! builds the driver; [`pin`] resolves the CPU list from the process's
//! affinity mask. A shard's future runs with [`block_on_shard`] on whichever
//! driver the config asks for.

pub mod pin;
pub mod uring;

pub use uring::block_on_shard;
