//! Validation of `[upstreams.NAME]`: targets, balancing, timeouts, pooling.

use std::net::{SocketAddr, ToSocketAddrs};

use super::super::defaults as d;
use super::super::error::Errors;
use super::super::model::{BalanceKind, HashKey, Target, Upstream};
use super::super::raw::{Ordered, RawBalance, RawTarget, RawUpstream};
use super::policy::{circuit_breaker, concurrency, health_check, outlier};
use super::{duration, integer, is_token, to_usize};

pub(super) fn upstreams(raw: Ordered<RawUpstream>, errors: &mut Errors) -> Vec<Upstream> {
    raw.0
        .into_iter()
        .map(|(name, raw)| upstream(name, raw, errors))
        .collect()
}

fn upstream(name: String, raw: RawUpstream, errors: &mut Errors) -> Upstream {
    let at = |key: &str| format!("upstreams.{name}.{key}");
    if name.is_empty() {
        errors.push("upstreams", "an upstream name must not be empty");
    }

    let mut targets: Vec<Target> = Vec::new();
    match raw.targets {
        None => errors.push(format!("upstreams.{name}"), "missing field `targets`"),
        Some(list) if list.is_empty() => {
            errors.push(at("targets"), "must list at least one target")
        }
        Some(list) => {
            for (i, raw_target) in list.into_iter().enumerate() {
                let path = format!("upstreams.{name}.targets[{i}]");
                if let Some(target) = target(&path, raw_target, errors) {
                    if targets.iter().any(|t| t.addr == target.addr) {
                        errors.push(path, format!("{} is listed twice", target.addr));
                    } else {
                        targets.push(target);
                    }
                }
            }
        }
    }

    let kind = raw.balance.unwrap_or(RawBalance::RoundRobin);
    let hash_key = match raw.hash_key {
        None => HashKey::ClientIp,
        Some(_) if kind != RawBalance::ConsistentHash => {
            errors.push(
                at("hash_key"),
                "only used with balance = \"consistent_hash\"",
            );
            HashKey::ClientIp
        }
        Some(text) => errors
            .check(at("hash_key"), hash_key(&text))
            .unwrap_or(HashKey::ClientIp),
    };
    let balance = match kind {
        RawBalance::RoundRobin => BalanceKind::RoundRobin,
        RawBalance::Random => BalanceKind::Random,
        RawBalance::LeastRequest => BalanceKind::LeastRequest,
        RawBalance::ConsistentHash => BalanceKind::ConsistentHash(hash_key),
        RawBalance::P2cEwma => BalanceKind::P2cEwma,
    };
    let concurrency = raw
        .concurrency
        .and_then(|c| concurrency(errors, &at("concurrency"), c));
    let circuit_breaker = raw
        .circuit_breaker
        .map(|c| circuit_breaker(errors, &at("circuit_breaker"), c));
    let health_check = raw
        .health_check
        .map(|h| health_check(errors, &at("health_check"), h));
    let outlier = raw.outlier.map(|o| outlier(errors, &at("outlier"), o));

    Upstream {
        connect_timeout: duration(
            errors,
            &at("connect_timeout"),
            raw.connect_timeout.as_deref(),
            d::CONNECT_TIMEOUT,
        ),
        response_timeout: duration(
            errors,
            &at("response_timeout"),
            raw.response_timeout.as_deref(),
            d::RESPONSE_TIMEOUT,
        ),
        pool_max_idle: to_usize(integer(
            errors,
            &at("pool_max_idle"),
            raw.pool_max_idle,
            0,
            u64::MAX,
            d::POOL_MAX_IDLE,
        )),
        pool_idle_timeout: duration(
            errors,
            &at("pool_idle_timeout"),
            raw.pool_idle_timeout.as_deref(),
            d::POOL_IDLE_TIMEOUT,
        ),
        name,
        targets,
        balance,
        concurrency,
        circuit_breaker,
        health_check,
        outlier,
        tls: None,
    }
}

fn target(path: &str, raw: RawTarget, errors: &mut Errors) -> Option<Target> {
    let (addr_text, addr_path, weight) = match raw {
        RawTarget::Addr(text) => (text, path.to_owned(), None),
        RawTarget::Table(table) => (table.addr, format!("{path}.addr"), table.weight),
    };
    let weight = integer(
        errors,
        &format!("{path}.weight"),
        weight,
        1,
        u64::from(d::TARGET_WEIGHT_MAX),
        u64::from(d::TARGET_WEIGHT),
    );
    let addr = errors.check(addr_path, resolve(&addr_text))?;
    Some(Target {
        addr,
        weight: u32::try_from(weight).unwrap_or(d::TARGET_WEIGHT),
    })
}

/// `"ip:port"` as is; `"name:port"` through the system resolver, first address.
pub(super) fn resolve(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    match text.to_socket_addrs() {
        Ok(mut addrs) => addrs
            .next()
            .ok_or_else(|| format!("\"{text}\" resolves to no address")),
        Err(error) => Err(format!("cannot resolve \"{text}\": {error}")),
    }
}

fn hash_key(text: &str) -> Result<HashKey, String> {
    if text == "client_ip" {
        return Ok(HashKey::ClientIp);
    }
    match text.strip_prefix("header:") {
        Some(name) if is_token(name) => Ok(HashKey::Header(name.to_ascii_lowercase())),
        Some(name) => Err(format!("\"{name}\" is not a valid header name")),
        None => Err(format!(
            "must be \"client_ip\" or \"header:NAME\", got \"{text}\""
        )),
    }
}
