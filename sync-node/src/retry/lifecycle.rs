//! The job lifecycle (binds `sync_core::retry::lifecycle`): the rules of what happens to a job
//! after it is enqueued, run by the core over any store. Results and heartbeats (`finish`,
//! `extend_lease`) are the `Worker`'s own and requeue/discard are `Jobs` (the core's
//! `DeadLetters`, audited); what a host calls directly is `syncStatus(store, taskId)`.
//!
//! Invariant: the rule (the newest intent of each (task, target) decides) is the core's; a
//! store only answers the job reads it asks for.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::PromiseRaw;
use napi_derive::napi;
use sync_core::retry::QueueStore;

use crate::error::{core, guard, to_json};
use crate::store::Store;

/// Resolves `{target: status}` JSON for `task_id` (shared with `Jobs.syncStatus`).
pub(crate) fn sync_status_of_task<'env>(
    env: &'env Env,
    store: Arc<dyn QueueStore>,
    task_id: String,
) -> napi::Result<PromiseRaw<'env, String>> {
    env.spawn_future(guard(async move {
        let pairs = sync_core::retry::sync_status(&*store, &task_id)
            .await
            .map_err(|e| core(e.into()))?;
        let map: serde_json::Map<String, serde_json::Value> = pairs
            .into_iter()
            .map(|(target, status)| (target, status.as_str().into()))
            .collect();
        to_json(&map)
    }))
}

/// A task's sync status per target on `store` (which must keep jobs): JSON
/// `{target: 'pending' | 'syncing' | 'synced' | 'failed' | 'discarded'}`.
#[napi]
pub fn sync_status<'env>(
    env: &'env Env,
    store: &Store,
    task_id: String,
) -> napi::Result<PromiseRaw<'env, String>> {
    sync_status_of_task(env, store.queue()?, task_id)
}
