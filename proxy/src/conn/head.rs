//! Reading a request head under the connection's deadlines.
//!
//! - First request: the whole head must arrive within `header_timeout` of
//!   the accept.
//! - Later requests: up to `idle_timeout` for the first byte (keep-alive
//!   idle, ended early by drain), then `header_timeout` for the rest.
//!
//! The head is scanned incrementally ([`HeadReader`]) so a head arriving a
//! byte at a time is not re-parsed from the start after every read.

use super::{io, Client};
use crate::drain::Drain;
use monoio::time::Instant;
use ringgate_core::config::Server;
use ringgate_core::http1::{HeadReader, Limits, RequestHead};
use ringgate_core::status::Failure;
use std::rc::Rc;
use tracing::debug;

/// How reading a head ended.
#[derive(Debug)]
pub enum HeadOutcome {
    /// A complete, valid head.
    Head(RequestHead),
    /// The client went away or stayed idle too long (or we are draining):
    /// close without an answer.
    Closed,
    /// Answer this failure, then close.
    Failed(Failure),
}

/// Read the next request head from `client`.
pub async fn read(
    client: &mut Client,
    reader: &mut HeadReader,
    server: &Server,
    first: bool,
    drain: &Rc<Drain>,
) -> HeadOutcome {
    let limits: &Limits = &server.limits;
    let mut head_deadline = first.then(|| Instant::now() + server.header_timeout);
    loop {
        if !client.buf.is_empty() {
            match reader.read_request(&mut client.buf, limits) {
                Ok(Some(head)) => return HeadOutcome::Head(head),
                Ok(None) => {}
                Err(error) => {
                    debug!(%error, "malformed request head");
                    return HeadOutcome::Failed(error.failure());
                }
            }
            if head_deadline.is_none() {
                head_deadline = Some(Instant::now() + server.header_timeout);
            }
        }
        let idle = client.buf.is_empty();
        if idle && drain.is_draining() {
            return HeadOutcome::Closed;
        }
        let deadline = head_deadline.unwrap_or_else(|| Instant::now() + server.idle_timeout);
        let read =
            monoio::time::timeout_at(deadline, io::read_into(&mut client.stream, &mut client.buf));
        let result = if idle {
            monoio::select! {
                r = read => r,
                _ = drain.wait() => return HeadOutcome::Closed,
            }
        } else {
            read.await
        };
        match result {
            Err(_elapsed) if idle => return HeadOutcome::Closed,
            Err(_elapsed) => return HeadOutcome::Failed(Failure::HeaderTimeout),
            Ok(Ok(0)) => {
                if !idle {
                    debug!(buffered = client.buf.len(), "client closed mid-head");
                }
                return HeadOutcome::Closed;
            }
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                debug!(%error, "client read failed");
                return HeadOutcome::Closed;
            }
        }
    }
}
