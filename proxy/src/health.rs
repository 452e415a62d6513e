//! Active health checks, run once per process on one thread.
//!
//! Every target of every upstream with a `health_check` gets an HTTP/1.1
//! `GET path` (`Connection: close`, blocking sockets, over TLS when the
//! upstream has `tls`, the same codec as the data path) every `interval`,
//! bounded as a whole by `timeout`:
//! connect, write and read of the response head. A 2xx passes, anything
//! else (another status, a refused or reset connection, a timeout, an
//! invalid head) fails. Results go into the target's shared
//! [`ringgate_core::policy::ActiveHealth`] word, which every shard's
//! balancer reads; verdict changes are logged. Checks run one after another:
//! a slow target delays the others' next check by at most its `timeout`.
//! The thread stops when the drain flag is raised.

use crate::drain::DrainFlag;
use crate::error::ProxyError;
use crate::metrics::policy::HealthStats;
use crate::snapshot::Snapshot;
use crate::tls::client::Connector;
use ringgate_core::config::HealthCheck;
use ringgate_core::policy::{is_healthy_status, HealthChange};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

/// The longest the thread sleeps before looking at the drain flag again.
const TICK: Duration = Duration::from_millis(50);

/// One target to check.
struct Check {
    upstream: usize,
    target: usize,
    addr: SocketAddr,
    due: Instant,
}

/// Start the checker if any upstream has a `health_check`; returns its counters.
pub fn start(
    snapshot: Arc<Snapshot>,
    stop: DrainFlag,
) -> Result<Option<Arc<HealthStats>>, ProxyError> {
    let stats = Arc::new(HealthStats::new(&snapshot));
    start_with(snapshot, stats, stop)
}

/// Start the checker counting into `stats` (made for `snapshot`, e.g.
/// carried over from the previous config by a reload) if any upstream has a
/// `health_check`; returns the counters it counts into.
pub fn start_with(
    snapshot: Arc<Snapshot>,
    stats: Arc<HealthStats>,
    stop: DrainFlag,
) -> Result<Option<Arc<HealthStats>>, ProxyError> {
    let now = Instant::now();
    let checks: Vec<Check> = snapshot
        .config
        .upstreams
        .iter()
        .enumerate()
        .filter(|(_, u)| u.health_check.is_some())
        .flat_map(|(u, up)| {
            up.targets.iter().enumerate().map(move |(t, target)| Check {
                upstream: u,
                target: t,
                addr: target.addr,
                due: now,
            })
        })
        .collect();
    if checks.is_empty() {
        return Ok(None);
    }
    let counters = Arc::clone(&stats);
    std::thread::Builder::new()
        .name("ringgate-health".into())
        .spawn(move || run(&snapshot, checks, &counters, &stop))
        .map_err(|source| ProxyError::Spawn {
            what: "health-check thread".into(),
            source,
        })?;
    Ok(Some(stats))
}

fn run(snapshot: &Snapshot, mut checks: Vec<Check>, stats: &HealthStats, stop: &DrainFlag) {
    while !stop.is_raised() {
        let now = Instant::now();
        let Some(next) = checks.iter_mut().min_by_key(|c| c.due) else {
            return;
        };
        if next.due > now {
            std::thread::sleep((next.due - now).min(TICK));
            continue;
        }
        let Some(up) = snapshot.config.upstreams.get(next.upstream) else {
            return;
        };
        let Some(hc) = up.health_check.as_ref() else {
            return;
        };
        next.due = now + hc.interval;
        let tls = snapshot
            .upstream_tls
            .get(next.upstream)
            .and_then(Option::as_ref);
        let result = check(next.addr, next.target, hc, tls);
        let passed = matches!(result, Ok(status) if is_healthy_status(status));
        stats.checked(next.upstream, next.target, passed);
        let state = snapshot.policies.upstreams.get(next.upstream);
        let change = state.and_then(|s| s.record_health(next.target, passed));
        let (upstream, target) = (up.name.as_str(), next.addr);
        match (change, &result) {
            (Some(HealthChange::Unhealthy), Ok(status)) => {
                warn!(upstream, %target, status, "target unhealthy: failed its health checks")
            }
            (Some(HealthChange::Unhealthy), Err(error)) => {
                warn!(upstream, %target, %error, "target unhealthy: failed its health checks")
            }
            (Some(HealthChange::Healthy), _) => {
                info!(upstream, %target, "target healthy again: passed its health checks")
            }
            (None, _) => debug!(upstream, %target, passed, "health check"),
        }
    }
}

/// One check: the response status, or why there was none. With `tls`,
/// over TLS verified as requests to the target are (CA, name, client
/// certificate): a target whose certificate would fail requests fails its
/// checks too.
fn check(
    addr: SocketAddr,
    target: usize,
    hc: &HealthCheck,
    tls: Option<&Connector>,
) -> std::io::Result<u16> {
    let deadline = Instant::now() + hc.timeout;
    let host = addr.to_string();
    let tcp = crate::blocking::connect(&[addr], deadline)?;
    let status = match tls {
        None => crate::blocking::get_over(tcp, &host, &hc.path, "", deadline)?
            .head
            .status(),
        Some(connector) => {
            let stream = connector.blocking(tcp, target)?;
            crate::blocking::get_over(stream, &host, &hc.path, "", deadline)?
                .head
                .status()
        }
    };
    Ok(status)
}
