//! ConnectWise Manage (PSA): service tickets and the tasks of project tickets.
//!
//! Shapes (REST API 3.0, base like `https://<site>/v4_6_release/apis/3.0`): Basic
//! credentials `company+publicKey:privateKey` plus a `clientId` header, and on every request
//! `Accept: application/vnd.connectwise.com+json; version=<api version>` (default
//! [`DEFAULT_API_VERSION`]); updates are JSON-patch style arrays
//! (`[{"op":"replace","path":"status/name","value":"Closed"}]`, content type
//! `application/json`); listings page with `page`/`pageSize` and a `Link` header whose
//! `rel="next"` URL is followed.
//!
//! Scopes: `tickets` (service tickets) or `project/{projectId}` (that project's tasks).
//! Where project tasks live is [`ProjectRoute`]:
//! - [`ProjectRoute::TicketTasks`] (the published API, the default): the project's tickets are
//!   `GET /project/tickets?conditions=project/id={projectId}`, each ticket's tasks
//!   `GET /project/tickets/{ticketId}/tasks`; a task is done when its `closedFlag` is set, so a
//!   push `PATCH`es `/project/tickets/{ticketId}/tasks/{taskId}` with
//!   `[{"op":"replace","path":"closedFlag","value":true}]`. The status name the core's
//!   project-task mapping puts in the payload is read back through that mapping: a terminal
//!   status (completed, cancelled) closes the task, any other opens it. External id:
//!   `{projectId}/{ticketId}/{taskId}`.
//! - [`ProjectRoute::ProjectTasks`], for installations that expose them:
//!   `GET /project/projects/{projectId}/tasks` and `PATCH .../tasks/{taskId}` with the status
//!   set by name. External id: `{projectId}/{taskId}`.
//!
//! A ticket's external id is its `id`. A reopen sends whatever status name the mapping put in
//! the payload (the status before the close). ConnectWise documents no idempotency key; the
//! job's key is sent as `Idempotency-Key` for tracing, and a `replace` is idempotent by itself.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    DesiredTask, Listing, ProviderClient, ProviderError, PushReceipt, Status, StatusPush,
};

use crate::http::{Call, Credentials, HttpCore, HttpOptions, clip, encode::segment, join};

/// Items per page (ConnectWise allows up to 1000).
const PAGE_SIZE: usize = 100;
/// Pages followed (all requests of one listing together) before it is declared partial.
const MAX_PAGES: usize = 1_000;
/// The API version sent when none is configured (a release every current Manage serves).
pub const DEFAULT_API_VERSION: &str = "2022.1";
/// The longest API version accepted (`2022.1`, `2019.5`, `3.0`).
const MAX_VERSION_LEN: usize = 16;

/// Where a ConnectWise installation keeps the tasks of a project (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProjectRoute {
    /// The published PSA API: the tasks of the project's tickets,
    /// `/project/tickets/{ticketId}/tasks`, closed through `closedFlag`.
    #[default]
    TicketTasks,
    /// `/project/projects/{projectId}/tasks` with statuses by name (installations that have it).
    ProjectTasks,
}

/// How the adapter talks to one ConnectWise installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectWiseConfig {
    /// The API version of the `Accept` header (digits and dots, e.g. `2022.1`).
    pub api_version: String,
    /// Where project tasks live.
    pub project_route: ProjectRoute,
}

impl Default for ConnectWiseConfig {
    fn default() -> Self {
        ConnectWiseConfig {
            api_version: DEFAULT_API_VERSION.to_owned(),
            project_route: ProjectRoute::default(),
        }
    }
}

impl ConnectWiseConfig {
    fn validate(&self) -> Result<(), String> {
        let version = &self.api_version;
        let shaped = !version.is_empty()
            && version.len() <= MAX_VERSION_LEN
            && version.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && !version.starts_with('.')
            && !version.ends_with('.');
        if shaped {
            Ok(())
        } else {
            Err(format!(
                "ConnectWise `api_version` must be digits and dots of at most {MAX_VERSION_LEN} \
                 characters, such as `{DEFAULT_API_VERSION}`; got `{}`",
                clip(version)
            ))
        }
    }
}

