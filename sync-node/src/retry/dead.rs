//! Dead letters and the jobs of a store for operators (binds `sync_core::retry::dead`): list,
//! show, dead letters, requeue and discard (the core's `DeadLetters`, audited), sync status.
//!
//! Invariant: requeue and discard are the core's `DeadLetters` operations; a job that is not
//! dead is `invalid_state` and nothing changes.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi_derive::napi;
use sync_core::history::Actor;
use sync_core::retry::{DeadLetters, JobQuery};

use super::{clock_of, sink_of};
use crate::clock::Clock;
use crate::error::{core, guard, to_json};
use crate::history::History;
use crate::input::parse;
use crate::store::Store;

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

    /// A task's sync status per target: JSON `{target: status}` (the core's `sync_status`).
    #[napi]
    pub fn sync_status<'env>(
        &self,
        env: &'env Env,
        task_id: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        super::lifecycle::sync_status_of_task(env, self.store.clone(), task_id)
    }
}
