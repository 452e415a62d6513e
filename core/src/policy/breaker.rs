//! A circuit breaker per upstream target, its whole state in one atomic word.
//!
//! **Closed** (requests flow): failures are counted; after
//! `consecutive_failures` in a row, or when the failure ratio over the
//! current `window` reaches `failure_ratio` with at least `min_requests`
//! outcomes, the breaker trips. **Open**: every request is refused (the
//! balancer skips the target; with every target open the gateway answers 503
//! at once) until `open_for` has passed. **Half-open**: at most
//! `half_open_probes` requests are let through as probes; when that many
//! probes have succeeded the breaker closes, and the first probe failure
//! opens it again for another `open_for`. Probes that never report back
//! (a cancelled request) would wedge half-open, so after `open_for` without
//! a verdict a new round of probes is handed out.
//!
//! The word is shared by all shards and changed only by compare-exchange:
//!
//! ```text
//! closed     00 | epoch:16 | requests:16 | failures:16 | consecutive:14
//! open       01 | open until (ns):62
//! half-open  10 | round started (units of 65.5 µs):48 | successes:7 | probes issued:7
//! ```
//!
//! The ratio window is tumbling (`epoch = now / window`, wrapping at 2^16):
//! counts restart at each window boundary, so failures straddling a boundary
//! are split between two windows. Counters saturate. A closed breaker in
//! consecutive-only mode costs no write on success after a success, so the
//! hot path is a load; ratio mode writes every outcome.
//!
//! [`Breaker::allow`] hands out a [`Permit`] that remembers whether it is a
//! probe; outcomes of ordinary permits that arrive while the breaker is open
//! or half-open (requests that started before it tripped) are ignored, so a
//! late success cannot close a breaker that no probe has tested. State
//! changes are returned as a [`Transition`] for the proxy to log and count.

use crossbeam_utils::CachePadded;

use super::sync::{update, AtomicU64, Ordering};
use super::{nanos, Nanos};
use crate::config::CircuitBreaker;

const STATE_SHIFT: u32 = 62;
const CLOSED: u64 = 0;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;
const LOW62: u64 = (1 << STATE_SHIFT) - 1;

const CONSECUTIVE_MAX: u64 = (1 << 14) - 1;
const FAILURES_SHIFT: u32 = 14;
const REQUESTS_SHIFT: u32 = 30;
const EPOCH_SHIFT: u32 = 46;
const COUNT_MAX: u64 = 0xFFFF;

const PROBES_MAX: u64 = 0x7F;
const SUCCESSES_SHIFT: u32 = 7;
const SINCE_SHIFT: u32 = 14;
const SINCE_UNIT_SHIFT: u32 = 16;
const SINCE_MASK: u64 = (1 << 48) - 1;

/// Largest `consecutive_failures` the word can count.
pub const MAX_CONSECUTIVE_FAILURES: u32 = CONSECUTIVE_MAX as u32;
/// Largest `half_open_probes`.
pub const MAX_HALF_OPEN_PROBES: u32 = PROBES_MAX as u32;
/// Largest `min_requests` of the ratio mode (the window counts saturate here).
pub const MAX_MIN_REQUESTS: u32 = COUNT_MAX as u32;

/// The three states of a breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow; failures are counted.
    Closed,
    /// Requests are refused until the open period ends.
    Open,
    /// A few probe requests test the target.
    HalfOpen,
}

impl BreakerState {
    /// `closed`, `open` or `half_open`, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

/// A state change, to be logged and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// State before.
    pub from: BreakerState,
    /// State after.
    pub to: BreakerState,
}

/// Leave to send one request to the target; hand it back with the outcome.
#[derive(Debug, PartialEq, Eq)]
pub struct Permit {
    probe: bool,
    transition: Option<Transition>,
}

impl Permit {
    /// A permit outside any breaker (for targets without one).
    pub fn unguarded() -> Permit {
        Permit {
            probe: false,
            transition: None,
        }
    }

    /// Whether this request is a half-open probe.
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// `Some(open -> half_open)` when handing out this permit ended the
    /// open period.
    pub fn transition(&self) -> Option<Transition> {
        self.transition
    }
}

/// The breaker refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejected {
    /// Time until the breaker may let a probe through.
    pub retry_after: Nanos,
}

