//! The outbound queue: `StatusService` (a status change and its jobs in one change set),
//! `Worker` (one batch per `runOnce`, `nextWake` for the host's timer; the JS wrapper runs the
//! loop), `Jobs` (list, show, dead letters, requeue, discard, sync status) and the queue
//! metrics, plus backoff delays and the sync status of a job state as pure functions.
//!
//! Invariants:
//! - The queue needs a store that keeps jobs (`Store.sqlite`, `Store.memory`, or a JS store
//!   created with `keepsJobs`); anything else is `invalid_input` when the worker or `Jobs` is
//!   built, and a status service on it refuses to enqueue (see `store.rs`).
//! - Configuration (targets, rules, worker config, queries) is parsed and validated before
//!   anything runs; bad input is `invalid_input` and changes nothing.
//! - The worker owns no timer here either: the JS loop sleeps on the event loop, never on a
//!   tokio thread, and stops on an `AbortSignal`.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi_derive::napi;
use serde::Deserialize;
use sync_core::history::Actor;
use sync_core::retry::{
    Backoff, DeadLetters, JobQuery, JobState, MAX_DELAY_MS, Metrics,
    StatusService as CoreStatusService, SyncStatus, TargetSpec, Worker as CoreWorker, WorkerConfig,
};
use sync_core::transition::TransitionRules;
use sync_core::{EventSink, NullSink, Status, SystemClock};

use crate::clock::Clock;
use crate::error::{core, guard, guard_sync, parse, to_json};
use crate::event::JsSink;
use crate::history::History;
use crate::provider::Provider;
use crate::store::Store;

/// The delay before attempt `attempt` (1-based) under a backoff policy (JSON `Backoff`),
/// with `seed` driving the jitter deterministically.
#[napi]
pub fn backoff_delay_ms(backoff: String, attempt: u32, seed: i64) -> napi::Result<i64> {
    guard_sync(|| {
        let backoff: Backoff = parse("backoff", &backoff)?;
        backoff.validate().map_err(core)?;
        Ok(backoff.delay_ms(attempt, seed as u64) as i64)
    })
}

fn clock_of(clock: Option<&Clock>) -> Arc<dyn sync_core::Clock> {
    clock.map_or_else(|| Arc::new(SystemClock) as _, |c| c.inner.clone())
}

fn sink_of(on_event: Option<Function<'_, String, ()>>) -> napi::Result<Arc<dyn EventSink>> {
    Ok(match on_event {
        Some(callback) => Arc::new(JsSink::new(callback)?),
        None => Arc::new(NullSink),
    })
}

/// The sync status a task shows when the latest job of a (task, target) is in `state`: the
/// core's rule, for a JS queue store's `syncStatus`.
#[napi]
pub fn sync_status_of(state: String) -> napi::Result<String> {
    guard_sync(|| {
        let state: JobState = state.parse().map_err(core)?;
        Ok(SyncStatus::of(state).as_str().to_owned())
    })
}

/// The longest delay the queue waits (one day, in ms): longer configured durations are
/// refused, longer `Retry-After`s clamped.
#[napi]
pub fn max_delay_ms() -> i64 {
    MAX_DELAY_MS as i64
}

/// Reads a duration a JS value gave as any JSON number: negative is 0, beyond `u64` saturates
/// (the core then clamps it to [`MAX_DELAY_MS`]); a JS number above 2^64 is still a 429.
pub(crate) fn saturating_ms<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<u64>, D::Error> {
    let value: Option<f64> = Option::deserialize(de)?;
    // A float-to-int cast saturates and maps NaN to 0.
    Ok(value.map(|ms| ms as u64))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceOptions {
    #[serde(default)]
    rules: Option<TransitionRules>,
    #[serde(default)]
    targets: Vec<TargetSpec>,
}

/// Changes task statuses and enqueues their sync jobs atomically (the outbox).
#[napi]
#[derive(Debug)]
pub struct StatusService {
    inner: Arc<CoreStatusService>,
}

#[napi]
impl StatusService {
    /// A service on `store`; `options` is JSON `{rules?, targets?: [{name, kind, maxAttempts?,
    /// sources?}]}` (a target receives the tasks of the source of its own name unless `sources`
    /// lists others).
    #[napi(constructor)]
    pub fn new(
        store: &Store,
        options: Option<String>,
        clock: Option<&Clock>,
        on_event: Option<Function<'_, String, ()>>,
        history: Option<&History>,
    ) -> napi::Result<Self> {
        let options: ServiceOptions = match options {
            Some(json) => parse("status service options", &json)?,
            None => ServiceOptions::default(),
        };
        let mut inner =
            CoreStatusService::new(store.tasks.clone(), clock_of(clock), sink_of(on_event)?);
        if let Some(rules) = options.rules {
            inner = inner.with_rules(rules);
        }
        for spec in options.targets {
            inner = inner.with_target(spec.into_target().map_err(core)?);
        }
        if let Some(history) = history {
            inner = inner.with_history(history.recorder.clone());
        }
        Ok(StatusService {
            inner: Arc::new(inner),
        })
    }

    /// Moves task `taskId` to status `to` on behalf of `actor`, with its effects and jobs, in
    /// one change set; resolves the `StatusChangeReport` JSON. A refused change is
    /// `invalid_transition` and writes nothing.
    #[napi]
    pub fn change_status<'env>(
        &self,
        env: &'env Env,
        task_id: String,
        to: String,
        actor: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let to: Status = to.parse().map_err(core)?;
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            let report = inner
                .change_status(&task_id, to, actor.as_deref())
                .await
                .map_err(core)?;
            to_json(&report)
        }))
    }
}

