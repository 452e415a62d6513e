//! Certificate reload: one control thread looks at the modification times
//! (and sizes) of every listener's certificate and key files, each
//! listener at its own `reload_interval`, and when one changed loads the
//! listener's whole set again and swaps it into the resolver. Handshakes
//! from then on get the new certificates; established connections keep
//! the keys they negotiated. A set that fails to load (a half-written
//! file, a key that does not match) is logged and the old one keeps
//! serving; the next change is tried again.

use super::server::{load_set, Acceptor};
use crate::drain::DrainFlag;
use crate::error::ProxyError;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tracing::{info, warn};

/// The longest the thread sleeps before looking at the drain flag again.
const TICK: Duration = Duration::from_millis(100);

/// What identifies a file's version: modification time and length.
type Stamp = Option<(SystemTime, u64)>;

struct Watched {
    acceptor: Arc<Acceptor>,
    files: Vec<PathBuf>,
    stamps: Vec<Stamp>,
    due: Instant,
}

fn stamp(file: &PathBuf) -> Stamp {
    let meta = std::fs::metadata(file).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Start watching the certificate files of `acceptors` (none: no thread).
pub fn start(acceptors: Vec<Arc<Acceptor>>, stop: DrainFlag) -> Result<(), ProxyError> {
    let now = Instant::now();
    let mut watched: Vec<Watched> = acceptors
        .into_iter()
        .map(|acceptor| {
            let files: Vec<PathBuf> = acceptor
                .settings
                .certs
                .iter()
                .flat_map(|p| [p.cert.clone(), p.key.clone()])
                .collect();
            let stamps = files.iter().map(stamp).collect();
            let due = now + acceptor.settings.reload_interval;
            Watched {
                acceptor,
                files,
                stamps,
                due,
            }
        })
        .collect();
    if watched.is_empty() {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("ringgate-tls-reload".into())
        .spawn(move || {
            while !stop.is_raised() {
                let now = Instant::now();
                for w in watched.iter_mut().filter(|w| w.due <= now) {
                    w.due = now + w.acceptor.settings.reload_interval;
                    check(w);
                }
                std::thread::sleep(TICK);
            }
        })
        .map_err(|source| ProxyError::Spawn {
            what: "TLS reload thread".into(),
            source,
        })?;
    Ok(())
}

fn check(w: &mut Watched) {
    let stamps: Vec<Stamp> = w.files.iter().map(stamp).collect();
    if stamps == w.stamps {
        return;
    }
    w.stamps = stamps;
    let listener = w.acceptor.settings.path.as_str();
    match load_set(&w.acceptor.settings) {
        Ok(set) => {
            w.acceptor.resolver.replace(set);
            info!(
                listener,
                certs = w.files.len() / 2,
                "TLS certificates reloaded"
            );
        }
        Err(error) => {
            warn!(listener, %error, "TLS certificate reload failed; still serving the previous certificates");
        }
    }
}
