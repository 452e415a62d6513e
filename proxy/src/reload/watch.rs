//! The opt-in config file watch (`--watch-config`): the file's modification
//! time and size are compared with the last ones seen every
//! [`WATCH_INTERVAL`], the way the TLS certificate reload polls its files;
//! a change asks for a reload. Editors that write in several steps may
//! trigger a reload of a half-written file: it is refused with its errors
//! and the next change reloads again.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// How often the file is looked at.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(500);

/// What the watch compares: modification time and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

impl Stamp {
    /// The stamp of `path` now; `None` when it cannot be read.
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}