/// The ConnectWise Manage adapter.
#[derive(Debug)]
pub struct ConnectWiseProvider {
    core: HttpCore,
    base: String,
    client_id: String,
    accept: String,
    project_route: ProjectRoute,
}

/// Rows of a listing, and whether every page was read.
struct Rows {
    rows: Vec<Value>,
    complete: bool,
}

impl ConnectWiseProvider {
    /// The source name its tasks carry.
    pub const NAME: &'static str = "connectwise";

    /// An adapter on a Manage API base URL, with the integrator's `clientId` and the default
    /// [`ConnectWiseConfig`].
    pub fn new(
        base_url: &str,
        client_id: &str,
        credentials: Credentials,
        options: HttpOptions,
    ) -> Result<Self, ProviderError> {
        Self::with_config(
            base_url,
            client_id,
            credentials,
            options,
            ConnectWiseConfig::default(),
        )
    }

    /// An adapter with an API version and a project route of its own; a malformed version
    /// is refused ([`ProviderError::Rejected`], naming `api_version`).
    pub fn with_config(
        base_url: &str,
        client_id: &str,
        credentials: Credentials,
        options: HttpOptions,
        config: ConnectWiseConfig,
    ) -> Result<Self, ProviderError> {
        let core = HttpCore::new(Self::NAME, credentials, options)?;
        config
            .validate()
            .map_err(|message| core.rejected(message))?;
        Ok(ConnectWiseProvider {
            core,
            base: base_url.to_owned(),
            client_id: client_id.to_owned(),
            accept: format!(
                "application/vnd.connectwise.com+json; version={}",
                config.api_version
            ),
            project_route: config.project_route,
        })
    }

    fn call(&self, method: Method, url: String) -> Call {
        Call::new(method, url)
            .header("clientId", self.client_id.clone())
            .header("Accept", self.accept.clone())
    }

    fn item(kind: ProviderKind, external_id: String, item: &Value) -> DesiredTask {
        let mut task = DesiredTask::new(external_id, title(item)).kind(kind_name(kind));
        if let Some(status) = StatusMapping::new(kind).from_provider(item) {
            task = task.status(status);
        }
        if let Some(name) = item.pointer("/status/name").and_then(Value::as_str) {
            task = task.field("status_name", name);
        }
        task
    }

    /// The rows of one list page as hub tasks; rows without an integer `id` are left out.
    /// `project` is the project id of a project's tasks (legacy project-task route).
    pub(crate) fn page_tasks(
        kind: ProviderKind,
        project: Option<&str>,
        rows: &[Value],
    ) -> Vec<DesiredTask> {
        rows.iter()
            .filter_map(|row| {
                let id = row.get("id")?.as_i64()?;
                let external_id = match project {
                    Some(project) => format!("{project}/{id}"),
                    None => id.to_string(),
                };
                Some(Self::item(kind, external_id, row))
            })
            .collect()
    }

    /// The receipt of a `PATCH` answer (the updated ticket, project task or ticket task;
    /// `ticket_task`: it went to a project ticket's task route).
    pub(crate) fn receipt(updated: &Value, ticket_task: bool) -> Value {
        match updated.get("closedFlag").and_then(Value::as_bool) {
            // A ticket task: its flag, and the mapping's status name for it.
            Some(closed) if ticket_task => {
                let status = if closed {
                    Status::Completed
                } else {
                    Status::Pending
                };
                json!({"status": {"name": task_status_name(status)}, "closedFlag": closed})
            }
            _ => {
                let status = updated
                    .pointer("/status/name")
                    .cloned()
                    .unwrap_or(Value::Null);
                json!({"status": {"name": status}})
            }
        }
    }

