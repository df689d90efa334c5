//! Azure DevOps against a loopback work-item API following the REST 7.1 shapes: JSON Patch
//! documents (`application/json-patch+json`), `$Type` creation, hierarchy links, WIQL plus
//! batch reads, `api-version` required, Basic PAT authentication.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use common::azure_devops_fake::{self, PROJECT};

use std::sync::Arc;

use axum::http::Method;
use common::{Adapter, Fake, TOKEN};
use serde_json::{Value, json};
use sync_core::{ManualClock, ProviderClient, ProviderError, Secret, Status};
use sync_providers::{
    AzureDevOpsProvider, Credentials, EpicSpec, FeatureSpec, HttpOptions, StorySpec,
};

fn credentials(pat: &str) -> Credentials {
    Credentials::basic("", Secret::new(pat))
}

async fn devops() -> (String, Arc<Fake>) {
    let fake = azure_devops_fake::fake(json!({"items": []}));
    let router = azure_devops_fake::router(fake.clone());
    (format!("{}{PROJECT}", common::serve(router).await), fake)
}

fn adapter(base: &str, c: Credentials, o: HttpOptions) -> AzureDevOpsProvider {
    AzureDevOpsProvider::new(base, c, o).unwrap()
}

fn story(id: &str, name: &str) -> StorySpec {
    StorySpec {
        source_id: id.into(),
        name: name.into(),
        description: None,
    }
}

