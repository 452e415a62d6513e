//! One generator thread: a pinned monoio runtime running its connections.
//!
//! Each shard owns a slice of the connections, a share of the `-n` budget
//! and its own [`Stats`] (in a `RefCell` that only its tasks touch). A
//! ticker task resets the statistics when the warm-up ends and, once a
//! second, hands the interval's histogram to the main thread over a
//! channel; the totals travel back when the thread ends. A shard also
//! watches the run's stop flag (set on Ctrl-C): once it is up, the shard
//! abandons its connections where they are and ends early.

use ringgate::runtime::pin;
use ringgate::runtime::uring::ring_builder;
use ringgate_core::config::Uring;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use hdrhistogram::Histogram;
use monoio::{IoUringDriver, LegacyDriver, RuntimeBuilder};

use crate::cpu;
use crate::plan::Plan;
use crate::stats::{self, ErrorClass, Stats};

/// Length of one reporting interval.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// Submission queue entries per ring.
const RING_ENTRIES: u32 = 1024;
/// How often a shard looks at the stop flag: a Ctrl-C ends it this late at worst.
const STOP_POLL: Duration = Duration::from_millis(20);

/// One interval of one thread, sent to the main thread.
#[derive(Debug)]
pub struct IntervalReport {
    /// Reporting thread.
    pub thread: usize,
    /// Interval number (0 = the first second after the warm-up).
    pub index: usize,
    /// How long the interval lasted (the last one may be shorter).
    pub duration: Duration,
    /// Responses completed in it.
    pub requests: u64,
    /// Errors in it.
    pub errors: u64,
    /// Latencies recorded in it.
    pub latency: Histogram<u64>,
}

/// Messages from shards to the main thread.
#[derive(Debug)]
pub enum Msg {
    /// The runtime is built (or could not be), and the CPU it is pinned to.
    Ready {
        /// Thread index.
        thread: usize,
        /// Runtime setup result (the driver used, or why none could be built).
        result: Result<&'static str, String>,
    },
    /// An interval ended.
    Interval(IntervalReport),
    /// The thread's last interval has been sent (its totals follow by `join`).
    Done,
}

/// What a thread hands back when it ends.
#[derive(Debug)]
pub struct ThreadResult {
    /// Its statistics since the warm-up.
    pub stats: Stats,
    /// When its last connection finished.
    pub finished: Instant,
    /// CPU it was pinned to (None: pinning failed or not possible).
    pub cpu: Option<usize>,
    /// On-CPU time divided by wall time over the measurement, if known.
    pub busy: Option<f64>,
    /// It ended early because the stop flag went up.
    pub interrupted: bool,
}

/// Per-thread state shared by the thread's tasks.
pub struct Shard {
    /// The run.
    pub plan: Arc<Plan>,
    /// This thread's index.
    pub thread: usize,
    /// Start of the run (warm-up included): the open-loop schedules' origin.
    pub start: Instant,
    /// End of the warm-up.
    pub measure_start: Instant,
    /// When sending stops (None: `-n` without `-d`).
    pub end: Option<Instant>,
    /// This shard's TLS client configuration (its own session cache), for https.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    rec: RefCell<Recorder>,
    budget: Cell<Option<u64>>,
    interval_index: Cell<usize>,
    interval_start: Cell<Instant>,
    cpu_start: Cell<Option<Duration>>,
    tx: Sender<Msg>,
}

struct Recorder {
    total: Stats,
    requests: u64,
    errors: u64,
    latency: Histogram<u64>,
}

impl Shard {
    /// Whether another request may be sent under the `-n` budget.
    #[inline]
    pub fn budget_left(&self) -> bool {
        self.budget.get() != Some(0)
    }

    /// Take one request from the budget; false when it is spent.
    #[inline]
    pub fn take_budget(&self) -> bool {
        match self.budget.get() {
            None => true,
            Some(0) => false,
            Some(n) => {
                self.budget.set(Some(n - 1));
                true
            }
        }
    }

