//! One shard: the state a single core owns and the tasks it runs.
//!
//! A shard accepts on its own SO_REUSEPORT listeners, serves every
//! connection it accepted to the end, and keeps its own balancers, upstream
//! pools and metrics. Nothing here is shared with another core except the
//! read-only snapshot and the metrics the admin thread reads. The
//! config-shaped part lives in the current [`ShardView`], which a reload
//! replaces between requests ([`crate::reload::shard_task`]).

use crate::conn;
use crate::drain::{Drain, DrainFlag};
use crate::metrics::ShardMetrics;
use crate::snapshot::Snapshot;
use crate::tls::Acceptor;
use crate::view::ShardView;
use monoio::net::{TcpListener, TcpStream};
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{info, warn};

/// Per-core state.
#[derive(Debug)]
pub struct Shard {
    /// Shard index (0-based).
    pub index: usize,
    // An Rc around the view holding the shared Arc: handing the snapshot
    // to a request is a non-atomic increment, so the Arc's refcount line
    // never bounces between cores.
    view: RefCell<Rc<ShardView>>,
    /// This shard's counters as of startup: use it for shard-wide counters
    /// (connections, TLS), which every later config's metrics share; a
    /// request counts per-route and per-upstream numbers into its view's.
    pub metrics: Arc<ShardMetrics>,
    /// Shard-local drain signal.
    pub drain: Rc<Drain>,
    /// Shard-local signal to close idle keep-alive connections (with
    /// `drain`, except after an upgrade handover: see [`crate::drain`]).
    pub close_idle: Rc<Drain>,
    /// New configs from the control thread ([`crate::reload`]).
    pub reloads: Option<crossbeam_channel::Receiver<crate::reload::Swap>>,
    /// This shard's access log buffer; none when the log is off.
    pub access_log: Option<crate::access_log::ShardLog>,
    /// This shard's trace context and span buffer; none when tracing is off.
    pub tracer: Option<crate::trace::ShardTracer>,
    /// Initial read buffer sizes of new connections (`[server.buffers]`).
    pub buffers: ringgate_core::config::Buffers,
    open: Cell<usize>,
    rng: Cell<u64>,
}

