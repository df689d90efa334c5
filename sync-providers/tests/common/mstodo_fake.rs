//! A loopback Microsoft Graph with the documented `todoTask` shapes: `value` +
//! `@odata.nextLink` paging (two tasks a page), `PATCH` of `status` / `completedDateTime` as
//! JSON, Graph's error envelope. Data: list id -> array of `todoTask`s.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};

use super::{Fake, TOKEN};

const PAGE: usize = 2;
const STATUSES: [&str; 5] = [
    "notStarted",
    "inProgress",
    "completed",
    "waitingOnOthers",
    "deferred",
];

fn graph_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn list_tasks(
    State(fake): State<Arc<Fake>>,
    Path(list): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = fake.gate(&method, &uri, &headers, &body).await {
        return response;
    }
    let data = fake.data.lock().unwrap().clone();
    let Some(tasks) = data.get(&list).and_then(Value::as_array) else {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound", "list not found");
    };
    let skip: usize = query.get("$skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = tasks.iter().skip(skip).take(PAGE).cloned().collect();
    let mut body = json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#todoTasks", "value": page});
    if skip + PAGE < tasks.len() {
        let host = headers.get("host").unwrap().to_str().unwrap();
        body["@odata.nextLink"] = json!(format!(
            "http://{host}/v1.0/me/todo/lists/{list}/tasks?$skip={}",
            skip + PAGE
        ));
    }
    axum::Json(body).into_response()
}

async fn patch_task(
    State(fake): State<Arc<Fake>>,
    Path((list, task)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(response) = fake.gate(&method, &uri, &headers, &body).await {
        return response;
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return graph_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "json only",
        );
    }
    let Ok(Value::Object(patch)) = serde_json::from_slice::<Value>(&body) else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "body must be an object",
        );
    };
    for (key, value) in &patch {
        let ok = match key.as_str() {
            "status" => value.as_str().is_some_and(|s| STATUSES.contains(&s)),
            "completedDateTime" => value.is_null() || is_date_time_time_zone(value),
            _ => false,
        };
        if !ok {
            return graph_error(
                StatusCode::BAD_REQUEST,
                "invalidRequest",
                &format!("bad property {key}"),
            );
        }
    }
    let mut data = fake.data.lock().unwrap();
    let found = data
        .get_mut(&list)
        .and_then(Value::as_array_mut)
        .and_then(|tasks| tasks.iter_mut().find(|t| t["id"] == json!(task)));
    let Some(found) = found else {
        return graph_error(StatusCode::NOT_FOUND, "ErrorItemNotFound", "task not found");
    };
    for (key, value) in patch {
        found[key] = value;
    }
    axum::Json(found.clone()).into_response()
}

/// Graph's `dateTimeTimeZone`: `dateTime` is `{date}T{time}` (fraction of up to seven
/// digits) with no zone suffix, the zone being in `timeZone` (a Windows or IANA name, e.g.
/// "UTC"). `2026-01-31T01:08:33.123Z` is refused, as a strict reading of the resource does.
fn is_date_time_time_zone(value: &Value) -> bool {
    let Value::Object(fields) = value else {
        return false;
    };
    if fields.keys().any(|k| k != "dateTime" && k != "timeZone") {
        return false;
    }
    let zone = fields.get("timeZone").and_then(Value::as_str);
    let Some(text) = fields.get("dateTime").and_then(Value::as_str) else {
        return false;
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let shape = whole.len() == 19
        && whole.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        });
    let fraction_ok =
        (1..=7).contains(&fraction.len()) && fraction.bytes().all(|b| b.is_ascii_digit());
    shape && fraction_ok && zone.is_some_and(|z| !z.is_empty())
}

pub fn task(id: &str, title: &str, status: &str) -> Value {
    json!({"@odata.etag": "W/\"x\"", "id": id, "title": title, "status": status,
           "importance": "normal", "completedDateTime": null})
}

/// Five tasks, one of each status.
pub fn tasks() -> Value {
    json!([
        task("t1", "Buy milk", "notStarted"),
        task("t2", "Write report", "inProgress"),
        task("t3", "File taxes", "completed"),
        task("t4", "Call Bob", "waitingOnOthers"),
        task("t5", "Plan trip", "deferred"),
    ])
}

/// A Graph fake holding `data`, accepting the bearer [`TOKEN`].
pub fn fake(data: Value) -> Arc<Fake> {
    Fake::new(format!("Bearer {TOKEN}"), "Bearer", data)
}

/// Its routes under `/v1.0` (the base URL is `ORIGIN/v1.0`).
pub fn router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route("/v1.0/me/todo/lists/{list}/tasks", get(list_tasks))
        .route("/v1.0/me/todo/lists/{list}/tasks/{task}", patch(patch_task))
        .with_state(fake)
}

/// The base URL's path after the origin.
pub const BASE_PATH: &str = "/v1.0";
