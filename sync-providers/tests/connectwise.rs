//! ConnectWise Manage against a loopback Manage API following its documented shapes: Basic
//! `company+public:private` plus `clientId`, the versioned
//! `Accept: application/vnd.connectwise.com+json; version=...` on every request,
//! `page`/`pageSize` with a `Link` header (keeping the request's other parameters), JSON-patch
//! style `PATCH` bodies with the status set by name, `{"code","message"}` errors. Project work
//! is where the published API has it: project tickets (`/project/tickets`, filtered with
//! `conditions=project/id=N`) and their tasks (`/project/tickets/{id}/tasks`, a `TicketTask`
//! closed through `closedFlag`); `/project/projects/{id}/tasks` answers 404 unless the fake
//! plays an installation that has it.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use std::sync::Arc;

use common::connectwise_fake::{API, CLIENT_ID, credentials, manage};
use common::{Adapter, TOKEN};
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{ManualClock, ProviderClient, ProviderError, Status};
use sync_providers::{
    ConnectWiseConfig, ConnectWiseProvider, Credentials, HttpOptions, ProjectRoute,
};

fn adapter(base: &str, c: Credentials, o: HttpOptions) -> ConnectWiseProvider {
    ConnectWiseProvider::new(base, CLIENT_ID, c, o).unwrap()
}

fn options() -> HttpOptions {
    common::options(Arc::new(ManualClock::new(0)))
}

fn ids(listing: &sync_core::Listing) -> Vec<(&str, &str, Option<Status>)> {
    listing
        .items
        .iter()
        .map(|t| {
            (
                t.external_id.as_str(),
                t.content.kind.as_str(),
                t.content.status,
            )
        })
        .collect()
}

#[tokio::test]
async fn lists_tickets_and_the_tasks_of_project_tickets_across_pages() {
    let (base, fake) = manage().await;
    let cw = adapter(&base, credentials(TOKEN), options());
    let tickets = cw.list("tickets".into()).await.unwrap();
    assert!(tickets.complete);
    assert_eq!(
        ids(&tickets),
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

    // A project's work: its tickets (conditions=project/id=77, two pages), then each one's
    // tasks (ticket 500's on two pages); a closed task is done.
    let before = fake.count();
    let tasks = cw.list("project/77".into()).await.unwrap();
    assert!(tasks.complete);
    assert_eq!(
        ids(&tasks),
        vec![
            ("77/500/1", "project_task", Some(Status::Pending)),
            ("77/500/2", "project_task", Some(Status::Completed)),
            ("77/500/4", "project_task", Some(Status::Pending)),
            ("77/501/3", "project_task", Some(Status::Pending)),
        ]
    );
    assert_eq!(tasks.items[0].content.title, "Draw the plan");
    let sent: Vec<_> = fake.seen()[before..]
        .iter()
        .map(|s| format!("{}?{}", s.path.trim_start_matches(API), s.query))
        .collect();
    assert_eq!(
        sent,
        vec![
            "/project/tickets?conditions=project%2Fid%3D77&page=1&pageSize=100",
            "/project/tickets?conditions=project%2Fid%3D77&page=2&pageSize=2",
            "/project/tickets/500/tasks?page=1&pageSize=100",
            "/project/tickets/500/tasks?page=2&pageSize=2",
            "/project/tickets/501/tasks?page=1&pageSize=100",
            "/project/tickets/502/tasks?page=1&pageSize=100",
        ]
    );
    // Every request named the API version.
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.header("accept")
                == Some("application/vnd.connectwise.com+json; version=2022.1")),
        "{:?}",
        fake.seen()
            .iter()
            .map(|s| s.header("accept"))
            .collect::<Vec<_>>()
    );

    // A project id that is not a number never becomes a condition.
    let before = fake.count();
    for scope in ["project/77 or 1=1", "project/x", "boards"] {
        let err = cw.list(scope.into()).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::Rejected { status: 0, .. }),
            "{scope}: {err:?}"
        );
    }
    assert_eq!(fake.count(), before);
}

#[tokio::test]
async fn closes_and_reopens_to_the_previous_status() {
    let (base, fake) = manage().await;
    let cw = adapter(&base, credentials(TOKEN), options());
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
}

