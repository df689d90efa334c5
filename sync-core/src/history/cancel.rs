//! Cancelling a run: a shared flag, no runtime needed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Cancels the runs it is passed to. Clones share one flag: the host keeps a clone and calls
/// [`CancelToken::cancel`] from anywhere (another thread, a request handler).
///
/// The engine checks it before each step that reads or writes the store and, last, right
/// before the atomic apply: a run cancelled by then ends `cancelled` with
/// [`Error::Cancelled`](crate::Error::Cancelled) and writes nothing. Once the apply has begun
/// it completes (it is one atomic change set, so nothing is ever half-applied).
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every run holding this token (or a clone) that has not reached its apply.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether it was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
