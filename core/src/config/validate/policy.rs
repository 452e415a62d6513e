//! Validation of the policy tables: `rate_limit` (routes and `[server]`),
//! `concurrency` (routes and upstreams), `retry` (routes), and the
//! upstream's `circuit_breaker`, `health_check` and `outlier`.
//!
//! Each function takes the table's key path (`routes[2].retry`) and names
//! every bad key below it; missing tables are `None` in the model, present
//! ones get every default filled in.

use std::time::Duration;

use super::super::defaults as d;
use super::super::error::Errors;
use super::super::policy::{
    CircuitBreaker, Concurrency, FailureRatio, HealthCheck, Outlier, RateLimit, RateLimitKey,
    Retry, RetryOn,
};
use super::super::raw::{
    RawCircuitBreaker, RawConcurrency, RawHealthCheck, RawOutlier, RawRateLimit, RawRetry,
};
use super::super::units::{parse_percent, parse_rate};
use super::{duration, integer, is_token, size, to_u32};
use crate::policy::{
    MAX_BURST_WINDOW, MAX_CONSECUTIVE_FAILURES, MAX_HALF_OPEN_PROBES, MAX_MIN_REQUESTS,
    MAX_OUTLIER_STREAK,
};

/// Where a `rate_limit` table sits, which decides how its shared key is spelt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Route,
    Server,
}

pub(super) fn rate_limit(
    errors: &mut Errors,
    at: &str,
    raw: RawRateLimit,
    scope: Scope,
) -> Option<RateLimit> {
    let path = |key: &str| format!("{at}.{key}");
    let rate = match raw.rate {
        None => {
            errors.push(at, "missing field `rate`");
            None
        }
        Some(text) => errors.check(
            path("rate"),
            parse_rate(&text).and_then(|rate| {
                let per_sec = u64::from(rate.count).div_ceil(rate.per.as_secs());
                if per_sec > d::RATE_LIMIT_MAX_PER_SEC {
                    Err(format!(
                        "\"{text}\" is more than {} requests per second",
                        d::RATE_LIMIT_MAX_PER_SEC
                    ))
                } else {
                    Ok(rate)
                }
            }),
        ),
    };
    let default_burst = rate
        .map_or(1, |r| u64::from(r.count))
        .min(d::RATE_LIMIT_BURST_MAX);
    let burst = to_u32(integer(
        errors,
        &path("burst"),
        raw.burst,
        1,
        d::RATE_LIMIT_BURST_MAX,
        default_burst,
    ));
    if let Some(rate) = rate {
        // burst × T, the time an exhausted bucket takes to refill.
        let refill = rate.per.as_secs_f64() * f64::from(burst) / f64::from(rate.count);
        if refill > MAX_BURST_WINDOW.as_secs_f64() {
            errors.push(
                path("burst"),
                format!(
                    "a burst of {burst} at {}/{}s takes {}s to refill, more than the {}s allowed",
                    rate.count,
                    rate.per.as_secs(),
                    refill.ceil(),
                    MAX_BURST_WINDOW.as_secs()
                ),
            );
        }
    }
    let shared = match scope {
        Scope::Route => "route",
        Scope::Server => "global",
    };
    let key = match raw.key.as_deref() {
        None | Some("client_ip") => RateLimitKey::ClientIp,
        Some(text) if text == shared => RateLimitKey::Shared,
        Some(text) => {
            let parsed = match text.strip_prefix("header:") {
                Some(name) if is_token(name) => Ok(RateLimitKey::Header(name.to_ascii_lowercase())),
                Some(name) => Err(format!("\"{name}\" is not a valid header name")),
                None => Err(format!(
                    "must be \"client_ip\", \"header:NAME\" or \"{shared}\", got \"{text}\""
                )),
            };
            errors
                .check(path("key"), parsed)
                .unwrap_or(RateLimitKey::ClientIp)
        }
    };
    Some(RateLimit {
        rate: rate?,
        burst,
        key,
        quota_headers: raw.quota_headers.unwrap_or(false),
    })
}

pub(super) fn concurrency(
    errors: &mut Errors,
    at: &str,
    raw: RawConcurrency,
) -> Option<Concurrency> {
    let queue_timeout = raw.queue_timeout.as_deref().map(|text| {
        duration(
            errors,
            &format!("{at}.queue_timeout"),
            Some(text),
            Duration::ZERO,
        )
    });
    let Some(max) = raw.max_in_flight else {
        errors.push(at, "missing field `max_in_flight`");
        return None;
    };
    let max_in_flight = to_u32(integer(
        errors,
        &format!("{at}.max_in_flight"),
        Some(max),
        1,
        d::MAX_IN_FLIGHT_MAX,
        1,
    ));
    Some(Concurrency {
        max_in_flight,
        queue_timeout,
    })
}

