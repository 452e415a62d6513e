//! Policy metrics: what the rate limits, concurrency limits, retries,
//! circuit breakers, outlier ejection and health checks did.
//!
//! Counters follow the rest of [`super`]: one writer each (a shard, or the
//! health-check thread for [`HealthStats`]), relaxed load + store, summed at
//! scrape time. The current state of every target (breaker state, health,
//! ejection, requests in flight) is not counted at all: it is read from the
//! shared policy state in the snapshot when the admin thread renders.

use super::{bump, carry, label_value};
use crate::snapshot::Snapshot;
use ringgate_core::policy::{BreakerState, Transition};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Why a request was refused before it reached an upstream.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// A rate limit said no (429).
    RateLimited,
    /// A concurrency limit was full (503).
    ConcurrencyLimited,
    /// No target was usable: breakers open, unhealthy or ejected (503).
    NoUsableTarget,
}

/// One route's policy counters on one shard.
#[derive(Debug, Default)]
pub struct RoutePolicyMetrics {
    rate_limited: AtomicU64,
    concurrency_limited: AtomicU64,
    unavailable: AtomicU64,
    retries: AtomicU64,
    retries_refused_budget: AtomicU64,
}

/// One upstream's policy counters on one shard.
#[derive(Debug, Default)]
pub struct UpstreamPolicyMetrics {
    /// Breaker transitions, indexed by the state entered.
    breaker_to: [AtomicU64; 3],
    ejections: AtomicU64,
}

/// Policy counters of one shard.
#[derive(Debug)]
pub struct PolicyMetrics {
    /// Per route, config order, plus one for "no route" (global limit).
    routes: Vec<Arc<RoutePolicyMetrics>>,
    upstreams: Vec<Arc<UpstreamPolicyMetrics>>,
}

fn state_index(s: BreakerState) -> usize {
    match s {
        BreakerState::Closed => 0,
        BreakerState::Open => 1,
        BreakerState::HalfOpen => 2,
    }
}

const STATES: [BreakerState; 3] = [
    BreakerState::Closed,
    BreakerState::Open,
    BreakerState::HalfOpen,
];

impl PolicyMetrics {
    /// Counters for `snapshot`'s routes and upstreams.
    pub fn new(snapshot: &Snapshot) -> PolicyMetrics {
        PolicyMetrics {
            routes: carry::fresh(snapshot.config.routes.len() + 1),
            upstreams: carry::fresh(snapshot.config.upstreams.len()),
        }
    }

    /// The counters for `snapshot`, a reload of `old`, sharing those of
    /// routes and upstreams that kept their names.
    pub fn carry_over(&self, old: &Snapshot, snapshot: &Snapshot) -> PolicyMetrics {
        let (was, cfg) = (&old.config, &snapshot.config);
        PolicyMetrics {
            routes: carry::by_key(
                &self.routes,
                &carry::route_keys(was),
                &carry::route_keys(cfg),
            ),
            upstreams: carry::by_key(
                &self.upstreams,
                &carry::upstream_keys(was),
                &carry::upstream_keys(cfg),
            ),
        }
    }

    fn route(&self, route: Option<usize>) -> Option<&RoutePolicyMetrics> {
        self.routes
            .get(route.unwrap_or(self.routes.len().saturating_sub(1)))
            .map(|a| &**a)
    }

    /// A request was refused by a policy.
    pub fn refused(&self, route: Option<usize>, why: Refusal) {
        if let Some(r) = self.route(route) {
            bump(
                match why {
                    Refusal::RateLimited => &r.rate_limited,
                    Refusal::ConcurrencyLimited => &r.concurrency_limited,
                    Refusal::NoUsableTarget => &r.unavailable,
                },
                1,
            );
        }
    }

    /// A failed try was retried (`true`) or a retry was refused by the budget.
    pub fn retry(&self, route: usize, retried: bool) {
        if let Some(r) = self.route(Some(route)) {
            bump(
                if retried {
                    &r.retries
                } else {
                    &r.retries_refused_budget
                },
                1,
            );
        }
    }

    /// A breaker of `upstream` changed state.
    pub fn breaker(&self, upstream: usize, t: Transition) {
        if let Some(u) = self.upstreams.get(upstream) {
            if let Some(c) = u.breaker_to.get(state_index(t.to)) {
                bump(c, 1);
            }
        }
    }

    /// A target of `upstream` was ejected.
    pub fn ejected(&self, upstream: usize) {
        if let Some(u) = self.upstreams.get(upstream) {
            bump(&u.ejections, 1);
        }
    }
}

/// Active health-check results, written by the health-check thread only.
#[derive(Debug)]
pub struct HealthStats {
    /// `[upstream][target]` -> (passed, failed).
    checks: Vec<Vec<Arc<(AtomicU64, AtomicU64)>>>,
}

impl HealthStats {
    /// Counters for every target of `snapshot`.
    pub fn new(snapshot: &Snapshot) -> HealthStats {
        HealthStats {
            checks: carry::fresh_targets(&snapshot.config),
        }
    }

    /// The counters for `snapshot`, a reload of `old`, sharing those of
    /// targets that are still there.
    pub fn carry_over(&self, old: &Snapshot, snapshot: &Snapshot) -> HealthStats {
        HealthStats {
            checks: carry::by_target(&self.checks, &old.config, &snapshot.config),
        }
    }

