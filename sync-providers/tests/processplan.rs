//! The process-plan adapter against a loopback process API with the documented behaviour: steps
//! with dependencies, a process that auto-advances when its last step completes, `409
//! dependencies_not_met`, `423` while the process is locked.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use common::processplan_fake;

use std::sync::Arc;

use axum::http::Method;
use common::{Adapter, Fake, TOKEN};
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{ManualClock, ProviderClient, ProviderError, Secret, Status};
use sync_providers::{Credentials, HttpOptions, ProcessPlanProvider};

async fn plan() -> (String, Arc<Fake>) {
    let fake = processplan_fake::fake(processplan_fake::start());
    let router = processplan_fake::router(fake.clone());
    (
        format!(
            "{}{}",
            common::serve(router).await,
            processplan_fake::BASE_PATH
        ),
        fake,
    )
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
