//! A loopback process-plan API: steps with dependencies, a process that auto-advances when its
//! last step completes, `409 dependencies_not_met`, `423` while the process is locked, an
//! `Idempotency-Key` required on every `PATCH`. Data: process id -> `{status, locked, steps}`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde_json::{Value, json};

use super::{Fake, TOKEN};

const STATUSES: [&str; 5] = ["pending", "in_progress", "blocked", "completed", "skipped"];

fn error(status: StatusCode, code: &str) -> Response {
    (
        status,
        axum::Json(json!({"code": code, "message": code.replace('_', " ")})),
    )
        .into_response()
}

async fn list_steps(
    State(fake): State<Arc<Fake>>,
    Path(process): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = fake.gate(&method, &uri, &headers, &body).await {
        return r;
    }
    match fake.data.lock().unwrap().get(&process) {
        Some(p) => axum::Json(json!({"steps": p["steps"]})).into_response(),
        None => error(StatusCode::NOT_FOUND, "process_not_found"),
    }
}

async fn patch_step(
    State(fake): State<Arc<Fake>>,
    Path((process, step)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = fake.gate(&method, &uri, &headers, &body).await {
        return r;
    }
    if headers.get("idempotency-key").is_none() {
        return error(StatusCode::BAD_REQUEST, "idempotency_key_required");
    }
    let Ok(Value::Object(change)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_body");
    };
    let Some(status) = change
        .get("status")
        .and_then(Value::as_str)
        .filter(|s| STATUSES.contains(s))
    else {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_status");
    };
    let mut data = fake.data.lock().unwrap();
    let Some(process) = data.get_mut(&process) else {
        return error(StatusCode::NOT_FOUND, "process_not_found");
    };
    if process["locked"] == json!(true) {
        return error(StatusCode::LOCKED, "process_locked");
    }
    let steps = process["steps"].as_array().unwrap().clone();
    let Some(index) = steps.iter().position(|s| s["id"] == json!(step)) else {
        return error(StatusCode::NOT_FOUND, "step_not_found");
    };
    let deps_done = steps[index]["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .all(|dep| {
            steps
                .iter()
                .any(|s| s["id"] == *dep && s["status"] == "completed")
        });
    if status == "completed" && !deps_done {
        return error(StatusCode::CONFLICT, "dependencies_not_met");
    }
    let target = &mut process["steps"][index];
    for (key, value) in change {
        target[key] = value;
    }
    let mut answer = target.clone();
    if process["steps"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "completed")
    {
        process["status"] = json!("completed");
        answer["processStatus"] = json!("completed");
    }
    axum::Json(answer).into_response()
}

/// Process `p1` (steps `s1`, then `s2` depending on it) and the locked `p2`.
pub fn start() -> Value {
    let step = |id: &str, name: &str, deps: Value| json!({"id": id, "name": name, "status": "pending", "dependsOn": deps, "startedAt": null, "completedAt": null});
    json!({
        "p1": {"status": "active", "locked": false,
               "steps": [step("s1", "Collect", json!([])), step("s2", "Approve", json!(["s1"]))]},
        "p2": {"status": "active", "locked": true, "steps": [step("s1", "Only", json!([]))]},
    })
}

/// A process API holding `data`, accepting the bearer [`TOKEN`].
pub fn fake(data: Value) -> Arc<Fake> {
    Fake::new(format!("Bearer {TOKEN}"), "Bearer", data)
}

/// Its routes under `/api`.
pub fn router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route("/api/processes/{process}/steps", get(list_steps))
        .route("/api/processes/{process}/steps/{step}", patch(patch_step))
        .with_state(fake)
}

/// The base URL's path after the origin.
pub const BASE_PATH: &str = "/api";
