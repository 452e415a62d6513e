//! One place that maps every failure to an HTTP status (DESIGN.md principle 5).
//!
//! Errors in the gateway carry a [`Failure`]: where it came from (client,
//! upstream, internal) and which status and short reason the client sees.
//! The connection loop turns a `Failure` into a response with
//! [`Failure::status`] and a plain-text body of [`Failure::reason`].

/// Who caused a failure; decides blame in logs and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The downstream client sent something we refuse.
    Client,
    /// The upstream target failed or misbehaved.
    Upstream,
    /// Neither: configuration or the gateway itself.
    Internal,
}

/// Every failure a request can end in, with its status and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Malformed request line, header or body framing (400).
    BadRequest,
    /// No route matched (404).
    NoRoute,
    /// The client did not send a whole head within `header_timeout` (408).
    HeaderTimeout,
    /// The request body stalled for `body_timeout` or arrived slower than
    /// `min_body_rate` (408).
    BodyTimeout,
    /// The request uses a transfer coding the gateway does not implement (501).
    NotImplemented,
    /// The body exceeded `max_body_bytes` (413).
    BodyTooLarge,
    /// The request-target exceeded `max_uri_bytes` (414).
    UriTooLong,
    /// The head exceeded `max_header_bytes` or `max_headers` (431).
    HeadersTooLarge,
    /// The upstream refused the connection (502).
    UpstreamRefused,
    /// The upstream reset or closed the connection mid-exchange (502).
    UpstreamReset,
    /// The upstream sent a response we cannot parse (502).
    UpstreamBadResponse,
    /// No target could be picked (503).
    NoTarget,
    /// Connecting to the upstream took longer than `connect_timeout` (504).
    ConnectTimeout,
    /// The upstream did not send a response head within `response_timeout` (504).
    ResponseTimeout,
    /// The shard is at `max_connections` (503).
    Overloaded,
    /// A rate limit refused the request (429, with `Retry-After`).
    RateLimited,
    /// A route's or upstream's `concurrency.max_in_flight` is reached (503).
    ConcurrencyLimited,
    /// Every target's circuit breaker is open, or every target is ejected
    /// or unhealthy (503, at once).
    CircuitOpen,
    /// The route requires credentials and the request has none (401).
    Unauthenticated,
    /// The request's credentials are wrong, unknown or expired (401).
    BadCredentials,
    /// The client's address is refused by an `access` rule (403).
    Forbidden,
    /// The forward-auth service refused the connection, reset it or
    /// closed it before answering (502).
    AuthUnreachable,
    /// The forward-auth service sent an invalid or oversized answer (502).
    AuthBadResponse,
    /// The forward-auth service did not answer within its `timeout` (504).
    AuthTimeout,
}

impl Failure {
    /// The HTTP status code the client receives.
    pub fn status(self) -> u16 {
        match self {
            Failure::BadRequest => 400,
            Failure::Unauthenticated | Failure::BadCredentials => 401,
            Failure::Forbidden => 403,
            Failure::NoRoute => 404,
            Failure::HeaderTimeout | Failure::BodyTimeout => 408,
            Failure::NotImplemented => 501,
            Failure::BodyTooLarge => 413,
            Failure::UriTooLong => 414,
            Failure::HeadersTooLarge => 431,
            Failure::RateLimited => 429,
            Failure::UpstreamRefused
            | Failure::UpstreamReset
            | Failure::UpstreamBadResponse
            | Failure::AuthUnreachable
            | Failure::AuthBadResponse => 502,
            Failure::NoTarget
            | Failure::Overloaded
            | Failure::ConcurrencyLimited
            | Failure::CircuitOpen => 503,
            Failure::ConnectTimeout | Failure::ResponseTimeout | Failure::AuthTimeout => 504,
        }
    }

