//! Plans: the native `Plan` class holding a core `sync_core::Plan`, so a preview's result goes
//! back into `execute` without crossing the boundary again (100,000 tasks stay in Rust).
//!
//! Invariant: a plan built from JSON (`Plan.fromJson`) is the same value the core serialized;
//! the engine's token check still refuses a plan edited in between.

use std::sync::Arc;

use napi_derive::napi;

use crate::error::{guard_sync, to_json};
use crate::input::parse;

/// A previewed sync plan.
#[napi]
#[derive(Debug)]
pub struct Plan {
    pub(crate) inner: Arc<sync_core::Plan>,
}

#[napi]
impl Plan {
    /// A plan from its JSON (as produced by `toJson`, e.g. sent to a client and back).
    #[napi(factory)]
    pub fn from_json(json: String) -> napi::Result<Plan> {
        guard_sync(|| {
            Ok(Plan {
                inner: Arc::new(parse("plan", &json)?),
            })
        })
    }

    /// The whole plan as JSON.
    #[napi]
    pub fn to_json(&self) -> napi::Result<String> {
        to_json(&*self.inner)
    }

    /// The counts (`PlanCounts`) as JSON: cheap, for summaries of big plans.
    #[napi]
    pub fn counts_json(&self) -> napi::Result<String> {
        to_json(&self.inner.counts)
    }

    /// The plan's token (what `execute` checks).
    #[napi(getter)]
    pub fn token(&self) -> String {
        self.inner.token.clone()
    }

    /// The scope.
    #[napi(getter)]
    pub fn scope(&self) -> String {
        self.inner.scope.clone()
    }

    /// The source.
    #[napi(getter)]
    pub fn source(&self) -> String {
        self.inner.source.clone()
    }

    /// The scope version the plan was computed from.
    #[napi(getter)]
    pub fn scope_version(&self) -> i64 {
        self.inner.scope_version as i64
    }

    /// Whether executing the plan would write nothing.
    #[napi(getter)]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}
