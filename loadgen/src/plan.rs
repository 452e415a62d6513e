//! The validated, immutable description of a run, shared by every shard.
//!
//! [`Plan::from_args`] checks the command line once on the main thread
//! (URLs parsed and resolved, headers and body rendered into request bytes,
//! connection counts split over threads) and reports every problem as a
//! [`PlanError`] before any thread starts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::ClientConfig;

use crate::cli::Args;
use crate::target::{self, Rendered, RequestSpec, TargetError, Url};
use crate::tls::{self, TlsSetupError, Trust};

/// Default test duration when neither `-d` nor `-n` is given.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// A command line that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A URL, header or method problem.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// https could not be set up (trust store, server name).
    #[error(transparent)]
    Tls(#[from] TlsSetupError),
    /// A numeric option out of range or options that contradict each other.
    #[error("{0}")]
    Invalid(String),
    /// `--body-file` could not be read.
    #[error("cannot read --body-file {path}: {source}")]
    BodyFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// URLs that share one address (and scheme and TLS name): a connection to
/// it cycles through their requests.
#[derive(Debug, Clone)]
pub struct Group {
    /// Where to connect.
    pub addr: SocketAddr,
    /// https: the name the certificate is verified against (None: plain http).
    pub tls: Option<ServerName<'static>>,
    /// `host:port` of the first URL, for messages.
    pub peer: String,
    /// The requests, pre-rendered, used round robin.
    pub requests: Vec<Rendered>,
}

/// Everything a run needs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The URLs as given.
    pub urls: Vec<String>,
    /// Connection targets; connection `i` uses group `i % groups.len()`.
    pub groups: Vec<Group>,
    /// Total connections.
    pub connections: usize,
    /// Threads.
    pub threads: usize,
    /// Measured duration (None: until `-n` requests are done).
    pub duration: Option<Duration>,
    /// Warm-up before measuring.
    pub warmup: Duration,
    /// Total request budget (`-n`).
    pub requests: Option<u64>,
    /// Requests in flight per connection.
    pub pipeline: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Open-loop rate in requests/s.
    pub rate: Option<f64>,
    /// `Connection: close` on every request.
    pub no_keepalive: bool,
    /// Method (for the report).
    pub method: String,
    /// The TLS client configuration, when any URL is https.
    pub tls: Option<Arc<ClientConfig>>,
    /// Whom https trusts (for messages).
    pub trust: Trust,
}

