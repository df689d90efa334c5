//! ConnectWise Manage against a loopback Manage API following its documented shapes: Basic
//! `company+public:private` plus `clientId`, `page`/`pageSize` with a `Link` header, JSON-patch
//! style `PATCH` bodies with the status set by name, `{"code","message"}` errors.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::{Adapter, Fake, TOKEN};
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{ManualClock, ProviderClient, ProviderError, Secret, Status};
use sync_providers::http::encode::base64;
use sync_providers::{ConnectWiseProvider, Credentials, HttpOptions};

const API: &str = "/v4_6_release/apis/3.0";
const CLIENT_ID: &str = "3f1e9c1a-client";
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
    let link = |n: usize, rel: &str| {
        format!(
            "<http://{host}{}?page={n}&pageSize={size}>; rel=\"{rel}\"",
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
    let data = fake.data.lock().unwrap();
    let Some(rows) = data["projects"].get(&project).and_then(Value::as_array) else {
        return cw_error(StatusCode::NOT_FOUND, "NotFound", "project not found");
    };
    page(rows, &query, &uri, &headers)
}

/// Applies a ConnectWise patch (ops on `status/name`, or `status` with `{"name"}`) to `item`.
fn apply(item: &mut Value, body: &Bytes, allowed: &[&str]) -> Result<(), Response> {
    let Ok(Value::Array(ops)) = serde_json::from_slice::<Value>(body) else {
        return Err(cw_error(
            StatusCode::BAD_REQUEST,
            "InvalidObject",
            "patch must be an array",
        ));
    };
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
    if let Err(r) = guarded(&fake, &method, &uri, &headers, &body).await {
        return r;
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return cw_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "json only",
        );
    }
    let mut data = fake.data.lock().unwrap();
    let rows = data["tickets"].as_array_mut().unwrap();
    let Some(ticket) = rows.iter_mut().find(|t| t["id"] == json!(id)) else {
        return cw_error(StatusCode::NOT_FOUND, "NotFound", "ticket not found");
    };
    match apply(ticket, &body, &TICKET_STATUSES) {
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
    if let Err(r) = guarded(&fake, &method, &uri, &headers, &body).await {
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
    match apply(item, &body, &TASK_STATUSES) {
        Ok(()) => axum::Json(item.clone()).into_response(),
        Err(r) => r,
    }
}

fn credentials(private: &str) -> Credentials {
    Credentials::basic("acme+pubKEY", Secret::new(private))
}

async fn manage() -> (String, Arc<Fake>) {
    let ticket = |id: i64, summary: &str, status: &str| json!({"id": id, "summary": summary, "board": {"name": "Service"}, "status": {"name": status}});
    let data = json!({
        "tickets": [ticket(1, "Printer", "New"), ticket(2, "VPN", "Waiting"), ticket(3, "Mail", "In Progress"),
                    ticket(4, "Laptop", "Closed"), ticket(5, "Phone", "Resolved")],
        "projects": {"77": [{"id": 10, "name": "Design", "status": {"name": "Open"}},
                            {"id": 11, "name": "Build", "status": {"name": "On Hold"}}]},
    });
    let auth = format!(
        "Basic {}",
        base64(format!("acme+pubKEY:{TOKEN}").as_bytes())
    );
    let fake = Fake::new(auth, "Basic", data);
    let router = Router::new()
        .route(&format!("{API}/service/tickets"), get(list_tickets))
        .route(
            &format!("{API}/service/tickets/{{id}}"),
            axum::routing::patch(patch_ticket),
        )
        .route(
            &format!("{API}/project/projects/{{project}}/tasks"),
            get(list_tasks),
        )
        .route(
            &format!("{API}/project/projects/{{project}}/tasks/{{task}}"),
            axum::routing::patch(patch_task),
        )
        .with_state(fake.clone());
    (format!("{}{API}", common::serve(router).await), fake)
}

fn adapter(base: &str, c: Credentials, o: HttpOptions) -> ConnectWiseProvider {
    ConnectWiseProvider::new(base, CLIENT_ID, c, o).unwrap()
}

#[tokio::test]
async fn lists_tickets_and_project_tasks_across_pages() {
    let (base, fake) = manage().await;
    let cw = adapter(
        &base,
        credentials(TOKEN),
        common::options(Arc::new(ManualClock::new(0))),
    );
    let tickets = cw.list("tickets".into()).await.unwrap();
    assert!(tickets.complete);
    let got: Vec<_> = tickets
        .items
        .iter()
        .map(|t| {
            (
                t.external_id.as_str(),
                t.content.kind.as_str(),
                t.content.status,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("1", "ticket", Some(Status::Pending)),
            ("2", "ticket", Some(Status::Blocked)),
            ("3", "ticket", Some(Status::InProgress)),
            ("4", "ticket", Some(Status::Completed)),
            ("5", "ticket", Some(Status::Completed)),
        ]
    );
    let queries: Vec<_> = fake.seen().iter().map(|s| s.query.clone()).collect();
    assert_eq!(
        queries,
        vec![
            "page=1&pageSize=100",
            "page=2&pageSize=2",
            "page=3&pageSize=2"
        ]
    );

    let tasks = cw.list("project/77".into()).await.unwrap();
    let got: Vec<_> = tasks
        .items
        .iter()
        .map(|t| {
            (
                t.external_id.as_str(),
                t.content.kind.as_str(),
                t.content.status,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("77/10", "project_task", Some(Status::Pending)),
            ("77/11", "project_task", Some(Status::Blocked))
        ]
    );

    let err = cw.list("boards".into()).await.unwrap_err();
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn closes_and_reopens_to_the_previous_status() {
    let (base, fake) = manage().await;
    let cw = adapter(
        &base,
        credentials(TOKEN),
        common::options(Arc::new(ManualClock::new(0))),
    );
    let mapping = StatusMapping::new(ProviderKind::ConnectWiseTicket);
    let close = mapping.to_provider(
        Status::Completed,
        &json!({"status": {"name": "Waiting"}}),
        0,
    );
    let receipt = cw
        .push(common::push(
            "ticket",
            "2",
            Status::Completed,
            close.payload,
        ))
        .await
        .unwrap();
    assert_eq!(receipt.remote, json!({"status": {"name": "Closed"}}));
    let sent = fake.seen().pop().unwrap();
    assert_eq!(sent.path, format!("{API}/service/tickets/2"));
    assert_eq!(
        sent.json(),
        json!([{"op": "replace", "path": "status/name", "value": "Closed"}])
    );

    // The hub kept the status before the close; reopening goes back to it, not to "New".
    let reopen = mapping.to_provider(
        Status::Pending,
        &json!({"status": {"name": "Closed"}, "reopen_status": "Waiting"}),
        0,
    );
    let receipt = cw
        .push(common::push("ticket", "2", Status::Pending, reopen.payload))
        .await
        .unwrap();
    assert_eq!(receipt.remote, json!({"status": {"name": "Waiting"}}));
    // And the undo of the close restores what was there.
    assert_eq!(
        close.undo.payload,
        json!([{"op": "replace", "path": "status/name", "value": "Waiting"}])
    );

    let tasks = StatusMapping::new(ProviderKind::ConnectWiseProjectTask);
    let done = tasks.to_provider(Status::Completed, &Value::Null, 0);
    let receipt = cw
        .push(common::push(
            "project_task",
            "77/11",
            Status::Completed,
            done.payload,
        ))
        .await
        .unwrap();
    assert_eq!(receipt.remote, json!({"status": {"name": "Complete"}}));
    assert_eq!(
        fake.seen().pop().unwrap().path,
        format!("{API}/project/projects/77/tasks/11")
    );

    // A status the board does not have: the server's 400, not retryable.
    let bad = json!([{"op": "replace", "path": "status/name", "value": "Complete"}]);
    let err = cw
        .push(common::push("ticket", "1", Status::Completed, bad))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Rejected { status: 400, message, .. } if message.contains("not on the board")),
        "{err:?}"
    );
    // Malformed jobs are refused before any call.
    let before = fake.count();
    for (kind, id, payload) in [
        ("ticket", "1", json!({"status": "Closed"})),
        ("project_task", "11", json!([])),
        ("board", "1", json!([])),
    ] {
        let err = cw
            .push(common::push(kind, id, Status::Completed, payload))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::Rejected { status: 0, .. }),
            "{err:?}"
        );
    }
    assert_eq!(fake.count(), before);
}

#[tokio::test]
async fn shared_behaviour() {
    let (base, fake) = manage().await;
    let make = move |c: Credentials, o: HttpOptions| -> Box<dyn Adapter> {
        Box::new(adapter(&base, c, o))
    };
    let payload = json!([{"op": "replace", "path": "status/name", "value": "In Progress"}]);
    common::behaviour_suite(
        &fake,
        &make,
        &credentials,
        common::push("ticket", "3", Status::InProgress, payload),
        true,
    )
    .await;
}