    /// Target `t` of upstream `u` passed or failed a check.
    pub fn checked(&self, u: usize, t: usize, passed: bool) {
        if let Some((ok, bad)) = self.checks.get(u).and_then(|ts| ts.get(t)).map(|a| &**a) {
            bump(if passed { ok } else { bad }, 1);
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Render the policy metrics of every shard and the shared target state.
pub fn render(
    out: &mut String,
    snapshot: &Snapshot,
    shards: &[&PolicyMetrics],
    health: Option<&Arc<HealthStats>>,
) {
    let cfg = &snapshot.config;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let route_name = |i: usize| {
        cfg.routes
            .get(i)
            .map_or_else(|| "(none)".to_string(), |r| label_value(&r.name))
    };
    type Pick = fn(&RoutePolicyMetrics) -> &AtomicU64;
    let per_route: [(&str, &str, Pick); 5] = [
        (
            "ringgate_rate_limited_total",
            "Requests refused with 429 by a rate limit, by route (none: the global limit).",
            |r| &r.rate_limited,
        ),
        (
            "ringgate_concurrency_limited_total",
            "Requests refused with 503 by a concurrency limit, by route.",
            |r| &r.concurrency_limited,
        ),
        (
            "ringgate_no_usable_target_total",
            "Requests refused with 503 because no target was usable (breaker open, unhealthy, ejected), by route.",
            |r| &r.unavailable,
        ),
        (
            "ringgate_retries_total",
            "Failed upstream tries that were retried, by route.",
            |r| &r.retries,
        ),
        (
            "ringgate_retries_budget_exhausted_total",
            "Retries not made because the retry budget was spent, by route.",
            |r| &r.retries_refused_budget,
        ),
    ];
    for (name, help, pick) in per_route {
        header(out, name, "counter", help);
        for i in 0..=cfg.routes.len() {
            let n: u64 = shards
                .iter()
                .filter_map(|s| s.routes.get(i))
                .map(|r| load(pick(r)))
                .sum();
            let _ = writeln!(out, "{name}{{route=\"{}\"}} {n}", route_name(i));
        }
    }
    header(
        out,
        "ringgate_breaker_transitions_total",
        "counter",
        "Circuit breaker transitions, by upstream and the state entered.",
    );
    header(
        out,
        "ringgate_outlier_ejections_total",
        "counter",
        "Targets ejected by passive outlier detection, by upstream.",
    );
    for (u, up) in cfg.upstreams.iter().enumerate() {
        let name = label_value(&up.name);
        for s in STATES {
            let n: u64 = shards
                .iter()
                .filter_map(|m| m.upstreams.get(u))
                .filter_map(|m| m.breaker_to.get(state_index(s)))
                .map(load)
                .sum();
            let _ = writeln!(
                out,
                "ringgate_breaker_transitions_total{{upstream=\"{name}\",to=\"{}\"}} {n}",
                s.as_str()
            );
        }
        let n: u64 = shards
            .iter()
            .filter_map(|m| m.upstreams.get(u))
            .map(|m| load(&m.ejections))
            .sum();
        let _ = writeln!(
            out,
            "ringgate_outlier_ejections_total{{upstream=\"{name}\"}} {n}"
        );
    }
    render_targets(out, snapshot, health);
}

/// The shared per-target state, read at scrape time.
fn render_targets(out: &mut String, snapshot: &Snapshot, health: Option<&Arc<HealthStats>>) {
    let now = crate::clock::now();
    header(
        out,
        "ringgate_target_breaker_state",
        "gauge",
        "1 for the circuit breaker state each target is in.",
    );
    header(
        out,
        "ringgate_target_healthy",
        "gauge",
        "1 if the target passes its active health checks (or has none).",
    );
    header(
        out,
        "ringgate_target_ejected",
        "gauge",
        "1 if passive outlier detection has ejected the target now.",
    );
    header(
        out,
        "ringgate_target_in_flight",
        "gauge",
        "Requests in flight to the target, all shards.",
    );
    header(
        out,
        "ringgate_health_checks_total",
        "counter",
        "Active health checks, by target and result.",
    );
    let cfg = &snapshot.config;
    for (u, up) in cfg.upstreams.iter().enumerate() {
        let Some(state) = snapshot.policies.upstreams.get(u) else {
            continue;
        };
        let name = label_value(&up.name);
        for (t, target) in up.targets.iter().enumerate() {
            let Some(ts) = state.target(t) else {
                continue;
            };
            let labels = format!("upstream=\"{name}\",target=\"{}\"", target.addr);
            let current = ts.breaker.state();
            for s in STATES {
                let _ = writeln!(
                    out,
                    "ringgate_target_breaker_state{{{labels},state=\"{}\"}} {}",
                    s.as_str(),
                    u8::from(s == current)
                );
            }
            let _ = writeln!(
                out,
                "ringgate_target_healthy{{{labels}}} {}",
                u8::from(ts.health.is_healthy())
            );
            let _ = writeln!(
                out,
                "ringgate_target_ejected{{{labels}}} {}",
                u8::from(ts.outlier.is_ejected(now))
            );
            let _ = writeln!(
                out,
                "ringgate_target_in_flight{{{labels}}} {}",
                ts.in_flight()
            );
            if let Some((ok, bad)) = health.and_then(|h| h.checks.get(u)?.get(t)).map(|a| &**a) {
                let _ = writeln!(
                    out,
                    "ringgate_health_checks_total{{{labels},result=\"passed\"}} {}",
                    ok.load(Ordering::Relaxed)
                );
                let _ = writeln!(
                    out,
                    "ringgate_health_checks_total{{{labels},result=\"failed\"}} {}",
                    bad.load(Ordering::Relaxed)
                );
            }
        }
    }
}