#[derive(Debug, Clone, Copy)]
struct Ratio {
    /// Trip at `failures × 1000 >= permille × requests`.
    permille: u64,
    window: Nanos,
    min_requests: u64,
}

/// A circuit breaker in one atomic word.
#[derive(Debug)]
pub struct Breaker {
    word: CachePadded<AtomicU64>,
    enabled: bool,
    /// 0: the consecutive-failures rule is off.
    consecutive: u64,
    ratio: Option<Ratio>,
    open_for: Nanos,
    probes: u64,
}

impl Breaker {
    /// A closed breaker with the settings of a `circuit_breaker` table.
    pub fn new(config: &CircuitBreaker) -> Breaker {
        Breaker {
            word: CachePadded::new(AtomicU64::new(0)),
            enabled: true,
            consecutive: config
                .consecutive_failures
                .map_or(0, |n| u64::from(n).min(CONSECUTIVE_MAX)),
            ratio: config.failure_ratio.as_ref().map(|r| Ratio {
                permille: (r.ratio * 1000.0).round().clamp(1.0, 1000.0) as u64,
                window: nanos(r.window).max(1),
                min_requests: u64::from(r.min_requests).clamp(1, COUNT_MAX),
            }),
            open_for: nanos(config.open_for),
            probes: u64::from(config.half_open_probes).clamp(1, PROBES_MAX),
        }
    }

    /// A breaker that never trips (for upstreams without `circuit_breaker`).
    pub fn disabled() -> Breaker {
        Breaker {
            word: CachePadded::new(AtomicU64::new(0)),
            enabled: false,
            consecutive: 0,
            ratio: None,
            open_for: 0,
            probes: 1,
        }
    }

    /// The state as stored (an open breaker whose period is over still
    /// reads `Open` until the next [`Breaker::allow`]).
    pub fn state(&self) -> BreakerState {
        state_of(self.word.load(Ordering::Acquire))
    }

    /// Whether [`Breaker::allow`] would let a request through at `now`,
    /// without taking a permit: the balancer's exclusion predicate. Another
    /// shard may take the last probe in between, so `allow` can still say no.
    pub fn is_available(&self, now: Nanos) -> bool {
        let w = self.word.load(Ordering::Acquire);
        match w >> STATE_SHIFT {
            OPEN => now >= w & LOW62,
            HALF_OPEN => w & PROBES_MAX < self.probes || self.round_over(w, now),
            _ => true,
        }
    }

    /// Asks to send one request at `now`. Closed: always yes (a load, no
    /// write). Open: no, until the open period is over; then the first caller
    /// turns the breaker half-open and gets the first probe. Half-open: yes
    /// for at most `half_open_probes` probes per round.
    pub fn allow(&self, now: Nanos) -> Result<Permit, Rejected> {
        let probe = |transition| Permit {
            probe: true,
            transition,
        };
        update(&self.word, Err(Rejected { retry_after: 0 }), |w| {
            match w >> STATE_SHIFT {
                OPEN => {
                    let until = w & LOW62;
                    if now < until {
                        return Err(Err(Rejected {
                            retry_after: until - now,
                        }));
                    }
                    let to_half = Transition {
                        from: BreakerState::Open,
                        to: BreakerState::HalfOpen,
                    };
                    Ok((half_open(now, 0, 1), Ok(probe(Some(to_half)))))
                }
                HALF_OPEN if self.round_over(w, now) => Ok((half_open(now, 0, 1), Ok(probe(None)))),
                HALF_OPEN if w & PROBES_MAX < self.probes => Ok((w + 1, Ok(probe(None)))),
                HALF_OPEN => {
                    let over = round_start(w).saturating_add(self.open_for);
                    Err(Err(Rejected {
                        retry_after: over.saturating_sub(now),
                    }))
                }
                _ => Err(Ok(Permit::unguarded())),
            }
        })
    }

    /// The request of `permit` succeeded. Returns the transition, if any
    /// (`half_open -> closed` after the last needed probe).
    pub fn on_success(&self, permit: Permit, now: Nanos) -> Option<Transition> {
        self.update(|w| match w >> STATE_SHIFT {
            CLOSED => {
                let consecutive = w & CONSECUTIVE_MAX;
                match self.ratio {
                    None if consecutive == 0 => None,
                    None => Some((0, None)),
                    Some(ratio) => {
                        let (counted, _) = closed_outcome(w, &ratio, now, false);
                        Some((counted & !CONSECUTIVE_MAX, None))
                    }
                }
            }
            HALF_OPEN if permit.probe => {
                let successes = (w >> SUCCESSES_SHIFT & PROBES_MAX) + 1;
                if successes >= self.probes {
                    let closed = Transition {
                        from: BreakerState::HalfOpen,
                        to: BreakerState::Closed,
                    };
                    Some((0, Some(closed)))
                } else {
                    Some((w + (1 << SUCCESSES_SHIFT), None))
                }
            }
            _ => None,
        })
    }