impl Plan {
    /// Validate the command line.
    pub fn from_args(a: &Args) -> Result<Plan, PlanError> {
        let invalid = |s: &str| Err(PlanError::Invalid(s.to_string()));
        if a.threads == 0 {
            return invalid("-t/--threads must be at least 1");
        }
        if a.connections < a.threads {
            return invalid("-c/--connections must be at least -t/--threads");
        }
        if a.pipeline == 0 {
            return invalid("-p/--pipeline must be at least 1");
        }
        if a.requests == Some(0) {
            return invalid("-n/--requests must be at least 1");
        }
        if a.duration == Some(Duration::ZERO) {
            return invalid("-d/--duration must be positive");
        }
        if a.timeout.is_zero() {
            return invalid("--timeout must be positive");
        }
        if let Some(r) = a.rate {
            if !(r.is_finite() && r > 0.0) {
                return invalid("--rate must be a positive number of requests per second");
            }
        }
        if a.no_keepalive && a.pipeline > 1 {
            return invalid("--no-keepalive cannot pipeline: use -p 1");
        }
        target::check_method(&a.method)?;
        let headers = a
            .headers
            .iter()
            .map(|h| target::parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let body = match (&a.body, &a.body_file) {
            (Some(b), _) => b.clone().into_bytes(),
            (None, Some(path)) => std::fs::read(path).map_err(|source| PlanError::BodyFile {
                path: path.display().to_string(),
                source,
            })?,
            (None, None) => Vec::new(),
        };
        let spec = RequestSpec {
            method: a.method.clone(),
            headers,
            body,
            close: a.no_keepalive,
        };
        let mut groups: Vec<Group> = Vec::new();
        for u in &a.urls {
            let url = Url::parse(u)?;
            let addr = url.resolve()?;
            let name = url.tls.then(|| tls::server_name(&url.host)).transpose()?;
            let rendered = target::render(&url, &spec);
            match groups.iter_mut().find(|g| g.addr == addr && g.tls == name) {
                Some(g) => g.requests.push(rendered),
                None => groups.push(Group {
                    addr,
                    tls: name,
                    peer: url.peer(),
                    requests: vec![rendered],
                }),
            }
        }
        let trust = Trust::from_flags(a.insecure, a.cacert.as_deref());
        let tls = if groups.iter().any(|g| g.tls.is_some()) {
            Some(tls::client_config_with(&trust, &a.tls_ciphers)?)
        } else if a.insecure || a.cacert.is_some() || !a.tls_ciphers.is_empty() {
            return invalid("--insecure, --cacert and --tls-cipher apply to https URLs only");
        } else {
            None
        };
        let duration = match (a.duration, a.requests) {
            (Some(d), _) => Some(d),
            (None, Some(_)) => None,
            (None, None) => Some(DEFAULT_DURATION),
        };
        Ok(Plan {
            urls: a.urls.clone(),
            groups,
            connections: a.connections,
            threads: a.threads,
            duration,
            warmup: a.warmup.unwrap_or(Duration::ZERO),
            requests: a.requests,
            pipeline: a.pipeline,
            timeout: a.timeout,
            rate: a.rate,
            no_keepalive: a.no_keepalive,
            method: a.method.clone(),
            tls,
            trust,
        })
    }

    /// The global indices of the connections thread `t` runs (an even split).
    pub fn connections_of(&self, t: usize) -> std::ops::Range<usize> {
        split(self.connections, self.threads, t)
    }

    /// Thread `t`'s share of the `-n` budget, proportional to its connections.
    pub fn budget_of(&self, t: usize) -> Option<u64> {
        let n = self.requests?;
        let conns = self.connections_of(t);
        let c = self.connections as u128;
        let at = |i: usize| (u128::from(n) * i as u128 / c) as u64;
        Some(at(conns.end) - at(conns.start))
    }
}

/// Range of `total` items owned by part `i` of `parts`, sizes differing by at most one.
pub fn split(total: usize, parts: usize, i: usize) -> std::ops::Range<usize> {
    let base = total / parts;
    let extra = total % parts;
    let start = i * base + i.min(extra);
    start..start + base + usize::from(i < extra)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(args: &[&str]) -> Result<Plan, PlanError> {
        let mut v = vec!["ringload"];
        v.extend_from_slice(args);
        Plan::from_args(&Args::try_parse_from(v).unwrap())
    }

    #[test]
    fn splits_connections_and_budget() {
        let p = plan(&["-c", "10", "-t", "3", "-n", "1001", "http://127.0.0.1:1/"]).unwrap();
        let ranges: Vec<_> = (0..3).map(|t| p.connections_of(t)).collect();
        assert_eq!(ranges, vec![0..4, 4..7, 7..10]);
        let budgets: Vec<_> = (0..3).map(|t| p.budget_of(t).unwrap()).collect();
        assert_eq!(budgets.iter().sum::<u64>(), 1001);
        assert_eq!(budgets, vec![400, 300, 301]);
        assert_eq!(p.duration, None);
    }

    #[test]
    fn groups_urls_by_address() {
        let p = plan(&[
            "http://127.0.0.1:1/a",
            "http://127.0.0.1:2/",
            "http://127.0.0.1:1/b",
        ])
        .unwrap();
        assert_eq!(p.groups.len(), 2);
        assert_eq!(p.groups[0].requests.len(), 2);
        assert_eq!(p.duration, Some(DEFAULT_DURATION));
    }

    #[test]
    fn refuses_bad_combinations() {
        for bad in [
            &["-c", "1", "-t", "2", "http://127.0.0.1/"][..],
            &["-p", "0", "http://127.0.0.1/"],
            &["--rate", "0", "http://127.0.0.1/"],
            &["--no-keepalive", "-p", "4", "http://127.0.0.1/"],
            &["-H", "nocolon", "http://127.0.0.1/"],
            &["--insecure", "http://127.0.0.1/"],
            &["--cacert", "/nonexistent.pem", "https://127.0.0.1/"],
        ] {
            assert!(plan(bad).is_err(), "{bad:?}");
        }
        let e = plan(&["--cacert", "ca.pem", "http://127.0.0.1/"]).unwrap_err();
        assert!(e.to_string().contains("https URLs only"), "{e}");
        let e = plan(&["--cacert", "/nonexistent.pem", "https://127.0.0.1/"]).unwrap_err();
        assert!(
            e.to_string().starts_with("--cacert /nonexistent.pem: "),
            "{e}"
        );
    }

    #[test]
    fn https_urls_get_their_own_groups_and_a_tls_config() {
        let p = plan(&[
            "--insecure",
            "https://127.0.0.1:1/a",
            "http://127.0.0.1:1/b",
            "https://localhost:2/",
        ])
        .unwrap();
        assert!(p.tls.is_some());
        assert_eq!(p.trust, Trust::Insecure);
        let kinds: Vec<_> = p
            .groups
            .iter()
            .map(|g| (g.tls.is_some(), g.peer.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (true, "127.0.0.1:1"),
                (false, "127.0.0.1:1"),
                (true, "localhost:2")
            ]
        );
        assert!(matches!(p.groups[0].tls, Some(ServerName::IpAddress(_))));
        assert!(matches!(p.groups[2].tls, Some(ServerName::DnsName(_))));
        assert!(plan(&["http://127.0.0.1/"]).unwrap().tls.is_none());
    }
}
