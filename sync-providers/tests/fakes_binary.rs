//! The `fakes` example as other languages' tests run it: spawned, its JSON line read, one
//! adapter (Microsoft To Do, from its configuration through `sync_providers::build`) driven
//! through the control API: paging, a push seen with its headers and body, a queued 429 with
//! `Retry-After`, a 401 after the accepted credential changed (renewed by a refresher), the
//! data changed and reset. Every fake answers its control endpoints and refuses a wrong
//! credential with `401`.
//!
//! The binary is `$TASKSYNC_FAKES`, else `target/debug/examples/fakes` next to this test
//! (`cargo test` builds the examples first; `cargo build -p sync-providers --example fakes`
//! builds it alone).

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use serde_json::{Value, json};
use sync_core::{ProviderError, Status};
use sync_providers::{ProviderConfig, build};

/// The running binary; dropping it closes its stdin, which ends it.
struct Fakes {
    child: Child,
    info: Value,
}

impl Drop for Fakes {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TASKSYNC_FAKES") {
        return path.into();
    }
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = debug.join("examples").join("fakes");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p sync-providers --example fakes` or set TASKSYNC_FAKES",
        path.display()
    );
    path
}

fn start() -> Fakes {
    let mut child = Command::new(binary())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the fakes binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info = serde_json::from_str(&line).expect("one JSON line");
    Fakes { child, info }
}

impl Fakes {
    fn origin(&self, kind: &str) -> String {
        let base = self.info[kind].as_str().unwrap();
        let rest = base.strip_prefix("http://").unwrap();
        format!("http://{}", rest.split('/').next().unwrap())
    }

    async fn control(&self, kind: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/_fake/{path}", self.origin(kind));
        let client = reqwest::Client::new();
        let mut request = client.request(method.parse().unwrap(), url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let text = response.text().await.unwrap();
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        }
    }

    fn config(&self, kind: &str) -> ProviderConfig {
        ProviderConfig::from_json(&self.info["configs"][kind].to_string()).unwrap()
    }
}

#[tokio::test]
async fn the_binary_serves_mstodo_under_control() {
    let fakes = start();
    assert_eq!(fakes.info["token"], common::TOKEN);
    assert_eq!(fakes.info["fresh"], common::FRESH);
    let refresher = Arc::new(common::CountingRefresher::default());
    let todo = build(&fakes.config("mstodo"), Some(refresher.clone())).unwrap();

    // Paging: five tasks, two a page, three reads.
    let listing = todo.list("list-1".into()).await.unwrap();
    assert_eq!(listing.items.len(), 5);
    let seen = fakes.control("mstodo", "GET", "seen", None).await;
    assert_eq!(seen.as_array().unwrap().len(), 3);
    assert_eq!(seen[1]["query"], "$skip=2");
    let bearer = format!("Bearer {}", common::TOKEN);
    assert_eq!(seen[0]["headers"]["authorization"], json!(bearer));

    // A push, as the fake saw it.
    let payload = json!({"status": "inProgress", "completedDateTime": null});
    let change = common::push("task", "list-1/t1", Status::InProgress, payload);
    todo.push(change.clone()).await.unwrap();
    let seen = fakes.control("mstodo", "GET", "seen", None).await;
    let push = seen.as_array().unwrap().last().unwrap().clone();
    assert_eq!(push["method"], "PATCH");
    assert_eq!(push["path"], "/v1.0/me/todo/lists/list-1/tasks/t1");
    assert_eq!(
        push["headers"]["idempotency-key"],
        json!(change.idempotency_key)
    );
    let body: Value = serde_json::from_str(push["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "inProgress");
    let data = fakes.control("mstodo", "GET", "data", None).await;
    assert_eq!(data["list-1"][0]["status"], "inProgress");

    // A queued 429 with Retry-After.
    let fault =
        json!({"status": 429, "headers": {"retry-after": "1"}, "body": "{}", "delay_ms": 0});
    fakes.control("mstodo", "POST", "fault", Some(fault)).await;
    let err = todo.list("list-1".into()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                retry_after_ms: 1_000,
                ..
            }
        ),
        "{err:?}"
    );

    // The credential changes: a 401, one renewal, the fresh token.
    let fresh = json!({"token": common::FRESH});
    fakes
        .control("mstodo", "POST", "credential", Some(fresh))
        .await;
    let renewing = build(&fakes.config("mstodo"), Some(refresher.clone())).unwrap();
    let listing = renewing.list("list-1".into()).await.unwrap();
    assert_eq!(listing.items.len(), 5);
    assert_eq!(refresher.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    let seen = fakes.control("mstodo", "GET", "seen", None).await;
    let last = seen.as_array().unwrap().last().unwrap();
    let fresh_bearer = format!("Bearer {}", common::FRESH);
    assert_eq!(last["headers"]["authorization"], json!(fresh_bearer));

    // New data, then the start again.
    let one = json!({"list-1": [{"id": "z", "title": "Only", "status": "notStarted"}]});
    fakes.control("mstodo", "PUT", "data", Some(one)).await;
    assert_eq!(renewing.list("list-1".into()).await.unwrap().items.len(), 1);
    fakes.control("mstodo", "POST", "reset", None).await;
    assert_eq!(
        fakes.control("mstodo", "GET", "seen", None).await,
        json!([])
    );
    let again = build(&fakes.config("mstodo"), None).unwrap();
    assert_eq!(again.list("list-1".into()).await.unwrap().items.len(), 5);
}

#[tokio::test]
async fn every_fake_lists_with_its_configuration_and_refuses_a_wrong_credential() {
    let fakes = start();
    for kind in [
        "mstodo",
        "connectwise",
        "processplan",
        "azure_devops",
        "caldav",
    ] {
        let scope = fakes.info["scopes"][kind].as_str().unwrap().to_owned();
        let provider = build(&fakes.config(kind), None).unwrap();
        let listing = provider.list(scope.clone()).await.unwrap();
        assert!(!listing.items.is_empty(), "{kind}");
        assert!(listing.complete, "{kind}");

        let mut wrong = fakes.info["configs"][kind].clone();
        let field = if wrong.get("token").is_some() {
            "token"
        } else {
            "password"
        };
        wrong[field] = json!("not-the-secret");
        let wrong = ProviderConfig::from_json(&wrong.to_string()).unwrap();
        let err = build(&wrong, None).unwrap().list(scope).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::TokenExpired { .. }),
            "{kind}: {err:?}"
        );
        let seen = fakes.control(kind, "GET", "seen", None).await;
        assert!(seen.as_array().unwrap().len() >= 2, "{kind}: {seen}");
        fakes.control(kind, "POST", "reset", None).await;
    }
}
