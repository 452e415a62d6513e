//! `server.body_timeout`, `server.min_body_rate`, `server.body_rate_window`
//! and `server.max_requests_per_connection`: defaults, values, errors.

use std::time::Duration;

use super::{single_error, MINIMAL};
use crate::config::{defaults as d, load_str, MinBodyRate, RequestLimits};

fn limits(lines: &str) -> RequestLimits {
    let text = MINIMAL.replace("[server]\n", &format!("[server]\n{lines}\n"));
    match load_str(&text) {
        Ok(config) => config.server.requests,
        Err(e) => panic!("{lines}: {e}"),
    }
}

#[test]
fn defaults() {
    assert_eq!(
        limits(""),
        RequestLimits {
            body_timeout: d::BODY_TIMEOUT,
            min_body_rate: None,
            max_requests_per_connection: None,
        }
    );
    assert_eq!(d::BODY_TIMEOUT, Duration::from_secs(60));
    assert_eq!(d::BODY_RATE_WINDOW, Duration::from_secs(5));
}

#[test]
fn every_key_set() {
    let got = limits(
        "body_timeout = \"20s\"\nmin_body_rate = \"1KiB/s\"\nbody_rate_window = \"2s\"\n\
         max_requests_per_connection = 1000",
    );
    assert_eq!(
        got,
        RequestLimits {
            body_timeout: Duration::from_secs(20),
            min_body_rate: Some(MinBodyRate {
                bytes: 1024,
                per: Duration::from_secs(1),
                window: Duration::from_secs(2),
            }),
            max_requests_per_connection: Some(1000),
        }
    );
    let default_window = limits("min_body_rate = \"100KB/min\"");
    assert_eq!(
        default_window
            .min_body_rate
            .map(|r| (r.bytes, r.per, r.window)),
        Some((100_000, Duration::from_secs(60), d::BODY_RATE_WINDOW))
    );
}

#[test]
fn bad_values_name_their_path() {
    let cases = [
        (
            "body_timeout = \"0s\"",
            "server.body_timeout",
            "longer than zero",
        ),
        (
            "body_timeout = \"10\"",
            "server.body_timeout",
            "unit is required",
        ),
        ("min_body_rate = \"1KiB\"", "server.min_body_rate", "no '/'"),
        (
            "min_body_rate = \"0/s\"",
            "server.min_body_rate",
            "at least one byte",
        ),
        (
            "min_body_rate = \"lots/s\"",
            "server.min_body_rate",
            "invalid size",
        ),
        (
            "min_body_rate = \"1KiB/0s\"",
            "server.min_body_rate",
            "period",
        ),
        (
            "min_body_rate = \"1KiB/s\"\nbody_rate_window = \"0ms\"",
            "server.body_rate_window",
            "longer than zero",
        ),
        (
            "body_rate_window = \"5s\"",
            "server.body_rate_window",
            "only means something with server.min_body_rate",
        ),
        (
            "max_requests_per_connection = 0",
            "server.max_requests_per_connection",
            "must be at least 1",
        ),
        (
            "max_requests_per_connection = -5",
            "server.max_requests_per_connection",
            "must not be negative",
        ),
    ];
    for (lines, path, needle) in cases {
        let text = MINIMAL.replace("[server]\n", &format!("[server]\n{lines}\n"));
        single_error(&text, path, needle);
    }
}

#[test]
fn unknown_keys_stay_errors() {
    let text = MINIMAL.replace("[server]\n", "[server]\nmin_body_rates = \"1KiB/s\"\n");
    let err = load_str(&text).map(|_| ()).unwrap_err().to_string();
    assert!(err.contains("server.min_body_rates"), "{err}");
}