impl Shard {
    /// State for shard `index` serving `snapshot`.
    pub fn new(index: usize, snapshot: Arc<Snapshot>, metrics: Arc<ShardMetrics>) -> Shard {
        let seed = 0x9E37_79B9_7F4A_7C15u64 ^ (index as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let buffers = snapshot.config.server.buffers;
        let view = ShardView::new(snapshot, Arc::clone(&metrics), seed);
        Shard {
            index,
            view: RefCell::new(Rc::new(view)),
            metrics,
            drain: Rc::new(Drain::default()),
            close_idle: Rc::new(Drain::default()),
            reloads: None,
            access_log: None,
            tracer: None,
            buffers,
            open: Cell::new(0),
            rng: Cell::new(seed ^ crate::clock::random_seed()),
        }
    }

    /// Log requests to `log` (set before the shard runs).
    pub fn with_access_log(mut self, log: Option<crate::access_log::ShardLog>) -> Shard {
        self.access_log = log;
        self
    }

    /// Trace requests with `tracer` (set before the shard runs).
    pub fn with_tracer(mut self, tracer: Option<crate::trace::ShardTracer>) -> Shard {
        self.tracer = tracer;
        self
    }

    /// Take new configs from `rx` (set before the shard runs).
    pub fn with_reloads(mut self, rx: crossbeam_channel::Receiver<crate::reload::Swap>) -> Shard {
        self.reloads = Some(rx);
        self
    }

    /// The view (snapshot, pools, balancers, metrics) new requests are
    /// served from; it derefs to the [`Snapshot`]. A request keeps the one
    /// it started with.
    pub fn snapshot(&self) -> Rc<ShardView> {
        Rc::clone(&self.view.borrow())
    }

    /// Serve new requests from `snapshot` with `metrics`, carrying over
    /// what the current view has for unchanged upstreams.
    pub fn swap(&self, snapshot: Arc<Snapshot>, metrics: Arc<ShardMetrics>) {
        let next = self
            .view
            .borrow()
            .carry_over(snapshot, metrics, self.random());
        *self.view.borrow_mut() = Rc::new(next);
    }

    /// A pseudo-random number (splitmix64), e.g. for retry jitter.
    pub fn random(&self) -> u64 {
        let x = self.rng.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.rng.set(x);
        let z = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Open downstream connections on this shard.
    pub fn open_connections(&self) -> usize {
        self.open.get()
    }

    fn opened(&self) {
        self.open.set(self.open.get() + 1);
        self.metrics.connection_opened();
    }

    /// A downstream connection ended.
    pub fn closed(&self) {
        self.open.set(self.open.get().saturating_sub(1));
        self.metrics.connection_closed();
    }
}

/// The shard's main task: accept until drained, then wait for connections
/// to finish (at most `drain_timeout`).
pub async fn run(shard: Rc<Shard>, listeners: Vec<Listener>, flag: DrainFlag) {
    let close_idle = Rc::clone(&shard.close_idle);
    monoio::spawn(Rc::clone(&shard.drain).watch_with_idle(close_idle, flag));
    if shard.reloads.is_some() {
        monoio::spawn(crate::reload::shard_task(Rc::clone(&shard)));
    }
    if shard.access_log.is_some() {
        monoio::spawn(flush_access_log(Rc::clone(&shard)));
    }
    if let Some(every) = shard.tracer.as_ref().and_then(|t| t.flush_interval()) {
        monoio::spawn(flush_spans(Rc::clone(&shard), every));
    }
    for (std_listener, tls) in listeners {
        let addr = std_listener.local_addr().ok();
        match TcpListener::from_std(std_listener) {
            Ok(listener) => {
                info!(shard = shard.index, addr = ?addr, tls = tls.is_some(), "listening");
                monoio::spawn(accept_loop(listener, Rc::clone(&shard), tls));
            }
            Err(error) => warn!(shard = shard.index, %error, "cannot register listener"),
        }
    }
    shard.drain.wait().await;
    let drain_timeout = shard.snapshot().config.server.drain_timeout;
    let deadline = Instant::now() + drain_timeout;
    info!(
        shard = shard.index,
        open = shard.open_connections(),
        "draining"
    );
    while shard.open_connections() > 0 && Instant::now() < deadline {
        monoio::time::sleep(Duration::from_millis(10)).await;
    }
    if shard.open_connections() > 0 {
        warn!(
            shard = shard.index,
            open = shard.open_connections(),
            "drain deadline passed, closing remaining connections"
        );
    } else {
        info!(shard = shard.index, "drained");
    }
    if let Some(log) = &shard.access_log {
        log.flush();
    }
    if let Some(tracer) = &shard.tracer {
        tracer.flush();
    }
}

/// Hand the shard's buffered spans to the exporter every `flush_interval`.
async fn flush_spans(shard: Rc<Shard>, every: Duration) {
    loop {
        monoio::time::sleep(every).await;
        if let Some(tracer) = &shard.tracer {
            tracer.flush();
        }
    }
}

/// Hand the shard's buffered access log lines to the writer every
/// `flush_interval`, so a quiet shard's lines do not wait for a full buffer.
async fn flush_access_log(shard: Rc<Shard>) {
    let Some(every) = shard.access_log.as_ref().map(|l| l.flush_interval()) else {
        return;
    };
    loop {
        monoio::time::sleep(every).await;
        if let Some(log) = &shard.access_log {
            log.flush();
        }
    }
}

/// A listening socket and, when it terminates TLS, its acceptor.
pub type Listener = (std::net::TcpListener, Option<Arc<Acceptor>>);

async fn accept_loop(listener: TcpListener, shard: Rc<Shard>, tls: Option<Arc<Acceptor>>) {
    let max_connections = shard.snapshot().config.server.max_connections;
    loop {
        let Some(accepted) = crate::accept::next(&listener, &shard.drain).await else {
            break;
        };
        match accepted {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                shard.opened();
                if shard.open_connections() > max_connections {
                    // A TLS client cannot read a plain 503: it is just closed.
                    let stream = tls.is_none().then_some(stream);
                    monoio::spawn(reject_overloaded(stream, peer, Rc::clone(&shard)));
                } else {
                    let tls = tls.clone();
                    monoio::spawn(conn::serve(stream, peer, Rc::clone(&shard), tls));
                }
            }
            Err(error) => {
                warn!(shard = shard.index, %error, "accept failed");
                // Out of file descriptors and similar: back off instead of spinning.
                monoio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn reject_overloaded(stream: Option<TcpStream>, peer: SocketAddr, shard: Rc<Shard>) {
    warn!(shard = shard.index, client = %peer, "connection limit reached, answering 503");
    if let Some(stream) = stream {
        conn::reply::refuse(stream, ringgate_core::status::Failure::Overloaded).await;
    }
    shard.closed();
}
