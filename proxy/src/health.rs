//! Active health checks, run once per process on one thread.
//!
//! Every target of every upstream with a `health_check` gets an HTTP/1.1
//! `GET path` (`Connection: close`, plain blocking sockets, the same codec
//! as the data path) every `interval`, bounded as a whole by `timeout`:
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
use bytes::BytesMut;
use ringgate_core::config::HealthCheck;
use ringgate_core::http1::{HeadReader, Limits};
use ringgate_core::policy::{is_healthy_status, HealthChange};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};

const LIMITS: Limits = Limits {
    max_header_bytes: 16 * 1024,
    max_headers: 128,
    max_uri_bytes: 8 * 1024,
};

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
    let stats = Arc::new(HealthStats::new(&snapshot));
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
        let result = check(next.addr, hc);
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

/// One check: the response status, or why there was none.
fn check(addr: SocketAddr, hc: &HealthCheck) -> std::io::Result<u16> {
    let deadline = Instant::now() + hc.timeout;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out"))
    };
    let mut stream = TcpStream::connect_timeout(&addr, left()?)?;
    stream.set_nodelay(true)?;
    stream.set_write_timeout(Some(left()?))?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: ringgate-health-check\r\nConnection: close\r\n\r\n",
        hc.path
    );
    stream.write_all(request.as_bytes())?;
    let mut buf = BytesMut::with_capacity(1024);
    let mut reader = HeadReader::default();
    let mut chunk = [0u8; 2048];
    loop {
        match reader.read_response(&mut buf, &LIMITS, false) {
            Ok(Some(head)) if head.is_informational() => {
                reader = HeadReader::default();
                continue;
            }
            Ok(Some(head)) => return Ok(head.status()),
            Ok(None) => {}
            Err(error) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    error.to_string(),
                ))
            }
        }
        stream.set_read_timeout(Some(left()?))?;
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
}
