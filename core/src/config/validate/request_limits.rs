//! Validation of the request limits of `[server]`: `body_timeout`,
//! `min_body_rate` (with `body_rate_window`) and
//! `max_requests_per_connection`.

use std::time::Duration;

use super::super::defaults as d;
use super::super::error::Errors;
use super::super::raw::RawServer;
use super::super::request_limits::{MinBodyRate, RequestLimits};
use super::super::units::{parse_duration, parse_size};
use super::{duration, integer};

pub(super) fn request_limits(raw: &RawServer, errors: &mut Errors) -> RequestLimits {
    let body_timeout = duration(
        errors,
        "server.body_timeout",
        raw.body_timeout.as_deref(),
        d::BODY_TIMEOUT,
    );
    let window = duration(
        errors,
        "server.body_rate_window",
        raw.body_rate_window.as_deref(),
        d::BODY_RATE_WINDOW,
    );
    let min_body_rate = match raw.min_body_rate.as_deref() {
        None => {
            if raw.body_rate_window.is_some() {
                errors.push(
                    "server.body_rate_window",
                    "only means something with server.min_body_rate",
                );
            }
            None
        }
        Some(text) => errors
            .check("server.min_body_rate", parse_body_rate(text))
            .map(|(bytes, per)| MinBodyRate { bytes, per, window }),
    };
    let max_requests_per_connection = raw.max_requests_per_connection.map(|_| {
        integer(
            errors,
            "server.max_requests_per_connection",
            raw.max_requests_per_connection,
            1,
            u64::MAX,
            1,
        )
    });
    RequestLimits {
        body_timeout,
        min_body_rate,
        max_requests_per_connection,
    }
}

/// `"SIZE/PERIOD"`: a byte size (`"1KiB"`, `"500"`) of at least one byte, a
/// slash and a period (`s`, `min` or a duration such as `"10s"`).
fn parse_body_rate(text: &str) -> Result<(u64, Duration), String> {
    let invalid = |why: &str| {
        format!("invalid rate \"{text}\": {why}; expected bytes per period, like \"1KiB/s\" or \"100KB/min\"")
    };
    let (size, period) = text.split_once('/').ok_or_else(|| invalid("no '/'"))?;
    let bytes = parse_size(size).map_err(|e| invalid(&e))?;
    if bytes == 0 {
        return Err(invalid("the size must be at least one byte"));
    }
    let period = period.trim();
    let per = match period.to_ascii_lowercase().as_str() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        _ => {
            parse_duration(period).map_err(|_| invalid("the period is not a unit or a duration"))?
        }
    };
    if per.is_zero() {
        return Err(invalid("the period must be longer than zero"));
    }
    Ok((bytes, per))
}

pub(super) fn placeholder() -> RequestLimits {
    RequestLimits {
        body_timeout: d::BODY_TIMEOUT,
        min_body_rate: None,
        max_requests_per_connection: None,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_body_rate;
    use std::time::Duration;

    #[test]
    fn body_rates() {
        let sec = Duration::from_secs(1);
        assert_eq!(parse_body_rate("1KiB/s"), Ok((1024, sec)));
        assert_eq!(parse_body_rate("500 / sec"), Ok((500, sec)));
        assert_eq!(
            parse_body_rate("6MB/min"),
            Ok((6_000_000, Duration::from_secs(60)))
        );
        assert_eq!(
            parse_body_rate("10KiB/10s"),
            Ok((10_240, Duration::from_secs(10)))
        );
        for bad in ["1KiB", "0/s", "x/s", "1KiB/0s", "1KiB/fortnight", "-1/s"] {
            assert!(parse_body_rate(bad).is_err(), "{bad}");
        }
    }
}
