//! A loopback ConnectWise Manage API following its documented shapes: Basic
//! `company+public:private` plus `clientId`, one versioned
//! `Accept: application/vnd.connectwise.com+json; version=...` on every request,
//! `page`/`pageSize` with a `Link` header (two rows a page, keeping the request's other
//! parameters), JSON-patch style `PATCH` bodies with the status set by name, `{"code","message"}`
//! errors; project tickets (`/project/tickets`, `conditions=project/id=N`) and their tasks
//! (`/project/tickets/{id}/tasks`, a `TicketTask` closed through `closedFlag`);
//! `/project/projects/{id}/tasks` answers 404 unless the data's `legacy_routes` is true.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use sync_core::Secret;
use sync_providers::Credentials;
use sync_providers::http::encode::base64;

use super::{Fake, TOKEN};

pub const API: &str = "/v4_6_release/apis/3.0";
pub const CLIENT_ID: &str = "3f1e9c1a-client";
/// The largest page this server hands out, so that paging shows.
const MAX_PAGE: usize = 2;
const TICKET_STATUSES: [&str; 6] = [
    "New",
    "In Progress",
    "Waiting",
    "Resolved",
    "Closed",
    "Cancelled",
];
const TASK_STATUSES: [&str; 5] = ["Open", "In Progress", "On Hold", "Complete", "Cancelled"];

fn cw_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": message})),
    )
        .into_response()
}

/// The media type of the versioned `Accept` header, before `; version=`.
const ACCEPT: &str = "application/vnd.connectwise.com+json";

async fn guarded(
    fake: &Fake,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(), Response> {
    fake.gate(method, uri, headers, body).await?;
    if headers.get("clientid").and_then(|v| v.to_str().ok()) != Some(CLIENT_ID) {
        return Err(cw_error(
            StatusCode::BAD_REQUEST,
            "InvalidClientId",
            "clientId header is required",
        ));
    }
    let accepts: Vec<_> = headers.get_all("accept").iter().collect();
    let version = match accepts[..] {
        [one] => one
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix(ACCEPT))
            .and_then(|v| v.strip_prefix("; version=")),
        _ => None,
    };
    let known = version
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    if !known {
        return Err(cw_error(
            StatusCode::NOT_ACCEPTABLE,
            "InvalidAcceptHeader",
            &format!("one Accept: {ACCEPT}; version=<version> is required, got {accepts:?}"),
        ));
    }
    Ok(())
}

fn page(
    rows: &[Value],
    query: &HashMap<String, String>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let number: usize = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let size = query
        .get("pageSize")
        .and_then(|p| p.parse().ok())
        .unwrap_or(25)
        .min(MAX_PAGE);
    let slice: Vec<Value> = rows
        .iter()
        .skip((number - 1) * size)
        .take(size)
        .cloned()
        .collect();
    let mut response = axum::Json(slice).into_response();
    let host = headers.get("host").unwrap().to_str().unwrap();
    let last = rows.len().div_ceil(size).max(1);
    // The links keep the request's other parameters (`conditions`), as Manage's do.
    let mut kept: Vec<String> = query
        .iter()
        .filter(|(k, _)| *k != "page" && *k != "pageSize")
        .map(|(k, v)| format!("{k}={}", v.replace('/', "%2F").replace('=', "%3D")))
        .collect();
    kept.sort();
    let kept: String = kept.iter().map(|p| format!("{p}&")).collect();
    let link = |n: usize, rel: &str| {
        format!(
            "<http://{host}{}?{kept}page={n}&pageSize={size}>; rel=\"{rel}\"",
            uri.path()
        )
    };
    let mut links = vec![link(1, "first"), link(last, "last")];
    if number < last {
        links.insert(0, link(number + 1, "next"));
    }
    response
        .headers_mut()
        .insert("link", links.join(", ").parse().unwrap());
    response
}

async fn list_tickets(
    State(fake): State<Arc<Fake>>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = guarded(&fake, &method, &uri, &headers, &body).await {
        return r;
    }
    let rows = fake.data.lock().unwrap()["tickets"]
        .as_array()
        .unwrap()
        .clone();
    page(&rows, &query, &uri, &headers)
}

/// `GET /project/tickets`: every project ticket, or those `conditions=project/id=N` selects.
async fn list_project_tickets(
    State(fake): State<Arc<Fake>>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = guarded(&fake, &method, &uri, &headers, &body).await {
        return r;
    }
    let project = match query.get("conditions") {
        None => None,
        Some(condition) => match condition
            .strip_prefix("project/id=")
            .and_then(|id| id.trim().parse::<i64>().ok())
        {
            Some(id) => Some(id),
            None => {
                return cw_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidCondition",
                    &format!("cannot read condition {condition}"),
                );
            }
        },
    };
    let rows: Vec<Value> = fake.data.lock().unwrap()["project_tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| project.is_none_or(|id| t["project"]["id"] == json!(id)))
        .cloned()
        .collect();
    page(&rows, &query, &uri, &headers)
}