    /// The request of `permit` failed (connect failure, reset, timeout or a
    /// 5xx the proxy counts as failure). Returns the transition, if any
    /// (`closed -> open`, `half_open -> open`).
    pub fn on_failure(&self, permit: Permit, now: Nanos) -> Option<Transition> {
        let open = now.saturating_add(self.open_for).min(LOW62) | OPEN << STATE_SHIFT;
        self.update(|w| match w >> STATE_SHIFT {
            CLOSED => {
                let consecutive = ((w & CONSECUTIVE_MAX) + 1).min(CONSECUTIVE_MAX);
                let (counted, ratio_trips) = match &self.ratio {
                    Some(ratio) => closed_outcome(w, ratio, now, true),
                    None => (w, false),
                };
                let trips =
                    ratio_trips || (self.consecutive > 0 && consecutive >= self.consecutive);
                if trips {
                    let opened = Transition {
                        from: BreakerState::Closed,
                        to: BreakerState::Open,
                    };
                    Some((open, Some(opened)))
                } else {
                    Some(((counted & !CONSECUTIVE_MAX) | consecutive, None))
                }
            }
            HALF_OPEN if permit.probe => {
                let reopened = Transition {
                    from: BreakerState::HalfOpen,
                    to: BreakerState::Open,
                };
                Some((open, Some(reopened)))
            }
            _ => None,
        })
    }

    /// Applies `change` (`None`: leave the word alone) with a bounded CAS
    /// loop; an outcome that cannot be recorded in time is dropped.
    fn update(
        &self,
        change: impl Fn(u64) -> Option<(u64, Option<Transition>)>,
    ) -> Option<Transition> {
        if !self.enabled {
            return None;
        }
        update(&self.word, None, |w| change(w).ok_or(None))
    }

    /// Whether the half-open round in `w` has gone `open_for` without a verdict.
    fn round_over(&self, w: u64, now: Nanos) -> bool {
        now >= round_start(w).saturating_add(self.open_for)
    }
}

/// When the half-open round of word `w` started.
fn round_start(w: u64) -> Nanos {
    (w >> SINCE_SHIFT & SINCE_MASK) << SINCE_UNIT_SHIFT
}

fn state_of(w: u64) -> BreakerState {
    match w >> STATE_SHIFT {
        OPEN => BreakerState::Open,
        HALF_OPEN => BreakerState::HalfOpen,
        _ => BreakerState::Closed,
    }
}

fn half_open(now: Nanos, successes: u64, issued: u64) -> u64 {
    HALF_OPEN << STATE_SHIFT
        | (now.div_ceil(1 << SINCE_UNIT_SHIFT) & SINCE_MASK) << SINCE_SHIFT
        | successes << SUCCESSES_SHIFT
        | issued
}

/// Counts one outcome in the ratio window of closed word `w`; returns the
/// new word (consecutive count unchanged) and whether the ratio trips.
fn closed_outcome(w: u64, ratio: &Ratio, now: Nanos, failed: bool) -> (u64, bool) {
    let epoch = (now / ratio.window) & COUNT_MAX;
    let (mut failures, mut requests) = if w >> EPOCH_SHIFT & COUNT_MAX == epoch {
        (
            w >> FAILURES_SHIFT & COUNT_MAX,
            w >> REQUESTS_SHIFT & COUNT_MAX,
        )
    } else {
        (0, 0)
    };
    requests = (requests + 1).min(COUNT_MAX);
    if failed {
        failures = (failures + 1).min(COUNT_MAX);
    }
    let trips =
        failed && requests >= ratio.min_requests && failures * 1000 >= ratio.permille * requests;
    let word = epoch << EPOCH_SHIFT
        | requests << REQUESTS_SHIFT
        | failures << FAILURES_SHIFT
        | (w & CONSECUTIVE_MAX);
    (word, trips)
}
