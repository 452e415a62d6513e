//! The raw serde shape of the TLS settings: `server.tls`, `server.listen`
//! entries that are tables (`{ addr = "...", tls = { ... } }`), and
//! `upstreams.NAME.tls`. Checked in `validate::tls`.

use std::fmt;

use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// `server.listen`: one address, one table, or a list of either.
#[derive(Debug)]
pub(crate) enum RawListen {
    One(RawListenEntry),
    Many(Vec<RawListenEntry>),
}

/// One `server.listen` entry.
#[derive(Debug)]
pub(crate) enum RawListenEntry {
    /// `"ip:port"`: plain, or TLS with `server.tls` when that is set.
    Addr(String),
    /// `{ addr = "ip:port", tls = { ... } }`.
    Table(RawListenTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawListenTable {
    pub addr: Option<String>,
    pub tls: Option<RawServerTls>,
}

/// A listener's TLS settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawServerTls {
    pub cert: Option<String>,
    pub key: Option<String>,
    pub certs: Option<Vec<RawCertPair>>,
    pub ktls: Option<String>,
    pub protocols: Option<Vec<String>>,
    pub reload_interval: Option<String>,
    pub session_tickets: Option<bool>,
    pub session_cache: Option<i64>,
}

/// One certificate chain and key, with the names it serves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCertPair {
    pub cert: Option<String>,
    pub key: Option<String>,
    pub names: Option<Vec<String>>,
}

/// `upstreams.NAME.tls` (and a JWT route's `jwks_tls`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstreamTls {
    pub ca: Option<String>,
    pub sni: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub protocols: Option<Vec<String>>,
}

impl RawListen {
    /// The entries in file order, each with its key path, to edit in place.
    pub(crate) fn entries_mut(&mut self) -> Vec<(String, &mut RawListenEntry)> {
        match self {
            RawListen::One(entry) => vec![("server.listen".to_owned(), entry)],
            RawListen::Many(list) => list
                .iter_mut()
                .enumerate()
                .map(|(i, entry)| (format!("server.listen[{i}]"), entry))
                .collect(),
        }
    }

    /// The entries in file order, each with its key path.
    pub(crate) fn into_entries(self) -> Vec<(String, RawListenEntry)> {
        match self {
            RawListen::One(entry) => vec![("server.listen".to_owned(), entry)],
            RawListen::Many(list) => list
                .into_iter()
                .enumerate()
                .map(|(i, entry)| (format!("server.listen[{i}]"), entry))
                .collect(),
        }
    }
}

fn table<'de, A: MapAccess<'de>>(map: A) -> Result<RawListenTable, A::Error> {
    RawListenTable::deserialize(MapAccessDeserializer::new(map))
}

impl<'de> Deserialize<'de> for RawListenEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = RawListenEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an \"ip:port\" string or a table { addr, tls }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawListenEntry::Addr(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                table(map).map(RawListenEntry::Table)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

impl<'de> Deserialize<'de> for RawListen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListenVisitor;
        impl<'de> Visitor<'de> for ListenVisitor {
            type Value = RawListen;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an \"ip:port\" string, a table { addr, tls }, or a list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(RawListen::One(RawListenEntry::Addr(v.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                table(map).map(|t| RawListen::One(RawListenEntry::Table(t)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<RawListenEntry>()? {
                    items.push(item);
                }
                Ok(RawListen::Many(items))
            }
        }
        deserializer.deserialize_any(ListenVisitor)
    }
}
