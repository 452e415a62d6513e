//! The raw serde shape of a route's `auth` table (see `crate::auth`).
//! Like every raw table it denies unknown keys; values are checked in
//! `validate::auth`, which reports them all with their paths.

use serde::Deserialize;

use super::raw::Ordered;
use super::raw_tls::RawUpstreamTls;

/// `auth = { api_key = {...} }` or `jwt`, `basic`, `forward`: exactly one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAuth {
    pub api_key: Option<RawApiKey>,
    pub jwt: Option<RawJwt>,
    pub basic: Option<RawBasic>,
    pub forward: Option<RawForward>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApiKey {
    pub header: Option<String>,
    pub query: Option<String>,
    pub keys_file: Option<String>,
    pub forward_as: Option<String>,
    pub realm: Option<String>,
    pub forward_credentials: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawJwt {
    pub keys_file: Option<String>,
    pub jwks_url: Option<String>,
    pub jwks_tls: Option<RawUpstreamTls>,
    pub refresh: Option<String>,
    pub algorithms: Option<Vec<String>>,
    pub issuer: Option<StringOrList>,
    pub audience: Option<StringOrList>,
    pub leeway: Option<String>,
    pub required_claims: Option<Vec<String>>,
    pub forward_claims: Option<Ordered<String>>,
    pub realm: Option<String>,
    pub forward_credentials: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBasic {
    pub htpasswd: Option<String>,
    pub realm: Option<String>,
    pub forward_as: Option<String>,
    pub forward_credentials: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForward {
    pub url: Option<String>,
    pub timeout: Option<String>,
    pub request_headers: Option<Vec<String>>,
    pub response_headers: Option<Vec<String>>,
}

/// `"one"` or `["one", "two"]` (`issuer`, `audience`).
#[derive(Debug, Deserialize)]
#[serde(untagged, expecting = "a string or a list of strings")]
pub(crate) enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    pub(crate) fn into_vec(self) -> Vec<String> {
        match self {
            StringOrList::One(one) => vec![one],
            StringOrList::Many(list) => list,
        }
    }
}
