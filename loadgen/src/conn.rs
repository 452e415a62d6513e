//! One client connection: the hot loop.
//!
//! A connection task connects (and for https completes the TLS handshake,
//! which counts as part of the connect, not of any request's latency), writes up to `-p` requests (copied from the
//! pre-rendered bytes into a reused write buffer), reads into its one
//! reused `BytesMut`, and walks responses with [`ResponseReader`]; then it
//! refills the pipeline. Every read is bounded by the oldest request's
//! `--timeout` and by the end of the run. Any error closes the connection,
//! is counted once, and the task reconnects (requests in flight on it are
//! dropped). Nothing on this path allocates once the buffers have grown.

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::plan::Group;
use crate::response::{Done, Eof, ResponseReader};
use crate::schedule::{Schedule, EARLY};
use crate::shard::Shard;
use crate::stats::ErrorClass;
use crate::stream::{ConnectError, Stream};

/// Read buffer size; a read always has at least [`MIN_SPARE`] bytes of room.
const READ_CHUNK: usize = 64 * 1024;
/// Pause after a failed connect, so a refused port is not hammered.
const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

/// A request on the wire, waiting for its response.
#[derive(Debug, Clone, Copy)]
struct Inflight {
    /// Where its latency is measured from.
    origin: Instant,
    /// When it was written.
    sent: Instant,
    /// HEAD: the response has no body.
    head: bool,
}

/// What to do after a connection ends.
enum Flow {
    Reconnect,
    Stop,
}

struct Conn {
    shard: Rc<Shard>,
    group: usize,
    next_request: usize,
    schedule: Option<Schedule>,
    buf: BytesMut,
    out: Vec<u8>,
    inflight: VecDeque<Inflight>,
    /// When the connection last became able to take another request (it
    /// connected, or a response freed a pipeline slot): a request sent late
    /// only because of the server is not the generator's lag.
    free_since: Instant,
    reader: ResponseReader,
}

/// Run connection `index` (global) until the run ends.
pub async fn run(shard: Rc<Shard>, index: usize) {
    let plan = shard.plan.clone();
    let groups = plan.groups.len().max(1);
    let schedule = plan
        .rate
        .map(|r| Schedule::new(shard.start, r, plan.connections, index));
    let mut c = Conn {
        group: index % groups,
        next_request: index / groups,
        schedule,
        buf: BytesMut::with_capacity(READ_CHUNK),
        out: Vec::with_capacity(1024),
        inflight: VecDeque::with_capacity(plan.pipeline),
        free_since: Instant::now(),
        reader: ResponseReader::default(),
        shard,
    };
    let Some(group) = plan.groups.get(c.group) else {
        return;
    };
    while c.may_send(Instant::now()) {
        let Some(stream) = c.connect(group).await else {
            continue;
        };
        if let Flow::Stop = c.drive(stream, group).await {
            break;
        }
    }
}

impl Conn {
    /// Whether this connection has anything left to send.
    fn may_send(&self, now: Instant) -> bool {
        if self.shard.over(now) || !self.shard.budget_left() {
            return false;
        }
        match (&self.schedule, self.shard.end) {
            (Some(s), Some(end)) => s.peek() < end,
            _ => true,
        }
    }

    /// The deadline for work started at `from` that must end in `--timeout`.
    fn deadline(&self, from: Instant) -> (Instant, bool) {
        let t = from + self.shard.plan.timeout;
        match self.shard.end {
            Some(end) if end <= t => (end, true),
            _ => (t, false),
        }
    }

    /// Connect (and handshake) within `--timeout`; failures are `connect` errors.
    async fn connect(&mut self, group: &Group) -> Option<Stream> {
        let (deadline, is_end) = self.deadline(Instant::now());
        let at = monoio::time::Instant::from_std(deadline);
        let tls = self.shard.tls.as_ref().zip(group.tls.as_ref());
        let res = monoio::time::timeout_at(at, crate::stream::connect(group.addr, tls)).await;
        match res {
            Ok(Ok(s)) => Some(s),
            Err(_) if is_end => None,
            failed => {
                if let Ok(Err(ConnectError::Handshake(e))) = &failed {
                    crate::tls::report_handshake_failure(&group.peer, &self.shard.plan.trust, e);
                }
                self.shard.error(ErrorClass::Connect);
                // Under -n a failed connect uses up one of the N, so a run
                // against a dead server ends after N failures.
                let _ = self.shard.take_budget();
                let pause = (Instant::now() + CONNECT_BACKOFF).min(deadline);
                monoio::time::sleep_until(monoio::time::Instant::from_std(pause)).await;
                None
            }
        }
    }

