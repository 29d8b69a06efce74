//! Cooperative scheduling without a runtime dependency: long CPU-bound
//! loops of the service await [`yield_now`] so that other tasks on the
//! same executor thread get their turn.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives the executor a chance to run other tasks: pending once, woken at
/// once. Runtime-agnostic (any executor reschedules a task that wakes
/// itself), so long CPU-bound loops can share a thread.
pub(crate) fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
#[derive(Debug)]
pub(crate) struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn yield_now_completes_on_the_second_poll() {
        yield_now().await;
    }

    #[test]
    fn yield_now_is_pending_once_and_wakes_itself() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::task::{Wake, Waker};

        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = yield_now();
        assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(Pin::new(&mut future).poll(&mut cx).is_ready());
    }
}
