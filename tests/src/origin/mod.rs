//! A real, threaded HTTP/1.1 origin server on `std::net` for the gateway to
//! forward to.
//!
//! [`Origin::start`] binds a free 127.0.0.1 port and serves each accepted
//! connection on its own thread with keep-alive. Every request is parsed,
//! its body streamed through a [`pattern::Verifier`](crate::pattern::Verifier)
//! (so a 1 GiB upload is checked without being held), recorded, and handed to
//! the test's handler, which picks a [`Reply`]: a normal response, a chunked
//! one, a generated pattern body, raw bytes, a delay, a close, or a 101 and
//! an echo tunnel. Tests read back how many connections were accepted and
//! which request heads arrived.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::pattern::Verifier;
use crate::wire::{self, Framing, Wire};

mod reply;
use reply::write_reply;
pub use reply::{echo_json, reason, Reply};

/// At most this many body bytes of each request are kept in [`Request::body`].
pub const KEEP_BODY: usize = 1 << 20;
const PATIENCE: Duration = Duration::from_secs(30);
const IDLE: Duration = Duration::from_secs(60);

/// A request as the origin received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Index of the connection it came on (0 = first accepted).
    pub conn: usize,
    /// Method.
    pub method: String,
    /// Request-target as sent.
    pub target: String,
    /// e.g. `HTTP/1.1`.
    pub version: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The first [`KEEP_BODY`] bytes of the decoded body.
    pub body: Vec<u8>,
    /// Length of the decoded body.
    pub body_len: u64,
    /// Whether the body was (a prefix of) [`pattern`](crate::pattern).
    pub body_pattern_ok: bool,
    /// Whether the body came chunked.
    pub chunked: bool,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        wire::header_values(&self.headers, name).first().copied()
    }

    /// Every value of header `name`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        wire::header_values(&self.headers, name)
    }

    /// The path part of the target.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// A handler picks the reply for each request.
pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

/// The list of requests received, shared with connection threads.
///
/// A `Mutex` is fine here: this is the test harness's origin, not the
/// gateway's request path that the workspace-wide ban is about.
#[allow(clippy::disallowed_types)]
#[derive(Default)]
struct Log(std::sync::Mutex<Vec<Request>>);

#[allow(clippy::disallowed_types)]
impl Log {
    fn push(&self, r: Request) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(r);
    }

    fn all(&self) -> Vec<Request> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

struct Shared {
    name: String,
    handler: Handler,
    close_idle_after: Option<Duration>,
    accepted: AtomicUsize,
    heads: AtomicUsize,
    cut_short: AtomicUsize,
    /// Bytes read from and written to the gateway, on every connection.
    bytes: Arc<[AtomicU64; 2]>,
    log: Log,
    stop: Arc<AtomicBool>,
}

/// A running origin; stops accepting and closes its connections on drop.
pub struct Origin {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

/// Options for [`Origin`].
pub struct OriginBuilder {
    name: String,
    handler: Handler,
    close_idle_after: Option<Duration>,
}

impl OriginBuilder {
    /// Closes each connection when no new request arrives within `d` after
    /// a response (a keep-alive origin with a short idle timeout).
    pub fn close_idle_after(mut self, d: Duration) -> Self {
        self.close_idle_after = Some(d);
        self
    }

    /// Binds a free port and starts serving.
    pub fn start(self) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("origin bind");
        let addr = listener.local_addr().expect("origin addr");
        listener.set_nonblocking(true).expect("origin nonblocking");
        let shared = Arc::new(Shared {
            name: self.name,
            handler: self.handler,
            close_idle_after: self.close_idle_after,
            accepted: AtomicUsize::new(0),
            heads: AtomicUsize::new(0),
            cut_short: AtomicUsize::new(0),
            bytes: Arc::default(),
            log: Log::default(),
            stop: Arc::new(AtomicBool::new(false)),
        });
        let s = shared.clone();
        let accept = thread::spawn(move || accept_loop(listener, s));
        Origin {
            addr,
            shared,
            accept: Some(accept),
        }
    }
}

