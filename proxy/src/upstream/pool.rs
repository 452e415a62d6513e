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
//!
//! Each upstream's stacks sit behind their own `Rc`, so the pools of a
//! reloaded config share them for an upstream whose connections are still
//! right ([`same_pool`]): a connection taken through the old config and
//! returned through it lands in the stack the new config takes from.

use super::UpstreamConn;
use ringgate_core::config::{Config, Upstream};
use std::cell::RefCell;
use std::rc::Rc;
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
    upstreams: Vec<Rc<UpstreamPool>>,
}

/// Idle connections of one upstream on one shard, one stack per target.
#[derive(Debug, Default)]
pub struct UpstreamPool {
    idle: RefCell<Vec<Vec<UpstreamConn>>>,
}

impl UpstreamPool {
    fn with_targets(n: usize) -> Rc<UpstreamPool> {
        Rc::new(UpstreamPool {
            idle: RefCell::new((0..n).map(|_| Vec::new()).collect()),
        })
    }
}

/// Whether connections made for upstream `a` are right for `b`: same
/// name, targets (in order) and TLS settings, same keep-alive settings.
pub fn same_pool(a: &Upstream, b: &Upstream) -> bool {
    a.name == b.name
        && a.targets == b.targets
        && a.tls == b.tls
        && a.pool_max_idle == b.pool_max_idle
        && a.pool_idle_timeout == b.pool_idle_timeout
}

impl Pools {
    /// Empty pools for upstreams with these target counts.
    pub fn new(targets_per_upstream: impl IntoIterator<Item = usize>) -> Pools {
        Pools {
            upstreams: targets_per_upstream
                .into_iter()
                .map(UpstreamPool::with_targets)
                .collect(),
        }
    }

    /// The pools of `config`, a reload of `old` (whose pools these are):
    /// an upstream's stacks are shared when [`same_pool`] says so, the
    /// rest start empty.
    pub fn carry_over(&self, old: &Config, config: &Config) -> Pools {
        let upstreams = config
            .upstreams
            .iter()
            .map(|up| {
                old.upstreams
                    .iter()
                    .zip(&self.upstreams)
                    .find(|(was, _)| same_pool(was, up))
                    .map_or_else(
                        || UpstreamPool::with_targets(up.targets.len()),
                        |(_, pool)| Rc::clone(pool),
                    )
            })
            .collect();
        Pools { upstreams }
    }

    /// Take the freshest idle connection to a target, if any is young enough.
    pub fn take(&self, upstream: usize, target: usize, max_idle: Duration) -> Option<UpstreamConn> {
        let mut idle = self.upstreams.get(upstream)?.idle.borrow_mut();
        let stack = idle.get_mut(target)?;
        let now = Instant::now();
        while let Some(mut conn) = stack.pop() {
            let idle_for = now.duration_since(conn.idle_since);
            if idle_for >= max_idle {
                continue;
            }
            if idle_for >= QUIET_CHECK_AFTER && !super::quiet::is_quiet(conn.stream.get_ref().tcp())
            {
                debug!(
                    upstream,
                    target, "idle upstream connection has bytes waiting or was closed; dropped"
                );
                continue;
            }
            conn.reused = true;
            // A connection made under an older config may have been pooled
            // under another index: it goes back where it was taken from.
            conn.upstream = upstream;
            conn.target = target;
            return Some(conn);
        }
        None
    }

    /// Return a connection for reuse; dropped (closed) if the target's stack is full.
    pub fn put(&self, mut conn: UpstreamConn, max_idle_conns: usize) {
        let Some(pool) = self.upstreams.get(conn.upstream) else {
            return;
        };
        let mut idle = pool.idle.borrow_mut();
        let Some(stack) = idle.get_mut(conn.target) else {
            return;
        };
        if stack.len() < max_idle_conns {
            conn.idle_since = Instant::now();
            stack.push(conn);
        }
    }

    /// Idle connections held for `target` of `upstream`.
    pub fn idle_count(&self, upstream: usize, target: usize) -> usize {
        self.upstreams
            .get(upstream)
            .and_then(|u| u.idle.borrow().get(target).map(Vec::len))
            .unwrap_or(0)
    }
}