pub(super) fn retry(errors: &mut Errors, at: &str, raw: RawRetry) -> Retry {
    let path = |key: &str| format!("{at}.{key}");
    let attempts = to_u32(integer(
        errors,
        &path("attempts"),
        raw.attempts,
        1,
        d::RETRY_ATTEMPTS_MAX,
        d::RETRY_ATTEMPTS,
    ));

    let on = match raw.on {
        None => d::RETRY_ON
            .iter()
            .filter_map(|s| retry_on(s).ok())
            .collect(),
        Some(list) => unique_list(
            errors,
            &path("on"),
            list,
            "must not be empty (set attempts = 1 to turn retries off)",
            retry_on,
        ),
    };

    let backoff = duration(
        errors,
        &path("backoff"),
        raw.backoff.as_deref(),
        d::RETRY_BACKOFF,
    );
    let default_max = backoff.saturating_mul(d::RETRY_MAX_BACKOFF_FACTOR);
    let max_backoff = duration(
        errors,
        &path("max_backoff"),
        raw.max_backoff.as_deref(),
        default_max,
    );
    if max_backoff < backoff {
        errors.push(
            path("max_backoff"),
            format!("must not be shorter than backoff ({backoff:?}), got {max_backoff:?}"),
        );
    }
    let per_try_timeout = raw
        .per_try_timeout
        .as_deref()
        .map(|text| duration(errors, &path("per_try_timeout"), Some(text), Duration::ZERO));
    let deadline = raw
        .deadline
        .as_deref()
        .map(|text| duration(errors, &path("deadline"), Some(text), Duration::ZERO));
    if let (Some(per_try), Some(deadline)) = (per_try_timeout, deadline) {
        if per_try > deadline && !deadline.is_zero() {
            errors.push(
                path("per_try_timeout"),
                format!("must not exceed deadline ({deadline:?}), got {per_try:?}"),
            );
        }
    }

    let methods = match raw.methods {
        None => d::RETRY_METHODS.iter().map(|m| (*m).to_owned()).collect(),
        Some(list) => unique_list(errors, &path("methods"), list, "must not be empty", |m| {
            if is_token(m) && !m.bytes().any(|b| b.is_ascii_lowercase()) {
                Ok(m.to_owned())
            } else {
                Err(format!("\"{m}\" is not an uppercase method token"))
            }
        }),
    };

    let budget = raw
        .budget
        .as_deref()
        .and_then(|text| errors.check(path("budget"), parse_percent(text)))
        .unwrap_or(d::RETRY_BUDGET);
    let min_retries_per_sec = to_u32(integer(
        errors,
        &path("min_retries_per_sec"),
        raw.min_retries_per_sec,
        0,
        d::RETRY_MIN_PER_SEC_MAX,
        d::RETRY_MIN_PER_SEC,
    ));
    let body_buffer = raw
        .body_buffer
        .as_ref()
        .and_then(|v| size(errors, &path("body_buffer"), v, 0, 64 << 20))
        .unwrap_or(d::RETRY_BODY_BUFFER);

    Retry {
        attempts,
        on,
        backoff,
        max_backoff,
        per_try_timeout,
        deadline,
        methods,
        budget,
        min_retries_per_sec,
        body_buffer,
    }
}

