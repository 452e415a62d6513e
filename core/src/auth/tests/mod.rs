//! Unit tests of authentication: each kind's check on parsed request heads,
//! the file parsers, JWT verification per algorithm family, and the
//! route `auth` config (accepted and refused, with paths).
//!
//! Keys come from `tests/fixtures/auth/` (test-only keys made with openssl,
//! see the README there); tokens are signed here with their private halves.

mod api_key;
mod basic;
mod config;
mod edit;
mod forward;
mod jwt;

use std::path::PathBuf;

use bytes::BytesMut;

use crate::http1::{HeadReader, Limits, RequestHead};

/// The bytes of fixture `name`.
pub(super) fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub(super) fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/auth")
        .join(name)
}

/// Parses a request head from `text` (`\n` becomes `\r\n`).
pub(super) fn head(text: &str) -> RequestHead {
    let wire = text.replace('\n', "\r\n");
    let mut buf = BytesMut::from(wire.as_bytes());
    HeadReader::default()
        .read_request(&mut buf, &Limits::default())
        .expect("valid head")
        .expect("complete head")
}

/// A fresh empty folder under the system temp dir.
pub(super) fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ringgate-auth-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