/// `GET /project/tickets/{id}/tasks`: a project ticket's `TicketTask`s.
async fn list_ticket_tasks(
    State(fake): State<Arc<Fake>>,
    Path(ticket): Path<i64>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = guarded(&fake, &method, &uri, &headers, &body).await {
        return r;
    }
    let data = fake.data.lock().unwrap();
    let Some(rows) = data["ticket_tasks"]
        .get(ticket.to_string())
        .and_then(Value::as_array)
    else {
        return cw_error(StatusCode::NOT_FOUND, "NotFound", "ticket not found");
    };
    page(rows, &query, &uri, &headers)
}

/// The checks of every `PATCH`, and its JSON-patch operations.
async fn patch_ops(
    fake: &Fake,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<Value>, Response> {
    guarded(fake, method, uri, headers, body).await?;
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return Err(cw_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "json only",
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(ops)) => Ok(ops),
        _ => Err(cw_error(
            StatusCode::BAD_REQUEST,
            "InvalidObject",
            "patch must be an array",
        )),
    }
}

/// `PATCH /project/tickets/{id}/tasks/{taskId}`: ops on the documented `TicketTask` fields only
/// (`closedFlag`, `notes`, `priority`, `resolution`); a ticket task has no status.
async fn patch_ticket_task(
    State(fake): State<Arc<Fake>>,
    Path((ticket, task)): Path<(i64, i64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ops = match patch_ops(&fake, &method, &uri, &headers, &body).await {
        Ok(ops) => ops,
        Err(r) => return r,
    };
    let mut data = fake.data.lock().unwrap();
    let found = data["ticket_tasks"]
        .get_mut(ticket.to_string())
        .and_then(Value::as_array_mut)
        .and_then(|rows| rows.iter_mut().find(|t| t["id"] == json!(task)));
    let Some(item) = found else {
        return cw_error(StatusCode::NOT_FOUND, "NotFound", "task not found");
    };
    for op in ops {
        let path = op["path"].as_str().unwrap_or("");
        let valid = matches!(op["op"].as_str(), Some("replace" | "add"))
            && match path {
                "closedFlag" => op["value"].is_boolean(),
                "notes" | "resolution" => op["value"].is_string(),
                "priority" => op["value"].is_i64(),
                _ => false,
            };
        if !valid {
            return cw_error(
                StatusCode::BAD_REQUEST,
                "InvalidObject",
                &format!("TicketTask has no field {path} or a bad value for it"),
            );
        }
        item[path] = op["value"].clone();
    }
    axum::Json(item.clone()).into_response()
}

/// Whether the fake plays an installation with `/project/projects/{id}/tasks`; the published
/// API answers those paths with 404.
fn legacy(fake: &Fake) -> Result<(), Response> {
    if fake.data.lock().unwrap()["legacy_routes"] == json!(true) {
        Ok(())
    } else {
        Err(cw_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource does not exist",
        ))
    }
}

async fn list_tasks(
    State(fake): State<Arc<Fake>>,
    Path(project): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = guarded(&fake, &method, &uri, &headers, &body).await {
        return r;
    }
    if let Err(r) = legacy(&fake) {
        return r;
    }
    let data = fake.data.lock().unwrap();
    let Some(rows) = data["projects"].get(&project).and_then(Value::as_array) else {
        return cw_error(StatusCode::NOT_FOUND, "NotFound", "project not found");
    };
    page(rows, &query, &uri, &headers)
}

/// Applies a ConnectWise patch (ops on `status/name`, or `status` with `{"name"}`) to `item`.
fn apply(item: &mut Value, ops: Vec<Value>, allowed: &[&str]) -> Result<(), Response> {
    for op in ops {
        if !matches!(op["op"].as_str(), Some("replace" | "add")) {
            return Err(cw_error(
                StatusCode::BAD_REQUEST,
                "InvalidObject",
                "unsupported op",
            ));
        }
        let name = match (op["path"].as_str(), &op["value"]) {
            (Some("status/name"), Value::String(name)) => name.clone(),
            (Some("status"), value) if value["name"].is_string() => {
                value["name"].as_str().unwrap().to_owned()
            }
            _ => {
                return Err(cw_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidObject",
                    "unsupported path",
                ));
            }
        };
        if !allowed.contains(&name.as_str()) {
            return Err(cw_error(
                StatusCode::BAD_REQUEST,
                "InvalidObject",
                &format!("status {name} is not on the board"),
            ));
        }
        item["status"] =
            json!({"id": allowed.iter().position(|s| *s == name).unwrap() + 1, "name": name});
    }
    Ok(())
}

