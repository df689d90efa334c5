//! The generic process-plan REST adapter (process steps with dependencies).
//!
//! Shapes: `GET /processes/{processId}/steps` answers `{"steps": [step, ...]}`; a step is
//! `{"id", "name", "status", "dependsOn": [stepId], "startedAt", "completedAt"}`.
//! `PATCH /processes/{processId}/steps/{stepId}` takes the mapping's payload (`status` plus
//! `completedAt` / `startedAt`) as `application/json` with an `Idempotency-Key` header and
//! answers the updated step, plus `processStatus` when the process auto-advanced.
//!
//! Error classes (decided here; the API names the cases, not their codes):
//! - dependencies not met (`409` or `422` with code `dependencies_not_met`) and invalid
//!   transitions (`422`): [`ProviderError::Rejected`], retrying cannot help until a person acts;
//! - process locked (`423 Locked`, or `409` with code `process_locked`): another change to the
//!   process is in flight, so [`ProviderError::Unavailable`] (retried with backoff).
//!
//! Invariants: the scope is a process id; a step's external id is `{processId}/{stepId}`.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{DesiredTask, Listing, ProviderClient, ProviderError, PushReceipt, StatusPush};

use crate::http::{Call, Credentials, HttpCore, HttpOptions, Reply, encode::segment, join};

/// The process-plan adapter.
#[derive(Debug)]
pub struct ProcessPlanProvider {
    core: HttpCore,
    base: String,
}

impl ProcessPlanProvider {
    /// The source name its tasks carry.
    pub const NAME: &'static str = "processplan";

    /// An adapter on a process-plan API base URL.
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        options: HttpOptions,
    ) -> Result<Self, ProviderError> {
        Ok(ProcessPlanProvider {
            core: HttpCore::new(Self::NAME, credentials, options)?,
            base: base_url.to_owned(),
        })
    }

    fn steps_url(&self, process: &str) -> String {
        join(&self.base, &format!("processes/{}/steps", segment(process)))
    }

    /// The class of a failed reply, with the lock and dependency cases of this API.
    fn error(&self, reply: &Reply) -> ProviderError {
        let code = serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .and_then(|body| body.get("code").and_then(Value::as_str).map(str::to_owned));
        let locked = reply.status == 423 || code.as_deref() == Some("process_locked");
        if locked {
            return ProviderError::Unavailable {
                provider: Self::NAME.to_owned(),
                status: reply.status,
                message: "process is locked by another change".to_owned(),
            };
        }
        self.core.error(reply)
    }

    /// The steps of a `GET .../steps` answer as hub tasks of `process`; `None` without a
    /// `steps` array. Steps without a string `id` are left out.
    pub(crate) fn steps(process: &str, body: &Value) -> Option<Vec<DesiredTask>> {
        let steps = body.get("steps").and_then(Value::as_array)?;
        let mapping = StatusMapping::new(ProviderKind::ProcessStep);
        let items = steps
            .iter()
            .filter_map(|step| {
                let id = step.get("id").and_then(Value::as_str)?;
                let name = step.get("name").and_then(Value::as_str).unwrap_or("");
                let mut task = DesiredTask::new(format!("{process}/{id}"), name).kind("step");
                if let Some(status) = mapping.from_provider(step) {
                    task = task.status(status);
                }
                if let Some(deps) = step.get("dependsOn").filter(|d| d.is_array()) {
                    task = task.field("depends_on", deps.clone());
                }
                Some(task)
            })
            .collect();
        Some(items)
    }

    /// The receipt of a `PATCH` answer: the step's times and status, plus `processStatus`
    /// when the process advanced.
    pub(crate) fn receipt(step: &Value) -> Value {
        let field = |name: &str| step.get(name).cloned().unwrap_or(Value::Null);
        let mut remote = json!({
            "status": field("status"),
            "completedAt": field("completedAt"),
            "startedAt": field("startedAt"),
        });
        if let Some(process_status) = step.get("processStatus") {
            remote["processStatus"] = process_status.clone();
        }
        remote
    }
}

#[async_trait]
impl ProviderClient for ProcessPlanProvider {
    fn name(&self) -> String {
        Self::NAME.to_owned()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        let reply = self
            .core
            .send_raw(&Call::get(self.steps_url(&scope)))
            .await?;
        if !reply.is_success() {
            return Err(self.error(&reply));
        }
        let body = reply.json(&self.core)?;
        let Some(items) = Self::steps(&scope, &body) else {
            return Err(self.core.rejected("steps response has no `steps` array"));
        };
        Ok(Listing::complete(Self::NAME, items))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let Some((process, step)) = change.external_id.split_once('/') else {
            return Err(self.core.rejected(format!(
                "step id `{}` is not `processId/stepId`",
                change.external_id
            )));
        };
        if !change.payload.is_object() {
            return Err(self
                .core
                .rejected("process step payload must be a JSON object"));
        }
        let url = join(&self.steps_url(process), &segment(step));
        let call = Call::new(Method::PATCH, url)
            .json(&change.payload, "application/json")
            .idempotency_key(&change.idempotency_key);
        let reply = self.core.send_raw(&call).await?;
        if !reply.is_success() {
            return Err(self.error(&reply));
        }
        let step = reply.json(&self.core)?;
        Ok(PushReceipt {
            remote: Self::receipt(&step),
        })
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        self.core.refresh().await
    }
}