impl Origin {
    /// An origin named `name` whose replies `handler` picks. Every reply
    /// except raw bytes carries `x-origin: NAME`.
    pub fn builder(
        name: &str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> OriginBuilder {
        OriginBuilder {
            name: name.to_string(),
            handler: Arc::new(handler),
            close_idle_after: None,
        }
    }

    /// Starts an origin with `handler`.
    pub fn start(
        name: &str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> Origin {
        Self::builder(name, handler).start()
    }

    /// Starts an origin that answers every request with [`Reply::echo`].
    pub fn echo(name: &str) -> Origin {
        let n = name.to_string();
        Self::start(name, move |req| Reply::echo(&n, req))
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Bytes read from the gateway so far, on every connection.
    pub fn bytes_read(&self) -> u64 {
        self.shared.bytes[0].load(Ordering::SeqCst)
    }

    /// Bytes written to the gateway so far, on every connection.
    pub fn bytes_written(&self) -> u64 {
        self.shared.bytes[1].load(Ordering::SeqCst)
    }

    /// How many connections it has accepted.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many request heads have arrived, complete requests or not.
    pub fn heads(&self) -> usize {
        self.shared.heads.load(Ordering::SeqCst)
    }

    /// How many requests ended inside their body because the peer closed
    /// or reset the connection (not a read timeout): the gateway aborted
    /// the upstream exchange.
    pub fn cut_short(&self) -> usize {
        self.shared.cut_short.load(Ordering::SeqCst)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.log.all()
    }

    /// How many requests have arrived (fully, with their body).
    pub fn request_count(&self) -> usize {
        self.requests().len()
    }

    /// The last request received; panics if none arrived.
    pub fn last_request(&self) -> Request {
        self.requests()
            .pop()
            .unwrap_or_else(|| panic!("origin {} received no request", self.name()))
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let id = shared.accepted.fetch_add(1, Ordering::SeqCst);
                let s = shared.clone();
                thread::spawn(move || {
                    let _ = serve(stream, id, &s);
                });
            }
            Err(e) if wire::is_timeout(&e) => thread::sleep(Duration::from_millis(5)),
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn serve(stream: TcpStream, conn: usize, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut wire = Wire::new(stream, PATIENCE)?
        .with_stop(shared.stop.clone())
        .counting_into(Arc::clone(&shared.bytes));
    let mut first = true;
    loop {
        wire.patience = if first {
            PATIENCE
        } else {
            shared.close_idle_after.unwrap_or(IDLE)
        };
        first = false;
        let Some(head) = wire.read_head(1 << 20)? else {
            return Ok(());
        };
        wire.patience = PATIENCE;
        shared.heads.fetch_add(1, Ordering::SeqCst);
        let (start, headers) = wire::parse_header_lines(&head)?;
        let mut parts = start.split(' ');
        let (method, target, version) =
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(m), Some(t), Some(v), None) => (m.to_string(), t.to_string(), v.to_string()),
                _ => {
                    wire.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )?;
                    return Ok(());
                }
            };
        let framing = match wire::framing(&headers, true) {
            Ok(f) => f,
            Err(_) => {
                wire.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )?;
                return Ok(());
            }
        };
        let mut verifier = Verifier::new();
        let mut body = Vec::new();
        let mut sink = |d: &[u8]| {
            verifier.update(d);
            let room = KEEP_BODY.saturating_sub(body.len());
            body.extend_from_slice(&d[..d.len().min(room)]);
        };
        let read = match framing {
            Framing::Length(n) => wire.read_exact_to(n, &mut sink),
            Framing::Chunked => wire.read_chunked_to(&mut sink),
            Framing::None | Framing::UntilClose => Ok(()),
        };
        if let Err(e) = read {
            if !wire::is_timeout(&e) {
                shared.cut_short.fetch_add(1, Ordering::SeqCst);
            }
            return Err(e);
        }
        let req = Request {
            conn,
            method,
            target,
            version,
            headers,
            body,
            body_len: verifier.len(),
            body_pattern_ok: verifier.ok(),
            chunked: framing == Framing::Chunked,
        };
        let wants_close = wire::has_token(&req.headers, "connection", "close")
            || (req.version == "HTTP/1.0"
                && !wire::has_token(&req.headers, "connection", "keep-alive"));
        shared.log.push(req.clone());
        let reply = (shared.handler)(&req);
        if !write_reply(&mut wire, &req, reply, shared)? || wants_close {
            return Ok(());
        }
    }
}
