//! Microsoft To Do through Microsoft Graph (`/me/todo/lists/{list}/tasks`).
//!
//! Shapes: tasks are Graph `todoTask` resources; a listing page is
//! `{"value": [...], "@odata.nextLink": "<absolute url>"}`, followed until no link is left.
//! A push is `PATCH /me/todo/lists/{list}/tasks/{task}` with the mapping's payload
//! (`status` plus `completedDateTime` set or `null`).
//!
//! Invariants: the scope is a list id; a task's external id is `{listId}/{taskId}` (split at
//! the first `/`; Graph ids are URL-safe base64 and carry none). The job's idempotency key
//! travels as `Idempotency-Key` (Graph ignores unknown headers; the PATCH is idempotent anyway).

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{DesiredTask, Listing, ProviderClient, ProviderError, PushReceipt, StatusPush};

use crate::http::{Call, Credentials, HttpCore, HttpOptions, encode::segment, join};

/// Pages followed before a listing is declared partial (a server looping its links).
const MAX_PAGES: usize = 1_000;

/// The Microsoft To Do adapter.
#[derive(Debug)]
pub struct MsTodoProvider {
    core: HttpCore,
    base: String,
}

impl MsTodoProvider {
    /// The source name its tasks carry.
    pub const NAME: &'static str = "mstodo";

    /// An adapter on a Graph endpoint (`https://graph.microsoft.com/v1.0`).
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        options: HttpOptions,
    ) -> Result<Self, ProviderError> {
        Ok(MsTodoProvider {
            core: HttpCore::new(Self::NAME, credentials, options)?,
            base: base_url.to_owned(),
        })
    }

    fn tasks_url(&self, list: &str) -> String {
        join(
            &self.base,
            &format!("me/todo/lists/{}/tasks", segment(list)),
        )
    }

    /// One `todoTask` as a hub task; `None` without a string `id`.
    fn task(list: &str, item: &Value) -> Option<DesiredTask> {
        let id = item.get("id")?.as_str()?;
        let title = item.get("title").and_then(Value::as_str).unwrap_or("");
        let mut task = DesiredTask::new(format!("{list}/{id}"), title);
        if let Some(status) = StatusMapping::new(ProviderKind::MsTodo).from_provider(item) {
            task = task.status(status);
        }
        if let Some(importance) = item.get("importance").and_then(Value::as_str) {
            task = task.field("importance", importance);
        }
        Some(task)
    }

    /// One list page: its tasks and the `@odata.nextLink` to follow; `None` when the page has
    /// no `value` array.
    pub(crate) fn page(list: &str, page: &Value) -> Option<(Vec<DesiredTask>, Option<String>)> {
        let value = page.get("value").and_then(Value::as_array)?;
        let tasks = value
            .iter()
            .filter_map(|item| Self::task(list, item))
            .collect();
        let next = page
            .get("@odata.nextLink")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Some((tasks, next))
    }

    /// The receipt of a `PATCH` answer (the updated `todoTask`).
    pub(crate) fn receipt(updated: &Value) -> Value {
        let field = |name: &str| updated.get(name).cloned().unwrap_or(Value::Null);
        json!({"status": field("status"), "completedDateTime": field("completedDateTime")})
    }
}

#[async_trait]
impl ProviderClient for MsTodoProvider {
    fn name(&self) -> String {
        Self::NAME.to_owned()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        let mut items = Vec::new();
        let mut next = Some(self.tasks_url(&scope));
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                tracing::warn!(provider = Self::NAME, "too many pages; listing is partial");
                return Ok(Listing::partial(Self::NAME, items));
            }
            let page = self.core.send(&Call::get(url)).await?.json(&self.core)?;
            let Some((tasks, link)) = Self::page(&scope, &page) else {
                return Err(self.core.rejected("list page has no `value` array"));
            };
            items.extend(tasks);
            next = link;
        }
        Ok(Listing::complete(Self::NAME, items))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let Some((list, task)) = change.external_id.split_once('/') else {
            return Err(self.core.rejected(format!(
                "external id `{}` is not `listId/taskId`",
                change.external_id
            )));
        };
        if !change.payload.is_object() {
            return Err(self.core.rejected("To Do payload must be a JSON object"));
        }
        let url = join(&self.tasks_url(list), &segment(task));
        let call = Call::new(Method::PATCH, url)
            .json(&change.payload, "application/json")
            .idempotency_key(&change.idempotency_key);
        let updated = self.core.send(&call).await?.json(&self.core)?;
        Ok(PushReceipt {
            remote: Self::receipt(&updated),
        })
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        self.core.refresh().await
    }
}
