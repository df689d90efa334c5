//! Azure DevOps work items: epics, features and user stories, created and updated with JSON
//! Patch documents (`application/json-patch+json`), for a backlog sync that records history.
//!
//! Shapes (REST 7.1, base `https://dev.azure.com/{organization}/{project}`):
//! - create: `POST _apis/wit/workitems/${type}?api-version=7.1`, a patch of `add` operations
//!   on `/fields/System.Title`, `/fields/System.Description` and, for a child, `/relations/-`
//!   with `System.LinkTypes.Hierarchy-Reverse` to the parent's API URL;
//! - update: `PATCH _apis/wit/workitems/{id}?api-version=7.1` adding `/fields/System.State`;
//! - list: `POST _apis/wit/wiql` for ids, then `GET _apis/wit/workitems?ids=...` in batches
//!   of 200 with `$expand=relations`.
//!
//! Invariants: a work item's external id is its numeric id; the scope is an area path (`*` or
//! empty for the whole project). Azure DevOps has no idempotency key: a create is not
//! repeated by this adapter (a failed item is reported, not retried), and a status update
//! (`add` of a field value) is idempotent by itself, so no key is sent.

mod hierarchy;
mod state;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::{DesiredTask, Listing, ProviderClient, ProviderError, PushReceipt, StatusPush};

use crate::http::{Call, Credentials, HttpCore, HttpOptions, encode::segment, join};

pub use hierarchy::{CreatedItem, EpicSpec, FeatureSpec, StorySpec};
pub use state::{hub_status, state_for};

/// The API version every call names.
const API_VERSION: &str = "7.1";
/// Ids per batch read (the API's maximum).
const BATCH: usize = 200;
/// The content type of a JSON Patch document.
pub(crate) const JSON_PATCH: &str = "application/json-patch+json";

/// The Azure DevOps adapter.
#[derive(Debug)]
pub struct AzureDevOpsProvider {
    core: HttpCore,
    base: String,
}

impl AzureDevOpsProvider {
    /// The source name its tasks carry.
    pub const NAME: &'static str = "azure_devops";

    /// An adapter on a project URL (`https://dev.azure.com/{organization}/{project}`). A
    /// personal access token goes in as `Credentials::basic("", pat)`.
    pub fn new(
        project_url: &str,
        credentials: Credentials,
        options: HttpOptions,
    ) -> Result<Self, ProviderError> {
        Ok(AzureDevOpsProvider {
            core: HttpCore::new(Self::NAME, credentials, options)?,
            base: project_url.to_owned(),
        })
    }

    fn api(&self, path: &str) -> String {
        let url = join(&self.base, &format!("_apis/wit/{path}"));
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}api-version={API_VERSION}")
    }

    /// Sends one JSON Patch document to `url` with `method`; answers the work item.
    async fn patch(
        &self,
        method: Method,
        url: String,
        ops: &Value,
    ) -> Result<Value, ProviderError> {
        let call = Call::new(method, url).json(ops, JSON_PATCH);
        self.core.send(&call).await?.json(&self.core)
    }

    fn task(item: &Value) -> Option<DesiredTask> {
        let id = item.get("id")?.as_u64()?;
        let field = |name: &str| {
            item.pointer(&format!("/fields/{name}"))
                .and_then(Value::as_str)
        };
        let kind = match field("System.WorkItemType")? {
            "Epic" => "epic",
            "Feature" => "feature",
            "User Story" => "user_story",
            other => other,
        };
        let mut task =
            DesiredTask::new(id.to_string(), field("System.Title").unwrap_or("")).kind(kind);
        if let Some(status) = field("System.State").and_then(hub_status) {
            task = task.status(status);
        }
        let parent = item
            .get("relations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|rel| rel.get("rel").and_then(Value::as_str) == Some(hierarchy::PARENT_LINK))
            .and_then(|rel| rel.get("url")?.as_str()?.rsplit('/').next());
        if let Some(parent) = parent {
            task = task.parent(parent);
        }
        Some(task)
    }

    /// The work item ids of a WIQL answer (`{"workItems": [{"id": ..}, ..]}`).
    pub(crate) fn ids(found: &Value) -> Vec<u64> {
        found
            .get("workItems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("id")?.as_u64())
            .collect()
    }

    /// The work items of a batch read (`{"value": [..]}`) as hub tasks.
    pub(crate) fn items(page: &Value) -> Vec<DesiredTask> {
        let values = page.get("value").and_then(Value::as_array);
        values
            .into_iter()
            .flatten()
            .filter_map(Self::task)
            .collect()
    }

    /// The receipt of a `PATCH` answer (the updated work item).
    pub(crate) fn receipt(item: &Value) -> Value {
        let state = item
            .pointer("/fields/System.State")
            .cloned()
            .unwrap_or(Value::Null);
        json!({ "System.State": state })
    }
}

#[async_trait]
impl ProviderClient for AzureDevOpsProvider {
    fn name(&self) -> String {
        Self::NAME.to_owned()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        let mut query = "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project \
             AND [System.WorkItemType] IN ('Epic', 'Feature', 'User Story')"
            .to_owned();
        if !scope.is_empty() && scope != "*" {
            query.push_str(&format!(
                " AND [System.AreaPath] UNDER '{}'",
                scope.replace('\'', "''")
            ));
        }
        let call = Call::new(Method::POST, self.api("wiql"))
            .json(&json!({ "query": query }), "application/json");
        let found = self.core.send(&call).await?.json(&self.core)?;
        let ids = Self::ids(&found);
        let mut items = Vec::with_capacity(ids.len());
        for batch in ids.chunks(BATCH) {
            let ids: Vec<String> = batch.iter().map(u64::to_string).collect();
            let url = self.api(&format!(
                "workitems?ids={}&$expand=relations",
                ids.join(",")
            ));
            let page = self.core.send(&Call::get(url)).await?.json(&self.core)?;
            items.extend(Self::items(&page));
        }
        Ok(Listing::complete(Self::NAME, items))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        if change.external_id.is_empty() || !change.external_id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(self.core.rejected(format!(
                "work item id `{}` is not a number",
                change.external_id
            )));
        }
        // The payload is the core mapping's (`ProviderKind::AzureDevOps`); a job without one
        // (an older queue entry) falls back to the same mapping of its status.
        let state = change
            .payload
            .get("System.State")
            .and_then(Value::as_str)
            .map_or_else(|| state_for(change.status), str::to_owned);
        let ops = json!([{"op": "add", "path": "/fields/System.State", "value": state}]);
        let url = self.api(&format!("workitems/{}", segment(&change.external_id)));
        let item = self.patch(Method::PATCH, url, &ops).await?;
        Ok(PushReceipt {
            remote: Self::receipt(&item),
        })
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        self.core.refresh().await
    }
}
