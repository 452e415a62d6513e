//! The raw serde shape of the per-core tuning keys of `[server]`:
//! `cpus`, `[server.buffers]` and `[server.tcp]` (the io_uring keys stay in
//! `[server.uring]`, see `raw`). Checked in `validate::tuning`.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::raw::IntOrString;

/// `server.cpus`: `[0, 1]` or a list string `"0-3,6"`.
#[derive(Debug, Clone)]
pub(crate) enum RawCpus {
    List(Vec<i64>),
    Text(String),
}

impl<'de> Deserialize<'de> for RawCpus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CpusVisitor;
        impl<'de> Visitor<'de> for CpusVisitor {
            type Value = RawCpus;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of CPU numbers or a string like \"0-3,6\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawCpus::Text(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<i64>()? {
                    items.push(item);
                }
                Ok(RawCpus::List(items))
            }
        }
        deserializer.deserialize_any(CpusVisitor)
    }
}

/// `[server.buffers]`: initial read buffer of each connection.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBuffers {
    pub client: Option<IntOrString>,
    pub upstream: Option<IntOrString>,
}

/// `[server.tcp]`: options of the listening sockets (accepted sockets
/// inherit them) and how connections are steered to shards.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTcp {
    pub backlog: Option<i64>,
    pub steering: Option<String>,
    pub nodelay: Option<bool>,
    pub defer_accept: Option<String>,
    pub fastopen: Option<i64>,
    pub recv_buffer: Option<IntOrString>,
    pub send_buffer: Option<IntOrString>,
    pub keepalive: Option<String>,
    pub keepalive_interval: Option<String>,
    pub keepalive_count: Option<i64>,
}