/// A queue worker: claims due jobs, calls their providers, records the outcomes.
#[napi]
#[derive(Debug)]
pub struct Worker {
    inner: Arc<CoreWorker>,
}

#[napi]
impl Worker {
    /// A worker on `store`'s jobs calling `providers` (by name), configured by JSON
    /// `WorkerConfig` (defaults for what is omitted).
    #[napi(constructor)]
    pub fn new(
        store: &Store,
        providers: Vec<&Provider>,
        config: Option<String>,
        clock: Option<&Clock>,
        on_event: Option<Function<'_, String, ()>>,
    ) -> napi::Result<Self> {
        let config: WorkerConfig = match config {
            Some(json) => parse("worker config", &json)?,
            None => WorkerConfig::default(),
        };
        let jobs = store.queue()?;
        let mut inner =
            CoreWorker::new(jobs, clock_of(clock), sink_of(on_event)?, config).map_err(core)?;
        for provider in providers {
            inner = inner.with_provider(provider.inner.clone());
        }
        inner = inner.with_metrics(Arc::new(Metrics::new()));
        Ok(Worker {
            inner: Arc::new(inner),
        })
    }

    /// Claims one batch, runs it and resolves the `TickReport` JSON.
    #[napi]
    pub fn run_once<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            to_json(&inner.run_once().await.map_err(core)?)
        }))
    }

    /// When there may be work next (ms since the epoch), or `null` when the queue is idle.
    #[napi]
    pub fn next_wake<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, Option<i64>>> {
        let inner = self.inner.clone();
        env.spawn_future(guard(async move { inner.next_wake().await.map_err(core) }))
    }

    /// The worker's metrics in the Prometheus text format.
    #[napi]
    pub fn metrics_text(&self) -> String {
        self.inner.metrics().render_prometheus()
    }
}

/// The jobs of a store, for operators: list, show, dead letters, requeue, discard, sync status.
#[napi]
pub struct Jobs {
    store: Arc<dyn sync_core::retry::QueueStore>,
    dead: Arc<DeadLetters>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").finish_non_exhaustive()
    }
}

fn actor(json: Option<String>) -> napi::Result<Actor> {
    match json {
        Some(json) => parse("actor", &json),
        None => Ok(Actor::default()),
    }
}

#[napi]
impl Jobs {
    /// The jobs of `store` (which must keep jobs); manual actions are audited into `history`.
    #[napi(constructor)]
    pub fn new(
        store: &Store,
        clock: Option<&Clock>,
        on_event: Option<Function<'_, String, ()>>,
        history: Option<&History>,
    ) -> napi::Result<Self> {
        let queue = store.queue()?;
        let mut dead = DeadLetters::new(queue.clone(), clock_of(clock), sink_of(on_event)?);
        if let Some(history) = history {
            dead = dead.with_history(history.recorder.clone());
        }
        Ok(Jobs {
            store: queue,
            dead: Arc::new(dead),
        })
    }

    /// Jobs matching a JSON `JobQuery`, ordered by creation; resolves `Job[]` JSON.
    #[napi]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        query: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let query: JobQuery = parse("job query", &query)?;
        let store = self.store.clone();
        env.spawn_future(guard(async move {
            let jobs = store.jobs(query).await.map_err(|e| core(e.into()))?;
            to_json(&jobs)
        }))
    }

    /// One job; `not_found` when there is none.
    #[napi]
    pub fn show<'env>(&self, env: &'env Env, id: String) -> napi::Result<PromiseRaw<'env, String>> {
        let dead = self.dead.clone();
        env.spawn_future(guard(async move {
            to_json(&dead.inspect(&id).await.map_err(core)?)
        }))
    }

    /// Dead jobs, oldest first, a page at a time.
    #[napi]
    pub fn dead_letters<'env>(
        &self,
        env: &'env Env,
        after: Option<String>,
        limit: u32,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let dead = self.dead.clone();
        env.spawn_future(guard(async move {
            to_json(&dead.list(after, limit as usize).await.map_err(core)?)
        }))
    }

    /// Requeues a dead job (fresh attempt budget, due now), audited under `actor` (JSON
    /// `Actor`); a job that is not dead is `invalid_state` and nothing changes.
    #[napi]
    pub fn requeue<'env>(
        &self,
        env: &'env Env,
        id: String,
        actor_json: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let who = actor(actor_json)?;
        let dead = self.dead.clone();
        env.spawn_future(guard(async move {
            to_json(&dead.retry(&id, who).await.map_err(core)?)
        }))
    }

    /// Discards a dead job, audited under `actor`.
    #[napi]
    pub fn discard<'env>(
        &self,
        env: &'env Env,
        id: String,
        actor_json: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let who = actor(actor_json)?;
        let dead = self.dead.clone();
        env.spawn_future(guard(async move {
            to_json(&dead.discard(&id, who).await.map_err(core)?)
        }))
    }

    /// A task's sync status per target: JSON `{target: status}`.
    #[napi]
    pub fn sync_status<'env>(
        &self,
        env: &'env Env,
        task_id: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let store = self.store.clone();
        env.spawn_future(guard(async move {
            let pairs = store
                .sync_status(task_id)
                .await
                .map_err(|e| core(e.into()))?;
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .into_iter()
                .map(|(t, s)| (t, serde_json::to_value(s).unwrap_or_default()))
                .collect();
            to_json(&map)
        }))
    }
}