    /// A project ticket's task: done exactly when `closedFlag` is set.
    fn ticket_task(external_id: String, ticket: i64, item: &Value) -> DesiredTask {
        let closed = item
            .get("closedFlag")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let status = if closed {
            Status::Completed
        } else {
            Status::Pending
        };
        DesiredTask::new(external_id, title(item))
            .kind(kind_name(ProviderKind::ConnectWiseProjectTask))
            .status(status)
            .field("ticket_id", ticket)
    }

    /// Every row of a paged listing starting at `path` (with its own query, if any), following
    /// `Link: rel="next"`; `pages` is the budget the whole listing shares.
    async fn rows(&self, path: &str, pages: &mut usize) -> Result<Rows, ProviderError> {
        let url = join(&self.base, path);
        let sep = if url.contains('?') { '&' } else { '?' };
        let mut next = Some(format!("{url}{sep}page=1&pageSize={PAGE_SIZE}"));
        let mut rows = Vec::new();
        while let Some(url) = next.take() {
            if *pages == 0 {
                tracing::warn!(provider = Self::NAME, "too many pages; listing is partial");
                return Ok(Rows {
                    rows,
                    complete: false,
                });
            }
            *pages -= 1;
            let reply = self.core.send(&self.call(Method::GET, url)).await?;
            let page = reply.json(&self.core)?;
            let Some(found) = page.as_array() else {
                return Err(self.core.rejected("list page is not a JSON array"));
            };
            rows.extend(found.iter().cloned());
            next = reply.header("link").and_then(next_link);
        }
        Ok(Rows {
            rows,
            complete: true,
        })
    }

    /// The tasks of every ticket of project `project` (the published route).
    async fn ticket_tasks(&self, project: &str) -> Result<Listing, ProviderError> {
        if project.is_empty() || project.len() > 18 || !project.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(self.core.rejected(format!(
                "project id `{}` in the scope is not a number",
                clip(project)
            )));
        }
        let mut pages = MAX_PAGES;
        let condition = segment(&format!("project/id={project}"));
        let tickets = self
            .rows(
                &format!("project/tickets?conditions={condition}"),
                &mut pages,
            )
            .await?;
        let mut complete = tickets.complete;
        let mut items = Vec::new();
        for ticket in tickets.rows.iter().filter_map(|t| t.get("id")?.as_i64()) {
            let tasks = self
                .rows(&format!("project/tickets/{ticket}/tasks"), &mut pages)
                .await?;
            complete &= tasks.complete;
            for row in &tasks.rows {
                if let Some(id) = row.get("id").and_then(Value::as_i64) {
                    let external_id = format!("{project}/{ticket}/{id}");
                    items.push(Self::ticket_task(external_id, ticket, row));
                }
            }
        }
        Ok(if complete {
            Listing::complete(Self::NAME, items)
        } else {
            Listing::partial(Self::NAME, items)
        })
    }

    /// Where a job goes and what it sends: `(path, body)`.
    fn route(&self, change: &StatusPush) -> Result<(String, Value), ProviderError> {
        let id = change.external_id.as_str();
        let parts: Vec<&str> = id.split('/').collect();
        let bad_id = |expected: &str| {
            self.core.rejected(format!(
                "project task id `{}` is not `{expected}`",
                clip(id)
            ))
        };
        match (change.kind.as_str(), self.project_route) {
            ("ticket", _) => Ok((
                format!("service/tickets/{}", segment(id)),
                change.payload.clone(),
            )),
            ("project_task", ProjectRoute::ProjectTasks) => match parts[..] {
                [project, task] if !project.is_empty() && !task.is_empty() => Ok((
                    format!(
                        "project/projects/{}/tasks/{}",
                        segment(project),
                        segment(task)
                    ),
                    change.payload.clone(),
                )),
                _ => Err(bad_id("projectId/taskId")),
            },
            ("project_task", ProjectRoute::TicketTasks) => match parts[..] {
                [project, ticket, task]
                    if !project.is_empty() && !ticket.is_empty() && !task.is_empty() =>
                {
                    let body = closed_flag_patch(&change.payload)
                        .map_err(|message| self.core.rejected(message))?;
                    Ok((
                        format!(
                            "project/tickets/{}/tasks/{}",
                            segment(ticket),
                            segment(task)
                        ),
                        body,
                    ))
                }
                _ => Err(bad_id("projectId/ticketId/taskId")),
            },
            (other, _) => Err(self.core.rejected(format!(
                "unknown ConnectWise kind `{}`; expected `ticket` or `project_task`",
                clip(other)
            ))),
        }
    }
}

