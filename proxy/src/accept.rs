//! Accepting until the shard drains, without losing a connection.
//!
//! Dropping an io_uring accept to stop (a `select!` against the drain)
//! races the kernel: if the accept completed just then, the connection was
//! taken off the queue and its descriptor is never seen, so the client
//! waits and is then reset. After a binary upgrade the new process accepts
//! from the same sockets, so everything left in the queue must stay there:
//! the accept is cancelled instead, and awaited to its end; a connection
//! it still returned is served like any other.

use crate::drain::Drain;
use monoio::io::Canceller;
use monoio::net::{TcpListener, TcpStream};
use std::net::SocketAddr;
use std::rc::Rc;

/// The next connection, or `None` once the shard drains.
pub async fn next(
    listener: &TcpListener,
    drain: &Rc<Drain>,
) -> Option<std::io::Result<(TcpStream, SocketAddr)>> {
    if drain.is_draining() {
        return None;
    }
    let canceller = Canceller::new();
    let accept = listener.cancelable_accept(canceller.handle());
    let mut accept = std::pin::pin!(accept);
    monoio::select! {
        r = &mut accept => Some(r),
        _ = drain.wait() => {
            let _cancelled = canceller.cancel();
            // Ok: the accept won the race; the connection is ours to serve.
            accept.await.ok().map(Ok)
        }
    }
}
