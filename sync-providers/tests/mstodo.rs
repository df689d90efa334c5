//! Microsoft To Do against a loopback Graph that follows the documented `todoTask` shapes:
//! `value` + `@odata.nextLink` paging, `PATCH` of `status` / `completedDateTime`, Graph's error
//! envelope, `401` + `WWW-Authenticate` on an expired token.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use common::Adapter;
use common::{Fake, TOKEN};
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{ManualClock, ProviderClient, Secret, Status};
use sync_providers::{Credentials, HttpOptions, MsTodoProvider};

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
    Query(query): Query<std::collections::HashMap<String, String>>,
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

fn task(id: &str, title: &str, status: &str) -> Value {
    json!({"@odata.etag": "W/\"x\"", "id": id, "title": title, "status": status,
           "importance": "normal", "completedDateTime": null})
}

async fn graph() -> (String, Arc<Fake>) {
    let data = json!({"L1": [
        task("t1", "Buy milk", "notStarted"),
        task("t2", "Write report", "inProgress"),
        task("t3", "File taxes", "completed"),
        task("t4", "Call Bob", "waitingOnOthers"),
        task("t5", "Plan trip", "deferred"),
    ]});
    let fake = Fake::new(format!("Bearer {TOKEN}"), "Bearer", data);
    let router = Router::new()
        .route("/v1.0/me/todo/lists/{list}/tasks", get(list_tasks))
        .route(
            "/v1.0/me/todo/lists/{list}/tasks/{task}",
            axum::routing::patch(patch_task),
        )
        .with_state(fake.clone());
    (format!("{}/v1.0", common::serve(router).await), fake)
}

fn adapter(base: &str, credentials: Credentials, options: HttpOptions) -> MsTodoProvider {
    MsTodoProvider::new(base, credentials, options).unwrap()
}

