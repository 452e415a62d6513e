//! The raw serde shape of `[server.tracing]` (see `crate::trace`); values
//! are checked in `validate::tracing`.

use serde::Deserialize;

/// `[server.tracing]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTracing {
    pub enabled: Option<bool>,
    pub sample: Option<f64>,
    pub service_name: Option<String>,
    pub otlp_endpoint: Option<String>,
    pub batch_size: Option<i64>,
    pub flush_interval: Option<String>,
    pub queue: Option<i64>,
    pub export_timeout: Option<String>,
}
