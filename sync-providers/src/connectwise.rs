//! ConnectWise Manage: service tickets and project tasks.
//!
//! Shapes (REST API 3.0, base like `https://<site>/v4_6_release/apis/3.0`): Basic
//! credentials `company+publicKey:privateKey` plus a `clientId` header; updates are JSON-patch
//! style arrays (`[{"op":"replace","path":"status/name","value":"Closed"}]`, content type
//! `application/json`), status set by name; listings page with `page`/`pageSize` and a `Link`
//! header whose `rel="next"` URL is followed.
//!
//! Scopes: `tickets` (service tickets) or `project/{projectId}` (that project's tasks).
//! External ids: a ticket's `id`; a project task's `{projectId}/{taskId}`. A reopen sends
//! whatever status name the mapping put in the payload (the status before the close).
//! ConnectWise documents no idempotency key; the job's key is sent as `Idempotency-Key` for
//! tracing, and a `replace` of the status name is idempotent by itself.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{DesiredTask, Listing, ProviderClient, ProviderError, PushReceipt, StatusPush};

use crate::http::{Call, Credentials, HttpCore, HttpOptions, encode::segment, join};

/// Items per page (ConnectWise allows up to 1000).
const PAGE_SIZE: usize = 100;
/// Pages followed before a listing is declared partial.
const MAX_PAGES: usize = 1_000;

/// The ConnectWise Manage adapter.
#[derive(Debug)]
pub struct ConnectWiseProvider {
    core: HttpCore,
    base: String,
    client_id: String,
}

impl ConnectWiseProvider {
    /// The source name its tasks carry.
    pub const NAME: &'static str = "connectwise";

    /// An adapter on a Manage API base URL, with the integrator's `clientId`.
    pub fn new(
        base_url: &str,
        client_id: &str,
        credentials: Credentials,
        options: HttpOptions,
    ) -> Result<Self, ProviderError> {
        Ok(ConnectWiseProvider {
            core: HttpCore::new(Self::NAME, credentials, options)?,
            base: base_url.to_owned(),
            client_id: client_id.to_owned(),
        })
    }

    fn call(&self, method: Method, url: String) -> Call {
        Call::new(method, url).header("clientId", self.client_id.clone())
    }

    fn item(kind: ProviderKind, external_id: String, item: &Value) -> DesiredTask {
        let title = ["summary", "name"]
            .iter()
            .find_map(|k| item.get(*k).and_then(Value::as_str))
            .unwrap_or("");
        let kind_name = match kind {
            ProviderKind::ConnectWiseTicket => "ticket",
            _ => "project_task",
        };
        let mut task = DesiredTask::new(external_id, title).kind(kind_name);
        if let Some(status) = StatusMapping::new(kind).from_provider(item) {
            task = task.status(status);
        }
        if let Some(name) = item.pointer("/status/name").and_then(Value::as_str) {
            task = task.field("status_name", name);
        }
        task
    }

    /// The rows of one list page (a JSON array; `None` otherwise) as hub tasks; rows without
    /// an integer `id` are left out. `project` is the project id of a project's tasks.
    pub(crate) fn rows(
        kind: ProviderKind,
        project: Option<&str>,
        page: &Value,
    ) -> Option<Vec<DesiredTask>> {
        let rows = page.as_array()?;
        let tasks = rows
            .iter()
            .filter_map(|row| {
                let id = row.get("id").and_then(Value::as_i64)?;
                let external_id = match project {
                    Some(project) => format!("{project}/{id}"),
                    None => id.to_string(),
                };
                Some(Self::item(kind, external_id, row))
            })
            .collect();
        Some(tasks)
    }

    /// The receipt of a `PATCH` answer (the updated ticket or task).
    pub(crate) fn receipt(updated: &Value) -> Value {
        let status = updated
            .pointer("/status/name")
            .cloned()
            .unwrap_or(Value::Null);
        json!({"status": {"name": status}})
    }
}

/// The `rel="next"` target of a `Link` header (RFC 8288).
pub(crate) fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"" || p.trim() == "rel=next");
        let target = target.trim();
        (is_next && target.starts_with('<') && target.ends_with('>'))
            .then(|| target[1..target.len() - 1].to_owned())
    })
}

#[async_trait]
impl ProviderClient for ConnectWiseProvider {
    fn name(&self) -> String {
        Self::NAME.to_owned()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        let (kind, path, project) = match scope.split_once('/') {
            None if scope == "tickets" => (
                ProviderKind::ConnectWiseTicket,
                "service/tickets".to_owned(),
                None,
            ),
            Some(("project", id)) if !id.is_empty() => (
                ProviderKind::ConnectWiseProjectTask,
                format!("project/projects/{}/tasks", segment(id)),
                Some(id.to_owned()),
            ),
            _ => {
                return Err(self.core.rejected(format!(
                    "unknown scope `{scope}`; expected `tickets` or `project/<projectId>`"
                )));
            }
        };
        let mut next = Some(format!(
            "{}?page=1&pageSize={PAGE_SIZE}",
            join(&self.base, &path)
        ));
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(url) = next.take() else {
                return Ok(Listing::complete(Self::NAME, items));
            };
            let reply = self.core.send(&self.call(Method::GET, url)).await?;
            let page = reply.json(&self.core)?;
            let Some(rows) = Self::rows(kind, project.as_deref(), &page) else {
                return Err(self.core.rejected("list page is not a JSON array"));
            };
            items.extend(rows);
            next = reply.header("link").and_then(next_link);
        }
        tracing::warn!(provider = Self::NAME, "too many pages; listing is partial");
        Ok(Listing::partial(Self::NAME, items))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let path = match change.kind.as_str() {
            "ticket" => format!("service/tickets/{}", segment(&change.external_id)),
            "project_task" => match change.external_id.split_once('/') {
                Some((project, task)) => {
                    format!(
                        "project/projects/{}/tasks/{}",
                        segment(project),
                        segment(task)
                    )
                }
                None => {
                    return Err(self.core.rejected(format!(
                        "project task id `{}` is not `projectId/taskId`",
                        change.external_id
                    )));
                }
            },
            other => {
                return Err(self.core.rejected(format!(
                    "unknown ConnectWise kind `{other}`; expected `ticket` or `project_task`"
                )));
            }
        };
        if !change.payload.is_array() {
            return Err(self
                .core
                .rejected("ConnectWise payload must be a JSON-patch array"));
        }
        let call = self
            .call(Method::PATCH, join(&self.base, &path))
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

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn link_header_next() {
        let header =
            r#"<https://x/a?page=2&pageSize=2>; rel="next", <https://x/a?page=9>; rel="last""#;
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://x/a?page=2&pageSize=2")
        );
        assert_eq!(next_link(r#"<https://x/a?page=1>; rel="first""#), None);
    }
}
