//! The worker's loop (binds `sync_core::retry::run`): `Worker.run(stop)`, the core's loop
//! (batches while there is work, heartbeats while provider calls are out, idle waits that the
//! store's wake hint cuts short), stopped through a `WorkerStop`; and its parts for a host
//! running its own loop: `heartbeat()` and `waitForWork(maxMs)`.
//!
//! Invariants:
//! - Every rule (when to heartbeat, how long to wait, when to stop) is the core's; the binding
//!   passes tokio's timer as the core's `Sleep` and a stop future.
//! - The loop runs on the napi tokio runtime, never on the JS thread: JS providers are called
//!   back on the JS thread as for `runOnce`, so a provider call never waits for the loop.
//! - Stopping lets the batch in flight finish and its results be written, then resolves the
//!   loop's totals (graceful shutdown).

use std::sync::Arc;
use std::time::Duration;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use sync_core::retry::Sleep;
use tokio::sync::watch;

use super::duration_ms;
use super::worker::Worker;
use crate::error::{core, guard, to_json};

/// Tokio's timer as the core's `Sleep`.
pub(crate) fn tokio_sleep() -> Arc<Sleep> {
    Arc::new(|ms| Box::pin(tokio::time::sleep(Duration::from_millis(ms))))
}

/// Stops a `Worker.run` or `Puller.run` loop (the JS wrapper stops it when its `AbortSignal` aborts).
#[napi]
#[derive(Debug)]
pub struct WorkerStop {
    sender: watch::Sender<bool>,
}

#[napi]
impl WorkerStop {
    /// A stop not given yet.
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        WorkerStop {
            sender: watch::channel(false).0,
        }
    }

    /// Stops every loop holding this stop, after the batch each has in flight.
    #[napi]
    pub fn stop(&self) {
        self.sender.send_replace(true);
    }

    /// Whether `stop` was called.
    #[napi(getter)]
    pub fn stopped(&self) -> bool {
        *self.sender.borrow()
    }
}

impl WorkerStop {
    /// Resolves once `stop` is called (at once if it was).
    pub(crate) fn wait(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.sender.subscribe();
        async move {
            // An error means the sender is gone: nobody can stop the loop any more, so wait on.
            if receiver.wait_for(|stopped| *stopped).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

#[napi]
impl Worker {
    /// Runs the core's worker loop until `stop` is given; resolves the totals (`TickReport`
    /// JSON) once the batch in flight is finished. Store failures do not end it: the core logs
    /// them and tries again after a pause.
    #[napi]
    pub fn run<'env>(
        &self,
        env: &'env Env,
        stop: &WorkerStop,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        let stop = stop.wait();
        env.spawn_future(guard(async move {
            let sleep = tokio_sleep();
            to_json(&inner.run(&*sleep, stop).await)
        }))
    }

    /// Extends the leases of the jobs in flight; resolves how many this worker still holds.
    #[napi]
    pub fn heartbeat<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, u32>> {
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            let held = inner.heartbeat().await.map_err(core)?;
            Ok(u32::try_from(held).unwrap_or(u32::MAX))
        }))
    }

    /// Waits until there may be work (the next due job or lease expiry, the store's wake hint)
    /// or `maxMs` passed, whichever is first.
    #[napi]
    pub fn wait_for_work<'env>(
        &self,
        env: &'env Env,
        max_ms: f64,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let max_ms = duration_ms("maxMs", max_ms)?;
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            let sleep = tokio_sleep();
            inner.wait_for_work(&*sleep, max_ms).await.map_err(core)
        }))
    }
}
