//! Cancelling a run (mirrors `sync_core::history`'s cancel): the [`CancelToken`] object and the
//! core's run options an engine call gets from a context and a token.

use std::sync::Arc;

use sync_core::history as core;

use crate::history::model::RunContext;

/// Cancels the runs it is passed to, before they write anything.
#[derive(Debug, Default, uniffi::Object)]
pub struct CancelToken(pub(crate) core::CancelToken);

#[uniffi::export]
impl CancelToken {
    /// A fresh token.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Cancels every run holding this token (now or later).
    pub fn cancel(&self) {
        self.0.cancel();
    }

    /// Whether `cancel` was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.is_cancelled()
    }
}

/// The core's run options from a call's context and token (none: an anonymous run with a
/// fresh token).
pub(crate) fn run_options(
    context: Option<RunContext>,
    cancel: Option<Arc<CancelToken>>,
) -> sync_core::RunOptions {
    sync_core::RunOptions {
        context: context.map(Into::into).unwrap_or_default(),
        cancel: cancel.map(|c| c.0.clone()).unwrap_or_default(),
    }
}
