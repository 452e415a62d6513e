//! Tuning profiles: a `[server]` table to start from, chosen by name
//! (`profile = "throughput"` in `[server]`, or `ringgate --profile NAME`)
//! or by file (`--profile ./edge.toml`, relative to the config's folder
//! when named in the file, to the current directory on the command line).
//!
//! The built-in profiles are the files of `tuning/profiles/`, compiled into
//! the binary so a name works from any directory. Merge order: the
//! profile's `[server]` keys first, then the config file's, key by key and
//! table by table (`[server.uring]`, `[server.tcp]` and `[server.buffers]`
//! merge per key), so an explicit key in the config always wins. A profile
//! may set only `[server]` keys and may not name another profile.

use std::path::Path;

use super::error::ConfigError;
use super::raw::{self, RawConfig, RawServer};

/// The built-in profiles, by name, with their TOML text.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "latency",
        include_str!("../../../tuning/profiles/latency.toml"),
    ),
    (
        "throughput",
        include_str!("../../../tuning/profiles/throughput.toml"),
    ),
    (
        "small-vm",
        include_str!("../../../tuning/profiles/small-vm.toml"),
    ),
    (
        "sqpoll",
        include_str!("../../../tuning/profiles/sqpoll.toml"),
    ),
];

/// Whether `name` is a file path rather than a built-in profile name.
pub fn is_file(name: &str) -> bool {
    name.contains('/') || name.ends_with(".toml")
}

/// Replace `raw.server` with the chosen profile's `[server]` overlaid by
/// the config's own (`text` is the config's TOML, already parsed into
/// `raw`). `chosen` (from the command line) wins over `server.profile`.
pub(crate) fn apply(
    text: &str,
    raw: &mut RawConfig,
    chosen: Option<&str>,
) -> Result<(), ConfigError> {
    let from_file = raw.server.as_ref().and_then(|s| s.profile.clone());
    let (name, key) = match (chosen, from_file) {
        (Some(name), _) => (name.to_owned(), "--profile"),
        (None, Some(name)) => (name, "server.profile"),
        (None, None) => return Ok(()),
    };
    let profile_text = load(&name, key, raw.base_dir.as_deref())?;
    let fail = |message: String| ConfigError::new(key, format!("profile \"{name}\": {message}"));
    let checked = raw::parse(&profile_text).map_err(|e| fail(e.to_string()))?;
    if !checked.upstreams.0.is_empty() || !checked.routes.is_empty() {
        return Err(fail("a profile may set only [server] keys".to_owned()));
    }
    if checked.server.as_ref().is_some_and(|s| s.profile.is_some()) {
        return Err(fail("a profile may not name another profile".to_owned()));
    }

    let server_table = |text: &str| -> Result<toml::Table, String> {
        let mut doc: toml::Table = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        match doc.remove("server") {
            Some(toml::Value::Table(t)) => Ok(t),
            Some(_) => Err("`server` must be a table".to_owned()),
            None => Ok(toml::Table::new()),
        }
    };
    let mut merged = server_table(&profile_text).map_err(fail)?;
    let mut own = server_table(text).map_err(|m| ConfigError::new("server", m))?;
    own.remove("profile");
    overlay(&mut merged, own);
    let mut server: RawServer = serde_path_to_error::deserialize(toml::Value::Table(merged))
        .map_err(|error| {
            let path = error.path().to_string();
            let message = error.into_inner().message().to_owned();
            ConfigError::new(format!("server.{path}"), message)
        })?;
    server.profile = Some(name);
    raw.server = Some(server);
    Ok(())
}

/// The TOML text of profile `name`: built in, or read from a file.
fn load(name: &str, key: &str, base_dir: Option<&Path>) -> Result<String, ConfigError> {
    if is_file(name) {
        let path = match base_dir {
            Some(dir) if key == "server.profile" => dir.join(name),
            _ => Path::new(name).to_path_buf(),
        };
        return std::fs::read_to_string(&path).map_err(|error| {
            ConfigError::new(
                key,
                format!("cannot read profile {}: {error}", path.display()),
            )
        });
    }
    BUILTIN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| (*text).to_owned())
        .ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            ConfigError::new(
                key,
                format!(
                    "unknown profile \"{name}\": built-in profiles are {}, or give a file path ending in .toml",
                    names.join(", ")
                ),
            )
        })
}

/// Overlay `top` on `base`: tables merge per key, any other value replaces.
fn overlay(base: &mut toml::Table, top: toml::Table) {
    for (key, value) in top {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => overlay(b, t),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}