fn title(item: &Value) -> &str {
    ["summary", "name", "notes"]
        .iter()
        .find_map(|k| item.get(*k).and_then(Value::as_str))
        .unwrap_or("")
}

fn kind_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::ConnectWiseTicket => "ticket",
        _ => "project_task",
    }
}

/// The project-task mapping's status name for `status` (the name the hub's undo and reopen
/// payloads carry), so that a ticket task's receipt speaks the mapping's words.
fn task_status_name(status: Status) -> Value {
    StatusMapping::new(ProviderKind::ConnectWiseProjectTask)
        .to_provider(status, &Value::Null, 0)
        .payload
        .pointer("/0/value")
        .cloned()
        .unwrap_or(Value::Null)
}

/// A ticket task's patch from the project-task mapping's payload: a status by name becomes
/// `closedFlag` (set for a terminal status of the mapping); a `closedFlag` op passes as is.
fn closed_flag_patch(payload: &Value) -> Result<Value, String> {
    let ops = payload
        .as_array()
        .ok_or("ConnectWise payload must be a JSON-patch array")?;
    let mapping = StatusMapping::new(ProviderKind::ConnectWiseProjectTask);
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        let value = op.get("value").unwrap_or(&Value::Null);
        let closed = match path {
            "closedFlag" => value
                .as_bool()
                .ok_or("a ticket task's `closedFlag` must be true or false")?,
            "status/name" | "status" => {
                let name = value.get("name").unwrap_or(value);
                let status = mapping
                    .from_provider(&json!({"status": {"name": name}}))
                    .ok_or_else(|| {
                        format!(
                            "status `{}` of the payload is not a project task status",
                            clip(&name.to_string())
                        )
                    })?;
                status.is_terminal()
            }
            other => {
                return Err(format!(
                    "payload path `{}` is not a ticket task field; expected `status/name` or \
                     `closedFlag`",
                    clip(other)
                ));
            }
        };
        out.push(json!({"op": "replace", "path": "closedFlag", "value": closed}));
    }
    if out.is_empty() {
        return Err("ConnectWise payload has no operation".into());
    }
    Ok(Value::Array(out))
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
            Some(("project", id)) if !id.is_empty() => {
                if self.project_route == ProjectRoute::TicketTasks {
                    return self.ticket_tasks(id).await;
                }
                (
                    ProviderKind::ConnectWiseProjectTask,
                    format!("project/projects/{}/tasks", segment(id)),
                    Some(id.to_owned()),
                )
            }
            _ => {
                return Err(self.core.rejected(format!(
                    "unknown scope `{}`; expected `tickets` or `project/<projectId>`",
                    clip(&scope)
                )));
            }
        };
        let mut pages = MAX_PAGES;
        let found = self.rows(&path, &mut pages).await?;
        let items = Self::page_tasks(kind, project.as_deref(), &found.rows);
        Ok(if found.complete {
            Listing::complete(Self::NAME, items)
        } else {
            Listing::partial(Self::NAME, items)
        })
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        if !change.payload.is_array() {
            return Err(self
                .core
                .rejected("ConnectWise payload must be a JSON-patch array"));
        }
        let (path, body) = self.route(&change)?;
        let call = self
            .call(Method::PATCH, join(&self.base, &path))
            .json(&body, "application/json")
            .idempotency_key(&change.idempotency_key);
        let updated = self.core.send(&call).await?.json(&self.core)?;
        Ok(PushReceipt {
            remote: Self::receipt(&updated, path.starts_with("project/tickets/")),
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
