//! Microsoft To Do against a loopback Graph that follows the documented `todoTask` shapes:
//! `value` + `@odata.nextLink` paging, `PATCH` of `status` / `completedDateTime`, Graph's error
//! envelope, `401` + `WWW-Authenticate` on an expired token.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use common::mstodo_fake;

use std::sync::Arc;

use axum::http::Method;
use common::Adapter;
use common::{Fake, TOKEN};
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{ManualClock, ProviderClient, Secret, Status};
use sync_providers::{Credentials, HttpOptions, MsTodoProvider};

async fn graph() -> (String, Arc<Fake>) {
    let fake = mstodo_fake::fake(json!({"L1": mstodo_fake::tasks()}));
    let router = mstodo_fake::router(fake.clone());
    (
        format!("{}{}", common::serve(router).await, mstodo_fake::BASE_PATH),
        fake,
    )
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
