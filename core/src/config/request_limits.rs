//! Limits on how a client sends its requests, beyond the head's size: how
//! long a request body may stall, how slowly it may arrive, and how many
//! requests one connection may carry.
//!
//! `body_timeout` is nginx's `client_body_timeout`: the longest wait for the
//! next bytes of a request body. `min_body_rate` is the floor a slow-drip
//! client cannot creep under (Kestrel's `MinRequestBodyDataRate`, IIS's
//! `minBytesPerSecond`): a body must bring at least that many bytes in every
//! `body_rate_window` of waiting for it. Both end in 408 and a closed
//! connection. `max_requests_per_connection` is nginx's `keepalive_requests`:
//! the last allowed response carries `Connection: close`.

use std::time::Duration;

/// `[server]` request limits; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestLimits {
    /// Longest wait for the next bytes of a request body (408 beyond).
    pub body_timeout: Duration,
    /// The slowest a request body may arrive, if limited (408 below).
    pub min_body_rate: Option<MinBodyRate>,
    /// Requests served on one client connection before it is closed; `None`
    /// means no cap.
    pub max_requests_per_connection: Option<u64>,
}

/// At least `bytes` per `per`, checked over every `window` of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinBodyRate {
    /// Bytes that must arrive per `per`.
    pub bytes: u64,
    /// The rate's period (`"1KiB/s"`: one second).
    pub per: Duration,
    /// How long the gateway waits for body bytes before it judges the rate.
    pub window: Duration,
}

impl MinBodyRate {
    /// The bytes a body must bring in `waited` of waiting: `bytes` ×
    /// `waited` / `per`, rounded down.
    pub fn required(&self, waited: Duration) -> u64 {
        let per = self.per.as_nanos().max(1);
        let need = u128::from(self.bytes).saturating_mul(waited.as_nanos()) / per;
        u64::try_from(need).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_bytes_scale_with_the_wait() {
        let rate = MinBodyRate {
            bytes: 1024,
            per: Duration::from_secs(1),
            window: Duration::from_secs(5),
        };
        assert_eq!(rate.required(Duration::from_secs(5)), 5120);
        assert_eq!(rate.required(Duration::from_millis(500)), 512);
        assert_eq!(rate.required(Duration::ZERO), 0);
        let per_minute = MinBodyRate {
            bytes: 60,
            per: Duration::from_secs(60),
            ..rate
        };
        assert_eq!(per_minute.required(Duration::from_secs(5)), 5);
    }
}