#[tokio::test]
async fn creates_a_hierarchy_lists_it_and_pushes_state() {
    let (base, fake) = devops().await;
    let ado = adapter(
        &base,
        credentials(TOKEN),
        common::options(Arc::new(ManualClock::new(0))),
    );
    let epics = vec![EpicSpec {
        source_id: "ard-1".into(),
        name: "Checkout".into(),
        description: Some("<p>Pay</p>".into()),
        features: vec![
            FeatureSpec {
                source_id: "ard-2".into(),
                name: "Cart".into(),
                description: None,
                stories: vec![story("ard-3", "Add item"), story("ard-4", "Remove item")],
            },
            FeatureSpec {
                source_id: "ard-5".into(),
                name: "reject me".into(),
                description: None,
                stories: vec![story("ard-6", "Orphan")],
            },
        ],
    }];
    let made = ado.create_hierarchy(&epics).await;
    let summary: Vec<_> = made
        .iter()
        .map(|m| (m.source_id.as_str(), m.kind, m.id, m.error.is_some()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("ard-1", "epic", Some(1), false),
            ("ard-2", "feature", Some(2), false),
            ("ard-3", "user_story", Some(3), false),
            ("ard-4", "user_story", Some(4), false),
            ("ard-5", "feature", None, true),
            ("ard-6", "user_story", None, true),
        ]
    );
    assert!(
        made[0]
            .url
            .as_deref()
            .unwrap()
            .ends_with("/acme/web/_workitems/edit/1")
    );
    assert!(
        made[0]
            .api_url
            .as_deref()
            .unwrap()
            .ends_with("/acme/web/_apis/wit/workItems/1")
    );
    assert!(matches!(
        made[4].error,
        Some(ProviderError::Rejected { status: 400, .. })
    ));
    // The orphan story was never sent: 5 creates for 6 items.
    let creates: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| s.method == Method::POST)
        .collect();
    assert_eq!(creates.len(), 5);
    assert_eq!(creates[0].path, "/acme/web/_apis/wit/workitems/$Epic");
    assert_eq!(
        creates[2].path,
        "/acme/web/_apis/wit/workitems/$User%20Story"
    );
    let story_ops = creates[2].json();
    assert_eq!(
        story_ops[1]["value"]["rel"],
        "System.LinkTypes.Hierarchy-Reverse"
    );
    assert!(
        story_ops[1]["value"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/workItems/2")
    );

    let listing = ado.list("*".into()).await.unwrap();
    let got: Vec<_> = listing
        .items
        .iter()
        .map(|t| {
            (
                t.external_id.as_str(),
                t.content.kind.as_str(),
                t.content.parent.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("1", "epic", None),
            ("2", "feature", Some("1")),
            ("3", "user_story", Some("2")),
            ("4", "user_story", Some("2"))
        ]
    );

    let receipt = ado
        .push(common::push(
            "user_story",
            "3",
            Status::Completed,
            Value::Null,
        ))
        .await
        .unwrap();
    assert_eq!(receipt.remote, json!({"System.State": "Closed"}));
    let receipt = ado
        .push(common::push(
            "user_story",
            "3",
            Status::InProgress,
            json!({"System.State": "Resolved"}),
        ))
        .await
        .unwrap();
    assert_eq!(receipt.remote, json!({"System.State": "Resolved"}));
    let listing = ado.list("*".into()).await.unwrap();
    assert_eq!(listing.items[2].content.status, Some(Status::Completed));

    // What the queue sends: the core mapping's payload, and its undo restores the state.
    let mapping =
        sync_core::transition::StatusMapping::new(sync_core::transition::ProviderKind::AzureDevOps);
    let mapped = mapping.to_provider(Status::Cancelled, &receipt.remote, 0);
    let removed = ado
        .push(common::push(
            "user_story",
            "4",
            Status::Cancelled,
            mapped.payload,
        ))
        .await
        .unwrap();
    assert_eq!(removed.remote, json!({"System.State": "Removed"}));
    assert_eq!(
        mapping.from_provider(&removed.remote),
        Some(Status::Cancelled)
    );
    let undone = ado
        .push(common::push(
            "user_story",
            "4",
            Status::Completed,
            mapped.undo.payload,
        ))
        .await
        .unwrap();
    assert_eq!(undone.remote, json!({"System.State": "Resolved"}));

    let err = ado
        .push(common::push(
            "user_story",
            "99",
            Status::Completed,
            Value::Null,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { status: 404, .. }),
        "{err:?}"
    );
    let err = ado
        .push(common::push(
            "user_story",
            "3",
            Status::Completed,
            json!({"System.State": "Finished"}),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Rejected { status: 400, message, .. } if message.contains("TF401320")),
        "{err:?}"
    );
    let err = ado
        .push(common::push(
            "user_story",
            "x/3",
            Status::Completed,
            Value::Null,
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Rejected { status: 0, .. }));
}

#[tokio::test]
async fn shared_behaviour() {
    let (base, fake) = devops().await;
    let ado = adapter(
        &base,
        credentials(TOKEN),
        common::options(Arc::new(ManualClock::new(0))),
    );
    let made = ado
        .create_hierarchy(&[EpicSpec {
            source_id: "e".into(),
            name: "Epic".into(),
            description: None,
            features: vec![],
        }])
        .await;
    assert_eq!(made[0].id, Some(1));
    let make = move |c: Credentials, o: HttpOptions| -> Box<dyn Adapter> {
        Box::new(adapter(&base, c, o))
    };
    // Azure DevOps has no idempotency key (the State patch is idempotent by itself).
    common::behaviour_suite(
        &fake,
        &make,
        &credentials,
        common::push("epic", "1", Status::InProgress, Value::Null),
        false,
    )
    .await;
}

#[tokio::test]
async fn no_credential_shows_anywhere_after_a_run_with_failures() {
    let (base, fake) = devops().await;
    let story = |id: u64, state: &str| {
        json!({"id": id, "rev": 1, "relations": [],
        "fields": {"System.WorkItemType": "User Story", "System.State": state, "System.Title": format!("Story {id}")}})
    };
    fake.data.lock().unwrap()["items"] = json!([
        story(1, "New"),
        story(2, "New"),
        story(3, "Active"),
        story(4, "Closed")
    ]);
    common::secrets::sweep(common::secrets::Sweep {
        make: &|c, o| adapter(&base, c, o),
        credentials: &credentials,
        server: fake.as_ref(),
        secrets: [TOKEN, common::FRESH],
        renews: true,
        scope: "*",
        mapping: sync_core::transition::ProviderKind::AzureDevOps,
        mirrored: None,
        moves: [
            ("1", Status::Completed),
            ("2", Status::Completed),
            ("3", Status::Completed),
            ("4", Status::Pending),
        ],
        configs: Vec::new(),
    })
    .await;
}
