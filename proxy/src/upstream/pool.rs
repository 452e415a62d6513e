//! Per-shard keep-alive pools, one stack of idle connections per target.
//!
//! Last in, first out: the most recently used connection is the least likely
//! to have been closed by the upstream. Connections idle longer than
//! `pool_idle_timeout` are dropped on the way out; at most `pool_max_idle`
//! are kept per target. A connection idle for a millisecond or more that has
//! bytes waiting or was closed by the upstream is dropped on the way out too
//! ([`super::quiet`]); one
//! the upstream closes just as it is taken is discovered on use, and the
//! request path retries idempotent requests once on a fresh connection when
//! that happens.

use super::UpstreamConn;
use std::cell::RefCell;
use std::time::{Duration, Instant};
use tracing::debug;

/// Connections idle at least this long are checked with [`super::quiet`]
/// before reuse. The check is a syscall (about 1.7 µs on the development
/// VM, a sixth of a whole proxied request's CPU), so a connection reused at
/// once under load skips it: bytes an upstream sends within a millisecond of
/// its response almost always arrive with it, and then the connection was
/// never pooled.
const QUIET_CHECK_AFTER: Duration = Duration::from_millis(1);

/// Idle connections of one shard, indexed by upstream then target.
#[derive(Debug)]
pub struct Pools {
    idle: RefCell<Vec<Vec<Vec<UpstreamConn>>>>,
}

impl Pools {
    /// Empty pools for upstreams with these target counts.
    pub fn new(targets_per_upstream: impl IntoIterator<Item = usize>) -> Pools {
        let idle = targets_per_upstream
            .into_iter()
            .map(|n| (0..n).map(|_| Vec::new()).collect())
            .collect();
        Pools {
            idle: RefCell::new(idle),
        }
    }

    /// Take the freshest idle connection to a target, if any is young enough.
    pub fn take(&self, upstream: usize, target: usize, max_idle: Duration) -> Option<UpstreamConn> {
        let mut idle = self.idle.borrow_mut();
        let stack = idle.get_mut(upstream)?.get_mut(target)?;
        let now = Instant::now();
        while let Some(mut conn) = stack.pop() {
            let idle_for = now.duration_since(conn.idle_since);
            if idle_for >= max_idle {
                continue;
            }
            if idle_for >= QUIET_CHECK_AFTER && !super::quiet::is_quiet(conn.stream.tcp()) {
                debug!(
                    upstream,
                    target, "idle upstream connection has bytes waiting or was closed; dropped"
                );
                continue;
            }
            conn.reused = true;
            return Some(conn);
        }
        None
    }

    /// Return a connection for reuse; dropped (closed) if the target's stack is full.
    pub fn put(&self, mut conn: UpstreamConn, max_idle_conns: usize) {
        let mut idle = self.idle.borrow_mut();
        let Some(stack) = idle
            .get_mut(conn.upstream)
            .and_then(|u| u.get_mut(conn.target))
        else {
            return;
        };
        if stack.len() < max_idle_conns {
            conn.idle_since = Instant::now();
            stack.push(conn);
        }
    }

    /// Idle connections held for `upstream` across its targets.
    pub fn idle_count(&self, upstream: usize) -> usize {
        self.idle
            .borrow()
            .get(upstream)
            .map(|targets| targets.iter().map(Vec::len).sum())
            .unwrap_or(0)
    }
}
