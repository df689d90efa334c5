//! The outbox (binds `sync_core::retry::outbox` and its input form, `retry::target`):
//! `StatusService` validates a status change, plans its effects and writes them with their
//! `Job`s in one change set.
//!
//! Invariant: the options (rules, targets with their `sources`) are parsed and checked by the
//! core (`TargetSpec::into_target`) before the service exists; a refused change writes nothing.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi_derive::napi;
use serde::Deserialize;
use sync_core::Status;
use sync_core::retry::{StatusService as CoreStatusService, TargetSpec};
use sync_core::transition::TransitionRules;

use super::{clock_of, sink_of};
use crate::clock::Clock;
use crate::error::{core, guard, to_json};
use crate::history::History;
use crate::input::parse;
use crate::store::Store;

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
            CoreStatusService::new(store.queue_or_tasks(), clock_of(clock), sink_of(on_event)?);
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
