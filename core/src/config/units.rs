//! Values with units: durations (`"250ms"`, `"10s"`), byte sizes (`"64KiB"`),
//! rates (`"100/s"`) and percentages (`"20%"`).
//!
//! Durations are humantime strings; a bare number is refused because its
//! unit would be a guess. A rate is a count of requests, a slash and a
//! period: a unit alone (`s`, `min`, `h`, `day` and their spellings) or a
//! duration (`"10/5s"`); the period is a whole number of seconds, as the
//! `RateLimit-Policy` header states windows in seconds. Sizes are an integer number of bytes or a string
//! with a unit: `B`, binary `KiB`/`MiB`/`GiB` (powers of 1024) or decimal
//! `KB`/`MB`/`GB` (powers of 1000), case-insensitive, optional space between.

use std::time::Duration;

use super::policy::Rate;

/// Parses a duration with a unit, such as `"250ms"`, `"10s"` or `"1m 30s"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "invalid duration \"{text}\": a unit is required, e.g. \"{trimmed}s\" or \"{trimmed}ms\""
        ));
    }
    humantime::parse_duration(trimmed).map_err(|e| format!("invalid duration \"{text}\": {e}"))
}

/// Parses a byte size written with a unit, such as `"64KiB"` or `"512 KB"`.
/// A string without a unit is a number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits);
    let invalid = || {
        format!("invalid size \"{text}\": expected an integer with an optional unit (B, KiB, MiB, GiB, KB, MB, GB)")
    };
    if number.is_empty() {
        return Err(invalid());
    }
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let multiplier: u64 = match unit.trim_start().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(invalid()),
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("invalid size \"{text}\": too large"))
}

/// Parses a rate such as `"100/s"`, `"6000/min"` or `"10/5s"`.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let invalid = |why: &str| {
        format!("invalid rate \"{text}\": {why}; expected requests per period, like \"100/s\", \"6000/min\" or \"10/5s\"")
    };
    let (count, period) = text.split_once('/').ok_or_else(|| invalid("no '/'"))?;
    let count = count.trim();
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("the count is not a whole number"));
    }
    let count: u32 = count
        .parse()
        .map_err(|_| invalid("the count is too large"))?;
    if count == 0 {
        return Err(invalid("the count must be at least 1"));
    }
    let period = period.trim();
    let per = match period.to_ascii_lowercase().as_str() {
        "s" | "sec" | "second" => Duration::from_secs(1),
        "m" | "min" | "minute" => Duration::from_secs(60),
        "h" | "hour" => Duration::from_secs(3600),
        "d" | "day" => Duration::from_secs(86_400),
        "ms" => Duration::from_millis(1),
        _ => {
            parse_duration(period).map_err(|_| invalid("the period is not a unit or a duration"))?
        }
    };
    if per < Duration::from_secs(1) || per.subsec_nanos() != 0 {
        return Err(invalid("the period must be a whole number of seconds"));
    }
    Ok(Rate { count, per })
}

/// Parses a percentage such as `"20%"` or `"2.5%"` into a fraction in `0..=1`.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let invalid = || {
        format!(
            "invalid percentage \"{text}\": expected a number from 0 to 100 and '%', like \"20%\""
        )
    };
    let number = text.trim().strip_suffix('%').ok_or_else(invalid)?.trim();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid());
    }
    let value: f64 = number.parse().map_err(|_| invalid())?;
    if !(0.0..=100.0).contains(&value) {
        return Err(invalid());
    }
    Ok(value / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("100", Some(100)),
            ("100B", Some(100)),
            ("64KiB", Some(65536)),
            ("64 KiB", Some(65536)),
            ("64kib", Some(65536)),
            ("1MiB", Some(1 << 20)),
            ("1GiB", Some(1 << 30)),
            ("512KB", Some(512_000)),
            ("2MB", Some(2_000_000)),
            ("3GB", Some(3_000_000_000)),
            ("", None),
            ("KiB", None),
            ("1.5MiB", None),
            ("-1", None),
            ("10 TiB", None),
            ("99999999999999999999GiB", None),
            ("18446744073709551615GiB", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text).ok(), *want, "{text:?}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m 30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("10")
            .unwrap_err()
            .contains("unit is required"));
        assert!(parse_duration("ten seconds").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn rates() {
        let rate = |count, secs| {
            Some(Rate {
                count,
                per: Duration::from_secs(secs),
            })
        };
        let cases: &[(&str, Option<Rate>)] = &[
            ("100/s", rate(100, 1)),
            ("100 / second", rate(100, 1)),
            ("6000/min", rate(6000, 60)),
            ("6000/m", rate(6000, 60)),
            ("1000/hour", rate(1000, 3600)),
            ("5/d", rate(5, 86_400)),
            ("10/5s", rate(10, 5)),
            ("10/1m 30s", rate(10, 90)),
            ("100", None),
            ("/s", None),
            ("0/s", None),
            ("-1/s", None),
            ("1.5/s", None),
            ("99999999999/s", None),
            ("100/ms", None),
            ("100/1500ms", None),
            ("100/fortnight", None),
            ("100/10", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_rate(text).ok(), *want, "{text:?}");
        }
        assert!(parse_rate("100/ms")
            .unwrap_err()
            .contains("whole number of seconds"));
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("20%"), Ok(0.2));
        assert_eq!(parse_percent(" 2.5 % "), Ok(0.025));
        assert_eq!(parse_percent("0%"), Ok(0.0));
        assert_eq!(parse_percent("100%"), Ok(1.0));
        for bad in ["20", "101%", "-1%", "%", "x%", "1e2%"] {
            assert!(parse_percent(bad).is_err(), "{bad:?}");
        }
    }
}
