//! The access log's writer thread: appends the shards' batches to the log
//! file (or stdout), reopens the file when SIGUSR1 raised the reopen flag
//! (logrotate's `postrotate kill -USR1`), and exits after writing
//! everything queued before the empty batch [`Writer::stop`] sends.

use crate::error::ProxyError;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use ringgate_core::config::{AccessLog, LogPath};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tracing::{info, warn};

/// Batches queued before a shard's send waits: a slow disk slows the
/// shards down rather than growing memory without bound.
const QUEUE: usize = 1024;

/// A running writer.
#[derive(Debug)]
pub struct Writer {
    /// The shards' side of the channel; clone one per shard, then drop it.
    pub tx: Sender<Vec<u8>>,
    /// Set by the SIGUSR1 handler.
    pub reopen: Arc<AtomicBool>,
    /// Joined after the shards stopped: everything is written then.
    pub thread: JoinHandle<()>,
}

impl Writer {
    /// After the shards flushed: write what is queued, then stop.
    pub fn stop(self) {
        let _ = self.tx.send(Vec::new());
        let _ = self.thread.join();
    }
}

enum Sink {
    Stdout,
    File(PathBuf, File),
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Open the log (an error stops startup) and start the writer thread.
pub fn start(cfg: &AccessLog) -> Result<Writer, ProxyError> {
    let sink = match &cfg.path {
        LogPath::Stdout => Sink::Stdout,
        LogPath::File(path) => {
            let file = open(path).map_err(|source| ProxyError::AccessLog {
                path: path.clone(),
                source,
            })?;
            Sink::File(path.clone(), file)
        }
    };
    let (tx, rx) = crossbeam_channel::bounded(QUEUE);
    let reopen = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&reopen);
    let thread = std::thread::Builder::new()
        .name("ringgate-access-log".into())
        .spawn(move || run(sink, &rx, &flag))
        .map_err(|source| ProxyError::Spawn {
            what: "access log writer".into(),
            source,
        })?;
    Ok(Writer { tx, reopen, thread })
}

fn run(mut sink: Sink, rx: &Receiver<Vec<u8>>, reopen: &AtomicBool) {
    loop {
        let batch = rx.recv_timeout(Duration::from_millis(500));
        if reopen.swap(false, Ordering::AcqRel) {
            if let Sink::File(path, file) = &mut sink {
                match open(path) {
                    Ok(new) => {
                        *file = new;
                        info!(path = %path.display(), "access log reopened");
                    }
                    Err(error) => {
                        warn!(path = %path.display(), %error, "cannot reopen the access log, writing to the old file")
                    }
                }
            }
        }
        let batch = match batch {
            // The stop marker: everything sent before it is written.
            Ok(batch) if batch.is_empty() => return,
            Ok(batch) => batch,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => return,
        };
        let result = match &mut sink {
            Sink::Stdout => std::io::stdout().lock().write_all(&batch),
            Sink::File(_, file) => file.write_all(&batch),
        };
        if let Err(error) = result {
            warn!(%error, bytes = batch.len(), "access log write failed, lines lost");
        }
    }
}