/// Parses every item of the list at `at` (errors at `at[i]`), refusing an
/// empty list and items listed twice.
fn unique_list<T: PartialEq>(
    errors: &mut Errors,
    at: &str,
    list: Vec<String>,
    if_empty: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Vec<T> {
    if list.is_empty() {
        errors.push(at, if_empty);
    }
    let mut items: Vec<T> = Vec::with_capacity(list.len());
    for (i, text) in list.iter().enumerate() {
        match parse(text) {
            Ok(item) if items.contains(&item) => {
                errors.push(format!("{at}[{i}]"), format!("\"{text}\" is listed twice"))
            }
            Ok(item) => items.push(item),
            Err(message) => errors.push(format!("{at}[{i}]"), message),
        }
    }
    items
}

fn retry_on(text: &str) -> Result<RetryOn, String> {
    match text {
        "connect" => Ok(RetryOn::Connect),
        "reset" => Ok(RetryOn::Reset),
        "timeout" => Ok(RetryOn::Timeout),
        _ => match text.parse::<u16>() {
            Ok(status) if (500..=599).contains(&status) => Ok(RetryOn::Status(status)),
            _ => Err(format!(
                "must be \"connect\", \"reset\", \"timeout\" or a 5xx status like \"503\", got \"{text}\""
            )),
        },
    }
}

pub(super) fn circuit_breaker(
    errors: &mut Errors,
    at: &str,
    raw: RawCircuitBreaker,
) -> CircuitBreaker {
    let path = |key: &str| format!("{at}.{key}");
    let failure_ratio = raw.failure_ratio.as_deref().map(|text| {
        let ratio = errors
            .check(
                path("failure_ratio"),
                parse_percent(text).and_then(|r| {
                    if r > 0.0 {
                        Ok(r)
                    } else {
                        Err(format!("must be more than 0%, got \"{text}\""))
                    }
                }),
            )
            .unwrap_or(1.0);
        FailureRatio {
            ratio,
            window: duration(
                errors,
                &path("window"),
                raw.window.as_deref(),
                d::BREAKER_WINDOW,
            ),
            min_requests: to_u32(integer(
                errors,
                &path("min_requests"),
                raw.min_requests,
                1,
                u64::from(MAX_MIN_REQUESTS),
                d::BREAKER_MIN_REQUESTS,
            )),
        }
    });
    if failure_ratio.is_none() {
        for (key, set) in [
            ("window", raw.window.is_some()),
            ("min_requests", raw.min_requests.is_some()),
        ] {
            if set {
                errors.push(path(key), "only used with failure_ratio");
            }
        }
    }
    let consecutive_failures = match (raw.consecutive_failures, &failure_ratio) {
        (None, Some(_)) => None,
        (n, _) => Some(to_u32(integer(
            errors,
            &path("consecutive_failures"),
            n,
            1,
            u64::from(MAX_CONSECUTIVE_FAILURES),
            d::BREAKER_CONSECUTIVE_FAILURES,
        ))),
    };
    CircuitBreaker {
        consecutive_failures,
        failure_ratio,
        open_for: duration(
            errors,
            &path("open_for"),
            raw.open_for.as_deref(),
            d::BREAKER_OPEN_FOR,
        ),
        half_open_probes: to_u32(integer(
            errors,
            &path("half_open_probes"),
            raw.half_open_probes,
            1,
            u64::from(MAX_HALF_OPEN_PROBES),
            d::BREAKER_HALF_OPEN_PROBES,
        )),
    }
}

pub(super) fn health_check(errors: &mut Errors, at: &str, raw: RawHealthCheck) -> HealthCheck {
    let path = |key: &str| format!("{at}.{key}");
    let check_path = match raw.path {
        None => d::HEALTH_PATH.to_owned(),
        Some(p) if p.starts_with('/') && p.bytes().all(|b| b.is_ascii_graphic()) => p,
        Some(p) => {
            errors.push(
                path("path"),
                format!(
                    "must start with \"/\" and hold no spaces or control characters, got \"{p}\""
                ),
            );
            d::HEALTH_PATH.to_owned()
        }
    };
    let interval = duration(
        errors,
        &path("interval"),
        raw.interval.as_deref(),
        d::HEALTH_INTERVAL,
    );
    let timeout = duration(
        errors,
        &path("timeout"),
        raw.timeout.as_deref(),
        d::HEALTH_TIMEOUT.min(interval),
    );
    if timeout > interval {
        errors.push(
            path("timeout"),
            format!("must not exceed interval ({interval:?}), got {timeout:?}"),
        );
    }
    let threshold = |errors: &mut Errors, key: &str, raw: Option<i64>, default: u64| {
        to_u32(integer(
            errors,
            &path(key),
            raw,
            1,
            d::HEALTH_THRESHOLD_MAX,
            default,
        ))
    };
    HealthCheck {
        path: check_path,
        interval,
        timeout,
        healthy: threshold(errors, "healthy", raw.healthy, d::HEALTH_HEALTHY),
        unhealthy: threshold(errors, "unhealthy", raw.unhealthy, d::HEALTH_UNHEALTHY),
    }
}

pub(super) fn outlier(errors: &mut Errors, at: &str, raw: RawOutlier) -> Outlier {
    let path = |key: &str| format!("{at}.{key}");
    let base_ejection = duration(
        errors,
        &path("base_ejection"),
        raw.base_ejection.as_deref(),
        d::OUTLIER_BASE_EJECTION,
    );
    let max_ejection = duration(
        errors,
        &path("max_ejection"),
        raw.max_ejection.as_deref(),
        d::OUTLIER_MAX_EJECTION.max(base_ejection),
    );
    if max_ejection < base_ejection {
        errors.push(
            path("max_ejection"),
            format!(
                "must not be shorter than base_ejection ({base_ejection:?}), got {max_ejection:?}"
            ),
        );
    }
    Outlier {
        consecutive_failures: to_u32(integer(
            errors,
            &path("consecutive_failures"),
            raw.consecutive_failures,
            1,
            u64::from(MAX_OUTLIER_STREAK),
            d::OUTLIER_CONSECUTIVE_FAILURES,
        )),
        base_ejection,
        max_ejection,
        max_ejection_percent: to_u32(integer(
            errors,
            &path("max_ejection_percent"),
            raw.max_ejection_percent,
            0,
            100,
            d::OUTLIER_MAX_EJECTION_PERCENT,
        )),
    }
}