#[tokio::test]
async fn completes_and_reopens_a_project_ticket_task_through_its_closed_flag() {
    let (base, fake) = manage().await;
    let cw = adapter(&base, credentials(TOKEN), options());
    let tasks = StatusMapping::new(ProviderKind::ConnectWiseProjectTask);
    let done = tasks.to_provider(Status::Completed, &json!({"status": {"name": "Open"}}), 0);
    let receipt = cw
        .push(common::push(
            "project_task",
            "77/500/1",
            Status::Completed,
            done.payload,
        ))
        .await
        .unwrap();
    let sent = fake.seen().pop().unwrap();
    assert_eq!(sent.method, axum::http::Method::PATCH);
    assert_eq!(sent.path, format!("{API}/project/tickets/500/tasks/1"));
    assert_eq!(
        sent.json(),
        json!([{"op": "replace", "path": "closedFlag", "value": true}])
    );
    assert_eq!(
        receipt.remote,
        json!({"status": {"name": "Complete"}, "closedFlag": true})
    );
    let listed = cw.list("project/77".into()).await.unwrap();
    assert_eq!(listed.items[0].content.status, Some(Status::Completed));

    // Reopen from the receipt, and the close's undo: both open the task again.
    for payload in [
        tasks
            .to_provider(Status::Pending, &receipt.remote, 0)
            .payload,
        done.undo.payload,
    ] {
        let receipt = cw
            .push(common::push(
                "project_task",
                "77/500/1",
                Status::Pending,
                payload,
            ))
            .await
            .unwrap();
        assert_eq!(
            receipt.remote,
            json!({"status": {"name": "Open"}, "closedFlag": false})
        );
        assert_eq!(
            fake.seen().pop().unwrap().json(),
            json!([{"op": "replace", "path": "closedFlag", "value": false}])
        );
    }

    // Malformed jobs are refused before any call.
    let before = fake.count();
    for (kind, id, payload) in [
        ("ticket", "1", json!({"status": "Closed"})),
        ("project_task", "77/1", json!([])),
        ("project_task", "11", json!([])),
        ("project_task", "77/500/1", json!([])),
        (
            "project_task",
            "77/500/1",
            json!([{"op": "replace", "path": "status/name", "value": "Someday"}]),
        ),
        (
            "project_task",
            "77/500/1",
            json!([{"op": "replace", "path": "summary", "value": "x"}]),
        ),
        ("board", "1", json!([])),
    ] {
        let err = cw
            .push(common::push(kind, id, Status::Completed, payload.clone()))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ProviderError::Rejected { status: 0, .. }),
            "{kind} {id} {payload}: {err:?}"
        );
    }
    assert_eq!(fake.count(), before);
}

#[tokio::test]
async fn the_project_tasks_route_and_the_api_version_are_configurable() {
    let (base, fake) = manage().await;
    let legacy = |version: &str| {
        ConnectWiseProvider::with_config(
            &base,
            CLIENT_ID,
            credentials(TOKEN),
            options(),
            ConnectWiseConfig {
                api_version: version.into(),
                project_route: ProjectRoute::ProjectTasks,
            },
        )
    };

    // The published API has no /project/projects/{id}/tasks: 404, not retryable.
    let cw = legacy("2019.5").unwrap();
    let err = cw.list("project/77".into()).await.unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { status: 404, .. }),
        "{err:?}"
    );

    // An installation that has them.
    fake.data.lock().unwrap()["legacy_routes"] = json!(true);
    let tasks = cw.list("project/77".into()).await.unwrap();
    assert_eq!(
        ids(&tasks),
        vec![
            ("77/10", "project_task", Some(Status::Pending)),
            ("77/11", "project_task", Some(Status::Blocked))
        ]
    );
    let done = StatusMapping::new(ProviderKind::ConnectWiseProjectTask).to_provider(
        Status::Completed,
        &Value::Null,
        0,
    );
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
    let sent = fake.seen().pop().unwrap();
    assert_eq!(sent.path, format!("{API}/project/projects/77/tasks/11"));
    assert_eq!(
        sent.header("accept"),
        Some("application/vnd.connectwise.com+json; version=2019.5")
    );
    let err = cw
        .push(common::push(
            "project_task",
            "77/500/1",
            Status::Completed,
            json!([]),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { status: 0, .. }),
        "{err:?}"
    );

    // A version that is not digits and dots is refused, naming the setting.
    for version in ["", "2022.1; x=y", "latest", ".1", "1.", &"9".repeat(17)] {
        let err = legacy(version).unwrap_err();
        assert!(
            matches!(&err, ProviderError::Rejected { status: 0, message, .. } if message.contains("api_version")),
            "{version:?}: {err:?}"
        );
    }
    assert_eq!(ConnectWiseConfig::default().api_version, "2022.1");
    assert_eq!(
        ConnectWiseConfig::default().project_route,
        ProjectRoute::TicketTasks
    );
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

#[tokio::test]
async fn no_credential_shows_anywhere_after_a_run_with_failures() {
    let (base, fake) = manage().await;
    common::secrets::sweep(common::secrets::Sweep {
        make: &|c, o| adapter(&base, c, o),
        credentials: &credentials,
        server: fake.as_ref(),
        secrets: [TOKEN, common::FRESH],
        renews: true,
        scope: "tickets",
        mapping: ProviderKind::ConnectWiseTicket,
        mirrored: None,
        moves: [
            ("1", Status::Completed),
            ("3", Status::Completed),
            ("4", Status::Pending),
            ("5", Status::InProgress),
        ],
        configs: vec![format!("{:?}", ConnectWiseConfig::default())],
    })
    .await;
}
