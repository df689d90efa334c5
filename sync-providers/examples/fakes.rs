//! Loopback fakes of every built-in provider's API, for tests in any language: the same
//! servers the adapter tests use (sync-providers/tests/common), each on its own free port of
//! 127.0.0.1, with control endpoints under `/_fake/` (see examples/fakes.md).
//!
//! Run it with no arguments: it prints one JSON line (each kind's `base_url`, the credentials,
//! the scopes and a ready configuration per kind), then serves until its standard input
//! reaches end of file (so a test's child ends with the test) or it gets SIGTERM.

#![allow(clippy::result_large_err)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};

use common::caldav_fake::CalDavFake;
use common::{
    FRESH, TOKEN, azure_devops_fake, connectwise_fake, control, mstodo_fake, processplan_fake,
};
use serde_json::{Value, json};
use sync_providers::http::encode::base64;

/// The CalDAV account and calendar.
const CALDAV_USER: &str = "alice";
const CALENDAR: &str = "tasks";

/// Serves a fake's provider routes and its control routes; answers its origin.
async fn serve(fake: std::sync::Arc<common::Fake>, routes: axum::Router) -> String {
    common::serve(routes.merge(control::router(fake))).await
}

/// Four work items: an epic, a feature and two user stories.
fn work_items() -> Value {
    let item = |id: u64, ty: &str, title: &str, state: &str| {
        json!({"id": id, "rev": 1, "fields": {"System.WorkItemType": ty, "System.Title": title,
               "System.State": state, "System.AreaPath": "web"}, "relations": []})
    };
    json!({"items": [
        item(1, "Epic", "Checkout", "New"),
        item(2, "Feature", "Cart", "Active"),
        item(3, "User Story", "Add item", "New"),
        item(4, "User Story", "Remove item", "Resolved"),
    ]})
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let todo = mstodo_fake::fake(json!({"list-1": mstodo_fake::tasks()}));
    let mstodo = serve(todo.clone(), mstodo_fake::router(todo)).await + mstodo_fake::BASE_PATH;

    let manage = connectwise_fake::fake(connectwise_fake::start());
    let connectwise =
        serve(manage.clone(), connectwise_fake::router(manage)).await + connectwise_fake::API;

    let plans = processplan_fake::fake(processplan_fake::start());
    let processplan =
        serve(plans.clone(), processplan_fake::router(plans)).await + processplan_fake::BASE_PATH;

    let devops = azure_devops_fake::fake(work_items());
    let azure_devops =
        serve(devops.clone(), azure_devops_fake::router(devops)).await + azure_devops_fake::PROJECT;

    let todos = [
        ("a", "NEEDS-ACTION"),
        ("b", "IN-PROCESS"),
        ("c", "COMPLETED"),
        ("d", "NEEDS-ACTION"),
    ];
    let calendar = CalDavFake::start(CALDAV_USER, CALENDAR, &todos);
    let basic = base64(format!("{CALDAV_USER}:{TOKEN}").as_bytes());
    calendar.accept_from_start(&format!("Basic {basic}"));
    let caldav = calendar.home.clone();

    let config = |kind: &str, base: &str, user: Option<&str>| {
        let mut config = json!({"kind": kind, "base_url": base});
        match user {
            None => config["token"] = json!(TOKEN),
            Some(user) => {
                config["user"] = json!(user);
                config["password"] = json!(TOKEN);
            }
        }
        config
    };
    let mut cw_config = config("connectwise", &connectwise, Some("acme+pubKEY"));
    cw_config["client_id"] = json!(connectwise_fake::CLIENT_ID);
    let line = json!({
        "mstodo": mstodo,
        "connectwise": connectwise,
        "processplan": processplan,
        "azure_devops": azure_devops,
        "caldav": caldav,
        "token": TOKEN,
        "fresh": FRESH,
        "user": CALDAV_USER,
        "users": {"connectwise": "acme+pubKEY", "azure_devops": "", "caldav": CALDAV_USER},
        "client_id": connectwise_fake::CLIENT_ID,
        "scopes": {"mstodo": "list-1", "connectwise": "tickets", "processplan": "p1",
                   "azure_devops": "*", "caldav": CALENDAR},
        "configs": {
            "mstodo": config("mstodo", &mstodo, None),
            "connectwise": cw_config,
            "processplan": config("processplan", &processplan, None),
            "azure_devops": config("azure-devops", &azure_devops, Some("")),
            "caldav": config("caldav", &caldav, Some(CALDAV_USER)),
        },
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("stdout");
    out.flush().expect("stdout");
    drop(out);

    // Until standard input ends (SIGTERM ends the process by its default action).
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = [0u8; 1024];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    })
    .await;
}
