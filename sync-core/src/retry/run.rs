//! The worker's loop: batches while there is work, heartbeats while provider calls are out,
//! and the idle wait that a store's wake hint cuts short.
//!
//! The core owns no timer: the host passes its own as a [`Sleep`] (tokio's, asyncio's through
//! a binding, a test's), and everything else (when to heartbeat, how long to wait, when to
//! stop) is decided here, once, for every host.
//!
//! Invariants:
//! - A heartbeat extends the lease of every job of the batch in flight that this worker still
//!   holds (fenced like a result: same owner, same lease number); a job whose lease was lost
//!   is dropped from the batch's tracking, and its result is then dropped by the fence.
//! - Heartbeats never overlap the batch's result write: they stop when the calls are done.
//! - [`Worker::run`] never ends on a store failure: it logs it and tries again after a pause
//!   that doubles up to `poll_ms`, so a restarted database only delays the queue. It ends when
//!   `stop` resolves, after the batch in flight is finished and its results saved.
//! - The idle wait reads the wake hint *before* it asks the store when work is due, so a job
//!   enqueued in between is found either by that question or by the hint: never missed.

use std::future::Future;
use std::pin::pin;

use futures::FutureExt;
use futures::future::{BoxFuture, Either, select};

use super::worker::{TickReport, Worker};
use crate::error::Result;
use crate::store::{Finish, Job};

/// The host's timer: a future that resolves after the given milliseconds.
pub type Sleep = dyn Fn(u64) -> BoxFuture<'static, ()> + Send + Sync;

impl Worker {
    /// [`Worker::run_once`], extending the batch's leases every `heartbeat_ms` while its
    /// provider calls are out, so a call longer than the lease keeps its job.
    pub async fn run_once_beating(&self, sleep: &Sleep) -> Result<TickReport> {
        self.run_batch(Some(sleep)).await
    }

    /// Extends the leases of the jobs in flight; returns how many this worker still holds.
    pub async fn heartbeat(&self) -> Result<usize> {
        let jobs: Vec<Job> = self.lock_in_flight().values().cloned().collect();
        let now = self.clock.try_now_ms()?;
        let mut held = 0;
        for job in jobs {
            let extended = super::lifecycle::extend_lease(
                &*self.jobs,
                &job,
                &self.config.id,
                now,
                self.config.lease_ms,
            )
            .await?;
            let mut in_flight = self.lock_in_flight();
            match extended {
                Some(job) => {
                    held += 1;
                    in_flight.insert(job.id.clone(), job);
                }
                None => {
                    tracing::warn!(job = %job.id, "lease lost during the provider call");
                    in_flight.remove(&job.id);
                }
            }
        }
        Ok(held)
    }

    /// Waits until there may be work: the earliest due job or lease expiry, the store's wake
    /// hint, or `max_ms`, whichever comes first.
    pub async fn wait_for_work(&self, sleep: &Sleep, max_ms: u64) -> Result<()> {
        let hint = self.jobs.wake_hint();
        let seen = hint.as_ref().map(|h| h.seen());
        self.wait_seen(sleep, max_ms, hint.as_deref(), seen).await
    }

    async fn wait_seen(
        &self,
        sleep: &Sleep,
        max_ms: u64,
        hint: Option<&crate::store::WakeHint>,
        seen: Option<u64>,
    ) -> Result<()> {
        let due = self.jobs.next_due().await?;
        let now = self.clock.try_now_ms()?;
        let wait = match due {
            Some(at) => u64::try_from(at.saturating_sub(now))
                .unwrap_or(0)
                .min(max_ms),
            None => max_ms,
        };
        if wait == 0 {
            return Ok(());
        }
        match (hint, seen) {
            (Some(hint), Some(seen)) => {
                let woken = pin!(hint.raised_since(seen));
                select(sleep(wait), woken).await;
            }
            _ => sleep(wait).await,
        }
        Ok(())
    }

    /// Runs the queue until `stop` resolves: batches (with heartbeats) while there is work,
    /// idle waits in between (see the module doc). Returns the totals.
    pub async fn run(&self, sleep: &Sleep, stop: impl Future<Output = ()>) -> TickReport {
        let mut stop = pin!(stop.fuse());
        let mut total = TickReport::default();
        let hint = self.jobs.wake_hint();
        let mut pause = 0u64;
        loop {
            let seen = hint.as_ref().map(|h| h.seen());
            let outcome = self.run_once_beating(sleep).await;
            let worked = match outcome {
                Ok(tick) => {
                    pause = 0;
                    let worked = tick.claimed > 0;
                    add(&mut total, &tick);
                    worked
                }
                Err(err) => {
                    pause = (pause * 2).clamp(100, self.config.poll_ms.max(100));
                    tracing::warn!(worker = %self.config.id, error = %err, pause_ms = pause,
                        "worker batch failed; trying again");
                    false
                }
            };
            if (&mut stop).now_or_never().is_some() {
                return total;
            }
            if worked {
                continue;
            }
            let wait = async {
                if pause > 0 {
                    sleep(pause).await;
                } else if let Err(err) = self
                    .wait_seen(sleep, self.config.poll_ms, hint.as_deref(), seen)
                    .await
                {
                    tracing::warn!(worker = %self.config.id, error = %err, "idle wait failed");
                    sleep(self.config.poll_ms.min(1_000)).await;
                }
            };
            if let Either::Left(_) = select(&mut stop, pin!(wait)).await {
                return total;
            }
        }
    }

    /// Runs the batch's calls, heartbeating every `heartbeat_ms` until they are all done.
    pub(super) async fn beating<F>(&self, calls: F, sleep: &Sleep) -> Vec<(Job, Finish)>
    where
        F: Future<Output = Vec<(Job, Finish)>>,
    {
        let every = self.config.heartbeat_interval();
        let beats = async {
            loop {
                sleep(every).await;
                if let Err(err) = self.heartbeat().await {
                    tracing::warn!(worker = %self.config.id, error = %err, "heartbeat failed");
                }
            }
        };
        match select(pin!(calls), pin!(beats)).await {
            Either::Left((finished, _)) => finished,
            Either::Right(((), _)) => unreachable!("the heartbeat loop never ends"),
        }
    }

    /// Starts tracking a claimed batch for heartbeats.
    pub(super) fn track(&self, claimed: &[Job]) {
        let mut in_flight = self.lock_in_flight();
        for job in claimed {
            in_flight.insert(job.id.clone(), job.clone());
        }
    }

    /// Stops tracking the batch; each result goes with its job as last written (a heartbeat
    /// moved its version), so the result's write is checked against the current row.
    pub(super) fn untrack(&self, finished: Vec<(Job, Finish)>) -> Vec<(Job, Finish)> {
        let mut in_flight = self.lock_in_flight();
        finished
            .into_iter()
            .map(|(job, finish)| match in_flight.remove(&job.id) {
                Some(latest) => (latest, finish),
                None => (job, finish),
            })
            .collect()
    }

    fn lock_in_flight(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Job>> {
        self.in_flight.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn add(total: &mut TickReport, tick: &TickReport) {
    total.claimed += tick.claimed;
    total.succeeded += tick.succeeded;
    total.retried += tick.retried;
    total.deferred += tick.deferred;
    total.dead += tick.dead;
    total.lease_lost += tick.lease_lost;
}