    /// The short plain-text body naming the reason.
    pub fn reason(self) -> &'static str {
        match self {
            Failure::BadRequest => "bad request",
            Failure::NoRoute => "no route matches this request",
            Failure::HeaderTimeout => "request head not received in time",
            Failure::BodyTimeout => "request body not received in time",
            Failure::NotImplemented => "transfer coding not implemented",
            Failure::BodyTooLarge => "request body too large",
            Failure::UriTooLong => "request URI too long",
            Failure::HeadersTooLarge => "request headers too large",
            Failure::UpstreamRefused => "upstream refused the connection",
            Failure::UpstreamReset => "upstream closed the connection",
            Failure::UpstreamBadResponse => "upstream sent an invalid response",
            Failure::NoTarget => "no upstream target available",
            Failure::ConnectTimeout => "upstream connect timed out",
            Failure::ResponseTimeout => "upstream response timed out",
            Failure::Overloaded => "gateway at connection limit",
            Failure::RateLimited => "rate limit exceeded",
            Failure::ConcurrencyLimited => "too many requests in flight",
            Failure::CircuitOpen => {
                "every upstream target is unavailable (circuit open, unhealthy or ejected)"
            }
            Failure::Unauthenticated => "authentication required",
            Failure::BadCredentials => "invalid credentials",
            Failure::Forbidden => "access denied",
            Failure::AuthUnreachable => "auth service unreachable",
            Failure::AuthBadResponse => "auth service sent an invalid response",
            Failure::AuthTimeout => "auth service timed out",
        }
    }

    /// Who is to blame.
    pub fn source(self) -> Source {
        match self {
            Failure::BadRequest
            | Failure::HeaderTimeout
            | Failure::BodyTimeout
            | Failure::NotImplemented
            | Failure::BodyTooLarge
            | Failure::UriTooLong
            | Failure::HeadersTooLarge
            | Failure::RateLimited
            | Failure::Unauthenticated
            | Failure::BadCredentials
            | Failure::Forbidden => Source::Client,
            Failure::UpstreamRefused
            | Failure::UpstreamReset
            | Failure::UpstreamBadResponse
            | Failure::ConnectTimeout
            | Failure::ResponseTimeout
            | Failure::AuthUnreachable
            | Failure::AuthBadResponse
            | Failure::AuthTimeout => Source::Upstream,
            Failure::CircuitOpen => Source::Upstream,
            Failure::NoRoute
            | Failure::NoTarget
            | Failure::Overloaded
            | Failure::ConcurrencyLimited => Source::Internal,
        }
    }

    /// Whether the client connection must close after this answer: after
    /// the client's protocol errors (what follows on the connection cannot
    /// be trusted), not after a refusal of a well-formed request such as a
    /// rate limit's 429 or a 401.
    pub fn closes_connection(self) -> bool {
        self.source() == Source::Client
            && !matches!(
                self,
                Failure::RateLimited
                    | Failure::Unauthenticated
                    | Failure::BadCredentials
                    | Failure::Forbidden
            )
    }

    /// The reason phrase for the status line.
    pub fn status_text(self) -> &'static str {
        reason_phrase(self.status())
    }
}

/// The standard reason phrase of a status code (RFC 9110 section 15), or "".
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_match_the_design() {
        let table = [
            (Failure::BadRequest, 400),
            (Failure::NoRoute, 404),
            (Failure::HeaderTimeout, 408),
            (Failure::BodyTimeout, 408),
            (Failure::NotImplemented, 501),
            (Failure::BodyTooLarge, 413),
            (Failure::UriTooLong, 414),
            (Failure::HeadersTooLarge, 431),
            (Failure::UpstreamRefused, 502),
            (Failure::UpstreamReset, 502),
            (Failure::UpstreamBadResponse, 502),
            (Failure::NoTarget, 503),
            (Failure::ConnectTimeout, 504),
            (Failure::ResponseTimeout, 504),
            (Failure::RateLimited, 429),
            (Failure::ConcurrencyLimited, 503),
            (Failure::CircuitOpen, 503),
            (Failure::Unauthenticated, 401),
            (Failure::BadCredentials, 401),
            (Failure::Forbidden, 403),
            (Failure::AuthUnreachable, 502),
            (Failure::AuthBadResponse, 502),
            (Failure::AuthTimeout, 504),
        ];
        for (f, s) in table {
            assert_eq!(f.status(), s, "{f:?}");
            assert!(!f.reason().is_empty());
            assert!(!f.status_text().is_empty());
        }
    }
}
