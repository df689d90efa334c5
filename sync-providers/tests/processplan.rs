//! The process-plan adapter against a loopback process API with the documented behaviour: steps
//! with dependencies, a process that auto-advances when its last step completes, `409
//! dependencies_not_met`, `423` while the process is locked.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use common::{Adapter, Fake, TOKEN};
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{ManualClock, ProviderClient, ProviderError, Secret, Status};
use sync_providers::{Credentials, HttpOptions, ProcessPlanProvider};

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

async fn plan() -> (String, Arc<Fake>) {
    let step = |id: &str, name: &str, deps: Value| json!({"id": id, "name": name, "status": "pending", "dependsOn": deps, "startedAt": null, "completedAt": null});
    let data = json!({
        "p1": {"status": "active", "locked": false,
               "steps": [step("s1", "Collect", json!([])), step("s2", "Approve", json!(["s1"]))]},
        "p2": {"status": "active", "locked": true, "steps": [step("s1", "Only", json!([]))]},
    });
    let fake = Fake::new(format!("Bearer {TOKEN}"), "Bearer", data);
    let router = Router::new()
        .route("/api/processes/{process}/steps", get(list_steps))
        .route("/api/processes/{process}/steps/{step}", patch(patch_step))
        .with_state(fake.clone());
    (format!("{}/api", common::serve(router).await), fake)
}

fn adapter(base: &str, c: Credentials, o: HttpOptions) -> ProcessPlanProvider {
    ProcessPlanProvider::new(base, c, o).unwrap()
}

#[tokio::test]
async fn steps_complete_in_dependency_order_and_the_process_advances() {
    let (base, fake) = plan().await;
    let pp = adapter(
        &base,
        Credentials::bearer(Secret::new(TOKEN)),
        common::options(Arc::new(ManualClock::new(0))),
    );
    let listing = pp.list("p1".into()).await.unwrap();
    let ids: Vec<_> = listing
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
        ids,
        vec![
            ("p1/s1", "step", Some(Status::Pending)),
            ("p1/s2", "step", Some(Status::Pending))
        ]
    );
    assert_eq!(listing.items[1].content.fields["depends_on"], json!(["s1"]));

    let mapping = StatusMapping::new(ProviderKind::ProcessStep);
    let done = || {
        mapping
            .to_provider(Status::Completed, &Value::Null, 1_769_821_713_123)
            .payload
    };
    // s2 before s1: dependencies not met, a permanent refusal.
    let err = pp
        .push(common::push("step", "p1/s2", Status::Completed, done()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { status: 409, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());

    let started = mapping
        .to_provider(Status::InProgress, &Value::Null, 1_000)
        .payload;
    let receipt = pp
        .push(common::push("step", "p1/s1", Status::InProgress, started))
        .await
        .unwrap();
    assert_eq!(receipt.remote["startedAt"], "1970-01-01T00:00:01.000Z");
    let receipt = pp
        .push(common::push("step", "p1/s1", Status::Completed, done()))
        .await
        .unwrap();
    assert_eq!(receipt.remote["completedAt"], "2026-01-31T01:08:33.123Z");
    assert!(receipt.remote.get("processStatus").is_none());
    let receipt = pp
        .push(common::push("step", "p1/s2", Status::Completed, done()))
        .await
        .unwrap();
    assert_eq!(receipt.remote["processStatus"], "completed");
    let sent = fake.seen().pop().unwrap();
    assert_eq!(
        (sent.method.clone(), sent.path.as_str()),
        (Method::PATCH, "/api/processes/p1/steps/s2")
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));

    // A locked process: retryable.
    let err = pp
        .push(common::push("step", "p2/s1", Status::Completed, done()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Unavailable { status: 423, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    // An unknown status word: the server's 422.
    let err = pp
        .push(common::push(
            "step",
            "p1/s1",
            Status::Completed,
            json!({"status": "done"}),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { status: 422, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn shared_behaviour() {
    let (base, fake) = plan().await;
    let make = move |c: Credentials, o: HttpOptions| -> Box<dyn Adapter> {
        Box::new(adapter(&base, c, o))
    };
    let payload = json!({"status": "in_progress", "startedAt": "2026-01-01T00:00:00.000Z"});
    common::behaviour_suite(
        &fake,
        &make,
        &|s| Credentials::bearer(Secret::new(s)),
        common::push("step", "p1/s1", Status::InProgress, payload),
        true,
    )
    .await;
}

#[tokio::test]
async fn no_credential_shows_anywhere_after_a_run_with_failures() {
    let (base, fake) = plan().await;
    let step = |id: &str| json!({"id": id, "name": id, "status": "pending", "dependsOn": [], "startedAt": null, "completedAt": null});
    fake.data.lock().unwrap()["p9"] = json!({"status": "active", "locked": false,
        "steps": [step("a"), step("b"), step("c"), step("d")]});
    common::secrets::sweep(common::secrets::Sweep {
        make: &|c, o| adapter(&base, c, o),
        credentials: &|secret| Credentials::bearer(Secret::new(secret)),
        server: fake.as_ref(),
        secrets: [TOKEN, common::FRESH],
        renews: true,
        scope: "p9",
        mapping: ProviderKind::ProcessStep,
        mirrored: None,
        moves: [
            ("p9/a", Status::InProgress),
            ("p9/b", Status::InProgress),
            ("p9/c", Status::Completed),
            ("p9/d", Status::InProgress),
        ],
        configs: Vec::new(),
    })
    .await;
}