#[tokio::test]
async fn lists_every_page_and_maps_statuses() {
    let (base, fake) = graph().await;
    let clock = Arc::new(ManualClock::new(0));
    let todo = adapter(
        &base,
        Credentials::bearer(Secret::new(TOKEN)),
        common::options(clock),
    );
    let listing = todo.list("L1".into()).await.unwrap();
    assert!(listing.complete);
    assert_eq!(listing.source, "mstodo");
    let got: Vec<_> = listing
        .items
        .iter()
        .map(|t| (t.external_id.as_str(), t.content.status))
        .collect();
    assert_eq!(
        got,
        vec![
            ("L1/t1", Some(Status::Pending)),
            ("L1/t2", Some(Status::InProgress)),
            ("L1/t3", Some(Status::Completed)),
            ("L1/t4", Some(Status::Blocked)),
            ("L1/t5", Some(Status::Cancelled)),
        ]
    );
    let pages: Vec<_> = fake.seen().iter().map(|s| s.query.clone()).collect();
    assert_eq!(pages, vec!["", "$skip=2", "$skip=4"]);
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.header("authorization") == Some(&format!("Bearer {TOKEN}")))
    );

    let err = todo.list("nope".into()).await.unwrap_err();
    assert!(
        matches!(err, sync_core::ProviderError::Rejected { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn completing_and_reopening_set_and_clear_completed_date_time() {
    let (base, fake) = graph().await;
    let clock = Arc::new(ManualClock::new(0));
    let todo = adapter(
        &base,
        Credentials::bearer(Secret::new(TOKEN)),
        common::options(clock),
    );
    let mapping = StatusMapping::new(ProviderKind::MsTodo);

    let done = mapping.to_provider(Status::Completed, &Value::Null, 1_769_821_713_123);
    let receipt = todo
        .push(common::push(
            "task",
            "L1/t1",
            Status::Completed,
            done.payload,
        ))
        .await
        .unwrap();
    assert_eq!(receipt.remote["status"], "completed");
    assert_eq!(
        receipt.remote["completedDateTime"],
        json!({"dateTime": "2026-01-31T01:08:33.1230000", "timeZone": "UTC"})
    );
    let sent = fake.seen().pop().unwrap();
    assert_eq!(sent.method, Method::PATCH);
    assert_eq!(sent.path, "/v1.0/me/todo/lists/L1/tasks/t1");
    assert_eq!(sent.header("idempotency-key"), Some("idem-L1/t1-completed"));

    // A zone suffix in `dateTime` is not the documented form: the strict Graph refuses it.
    let zoned = json!({"status": "completed",
        "completedDateTime": {"dateTime": "2026-01-31T01:08:33.123Z", "timeZone": "UTC"}});
    let err = todo
        .push(common::push("task", "L1/t2", Status::Completed, zoned))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sync_core::ProviderError::Rejected { status: 400, message, .. } if message.contains("completedDateTime")),
        "{err:?}"
    );

    let reopen = mapping.to_provider(Status::Pending, &receipt.remote, 2);
    let receipt = todo
        .push(common::push(
            "task",
            "L1/t1",
            Status::Pending,
            reopen.payload,
        ))
        .await
        .unwrap();
    assert_eq!(
        receipt.remote,
        json!({"status": "notStarted", "completedDateTime": null})
    );
    let listing = todo.list("L1".into()).await.unwrap();
    assert_eq!(listing.items[0].content.status, Some(Status::Pending));

    let err = todo
        .push(common::push(
            "task",
            "no-slash",
            Status::Completed,
            json!({}),
        ))
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    let err = todo
        .push(common::push(
            "task",
            "L1/t9",
            Status::Completed,
            json!({"status": "completed"}),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, sync_core::ProviderError::Rejected { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn shared_behaviour() {
    let (base, fake) = graph().await;
    let make = move |c: Credentials, o: HttpOptions| -> Box<dyn Adapter> {
        Box::new(adapter(&base, c, o))
    };
    let payload = json!({"status": "inProgress", "completedDateTime": null});
    common::behaviour_suite(
        &fake,
        &make,
        &|secret| Credentials::bearer(Secret::new(secret)),
        common::push("task", "L1/t2", Status::InProgress, payload),
        true,
    )
    .await;
}

#[tokio::test]
async fn no_credential_shows_anywhere_after_a_run_with_failures() {
    let (base, fake) = graph().await;
    common::secrets::sweep(common::secrets::Sweep {
        make: &|c, o| adapter(&base, c, o),
        credentials: &|secret| Credentials::bearer(Secret::new(secret)),
        server: fake.as_ref(),
        secrets: [TOKEN, common::FRESH],
        renews: true,
        scope: "L1",
        mapping: ProviderKind::MsTodo,
        mirrored: None,
        moves: [
            ("L1/t1", Status::Completed),
            ("L1/t2", Status::Completed),
            ("L1/t3", Status::Pending),
            ("L1/t5", Status::Pending),
        ],
        configs: Vec::new(),
    })
    .await;
}

#[tokio::test]
async fn a_503_with_retry_after_holds_the_queue_until_it_has_passed() {
    use sync_core::retry::{StatusService, Target, Worker, WorkerConfig};
    use sync_core::{ChangeSet, Clock, DesiredTask, MemoryStore, NullSink, Task, TaskStore};

    let (base, fake) = graph().await;
    let clock = Arc::new(ManualClock::new(1_769_821_713_000));
    let todo = Arc::new(adapter(
        &base,
        Credentials::bearer(Secret::new(TOKEN)),
        common::options(clock.clone()),
    ));
    let store = Arc::new(MemoryStore::new());
    let tasks = ["L1/t1", "L1/t2"].map(|id| sync_core::TaskWrite::Insert {
        task: Task::from_desired(
            "inbox",
            "mstodo",
            &DesiredTask::new(id, id).status(Status::Pending),
            0,
        ),
    });
    store
        .apply(ChangeSet {
            tasks: tasks.into(),
            ..ChangeSet::default()
        })
        .await
        .unwrap();
    let service = StatusService::new(store.clone(), clock.clone(), Arc::new(NullSink)).with_target(
        Target::new("mstodo", StatusMapping::new(ProviderKind::MsTodo)),
    );
    let worker = Worker::new(
        store.clone(),
        clock.clone(),
        Arc::new(NullSink),
        WorkerConfig::default(),
    )
    .unwrap()
    .with_provider(todo);
    let complete = |id: &str| {
        let id = Task::hub_id("mstodo", id);
        let service = &service;
        async move {
            let report = service
                .change_status(&id, Status::Completed, None)
                .await
                .unwrap();
            report.jobs[0].id.clone()
        }
    };

    // Graph sheds load: 503 with Retry-After: 30. The job waits 30 s, not the 1 s backoff.
    let first = complete("L1/t1").await;
    fake.fault(
        common::Fault::status(
            503,
            r#"{"error":{"code":"serviceNotAvailable","message":"busy"}}"#,
        )
        .header("retry-after", "30"),
    );
    let start = clock.now_ms();
    let report = worker.run_once().await.unwrap();
    assert_eq!(report.retried, 1, "{report:?}");
    let job = sync_core::JobStore::job(store.as_ref(), first.clone())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.run_at, start + 30_000, "{job:?}");
    assert_eq!(worker.next_wake().await.unwrap(), Some(start + 30_000));

    // Meanwhile the whole provider is paused: another job is deferred without a call.
    let sent = fake.count();
    complete("L1/t2").await;
    let report = worker.run_once().await.unwrap();
    assert_eq!((report.deferred, report.succeeded), (1, 0), "{report:?}");
    assert_eq!(fake.count(), sent, "nothing is sent during the pause");

    // Once it has passed, both go through.
    clock.set(start + 30_000);
    let report = worker.run_once().await.unwrap();
    assert_eq!(report.succeeded, 2, "{report:?}");
    let done = fake.data.lock().unwrap()["L1"].clone();
    assert_eq!(done[0]["status"], "completed");
    assert_eq!(done[1]["status"], "completed");
}
