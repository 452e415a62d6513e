//! What became of the request being served, noted where it is answered
//! (with its metric) so the access log can say it: status, route, the
//! target that answered and how long the upstream took.

use super::Client;
use std::net::SocketAddr;
use std::time::Duration;

/// The answer to the current request, as far as it got.
#[derive(Debug, Default, Clone, Copy)]
pub struct Served {
    /// Status sent to the client (0 until one is).
    pub status: u16,
    /// The route, once one matched.
    pub route: Option<usize>,
    /// The target whose response was relayed.
    pub target: Option<SocketAddr>,
    /// From the request head sent upstream to the response head read.
    pub upstream_time: Option<Duration>,
}

/// Count the answer in the metrics of the request's view and note it for
/// the access log.
pub fn answered(client: &mut Client, route: Option<usize>, status: u16, elapsed: Duration) {
    client.view.metrics.request(route, status, elapsed);
    client.served.status = status;
    client.served.route = route;
}
