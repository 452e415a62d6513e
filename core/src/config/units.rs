//! Values with units: durations (`"250ms"`, `"10s"`) and byte sizes (`"64KiB"`).
//!
//! Durations are humantime strings; a bare number is refused because its
//! unit would be a guess. Sizes are an integer number of bytes or a string
//! with a unit: `B`, binary `KiB`/`MiB`/`GiB` (powers of 1024) or decimal
//! `KB`/`MB`/`GB` (powers of 1000), case-insensitive, optional space between.

use std::time::Duration;

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
}
