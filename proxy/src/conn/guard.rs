//! Defence in depth for "nothing panics a shard": a connection task runs
//! inside [`Contained`], which catches a panic raised while polling it, logs
//! it as a bug and ends only that connection. The shard's other connections
//! and its accept loop keep running. (Release builds use `panic = "unwind"`
//! for this; see the workspace `Cargo.toml`.)

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use tracing::error;

/// A future whose panics are contained; resolves to `Err(())` after one.
#[derive(Debug)]
pub struct Contained<F> {
    inner: Option<Pin<Box<F>>>,
}

impl<F: Future<Output = ()>> Contained<F> {
    /// Wrap `future`.
    pub fn new(future: F) -> Contained<F> {
        Contained {
            inner: Some(Box::pin(future)),
        }
    }
}

impl<F: Future<Output = ()>> Future for Contained<F> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err(()));
        };
        // Shard state is only borrowed inside short synchronous sections, so
        // a panic cannot leave it half-updated across an await point.
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(())) => Poll::Ready(Ok(())),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                error!(panic = %message, "connection task panicked (a bug); closing that connection only");
                // Drop the broken future now: closes its sockets.
                self.inner = None;
                Poll::Ready(Err(()))
            }
        }
    }
}
