//! The main thread: start the shards, follow their intervals, merge results.
//!
//! [`run`] spawns one thread per shard, waits until every runtime is built,
//! gives them a common start time, then merges the per-second interval
//! histograms as they arrive (in order, for the live status line and the
//! interval log sink) and finally adds up the threads' totals. Setting the
//! stop flag (ringload's Ctrl-C handler does) ends the run early with the
//! same report over the time it actually ran.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::plan::Plan;
use crate::report::{IntervalSample, Summary, ThreadInfo};
use crate::shard::{self, IntervalReport, Msg, ThreadSetup};
use crate::stats::{self, Stats};

/// Time between the last runtime being ready and the start of the run.
const START_DELAY: Duration = Duration::from_millis(20);

/// Why a run could not happen.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A thread could not be started or could not build its runtime.
    #[error("thread {thread}: {reason}")]
    Thread {
        /// Thread index.
        thread: usize,
        /// Why.
        reason: String,
    },
}

/// Receives each merged interval, in order, with its histogram (for `--hlog`).
pub trait IntervalSink {
    /// One interval of the whole run.
    fn interval(&mut self, sample: &IntervalSample, start: Duration, latency: &Histogram<u64>);
}

impl IntervalSink for () {
    fn interval(&mut self, _: &IntervalSample, _: Duration, _: &Histogram<u64>) {}
}

#[derive(Default)]
struct Pending {
    reports: usize,
    duration: Duration,
    requests: u64,
    errors: u64,
    latency: Option<Histogram<u64>>,
}

/// Merges per-thread interval reports into whole-run intervals, in order.
struct Intervals<'a> {
    threads: usize,
    pending: BTreeMap<usize, Pending>,
    next: usize,
    elapsed: Duration,
    done: Vec<IntervalSample>,
    sink: &'a mut dyn IntervalSink,
    progress: bool,
}

impl Intervals<'_> {
    fn add(&mut self, r: IntervalReport) {
        let p = self.pending.entry(r.index).or_default();
        p.reports += 1;
        p.duration = p.duration.max(r.duration);
        p.requests += r.requests;
        p.errors += r.errors;
        match &mut p.latency {
            Some(h) => stats::merge_hist(h, &r.latency),
            None => p.latency = Some(r.latency),
        }
        self.emit(false);
    }

    /// Emit every interval that all threads reported (or all, at the end).
    fn emit(&mut self, all: bool) {
        while let Some(p) = self.pending.get(&self.next) {
            if !all && p.reports < self.threads {
                break;
            }
            let Some(p) = self.pending.remove(&self.next) else {
                break;
            };
            self.next += 1;
            let latency = p.latency.unwrap_or_else(stats::histogram);
            let start = self.elapsed;
            self.elapsed += p.duration;
            let secs = p.duration.as_secs_f64();
            let sample = IntervalSample {
                t_s: self.elapsed.as_secs_f64(),
                duration_s: secs,
                requests: p.requests,
                errors: p.errors,
                rps: if secs > 0.0 {
                    p.requests as f64 / secs
                } else {
                    0.0
                },
                p50_us: latency.value_at_quantile(0.5),
                p90_us: latency.value_at_quantile(0.9),
                p99_us: latency.value_at_quantile(0.99),
                max_us: latency.max(),
            };
            self.sink.interval(&sample, start, &latency);
            if self.progress {
                eprint!(
                    "\r\x1b[K[{:>5.1}s] {:>10.0} req/s  p99 {}  errors {}",
                    sample.t_s,
                    sample.rps,
                    crate::report::text::fmt_us(sample.p99_us as f64),
                    sample.errors
                );
                let _ = std::io::stderr().flush();
            }
            self.done.push(sample);
        }
    }
}

/// Run the plan to the end, or until `stop` is set; `progress` asks for the
/// live status line (only shown when stderr is a terminal).
pub fn run(
    plan: Plan,
    progress: bool,
    sink: &mut dyn IntervalSink,
    stop: &Arc<AtomicBool>,
) -> Result<Summary, RunError> {
    let plan = Arc::new(plan);
    let cpus = ringgate::runtime::pin::allowed_cpus();
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut handles = Vec::with_capacity(plan.threads);
    let mut gos = Vec::with_capacity(plan.threads);
    for t in 0..plan.threads {
        let (go_tx, go) = crossbeam_channel::bounded(1);
        gos.push(go_tx);
        let setup = ThreadSetup {
            plan: plan.clone(),
            thread: t,
            cpu: (!cpus.is_empty()).then(|| cpus[t % cpus.len()]),
            tx: tx.clone(),
            go,
            stop: stop.clone(),
        };
        let h = std::thread::Builder::new()
            .name(format!("ringload-{t}"))
            .spawn(move || shard::run_thread(setup))
            .map_err(|e| RunError::Thread {
                thread: t,
                reason: e.to_string(),
            })?;
        handles.push(h);
    }
    drop(tx);
    let mut driver = "";
    for _ in 0..plan.threads {
        match rx.recv() {
            Ok(Msg::Ready { result: Ok(d), .. }) => driver = d,
            Ok(Msg::Ready {
                thread,
                result: Err(reason),
            }) => return Err(RunError::Thread { thread, reason }),
            Ok(Msg::Interval(_) | Msg::Done) | Err(_) => {
                return Err(RunError::Thread {
                    thread: 0,
                    reason: "a thread ended before starting".into(),
                })
            }
        }
    }
    let start = Instant::now() + START_DELAY;
    for g in &gos {
        let _ = g.send(start);
    }
    drop(gos);
    let mut intervals = Intervals {
        threads: plan.threads,
        pending: BTreeMap::new(),
        next: 0,
        elapsed: Duration::ZERO,
        done: Vec::new(),
        sink,
        progress: progress && std::io::stderr().is_terminal(),
    };
    let mut running = plan.threads;
    while running > 0 {
        match rx.recv() {
            Ok(Msg::Interval(r)) => intervals.add(r),
            Ok(Msg::Done) => running -= 1,
            Ok(Msg::Ready { .. }) => {}
            // Every sender is gone: a thread died; `join` below reports it.
            Err(_) => break,
        }
    }
    intervals.emit(true);
    if intervals.progress {
        eprint!("\r\x1b[K");
    }
    let mut total = Stats::new(plan.rate.is_some());
    let mut threads = Vec::with_capacity(handles.len());
    let measure_start = start + plan.warmup;
    let mut finished = measure_start;
    let mut interrupted = false;
    for (t, h) in handles.into_iter().enumerate() {
        let r = h.join().ok().flatten().ok_or_else(|| RunError::Thread {
            thread: t,
            reason: "the thread failed".into(),
        })?;
        total.merge(&r.stats);
        finished = finished.max(r.finished);
        interrupted |= r.interrupted;
        threads.push(ThreadInfo {
            cpu: r.cpu,
            busy: r.busy,
        });
    }
    // A run that ended inside its warm-up was never reset: measure it all.
    let from = if finished < measure_start {
        start
    } else {
        measure_start
    };
    let duration = finished.saturating_duration_since(from);
    Ok(Summary::new(
        plan,
        total,
        duration,
        intervals.done,
        threads,
        driver,
        interrupted,
    ))
}
