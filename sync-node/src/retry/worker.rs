//! The queue worker (binds `sync_core::retry::worker`): claims due jobs, calls their providers
//! and records the outcomes, one batch per `runOnce` (the loop is `run.rs`).
//!
//! Invariants: the worker config is parsed and validated by the core when the worker is built;
//! a store keeping provider gates (PostgreSQL, SQLite, memory) is the worker's gate store, so
//! every worker on it shares one breaker and one rate limit per provider (a JS store keeps
//! none: each worker then has its own). The binding owns no loop or timer rule.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi_derive::napi;
use sync_core::retry::{Metrics, Worker as CoreWorker, WorkerConfig};

use super::{clock_of, sink_of};
use crate::clock::Clock;
use crate::error::{core, guard, to_json};
use crate::input::parse;
use crate::provider::Provider;
use crate::store::Store;

/// A queue worker: claims due jobs, calls their providers, records the outcomes.
#[napi]
#[derive(Debug)]
pub struct Worker {
    pub(crate) inner: Arc<CoreWorker>,
}

#[napi]
impl Worker {
    /// A worker on `store`'s jobs calling `providers` (by name), configured by JSON
    /// `WorkerConfig` (defaults for what is omitted), sharing the store's provider gates.
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
        if let Some(gates) = store.gates.clone() {
            inner = inner.with_gates(gates);
        }
        inner = inner.with_metrics(Arc::new(Metrics::new()));
        Ok(Worker {
            inner: Arc::new(inner),
        })
    }

    /// Claims one batch, runs it (extending its leases every `heartbeat_ms` while provider
    /// calls are out) and resolves the `TickReport` JSON.
    #[napi]
    pub fn run_once<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, String>> {
        let inner = self.inner.clone();
        env.spawn_future(guard(async move {
            let sleep = super::run::tokio_sleep();
            to_json(&inner.run_once_beating(&*sleep).await.map_err(core)?)
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
