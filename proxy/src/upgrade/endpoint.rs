//! This process's upgrade socket: bound at `server.upgrade_socket` on a
//! fresh start (a socket file left by a dead process is replaced; one a
//! live process answers on is an error), or the old process's own socket
//! taken over when the path stayed the same. The file is removed at exit
//! only if it is still this socket.

use super::error::UpgradeError;
use super::unix;
use crate::drain::DrainFlag;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};

/// A listening upgrade socket and the file it is bound to.
#[derive(Debug)]
pub struct Endpoint {
    pub listener: UnixListener,
    pub path: PathBuf,
    /// (device, inode) of the socket file, to recognise it at exit.
    id: Option<(u64, u64)>,
}

fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

impl Endpoint {
    /// Bind `path`, replacing a stale socket file.
    pub fn bind(path: &Path) -> Result<Endpoint, UpgradeError> {
        let bind_err = |source| UpgradeError::Bind {
            path: path.to_path_buf(),
            source,
        };
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(bind_err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the path exists and is not a socket",
                )));
            }
            match unix::connect(path) {
                Ok(_) => {
                    return Err(UpgradeError::InUse {
                        path: path.to_path_buf(),
                    })
                }
                // Nobody listens: left by a process that is gone.
                Err(_) => std::fs::remove_file(path).map_err(bind_err)?,
            }
        }
        let listener = unix::bind(path).map_err(bind_err)?;
        Ok(Endpoint {
            listener,
            path: path.to_path_buf(),
            id: file_id(path),
        })
    }

    /// The old process's socket, listening at `path`.
    pub fn adopt(listener: UnixListener, path: PathBuf) -> Endpoint {
        let id = file_id(&path);
        Endpoint { listener, path, id }
    }

    /// Remove the socket file if it is still this socket's.
    pub fn remove_file(&self) {
        remove_if(&self.path, self.id);
    }

    /// A guard that removes the socket file when this process exits
    /// without having handed it over.
    pub fn cleanup(&self, flag: DrainFlag) -> Cleanup {
        Cleanup {
            path: self.path.clone(),
            id: self.id,
            flag,
        }
    }
}

fn remove_if(path: &Path, id: Option<(u64, u64)>) {
    if id.is_some() && file_id(path) == id {
        let _ = std::fs::remove_file(path);
    }
}

/// See [`Endpoint::cleanup`].
#[derive(Debug)]
pub struct Cleanup {
    path: PathBuf,
    id: Option<(u64, u64)>,
    flag: DrainFlag,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.flag.is_handed_over() {
            remove_if(&self.path, self.id);
        }
    }
}