    /// Drive one open connection until it must be replaced or the run ends.
    async fn drive(&mut self, mut stream: Stream, group: &Group) -> Flow {
        self.reader.reset();
        self.buf.clear();
        self.inflight.clear();
        self.free_since = Instant::now();
        let depth = self.shard.plan.pipeline;
        loop {
            if !self.fill(group, depth).await {
                return Flow::Stop;
            }
            if !self.out.is_empty() {
                let res = stream.write_vec(&mut self.out).await;
                self.out.clear();
                if res.is_err() {
                    self.shard.error(ErrorClass::Write);
                    return Flow::Reconnect;
                }
            }
            match self.read_responses(&mut stream).await {
                Ok(true) => {}
                Ok(false) => return Flow::Reconnect,
                Err(flow) => return flow,
            }
        }
    }

    /// Queue requests until the pipeline is full (open loop: those that are
    /// due). False when nothing is in flight and nothing more will be sent.
    async fn fill(&mut self, group: &Group, depth: usize) -> bool {
        let mut now = Instant::now();
        if self.shard.over(now) {
            return false;
        }
        while self.inflight.len() < depth && self.may_send(now) {
            let mut intended = now;
            if let Some(s) = &self.schedule {
                intended = s.peek();
                if intended > now + EARLY {
                    if !self.inflight.is_empty() {
                        break;
                    }
                    let wake = monoio::time::Instant::from_std(intended - EARLY);
                    monoio::time::sleep_until(wake).await;
                    now = Instant::now();
                    continue;
                }
            }
            if !self.shard.take_budget() {
                break;
            }
            let free_since = self.free_since;
            let lag = self.schedule.as_mut().map(|s| {
                s.advance();
                (
                    Schedule::lag(intended, now),
                    Schedule::lag(intended.max(free_since), now),
                )
            });
            let i = self.next_request % group.requests.len();
            self.next_request = self.next_request.wrapping_add(1);
            let Some(req) = group.requests.get(i) else {
                break;
            };
            self.out.extend_from_slice(&req.bytes);
            self.inflight.push_back(Inflight {
                origin: Schedule::origin(intended, now),
                sent: now,
                head: req.is_head,
            });
            self.shard.sent(lag);
        }
        !self.inflight.is_empty()
    }

    /// Read until at least one response completes. `Ok(keep_alive)`, or
    /// `Err` when the connection failed (already counted) or the run ended.
    async fn read_responses(&mut self, stream: &mut Stream) -> Result<bool, Flow> {
        loop {
            let Some(front) = self.inflight.front().copied() else {
                return Ok(true);
            };
            let (deadline, is_end) = self.deadline(front.sent);
            let at = monoio::time::Instant::from_std(deadline);
            let res = monoio::time::timeout_at(at, stream.read_into(&mut self.buf)).await;
            let now = Instant::now();
            let n = match res {
                Err(_) if is_end => return Err(Flow::Stop),
                Err(_) => {
                    self.shard.timeout(now - front.origin);
                    return Err(Flow::Reconnect);
                }
                Ok(Err(_)) => {
                    self.shard.error(ErrorClass::Read);
                    return Err(Flow::Reconnect);
                }
                Ok(Ok(0)) => {
                    match self.reader.eof(&self.buf) {
                        Eof::Complete(done) => {
                            self.complete(done, now);
                        }
                        Eof::Nothing => self.shard.error(ErrorClass::Read),
                        Eof::Truncated => self.shard.error(ErrorClass::Protocol),
                    }
                    return Err(Flow::Reconnect);
                }
                Ok(Ok(n)) => n,
            };
            self.shard.bytes(n);
            let mut completed = false;
            while let Some(head) = self.inflight.front().map(|f| f.head) {
                match self.reader.poll(&mut self.buf, head) {
                    Ok(Some(done)) => {
                        completed = true;
                        if !self.complete(done, now) {
                            return Ok(false);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        self.shard.error(ErrorClass::Protocol);
                        return Err(Flow::Reconnect);
                    }
                }
            }
            if self.inflight.is_empty() && !self.buf.is_empty() {
                // Bytes nobody asked for.
                self.shard.error(ErrorClass::Protocol);
                return Err(Flow::Reconnect);
            }
            if completed {
                return Ok(true);
            }
        }
    }

    /// Record a complete response; returns whether the connection stays.
    fn complete(&mut self, done: Done, now: Instant) -> bool {
        if let Some(req) = self.inflight.pop_front() {
            self.free_since = now;
            self.shard
                .response(done.status, now - req.origin, now - req.sent);
        }
        done.keep_alive && !self.shard.plan.no_keepalive
    }
}
