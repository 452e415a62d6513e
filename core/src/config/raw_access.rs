//! The raw serde shape of the `access` (IP allow/deny) and `cors` tables
//! (see `crate::access`, `crate::cors`). Like every raw table they deny
//! unknown keys; values are checked in `validate::access`, which reports
//! them all with their paths.

use serde::Deserialize;

/// `access = { allow = [...], deny = [...], trusted_proxies = [...] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAccess {
    pub allow: Option<Vec<String>>,
    pub deny: Option<Vec<String>>,
    pub trusted_proxies: Option<Vec<String>>,
}

/// `cors = { allow_origins = [...], ... }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCors {
    pub allow_origins: Option<Vec<String>>,
    pub allow_methods: Option<Vec<String>>,
    pub allow_headers: Option<Vec<String>>,
    pub expose_headers: Option<Vec<String>>,
    pub allow_credentials: Option<bool>,
    pub max_age: Option<String>,
}
