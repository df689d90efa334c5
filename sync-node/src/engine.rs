//! The sync engine: `SyncEngine` on a `Store`, with preview, execute, check-sync-needed and
//! verify, each resolving a Promise from a tokio thread. With a `History`, previews and
//! executes are recorded as runs (with the caller's run context) and can be cancelled through
//! a `CancelToken`.
//!
//! Invariant: arguments are parsed (listing, policy, run context) before any store call, so
//! bad input changes nothing and is reported as `invalid_input`.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi_derive::napi;
use sync_core::history::RunContext;
use sync_core::{Limits, Listing, Policy, RunOptions};

use crate::clock::Clock;
use crate::diff::Plan;
use crate::error::{core, guard, to_json};
use crate::event::JsSink;
use crate::history::{CancelToken, History};
use crate::input::parse;
use crate::store::Store;

/// The sync engine.
#[napi]
#[derive(Debug)]
pub struct SyncEngine {
    pub(crate) inner: sync_core::SyncEngine,
}

pub(crate) fn run_options(
    context: Option<String>,
    cancel: Option<&CancelToken>,
) -> napi::Result<RunOptions> {
    let mut options = RunOptions::new();
    if let Some(context) = context {
        options = options.context(parse::<RunContext>("run context", &context)?);
    }
    if let Some(cancel) = cancel {
        options = options.cancel(cancel.inner.clone());
    }
    Ok(options)
}

fn policy(json: Option<String>) -> napi::Result<Policy> {
    match json {
        Some(json) => parse("policy", &json),
        None => Ok(Policy::default()),
    }
}

#[napi]
impl SyncEngine {
    /// An engine on `store`, with an optional clock (default: system), an optional event
    /// callback receiving each event as JSON, an optional history recording its runs and
    /// optional limits (JSON `Limits`: `max_listing_items`, `max_fields_bytes`).
    #[napi(constructor)]
    pub fn new(
        store: &Store,
        clock: Option<&Clock>,
        on_event: Option<Function<'_, String, ()>>,
        history: Option<&History>,
        limits: Option<String>,
    ) -> napi::Result<Self> {
        let limits: Limits = match limits {
            Some(json) => parse("limits", &json)?,
            None => Limits::default(),
        };
        let mut inner = sync_core::SyncEngine::new(store.tasks.clone()).with_limits(limits);
        if let Some(history) = history {
            inner = inner.with_history(history.recorder.clone());
        }
        if let Some(clock) = clock {
            inner = inner.with_clock(clock.inner.clone());
        }
        if let Some(callback) = on_event {
            inner = inner.with_events(Arc::new(JsSink::new(callback)?));
        }
        Ok(SyncEngine { inner })
    }

    /// Computes the plan of syncing a listing (JSON `Listing`) into `scope` under a policy
    /// (JSON `Policy`, default when omitted). Read-only. `context` (JSON `RunContext`) and
    /// `cancel` go to the run's history.
    #[napi]
    pub fn preview<'env>(
        &self,
        env: &'env Env,
        scope: String,
        listing: String,
        policy_json: Option<String>,
        context: Option<String>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Plan>> {
        let policy = policy(policy_json)?;
        let options = run_options(context, cancel)?;
        let engine = self.inner.clone();
        env.spawn_future(guard(async move {
            // Parsed on the runtime, not the JS thread: 100,000 items take ~0.1 s to decode.
            let listing: Listing = parse("listing", &listing)?;
            let plan = engine
                .preview_with(&scope, &listing, &policy, &options)
                .await
                .map_err(core)?;
            Ok(Plan {
                inner: Arc::new(plan),
            })
        }))
    }

    /// Applies exactly `plan`, atomically; resolves the `ExecuteReport` JSON. `context` and
    /// `cancel` as for `preview` (a cancelled execute writes nothing).
    #[napi]
    pub fn execute<'env>(
        &self,
        env: &'env Env,
        plan: &Plan,
        confirmed: bool,
        context: Option<String>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let options = run_options(context, cancel)?;
        let plan = plan.inner.clone();
        let engine = self.inner.clone();
        env.spawn_future(guard(async move {
            to_json(
                &engine
                    .execute_with(&plan, confirmed, &options)
                    .await
                    .map_err(core)?,
            )
        }))
    }

    /// Whether syncing the listing would write anything.
    #[napi]
    pub fn check_sync_needed<'env>(
        &self,
        env: &'env Env,
        scope: String,
        listing: String,
        policy_json: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let policy = policy(policy_json)?;
        let engine = self.inner.clone();
        env.spawn_future(guard(async move {
            let listing: Listing = parse("listing", &listing)?;
            engine
                .check_sync_needed(&scope, &listing, &policy)
                .await
                .map_err(core)
        }))
    }

    /// Compares the scope with the listing regardless of policy; resolves `VerifyReport` JSON.
    #[napi]
    pub fn verify<'env>(
        &self,
        env: &'env Env,
        scope: String,
        listing: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let engine = self.inner.clone();
        env.spawn_future(guard(async move {
            let listing: Listing = parse("listing", &listing)?;
            to_json(&engine.verify(&scope, &listing).await.map_err(core)?)
        }))
    }
}