async fn patch_ticket(
    State(fake): State<Arc<Fake>>,
    Path(id): Path<i64>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ops = match patch_ops(&fake, &method, &uri, &headers, &body).await {
        Ok(ops) => ops,
        Err(r) => return r,
    };
    let mut data = fake.data.lock().unwrap();
    let rows = data["tickets"].as_array_mut().unwrap();
    let Some(ticket) = rows.iter_mut().find(|t| t["id"] == json!(id)) else {
        return cw_error(StatusCode::NOT_FOUND, "NotFound", "ticket not found");
    };
    match apply(ticket, ops, &TICKET_STATUSES) {
        Ok(()) => axum::Json(ticket.clone()).into_response(),
        Err(r) => r,
    }
}

async fn patch_task(
    State(fake): State<Arc<Fake>>,
    Path((project, task)): Path<(String, i64)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ops = match patch_ops(&fake, &method, &uri, &headers, &body).await {
        Ok(ops) => ops,
        Err(r) => return r,
    };
    if let Err(r) = legacy(&fake) {
        return r;
    }
    let mut data = fake.data.lock().unwrap();
    let found = data["projects"]
        .get_mut(&project)
        .and_then(Value::as_array_mut)
        .and_then(|rows| rows.iter_mut().find(|t| t["id"] == json!(task)));
    let Some(item) = found else {
        return cw_error(StatusCode::NOT_FOUND, "NotFound", "task not found");
    };
    match apply(item, ops, &TASK_STATUSES) {
        Ok(()) => axum::Json(item.clone()).into_response(),
        Err(r) => r,
    }
}

pub fn credentials(private: &str) -> Credentials {
    Credentials::basic("acme+pubKEY", Secret::new(private))
}

fn project_ticket(id: i64, project: i64, summary: &str) -> Value {
    json!({"id": id, "summary": summary, "project": {"id": project}, "board": {"name": "Projects"},
           "status": {"name": "New"}})
}

fn ticket_task(id: i64, ticket: i64, notes: &str, closed: bool) -> Value {
    json!({"id": id, "ticketId": ticket, "notes": notes, "closedFlag": closed, "priority": 1})
}

/// Five service tickets, project 77's project tickets and their tasks, project 88's ticket.
pub fn start() -> Value {
    let ticket = |id: i64, summary: &str, status: &str| json!({"id": id, "summary": summary, "board": {"name": "Service"}, "status": {"name": status}});
    json!({
        "tickets": [ticket(1, "Printer", "New"), ticket(2, "VPN", "Waiting"), ticket(3, "Mail", "In Progress"),
                    ticket(4, "Laptop", "Closed"), ticket(5, "Phone", "Resolved")],
        "projects": {"77": [{"id": 10, "name": "Design", "status": {"name": "Open"}},
                            {"id": 11, "name": "Build", "status": {"name": "On Hold"}}]},
        "project_tickets": [project_ticket(500, 77, "Design"), project_ticket(501, 77, "Build"),
                            project_ticket(600, 88, "Other project"), project_ticket(502, 77, "Launch")],
        "ticket_tasks": {
            "500": [ticket_task(1, 500, "Draw the plan", false), ticket_task(2, 500, "Review it", true),
                    ticket_task(4, 500, "Sign off", false)],
            "501": [ticket_task(3, 501, "Pour the walls", false)],
            "502": [],
            "600": [ticket_task(9, 600, "Not ours", false)],
        },
        "legacy_routes": false,
    })
}

/// The `Authorization` for the user `acme+pubKEY` and `private`.
pub fn authorization(private: &str) -> String {
    format!(
        "Basic {}",
        base64(format!("acme+pubKEY:{private}").as_bytes())
    )
}

/// A Manage API holding `data`, accepting `acme+pubKEY` with the private key [`TOKEN`].
pub fn fake(data: Value) -> Arc<Fake> {
    Fake::new(authorization(TOKEN), "Basic", data)
}

/// Its routes under [`API`] (the base URL is `ORIGIN` + [`API`]).
pub fn router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route(&format!("{API}/service/tickets"), get(list_tickets))
        .route(
            &format!("{API}/service/tickets/{{id}}"),
            axum::routing::patch(patch_ticket),
        )
        .route(&format!("{API}/project/tickets"), get(list_project_tickets))
        .route(
            &format!("{API}/project/tickets/{{ticket}}/tasks"),
            get(list_ticket_tasks),
        )
        .route(
            &format!("{API}/project/tickets/{{ticket}}/tasks/{{task}}"),
            axum::routing::patch(patch_ticket_task),
        )
        .route(
            &format!("{API}/project/projects/{{project}}/tasks"),
            get(list_tasks),
        )
        .route(
            &format!("{API}/project/projects/{{project}}/tasks/{{task}}"),
            axum::routing::patch(patch_task),
        )
        .with_state(fake)
}

/// The Manage fake of the tests, served.
pub async fn manage() -> (String, Arc<Fake>) {
    let fake = fake(start());
    let router = router(fake.clone());
    (format!("{}{API}", super::serve(router).await), fake)
}
