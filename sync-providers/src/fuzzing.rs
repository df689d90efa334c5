//! Public entry points into the adapters' response readers, for the fuzz targets in the
//! repository's `fuzz/` folder (cargo feature `fuzzing`; not a stable API).
//!
//! Each function takes what a server sends (a response body, a header) and returns what the
//! adapter makes of it, through the very functions `list` and `push` call: JSON bodies are
//! decoded the way every adapter decodes them, then handed to the adapter's reader.

use serde_json::Value;

/// A response body as JSON, the way every adapter decodes one.
#[cfg(any(
    feature = "mstodo",
    feature = "connectwise",
    feature = "processplan",
    feature = "azure-devops"
))]
fn json(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("response is not JSON: {e}"))
}

/// The short message an adapter quotes from an error response body (at most 300 characters
/// plus `…`).
pub fn error_message(body: &[u8]) -> String {
    crate::http::classify::body_message(body)
}

/// The VTODO properties the CalDAV adapter reads.
#[cfg(feature = "caldav")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VTodo {
    /// `UID`.
    pub uid: Option<String>,
    /// `SUMMARY`, unescaped.
    pub summary: Option<String>,
    /// `STATUS`.
    pub status: Option<String>,
    /// `COMPLETED`.
    pub completed: Option<String>,
    /// `PERCENT-COMPLETE`.
    pub percent: Option<String>,
    /// The `RELATED-TO` parent's UID.
    pub parent_uid: Option<String>,
}

/// The first VTODO of a calendar object; `None` when it has none.
#[cfg(feature = "caldav")]
pub fn caldav_read(text: &str) -> Option<VTodo> {
    crate::caldav::ical::read(text).map(|todo| VTodo {
        uid: todo.uid,
        summary: todo.summary,
        status: todo.status,
        completed: todo.completed,
        percent: todo.percent,
        parent_uid: todo.parent_uid,
    })
}

/// The calendar object rewritten with a status payload (`{"STATUS": .., "COMPLETED": .. |
/// null, "PERCENT-COMPLETE": .. | null}`) and `LAST-MODIFIED` set to `stamp`.
#[cfg(feature = "caldav")]
pub fn caldav_apply(text: &str, payload: &Value, stamp: &str) -> Result<String, String> {
    crate::caldav::ical::apply(text, payload, stamp)
}

/// One resource of a multistatus answer: `(href, etag, calendar data)`.
#[cfg(feature = "caldav")]
pub type DavResource = (String, Option<String>, String);

/// The resources with calendar data of a `multistatus` body.
#[cfg(feature = "caldav")]
pub fn caldav_multistatus(body: &str) -> Result<Vec<DavResource>, String> {
    let resources = crate::caldav::xml::multistatus(body)?;
    Ok(resources
        .into_iter()
        .map(|r| (r.href, r.etag, r.data))
        .collect())
}

/// The tasks the CalDAV adapter lists for calendar `scope` from a `REPORT` answer.
#[cfg(feature = "caldav")]
pub fn caldav_listing(scope: &str, body: &[u8]) -> Result<Vec<sync_core::DesiredTask>, String> {
    let body = String::from_utf8_lossy(body);
    let resources = crate::caldav::xml::multistatus(&body)?;
    Ok(crate::caldav::tasks(scope, resources))
}

/// The tasks and the next-page link of one Microsoft To Do list page.
#[cfg(feature = "mstodo")]
pub fn mstodo_page(
    list: &str,
    body: &[u8],
) -> Result<(Vec<sync_core::DesiredTask>, Option<String>), String> {
    crate::MsTodoProvider::page(list, &json(body)?).ok_or_else(|| "no `value` array".into())
}

/// The receipt of a Microsoft To Do `PATCH` answer.
#[cfg(feature = "mstodo")]
pub fn mstodo_receipt(body: &[u8]) -> Result<Value, String> {
    Ok(crate::MsTodoProvider::receipt(&json(body)?))
}

/// The tasks of one ConnectWise list page: service tickets, or with `project` that
/// project's tasks.
#[cfg(feature = "connectwise")]
pub fn connectwise_page(
    project: Option<&str>,
    body: &[u8],
) -> Result<Vec<sync_core::DesiredTask>, String> {
    let kind = match project {
        Some(_) => sync_core::transition::ProviderKind::ConnectWiseProjectTask,
        None => sync_core::transition::ProviderKind::ConnectWiseTicket,
    };
    let page = json(body)?;
    let rows = page.as_array().ok_or("not a JSON array")?;
    Ok(crate::ConnectWiseProvider::page_tasks(kind, project, rows))
}

/// The `rel="next"` URL of a ConnectWise `Link` header.
#[cfg(feature = "connectwise")]
pub fn connectwise_next_link(header: &str) -> Option<String> {
    crate::connectwise::next_link(header)
}

/// The receipt of a ConnectWise `PATCH` answer.
#[cfg(feature = "connectwise")]
pub fn connectwise_receipt(body: &[u8]) -> Result<Value, String> {
    let updated = json(body)?;
    Ok(crate::ConnectWiseProvider::receipt(&updated, false))
}

/// The steps of process `process` from a process-plan `GET .../steps` answer.
#[cfg(feature = "processplan")]
pub fn processplan_steps(
    process: &str,
    body: &[u8],
) -> Result<Vec<sync_core::DesiredTask>, String> {
    crate::ProcessPlanProvider::steps(process, &json(body)?)
        .ok_or_else(|| "no `steps` array".into())
}

/// The receipt of a process-plan `PATCH` answer.
#[cfg(feature = "processplan")]
pub fn processplan_receipt(body: &[u8]) -> Result<Value, String> {
    Ok(crate::ProcessPlanProvider::receipt(&json(body)?))
}

/// The work item ids of an Azure DevOps WIQL answer.
#[cfg(feature = "azure-devops")]
pub fn azure_devops_ids(body: &[u8]) -> Result<Vec<u64>, String> {
    Ok(crate::AzureDevOpsProvider::ids(&json(body)?))
}

/// The tasks of an Azure DevOps batch read.
#[cfg(feature = "azure-devops")]
pub fn azure_devops_items(body: &[u8]) -> Result<Vec<sync_core::DesiredTask>, String> {
    Ok(crate::AzureDevOpsProvider::items(&json(body)?))
}

/// The receipt of an Azure DevOps `PATCH` answer.
#[cfg(feature = "azure-devops")]
pub fn azure_devops_receipt(body: &[u8]) -> Result<Value, String> {
    Ok(crate::AzureDevOpsProvider::receipt(&json(body)?))
}
