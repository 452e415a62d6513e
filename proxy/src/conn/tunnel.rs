//! After a `101 Switching Protocols` (WebSocket and other upgrades) the
//! gateway stops parsing HTTP and copies bytes both ways until either side
//! closes; then both connections are closed.

use super::Client;
use crate::stream::{ReadHalf, WriteHalf};
use crate::upstream::UpstreamConn;
use bytes::BytesMut;
use tracing::debug;

/// Bytes moved per read in a tunnel.
const TUNNEL_CHUNK: usize = 16 * 1024;
/// How long the other direction may go on after one side closed.
const HALF_CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

async fn copy(mut from: ReadHalf, mut to: WriteHalf, mut pending: BytesMut) -> u64 {
    let mut total = 0u64;
    if !pending.is_empty() {
        let bytes = pending.split().freeze();
        total += bytes.len() as u64;
        if to.write_bytes(bytes).await.is_err() {
            return total;
        }
    }
    let mut buf = BytesMut::with_capacity(TUNNEL_CHUNK);
    loop {
        match from.read_into(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n as u64,
        }
        if to.write_bytes(buf.split().freeze()).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
    total
}

/// Tunnel between the client and the upstream until one side closes.
pub async fn run(client: Client, upstream: UpstreamConn) {
    let (client_rd, client_wr) = client.stream.into_inner().into_split();
    let (up_rd, up_wr) = upstream.stream.into_inner().into_split();
    let to_upstream = copy(client_rd, up_wr, client.buf);
    let to_client = copy(up_rd, client_wr, upstream.buf);
    let mut to_upstream = std::pin::pin!(to_upstream);
    let mut to_client = std::pin::pin!(to_client);
    // When one side closes, its half-close was passed on; give the other
    // direction a moment to deliver what is in flight (a WebSocket close
    // frame, say) before both connections go.
    monoio::select! {
        n = &mut to_upstream => {
            debug!(bytes = n, "client side of tunnel closed");
            let _ = monoio::time::timeout(HALF_CLOSE_GRACE, &mut to_client).await;
        }
        n = &mut to_client => {
            debug!(bytes = n, "upstream side of tunnel closed");
            let _ = monoio::time::timeout(HALF_CLOSE_GRACE, &mut to_upstream).await;
        }
    }
}
