//! The downstream connection loop.
//!
//! [`serve`] owns one client connection for its whole life: it reads heads
//! ([`head`]), hands each request to [`exchange`] (route, forward, stream the
//! response back), answers failures ([`reply`]) and, after a 101, tunnels
//! bytes both ways ([`tunnel`]). Requests are handled one after the other,
//! so pipelined requests are answered in order. Body bytes move through
//! [`body`] in bounded chunks.

pub mod admit;
pub mod body;
pub mod counted;
pub mod exchange;
pub mod forward;
pub mod gate;
pub mod guard;
pub mod handshake;
pub mod head;
pub mod io;
pub mod logged;
pub mod pace;
pub mod reply;
pub mod response;
pub mod served;
pub mod sniff;
pub mod target;
pub mod tunnel;

use crate::shard::Shard;
use crate::stream::Stream;
use crate::tls::Acceptor;
use crate::view::ShardView;
use bytes::BytesMut;
use counted::Counted;
use head::HeadOutcome;
use monoio::net::TcpStream;
use ringgate_core::http1::HeadReader;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use tracing::{debug, Instrument};

/// A client connection and the buffers it owns.
#[derive(Debug)]
pub struct Client {
    /// The socket (plain or TLS), counting the bytes it moves.
    pub stream: Counted<Stream>,
    /// Bytes read from the client and not yet consumed.
    pub buf: BytesMut,
    /// Scratch buffer for heads written either way.
    pub out: Vec<u8>,
    /// The client's address.
    pub peer: SocketAddr,
    /// How the current request was answered (for the access log).
    pub served: served::Served,
    /// The `X-Request-Id` generated for the current request (when the
    /// access log or tracing is on and the client sent no valid one).
    pub request_id: Option<[u8; 32]>,
    /// The gateway's span of the current request (when tracing is on).
    pub trace: Option<ringgate_core::trace::SpanContext>,
    /// The config (and this shard's pools, balancers, metrics for it) the
    /// current request is served from, from its head to its end.
    pub view: Rc<ShardView>,
}

/// What the connection does after a request.
#[derive(Debug)]
pub enum Next {
    /// Read the next request.
    KeepAlive,
    /// Close the connection.
    Close,
    /// Tunnel bytes between the client and this upstream connection.
    Upgrade(crate::upstream::UpstreamConn),
}

/// The longest the close_notify at the end of a TLS connection may take
/// (a client that reads nothing must not hold the connection).
const CLOSE_NOTIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Serve one accepted connection to the end; with `tls`, after its
/// handshake (see [`handshake`]).
pub async fn serve(tcp: TcpStream, peer: SocketAddr, shard: Rc<Shard>, tls: Option<Arc<Acceptor>>) {
    let span = tracing::debug_span!("conn", shard = shard.index, client = %peer);
    let shard2 = Rc::clone(&shard);
    let task = async move {
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some(acceptor) => match handshake::accept(tcp, peer, &shard, &acceptor).await {
                Some(stream) => stream,
                None => return,
            },
        };
        shard.metrics.tls.connection(stream.mode());
        let mut client = Client {
            stream: Counted::new(stream),
            buf: BytesMut::with_capacity(shard.buffers.client),
            out: Vec::with_capacity(1024),
            peer,
            served: served::Served::default(),
            request_id: None,
            trace: None,
            view: shard.snapshot(),
        };
        let mut first = true;
        let mut served: u64 = 0;
        loop {
            let snapshot = shard.snapshot();
            client.view = Rc::clone(&snapshot);
            let mark = logged::mark(&client);
            let mut reader = HeadReader::default();
            let outcome = head::read(
                &mut client,
                &mut reader,
                &snapshot.config.server,
                first,
                &shard.close_idle,
            )
            .await;
            first = false;
            let mut head = match outcome {
                HeadOutcome::Head(head) => head,
                HeadOutcome::Closed => break,
                HeadOutcome::Failed(failure) => {
                    let pending = logged::begin(&shard, &mut client, None, mark);
                    let answer = reply::Answer {
                        close: true,
                        head_only: false,
                    };
                    reply::failure(&mut client, &shard, None, failure, answer).await;
                    logged::count_bytes(&client, mark);
                    if let Some(pending) = pending {
                        logged::finish(&shard, &snapshot, &client, pending);
                    }
                    break;
                }
            };
            // A reload while the connection was idle applies to this request.
            let snapshot = shard.snapshot();
            client.view = Rc::clone(&snapshot);
            served += 1;
            let cap = snapshot.config.server.requests.max_requests_per_connection;
            if cap.is_some_and(|max| served >= max) {
                debug!(
                    served,
                    "last request of the connection (max_requests_per_connection)"
                );
                head.set_close();
            }
            let pending = logged::begin(&shard, &mut client, Some(&head), mark);
            let next = exchange::handle(&shard, &snapshot, &mut client, head).await;
            logged::count_bytes(&client, mark);
            if let Some(pending) = pending {
                logged::finish(&shard, &snapshot, &client, pending);
            }
            match next {
                Next::KeepAlive => {}
                Next::Close => break,
                Next::Upgrade(upstream) => {
                    Box::pin(tunnel::run(client, upstream)).await;
                    debug!("tunnel closed");
                    return;
                }
            }
        }
        // A TLS client learns the gateway closed on purpose.
        let _ = monoio::time::timeout(CLOSE_NOTIFY_TIMEOUT, client.stream.get_mut().close_notify())
            .await;
    }
    .instrument(span);
    let _ = guard::Contained::new(task).await;
    shard2.closed();
}
