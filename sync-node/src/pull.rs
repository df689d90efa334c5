//! Pull (binds `sync_core::pull`): `new Puller(engine, provider, config, events?)` with
//! `pull(context?)`, `held()` and `run(stop, context?, onPull?)`.
//!
//! Invariants:
//! - The config is the core's `PullConfig` (serde, unknown keys refused, then validated by
//!   `Puller::new`); whether a plan executes or is held is the core's rule, decided once.
//! - A failed listing is the core's: a failed preview run in history, nothing written, and the
//!   provider's error (class, HTTP status, retry-after) as for any provider call.
//! - `run` is the core's loop on tokio's timer, stopped by the same `WorkerStop` as
//!   `Worker.run`; it runs on the runtime, never on the JS thread, and the pull in flight
//!   finishes before it resolves its totals.
//! - `onPull` gets each pull's result without blocking the loop: `{"ok": report}` or
//!   `{"error": message}` (the mapped error's message, which the JS wrapper types).

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use sync_core::pull::{PullConfig, Puller as CorePuller};

use crate::diff::Plan;
use crate::engine::{SyncEngine, run_options};
use crate::error::{core, core_ref, guard, to_json};
use crate::input::parse;
use crate::provider::Provider;
use crate::retry::run::{WorkerStop, tokio_sleep};
use crate::retry::sink_of;

type OnPull = ThreadsafeFunction<String, (), String, napi::Status, false, true>;

/// Pulls one provider into one scope, once or on a schedule.
#[napi]
#[derive(Debug)]
pub struct Puller {
    inner: Arc<CorePuller>,
}

#[napi]
impl Puller {
    /// A puller from `provider` through `engine` (whose history records every pull), configured
    /// by JSON `PullConfig`; `on_event` receives `pull_held` events as JSON.
    #[napi(constructor)]
    pub fn new(
        engine: &SyncEngine,
        provider: &Provider,
        config: String,
        on_event: Option<Function<'_, String, ()>>,
    ) -> napi::Result<Self> {
        let config: PullConfig = parse("pull config", &config)?;
        let events = sink_of(on_event)?;
        let inner = CorePuller::new(engine.inner.clone(), provider.inner.clone(), config)
            .map_err(core)?
            .with_events(events);
        Ok(Puller {
            inner: Arc::new(inner),
        })
    }

    /// Lists the provider, previews and executes when the rule allows, else holds the plan;
    /// resolves the `PullReport` JSON. `context` (JSON `RunContext`) goes to the runs.
    #[napi]
    pub fn pull<'env>(
        &self,
        env: &'env Env,
        context: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let options = run_options(context, None)?;
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            to_json(&inner.pull(&options).await.map_err(core)?)
        }))
    }

    /// The plan the last pull held for a person, if it held one.
    #[napi]
    pub fn held(&self) -> Option<Plan> {
        self.inner.held().map(|plan| Plan {
            inner: Arc::new(plan),
        })
    }

    /// The configuration, as JSON `PullConfig` (defaults filled in).
    #[napi]
    pub fn config_json(&self) -> napi::Result<String> {
        to_json(self.inner.config())
    }

    /// Pulls every `interval_ms` until `stop` is given; resolves the `PullTotals` JSON once the
    /// pull in flight is finished. `context` (JSON `RunContext`: the actor the schedule runs
    /// as) goes to every run; `on_pull` sees each pull's result as it comes.
    #[napi]
    pub fn run<'env>(
        &self,
        env: &'env Env,
        stop: &WorkerStop,
        context: Option<String>,
        on_pull: Option<Function<'_, String, ()>>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let options = run_options(context, None)?;
        let on_pull: Option<OnPull> = match on_pull {
            Some(callback) => Some(
                callback
                    .build_threadsafe_function()
                    .callee_handled::<false>()
                    .weak::<true>()
                    .build()?,
            ),
            None => None,
        };
        let inner = self.inner.clone();
        let stop = stop.wait();
        env.spawn_future(guard(async move {
            let sleep = tokio_sleep();
            let totals = inner
                .run(&options, &*sleep, stop, |result| {
                    let Some(callback) = &on_pull else { return };
                    let json = match result {
                        Ok(report) => serde_json::to_string(&serde_json::json!({ "ok": report })),
                        Err(err) => {
                            let message = core_ref(err).reason;
                            serde_json::to_string(&serde_json::json!({ "error": message }))
                        }
                    };
                    if let Ok(json) = json {
                        let _ = callback.call(json, ThreadsafeFunctionCallMode::NonBlocking);
                    }
                })
                .await;
            to_json(&totals)
        }))
    }
}