    /// A request was written; `lag` is its send lag (open loop): the whole
    /// of it, and the generator's own part (see [`stats::Stats::own_lag_ns`]).
    #[inline]
    pub fn sent(&self, lag: Option<(Duration, Duration)>) {
        let mut r = self.rec.borrow_mut();
        r.total.sent += 1;
        if let (Some(h), Some((lag, own))) = (&mut r.total.lag, lag) {
            stats::record(h, lag);
            r.total.own_lag_ns += u64::try_from(own.as_nanos()).unwrap_or(u64::MAX);
        }
    }

    /// Bytes were read.
    #[inline]
    pub fn bytes(&self, n: usize) {
        self.rec.borrow_mut().total.bytes += n as u64;
    }

    /// A response completed.
    #[inline]
    pub fn response(&self, status: u16, latency: Duration, service: Duration) {
        let mut r = self.rec.borrow_mut();
        r.total.response(status, latency, service);
        r.requests += 1;
        stats::record(&mut r.latency, latency);
    }

    /// An error happened.
    pub fn error(&self, class: ErrorClass) {
        let mut r = self.rec.borrow_mut();
        r.total.errors.add(class);
        r.errors += 1;
    }

    /// A request timed out after `latency` (recorded like a response's).
    pub fn timeout(&self, latency: Duration) {
        self.error(ErrorClass::Timeout);
        let mut r = self.rec.borrow_mut();
        stats::record(&mut r.total.latency, latency);
        stats::record(&mut r.latency, latency);
    }

    /// Whether the run is over at `now`.
    #[inline]
    pub fn over(&self, now: Instant) -> bool {
        self.end.is_some_and(|e| now >= e)
    }

    fn start_measuring(&self) {
        let mut r = self.rec.borrow_mut();
        r.total.reset();
        r.requests = 0;
        r.errors = 0;
        r.latency.reset();
        self.interval_start.set(Instant::now());
        self.cpu_start.set(cpu::thread_cpu_time());
    }

    /// Send the current interval to the main thread and start the next.
    fn flush_interval(&self, now: Instant, last: bool) {
        let duration = now.saturating_duration_since(self.interval_start.get());
        let mut r = self.rec.borrow_mut();
        if last && r.requests == 0 && r.errors == 0 && duration < Duration::from_millis(10) {
            return;
        }
        let latency = std::mem::replace(&mut r.latency, stats::histogram());
        let report = IntervalReport {
            thread: self.thread,
            index: self.interval_index.get(),
            duration,
            requests: std::mem::take(&mut r.requests),
            errors: std::mem::take(&mut r.errors),
            latency,
        };
        drop(r);
        self.interval_index.set(self.interval_index.get() + 1);
        self.interval_start.set(now);
        let _ = self.tx.send(Msg::Interval(report));
    }
}

/// Everything a thread needs to start.
pub struct ThreadSetup {
    /// The run.
    pub plan: Arc<Plan>,
    /// Thread index.
    pub thread: usize,
    /// CPU to pin to.
    pub cpu: Option<core_affinity::CoreId>,
    /// Where to report.
    pub tx: Sender<Msg>,
    /// The main thread sends the common start time once every thread is ready.
    pub go: crossbeam_channel::Receiver<Instant>,
    /// Set (by a signal handler) to end the run early.
    pub stop: Arc<AtomicBool>,
}

/// Thread body: pin, build the runtime, wait for the start, run.
pub fn run_thread(setup: ThreadSetup) -> Option<ThreadResult> {
    let cpu = setup
        .cpu
        .filter(|c| pin::pin_current(Some(*c)))
        .map(|c| c.id);
    let thread = setup.thread;
    let tx = setup.tx.clone();
    let ready = |result| {
        let _ = tx.send(Msg::Ready { thread, result });
    };
    // The gateway's ring setup: COOP_TASKRUN, and SINGLE_ISSUER|DEFER_TASKRUN
    // (only this thread touches the ring); plain io_uring, then epoll, if the
    // kernel refuses.
    let uring = Uring {
        entries: RING_ENTRIES,
        ..Uring::default()
    };
    let tuned = RuntimeBuilder::<IoUringDriver>::new()
        .with_entries(RING_ENTRIES)
        .uring_builder(ring_builder(&uring))
        .enable_timer()
        .build();
    // Wait for the common start time (blocking: no task runs yet), then run.
    let go = |setup: ThreadSetup| setup.go.recv().ok().map(|start| (setup, start));
    if let Ok(mut rt) = tuned {
        ready(Ok("io_uring"));
        let (setup, start) = go(setup)?;
        return Some(rt.block_on(shard_main(setup, start, cpu)));
    }
    let plain = RuntimeBuilder::<IoUringDriver>::new()
        .with_entries(RING_ENTRIES)
        .enable_timer()
        .build();
    if let Ok(mut rt) = plain {
        ready(Ok("io_uring (without COOP/DEFER_TASKRUN)"));
        let (setup, start) = go(setup)?;
        return Some(rt.block_on(shard_main(setup, start, cpu)));
    }
    match RuntimeBuilder::<LegacyDriver>::new().enable_timer().build() {
        Ok(mut rt) => {
            ready(Ok("epoll (io_uring unavailable)"));
            let (setup, start) = go(setup)?;
            Some(rt.block_on(shard_main(setup, start, cpu)))
        }
        Err(e) => {
            ready(Err(format!("cannot build a runtime: {e}")));
            None
        }
    }
}

