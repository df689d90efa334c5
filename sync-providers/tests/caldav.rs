//! CalDAV against a real server: Radicale from PyPI on a free loopback port, with a temporary
//! storage folder, started through scripts/radicale.sh (the helper `make demo` uses too).
//! The result is read back with the `caldav` Python client library.
//!
//! The virtualenv comes from `RADICALE_VENV` (set by `make test-providers`); without it the
//! test creates `target/radicale-venv` itself. If Radicale cannot be installed or started the
//! test fails: it is never skipped.

// A fake's early answer is a whole HTTP response; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::CountingRefresher;
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{ManualClock, ProviderClient, ProviderError, Secret, Status};
use sync_providers::{CalDavProvider, Credentials};

const USER: &str = "alice";
const PASSWORD: &str = "pw-SECRET-71c2d9e0";
const CALENDAR: &str = "tasks";

#[path = "../../tests/support/radicale.rs"]
mod radicale;

use radicale::{Radicale, root, venv};

impl Radicale {
    /// What the `caldav` client library reads for `uid`.
    fn read_with_client(&self, uid: &str) -> Value {
        let out = Command::new(venv().join("bin/python"))
            .arg(root().join("sync-providers/tests/caldav_check.py"))
            .arg(format!("{}{CALENDAR}/", self.home()))
            .args([USER, PASSWORD, uid])
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "caldav client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn adapter(
    radicale: &Radicale,
    password: &str,
    refresher: Option<Arc<CountingRefresher>>,
) -> CalDavProvider {
    let mut credentials = Credentials::basic(USER, Secret::new(password));
    if let Some(refresher) = refresher {
        credentials = credentials.with_refresher(refresher);
    }
    let options = common::options(Arc::new(ManualClock::new(1_769_821_713_000)));
    CalDavProvider::new(
        &radicale.home(),
        credentials,
        sync_providers::HttpOptions {
            timeout: std::time::Duration::from_secs(10),
            ..options
        },
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_a_vtodo_on_a_real_caldav_server() {
    let radicale = Radicale::start(USER, PASSWORD, true);
    let caldav = adapter(&radicale, PASSWORD, None);

    let listing = caldav.list(CALENDAR.into()).await.unwrap();
    assert!(listing.complete);
    let mut ids: Vec<_> = listing
        .items
        .iter()
        .map(|t| (t.external_id.clone(), t.content.status))
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![
            ("tasks/demo-1.ics".to_owned(), Some(Status::Pending)),
            ("tasks/demo-2.ics".to_owned(), Some(Status::Pending)),
            ("tasks/demo-3.ics".to_owned(), Some(Status::Pending)),
        ]
    );

    let mapping = StatusMapping::new(ProviderKind::CalDav);
    let done = mapping.to_provider(Status::Completed, &Value::Null, 1_769_821_713_000);
    let receipt = caldav
        .push(common::push(
            "task",
            "tasks/demo-1.ics",
            Status::Completed,
            done.payload,
        ))
        .await
        .unwrap();
    assert_eq!(
        receipt.remote,
        json!({"STATUS": "COMPLETED", "COMPLETED": "20260131T010833Z", "PERCENT-COMPLETE": 100})
    );

    // A CalDAV client that is not ours sees the completed VTODO, its other properties intact.
    let seen = radicale.read_with_client("demo-1");
    assert_eq!(seen["status"], "COMPLETED");
    assert_eq!(seen["completed"], "20260131T010833Z");
    assert_eq!(seen["percent"], 100);
    assert_eq!(seen["note"], "kept as is");
    assert_eq!(seen["summary"], "Write the quarterly report");
    // The rewrite is the object's last revision: DTSTAMP (seeded 20260101T090000Z) and
    // LAST-MODIFIED both carry its time (RFC 5545 3.8.7.2, 3.8.7.3).
    assert_eq!(seen["dtstamp"], "20260131T010833Z", "{seen}");
    assert_eq!(seen["last_modified"], "20260131T010833Z", "{seen}");
    let listing = caldav.list(CALENDAR.into()).await.unwrap();
    let one = listing
        .items
        .iter()
        .find(|t| t.external_id == "tasks/demo-1.ics")
        .unwrap();
    assert_eq!(one.content.status, Some(Status::Completed));

    // Reopen: COMPLETED removed, back to NEEDS-ACTION.
    let reopen = mapping.to_provider(Status::Pending, &receipt.remote, 1_769_821_714_000);
    caldav
        .push(common::push(
            "task",
            "tasks/demo-1.ics",
            Status::Pending,
            reopen.payload,
        ))
        .await
        .unwrap();
    let seen = radicale.read_with_client("demo-1");
    assert_eq!(
        (
            seen["status"].as_str(),
            seen["completed"].is_null(),
            seen["percent"].as_i64()
        ),
        (Some("NEEDS-ACTION"), true, Some(0))
    );

    // A resource that is not there: 404, not retryable.
    let err = caldav
        .push(common::push(
            "task",
            "tasks/none.ics",
            Status::Completed,
            json!({"STATUS": "COMPLETED"}),
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Rejected { status: 404, .. }),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_password_is_renewed_through_the_refresher_and_never_shown() {
    let radicale = Radicale::start(USER, PASSWORD, true);
    let stale = "pw-STALE-00aa11bb";

    // No refresher: the real server's 401 is TokenExpired, and no form of the password shows.
    let caldav = adapter(&radicale, stale, None);
    let err = caldav.list(CALENDAR.into()).await.unwrap_err();
    assert!(matches!(err, ProviderError::TokenExpired { .. }), "{err:?}");
    for shown in [err.to_string(), format!("{err:?}"), format!("{caldav:?}")] {
        assert!(
            !shown.contains(stale) && !shown.contains(PASSWORD),
            "{shown}"
        );
    }

    // With the host callback handing out the right password: one renewal, then success.
    let refresher = Arc::new(Fixed(PASSWORD, AtomicUsize::new(0)));
    let caldav = CalDavProvider::new(
        &radicale.home(),
        Credentials::basic(USER, Secret::new(stale)).with_refresher(refresher.clone()),
        sync_providers::HttpOptions::default(),
    )
    .unwrap();
    let mapping = StatusMapping::new(ProviderKind::CalDav);
    let done = mapping.to_provider(Status::Completed, &Value::Null, 1_769_821_713_000);
    caldav
        .push(common::push(
            "task",
            "tasks/demo-2.ics",
            Status::Completed,
            done.payload,
        ))
        .await
        .unwrap();
    assert_eq!(radicale.read_with_client("demo-2")["status"], "COMPLETED");
    assert!(!format!("{caldav:?}").contains(PASSWORD));
    assert_eq!(refresher.1.load(Ordering::SeqCst), 1, "one renewal");
}

/// A refresher that returns one fixed password (what a vault read would), counting calls.
#[derive(Debug)]
struct Fixed(&'static str, AtomicUsize);

#[async_trait::async_trait]
impl sync_core::TokenRefresher for Fixed {
    async fn refresh(&self, provider: String) -> Result<Secret, ProviderError> {
        assert_eq!(provider, "caldav");
        self.1.fetch_add(1, Ordering::SeqCst);
        Ok(Secret::new(self.0))
    }
}

/// A loopback proxy in front of Radicale that plays a second CalDAV client: right after
/// forwarding the adapter's `GET` of a resource it edits that resource on the real server
/// (`meddles` times), so the adapter's `PUT` with the old `If-Match` ETag meets a real 412.
struct Meddler {
    upstream: String,
    client: reqwest::Client,
    meddles: AtomicUsize,
    gets: AtomicUsize,
    puts: std::sync::Mutex<Vec<u16>>,
}

async fn meddle(
    axum::extract::State(proxy): axum::extract::State<Arc<Meddler>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let url = format!("{}{path}", proxy.upstream);
    let mut request = proxy.client.request(method.clone(), &url);
    for (name, value) in &headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            request = request.header(name, value);
        }
    }
    let reply = request.body(body).send().await.expect("Radicale answers");
    let status = reply.status();
    let reply_headers = reply.headers().clone();
    let bytes = reply.bytes().await.expect("Radicale's body");
    if method == axum::http::Method::GET && path.ends_with(".ics") {
        proxy.gets.fetch_add(1, Ordering::SeqCst);
        let left = proxy.meddles.load(Ordering::SeqCst);
        if left > 0 {
            proxy.meddles.store(left - 1, Ordering::SeqCst);
            // The other client's edit: a new SUMMARY, written unconditionally.
            let text = String::from_utf8_lossy(&bytes).replacen("SUMMARY:", "SUMMARY:Edited ", 1);
            let put = proxy
                .client
                .put(&url)
                .basic_auth(USER, Some(PASSWORD))
                .header("content-type", "text/calendar; charset=utf-8")
                .body(text)
                .send()
                .await
                .expect("Radicale answers");
            assert!(put.status().is_success(), "{}", put.status());
        }
    }
    if method == axum::http::Method::PUT {
        proxy.puts.lock().unwrap().push(status.as_u16());
    }
    let mut response = axum::response::Response::builder().status(status.as_u16());
    for (name, value) in &reply_headers {
        if !matches!(
            name.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response = response.header(name, value);
        }
    }
    response.body(axum::body::Body::from(bytes)).unwrap()
}

async fn meddler(radicale: &Radicale, meddles: usize) -> (Arc<Meddler>, String) {
    let proxy = Arc::new(Meddler {
        upstream: format!("http://127.0.0.1:{}", radicale.port),
        client: reqwest::Client::new(),
        meddles: AtomicUsize::new(meddles),
        gets: AtomicUsize::new(0),
        puts: std::sync::Mutex::new(Vec::new()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let home = format!("http://{}/{USER}/", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(meddle)
        .with_state(proxy.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (proxy, home)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_etag_changed_between_get_and_put_is_reread_and_retried_on_the_real_server() {
    let radicale = Radicale::start(USER, PASSWORD, true);
    let mapping = StatusMapping::new(ProviderKind::CalDav);
    let done = mapping.to_provider(Status::Completed, &Value::Null, 1_769_821_713_000);

    // Another client edits demo-1 once between the adapter's GET and PUT: the PUT gets 412,
    // the adapter re-reads, and its second PUT keeps the other client's edit.
    let (proxy, home) = meddler(&radicale, 1).await;
    let caldav = CalDavProvider::with_password(&home, USER, Secret::new(PASSWORD)).unwrap();
    caldav
        .push(common::push(
            "task",
            "tasks/demo-1.ics",
            Status::Completed,
            done.payload.clone(),
        ))
        .await
        .unwrap();
    let puts = proxy.puts.lock().unwrap().clone();
    assert_eq!(puts.len(), 2, "{puts:?}");
    assert_eq!(
        puts[0], 412,
        "the real server refused the stale ETag: {puts:?}"
    );
    assert!((200..300).contains(&puts[1]), "{puts:?}");
    assert_eq!(proxy.gets.load(Ordering::SeqCst), 2, "one re-read");
    let seen = radicale.read_with_client("demo-1");
    assert_eq!(seen["status"], "COMPLETED");
    assert_eq!(seen["percent"], 100);
    assert_eq!(seen["summary"], "Edited Write the quarterly report");
    assert_eq!(seen["note"], "kept as is");

    // It keeps changing: after three tries the push is a retryable 412 for the queue, and
    // nothing of ours was written.
    let (proxy, home) = meddler(&radicale, 3).await;
    let caldav = CalDavProvider::with_password(&home, USER, Secret::new(PASSWORD)).unwrap();
    let err = caldav
        .push(common::push(
            "task",
            "tasks/demo-2.ics",
            Status::Completed,
            done.payload,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Unavailable { status: 412, .. }),
        "{err:?}"
    );
    assert_eq!(*proxy.puts.lock().unwrap(), vec![412, 412, 412]);
    let seen = radicale.read_with_client("demo-2");
    assert_eq!(seen["status"], "NEEDS-ACTION");
    assert_eq!(
        seen["summary"],
        "Edited Edited Edited Review the pull request"
    );
}

#[tokio::test]
async fn no_credential_shows_anywhere_after_a_run_with_failures() {
    let todos = [
        ("a", "NEEDS-ACTION"),
        ("b", "NEEDS-ACTION"),
        ("c", "NEEDS-ACTION"),
        ("d", "COMPLETED"),
    ];
    let fake = common::caldav_fake::CalDavFake::start(USER, CALENDAR, &todos);
    common::secrets::sweep(common::secrets::Sweep {
        make: &|c, o| CalDavProvider::new(&fake.home, c, o).unwrap(),
        credentials: &|secret| Credentials::basic(USER, Secret::new(secret)),
        server: &fake,
        secrets: [common::TOKEN, common::FRESH],
        renews: true,
        scope: CALENDAR,
        mapping: ProviderKind::CalDav,
        mirrored: None,
        moves: [
            ("tasks/a.ics", Status::Completed),
            ("tasks/b.ics", Status::Completed),
            ("tasks/c.ics", Status::InProgress),
            ("tasks/d.ics", Status::Pending),
        ],
        configs: Vec::new(),
    })
    .await;
    // The two pushes that went through were written (the second after a retry by hand).
    let written = |name: &str| fake.resource(name).unwrap_or_default();
    assert!(written("a.ics").contains("STATUS:COMPLETED"));
    assert!(written("d.ics").contains("STATUS:NEEDS-ACTION"));
    assert!(
        written("b.ics").contains("STATUS:NEEDS-ACTION"),
        "the revoked push wrote nothing"
    );
}
