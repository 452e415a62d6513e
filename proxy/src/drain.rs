//! Graceful drain, per shard and process-wide.
//!
//! The control thread sets [`DrainFlag`] on SIGTERM/SIGINT. Each shard runs
//! a small watcher that notices the flag and triggers its shard-local
//! [`Drain`], which wakes every task waiting in [`Drain::wait`]: accept
//! loops stop, idle keep-alive connections close, in-flight requests finish
//! and answer with `Connection: close`.
//!
//! After a binary upgrade handed the listeners over ([`DrainFlag::hand_over`]),
//! the same drain runs with one difference: idle keep-alive connections are
//! not cut (a client may be writing its next request into one just then,
//! and the new process is there to take it), so each is answered at its next
//! request with `Connection: close`, or closes at its idle timeout or the
//! drain deadline. Shards watch two [`Drain`]s for this: one for accepting
//! and answers, one for idle connections.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Process-wide "we are draining" bit, set once by the control thread.
#[derive(Debug, Default, Clone)]
pub struct DrainFlag {
    raised: Arc<AtomicBool>,
    handed_over: Arc<AtomicBool>,
}

impl DrainFlag {
    /// Start draining (idempotent).
    pub fn raise(&self) {
        self.raised.store(true, Ordering::Release);
    }
    /// Whether draining has started.
    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }
    /// A new process took the listeners over: drain, keeping idle
    /// keep-alive connections until their next request.
    pub fn hand_over(&self) {
        self.handed_over.store(true, Ordering::Release);
        self.raise();
    }
    /// Whether the drain comes from a handover to a new process.
    pub fn is_handed_over(&self) -> bool {
        self.handed_over.load(Ordering::Acquire)
    }
}

/// How often a shard looks at the process-wide flag.
const WATCH_INTERVAL: Duration = Duration::from_millis(50);

/// A shard-local drain signal that tasks can await.
#[derive(Debug, Default)]
pub struct Drain {
    draining: Cell<bool>,
    waiters: RefCell<Waiters>,
}

#[derive(Debug, Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Drain {
    /// Whether this shard is draining.
    pub fn is_draining(&self) -> bool {
        self.draining.get()
    }

    /// Start draining and wake every waiter.
    pub fn trigger(&self) {
        if self.draining.replace(true) {
            return;
        }
        let mut waiters = self.waiters.borrow_mut();
        for waker in waiters.slots.iter_mut().filter_map(Option::take) {
            waker.wake();
        }
    }

    /// A future that completes once draining starts.
    pub fn wait(self: &Rc<Self>) -> DrainWait {
        DrainWait {
            drain: Rc::clone(self),
            slot: None,
        }
    }

    /// Poll the process-wide flag until it is raised, then trigger.
    pub async fn watch(self: Rc<Self>, flag: DrainFlag) {
        while !flag.is_raised() {
            monoio::time::sleep(WATCH_INTERVAL).await;
        }
        self.trigger();
    }

    /// [`Drain::watch`] for a shard: trigger `self` (stop accepting, close
    /// after answers) and `idle` (close idle connections) once the flag is
    /// raised; `idle` stays untriggered after a handover.
    pub async fn watch_with_idle(self: Rc<Self>, idle: Rc<Drain>, flag: DrainFlag) {
        Rc::clone(&self).watch(flag.clone()).await;
        if !flag.is_handed_over() {
            idle.trigger();
        }
    }
}

/// Future returned by [`Drain::wait`]; deregisters itself when dropped.
#[derive(Debug)]
pub struct DrainWait {
    drain: Rc<Drain>,
    slot: Option<usize>,
}

impl Future for DrainWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.drain.is_draining() {
            return Poll::Ready(());
        }
        let drain = Rc::clone(&self.drain);
        let mut waiters = drain.waiters.borrow_mut();
        match self.slot {
            Some(slot) => {
                if let Some(entry) = waiters.slots.get_mut(slot) {
                    *entry = Some(cx.waker().clone());
                }
            }
            None => {
                let waker = Some(cx.waker().clone());
                let slot = match waiters.free.pop() {
                    Some(slot) => {
                        if let Some(entry) = waiters.slots.get_mut(slot) {
                            *entry = waker;
                        }
                        slot
                    }
                    None => {
                        waiters.slots.push(waker);
                        waiters.slots.len() - 1
                    }
                };
                self.slot = Some(slot);
            }
        }
        Poll::Pending
    }
}

impl Drop for DrainWait {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let mut waiters = self.drain.waiters.borrow_mut();
            if let Some(entry) = waiters.slots.get_mut(slot) {
                *entry = None;
            }
            waiters.free.push(slot);
        }
    }
}