async fn shard_main(setup: ThreadSetup, start: Instant, cpu: Option<usize>) -> ThreadResult {
    let plan = setup.plan;
    let open = plan.rate.is_some();
    let measure_start = start + plan.warmup;
    let shard = Rc::new(Shard {
        thread: setup.thread,
        start,
        measure_start,
        end: plan.duration.map(|d| measure_start + d),
        tls: plan.tls.as_deref().map(crate::tls::for_shard),
        rec: RefCell::new(Recorder {
            total: Stats::new(open),
            requests: 0,
            errors: 0,
            latency: stats::histogram(),
        }),
        budget: Cell::new(plan.budget_of(setup.thread)),
        interval_index: Cell::new(0),
        interval_start: Cell::new(measure_start),
        cpu_start: Cell::new(cpu::thread_cpu_time()),
        tx: setup.tx,
        plan: plan.clone(),
    });
    // Detached: it never outlives this future, which ends the runtime.
    let _ticker = monoio::spawn(tick(shard.clone()));
    let conns: Vec<_> = plan
        .connections_of(shard.thread)
        .map(|c| monoio::spawn(crate::conn::run(shard.clone(), c)))
        .collect();
    let all_done = async {
        for c in conns {
            c.await;
        }
    };
    // On a stop the connection tasks are left where they are (requests in
    // flight are not counted) and go away with the runtime.
    let interrupted = monoio::select! {
        () = all_done => false,
        () = stop_requested(&setup.stop) => true,
    };
    let finished = Instant::now();
    if finished < measure_start {
        // Done before the warm-up ended (a small -n): measure what there is.
        shard.interval_start.set(start);
    }
    shard.flush_interval(finished, true);
    let busy = match (shard.cpu_start.get(), cpu::thread_cpu_time()) {
        (Some(a), Some(b)) => {
            let wall = finished.saturating_duration_since(measure_start.min(finished));
            (!wall.is_zero()).then(|| b.saturating_sub(a).as_secs_f64() / wall.as_secs_f64())
        }
        _ => None,
    };
    let stats = std::mem::replace(&mut shard.rec.borrow_mut().total, Stats::new(false));
    // Explicit, because the runtime may keep the (sleeping) ticker and its
    // sender alive past this point.
    let _ = shard.tx.send(Msg::Done);
    ThreadResult {
        stats,
        finished,
        cpu,
        busy,
        interrupted,
    }
}

/// Resolves once `stop` is set.
async fn stop_requested(stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        monoio::time::sleep(STOP_POLL).await;
    }
}

/// Reset at the end of the warm-up, then report an interval every second
/// (the last, partial one is reported by [`shard_main`]).
async fn tick(shard: Rc<Shard>) {
    if shard.measure_start > shard.start {
        monoio::time::sleep_until(monoio::time::Instant::from_std(shard.measure_start)).await;
        shard.start_measuring();
    }
    for k in 1u32.. {
        let at = shard.measure_start + INTERVAL * k;
        if shard.over(at) {
            return;
        }
        monoio::time::sleep_until(monoio::time::Instant::from_std(at)).await;
        shard.flush_interval(at, false);
    }
}
