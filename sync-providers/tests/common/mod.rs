//! Loopback HTTP servers for the adapters whose real service cannot run here, and the behaviour
//! suite every adapter passes (failure classes, token renewal and redaction, idempotency key,
//! rate limiting).
//!
//! A fake keeps the provider's data and answers its documented paths; [`Fake::gate`] runs
//! first on every request: it records the request, checks the `Authorization` header (a wrong
//! one gets `401` with `WWW-Authenticate`, as the real services answer an expired token), and
//! plays queued [`Fault`]s (429 with `Retry-After`, 5xx, 4xx, slow answers).

#![allow(dead_code, unreachable_pub, clippy::result_large_err)]

pub mod azure_devops_fake;
pub mod caldav_fake;
pub mod connectwise_fake;
pub mod control;
pub mod mstodo_fake;
pub mod processplan_fake;
pub mod secrets;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sync_core::retry::RateLimiterConfig;
use sync_core::{
    ManualClock, ProviderClient, ProviderError, Secret, Status, StatusPush, TokenRefresher,
};
use sync_providers::{Credentials, HttpOptions};

/// The token the fakes start with; long and unique so a leak is easy to spot.
pub const TOKEN: &str = "tok-SECRET-4f1c9a7e2b";
/// The token the refresher hands out.
pub const FRESH: &str = "tok-FRESH-8d2e6b0c13";

/// A request as the fake saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response the fake plays instead of the real handling.
#[derive(Clone, Debug)]
pub struct Fault {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub delay: Duration,
}

impl Fault {
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Fault {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
    pub fn slow(delay: Duration) -> Self {
        Fault {
            delay,
            ..Fault::status(200, "{}")
        }
    }
}

/// The shared state of one fake server.
#[derive(Debug)]
pub struct Fake {
    /// The `Authorization` header value the server accepts.
    pub auth: Mutex<String>,
    pub faults: Mutex<VecDeque<Fault>>,
    pub seen: Mutex<Vec<Seen>>,
    /// The provider's data, shaped as each fake likes.
    pub data: Mutex<Value>,
    /// `Bearer` or `Basic`, for the challenge.
    pub scheme: &'static str,
    /// The credential and data it started with, for a reset.
    pub start: (String, Value),
}

impl Fake {
    pub fn new(auth: String, scheme: &'static str, data: Value) -> Arc<Self> {
        Arc::new(Fake {
            faults: Mutex::new(VecDeque::new()),
            seen: Mutex::new(Vec::new()),
            start: (auth.clone(), data.clone()),
            data: Mutex::new(data),
            scheme,
            auth: Mutex::new(auth),
        })
    }

    /// Back to the start: its credential and data, no faults, nothing seen.
    pub fn reset(&self) {
        *self.auth.lock().unwrap() = self.start.0.clone();
        *self.data.lock().unwrap() = self.start.1.clone();
        self.faults.lock().unwrap().clear();
        self.seen.lock().unwrap().clear();
    }

    pub fn fault(&self, fault: Fault) {
        self.faults.lock().unwrap().push_back(fault);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Records the request, checks its credential, plays a queued fault.
    pub async fn gate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<(), Response> {
        self.seen.lock().unwrap().push(Seen {
            method: method.clone(),
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or("").to_owned(),
            headers: headers.clone(),
            body: body.clone(),
        });
        let fault = self.faults.lock().unwrap().pop_front();
        if let Some(fault) = fault {
            tokio::time::sleep(fault.delay).await;
            if fault.status != 200 {
                let mut response = (
                    StatusCode::from_u16(fault.status).unwrap(),
                    fault.body.clone(),
                )
                    .into_response();
                for (name, value) in fault.headers {
                    let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
                    response.headers_mut().insert(name, value.parse().unwrap());
                }
                return Err(response);
            }
        }
        let expected = self.auth.lock().unwrap().clone();
        let given = headers.get("authorization").and_then(|v| v.to_str().ok());
        if given != Some(expected.as_str()) {
            let challenge = format!(
                "{} realm=\"fake\", error=\"invalid_token\", error_description=\"The access token expired\"",
                self.scheme
            );
            // Echo the presented credential back, as some servers do: it must not leak out.
            let body = json!({"error": {"code": "InvalidAuthenticationToken",
                "message": format!("token {} expired", given.unwrap_or(""))}});
            let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert("www-authenticate", challenge.parse().unwrap());
            return Err(response);
        }
        Ok(())
    }
}

impl secrets::Server for Fake {
    fn accept(&self, authorization: &str) {
        *self.auth.lock().unwrap() = authorization.to_owned();
    }
    fn fail_next(&self, status: u16, body: &str) {
        self.fault(Fault::status(status, body));
    }
}

/// Serves `router` on 127.0.0.1 on a free port; answers its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A refresher that counts its calls and hands out [`FRESH`].
#[derive(Debug, Default)]
pub struct CountingRefresher(pub AtomicUsize);

#[async_trait]
impl TokenRefresher for CountingRefresher {
    async fn refresh(&self, _provider: String) -> Result<Secret, ProviderError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Secret::new(FRESH))
    }
}

/// Transport options with a manual clock and a generous limiter.
pub fn options(clock: Arc<ManualClock>) -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_millis(500),
        rate_limit: RateLimiterConfig::unlimited(),
        max_wait: Duration::ZERO,
        clock,
    }
}

/// A job's push for `external_id` with `payload`.
pub fn push(kind: &str, external_id: &str, status: Status, payload: Value) -> StatusPush {
    StatusPush {
        job_id: "job-1".into(),
        idempotency_key: format!("idem-{external_id}-{}", status.as_str()),
        task_id: "hub-1".into(),
        external_id: external_id.into(),
        kind: kind.into(),
        status,
        payload,
        attempt: 1,
    }
}

/// What an error should look like.
type Expect = fn(&ProviderError) -> bool;

/// An adapter that can be printed (every adapter derives or implements `Debug`).
pub trait Adapter: ProviderClient + std::fmt::Debug {}
impl<T: ProviderClient + std::fmt::Debug> Adapter for T {}

/// Builds an adapter on the fake with the given credentials and options.
pub type Make = dyn Fn(Credentials, HttpOptions) -> Box<dyn Adapter>;

fn no_leak(provider: &dyn Adapter, err: &ProviderError) {
    for shown in [
        err.to_string(),
        format!("{err:?}"),
        serde_json::to_string(err).unwrap(),
    ] {
        assert!(!shown.contains(TOKEN), "token leaked: {shown}");
        assert!(!shown.contains(FRESH), "token leaked: {shown}");
    }
    let debug = format!("{provider:?}");
    assert!(
        !debug.contains(TOKEN) && !debug.contains(FRESH),
        "token in Debug: {debug}"
    );
}

/// The behaviour every adapter shows on its push: failure classes, token renewal, redaction,
/// idempotency key, rate limiting. `credentials(secret)` builds the adapter's credential
/// shape; `change` is a valid push the fake accepts; `idempotent_header` says whether the
/// adapter sends `Idempotency-Key`.
pub async fn behaviour_suite(
    fake: &Fake,
    make: &Make,
    credentials: &dyn Fn(&str) -> Credentials,
    change: StatusPush,
    idempotent_header: bool,
) {
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let adapter = make(credentials(TOKEN), options(clock.clone()));

    // Success, with the idempotency key where the adapter sends one.
    let before = fake.count();
    adapter.push(change.clone()).await.expect("healthy push");
    let sent = fake.seen();
    let last = sent.last().unwrap();
    if idempotent_header {
        assert_eq!(
            last.header("idempotency-key"),
            Some(change.idempotency_key.as_str())
        );
    }
    assert!(fake.count() > before);

    // Failure classes.
    let cases: Vec<(Fault, Expect)> = vec![
        (Fault::status(503, r#"{"message":"down"}"#), |e| {
            matches!(e, ProviderError::Unavailable { status: 503, .. })
        }),
        (Fault::status(500, "oops"), |e| {
            matches!(e, ProviderError::Unavailable { status: 500, .. })
        }),
        (Fault::status(400, r#"{"message":"bad"}"#), |e| {
            matches!(e, ProviderError::Rejected { status: 400, .. })
        }),
        (Fault::status(403, r#"{"message":"no"}"#), |e| {
            matches!(e, ProviderError::Rejected { status: 403, .. })
        }),
        (Fault::status(404, r#"{"message":"gone"}"#), |e| {
            matches!(e, ProviderError::Rejected { status: 404, .. })
        }),
        (Fault::status(409, r#"{"message":"conflict"}"#), |e| {
            matches!(e, ProviderError::Rejected { status: 409, .. })
        }),
        (Fault::slow(Duration::from_secs(3)), |e| {
            matches!(e, ProviderError::Timeout { .. })
        }),
    ];
    for (fault, expected) in cases {
        let shown = format!("{fault:?}");
        fake.fault(fault);
        let err = adapter.push(change.clone()).await.expect_err(&shown);
        assert!(expected(&err), "{shown} gave {err:?}");
        no_leak(adapter.as_ref(), &err);
    }
    fake.faults.lock().unwrap().clear();

    // A server echoing the token in an error body: redacted.
    fake.fault(Fault::status(
        400,
        format!(r#"{{"message":"bad token {TOKEN}"}}"#),
    ));
    let err = adapter.push(change.clone()).await.unwrap_err();
    assert!(err.to_string().contains("***"), "{err}");
    no_leak(adapter.as_ref(), &err);

    // 429 with Retry-After in seconds pauses the adapter: nothing is sent until it passes.
    fake.fault(Fault::status(429, "{}").header("retry-after", "7"));
    let err = adapter.push(change.clone()).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::RateLimited {
            provider: adapter.name(),
            retry_after_ms: 7_000
        }
    );
    let before = fake.count();
    let err = adapter.push(change.clone()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                retry_after_ms: 7_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.count(), before, "a paused adapter sends nothing");
    clock.advance(7_000);
    adapter.push(change.clone()).await.expect("after the pause");

    // 429 with an HTTP-date.
    let at = std::time::UNIX_EPOCH + Duration::from_millis(clock_now(&clock) as u64 + 30_000);
    fake.fault(Fault::status(429, "{}").header("retry-after", httpdate::fmt_http_date(at)));
    let err = adapter.push(change.clone()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                retry_after_ms: 30_000,
                ..
            }
        ),
        "{err:?}"
    );
    clock.advance(30_000);

    // A 503 with Retry-After (Graph sends one when it sheds load) keeps its delay, in seconds
    // and as an HTTP-date, and pauses the adapter like a 429; without one it is a plain outage.
    for as_date in [false, true] {
        let (value, wait) = if as_date {
            let at =
                std::time::UNIX_EPOCH + Duration::from_millis(clock_now(&clock) as u64 + 45_000);
            (httpdate::fmt_http_date(at), 45_000)
        } else {
            ("12".to_owned(), 12_000)
        };
        fake.fault(
            Fault::status(503, r#"{"message":"busy"}"#).header("retry-after", value.clone()),
        );
        let err = adapter.push(change.clone()).await.unwrap_err();
        assert_eq!(
            err,
            ProviderError::RateLimited {
                provider: adapter.name(),
                retry_after_ms: wait
            },
            "503 with Retry-After: {value}"
        );
        let before = fake.count();
        let err = adapter.push(change.clone()).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::RateLimited { retry_after_ms, .. } if retry_after_ms == wait),
            "{err:?}"
        );
        assert_eq!(fake.count(), before, "a paused adapter sends nothing");
        clock.advance(wait as i64);
    }
    adapter
        .push(change.clone())
        .await
        .expect("after the 503's pause");

    // Expired token without a refresher: TokenExpired, and the worker's refresh_token fails.
    *fake.auth.lock().unwrap() = expected_auth(fake, credentials, FRESH);
    let err = adapter.push(change.clone()).await.unwrap_err();
    assert!(matches!(err, ProviderError::TokenExpired { .. }), "{err:?}");
    no_leak(adapter.as_ref(), &err);
    assert!(adapter.refresh_token().await.is_err());

    // With a refresher: 401, one renewal, the request repeated with the new token, success.
    let refresher = Arc::new(CountingRefresher::default());
    let renewing = make(
        credentials(TOKEN).with_refresher(refresher.clone()),
        options(clock.clone()),
    );
    let before = fake.count();
    renewing
        .push(change.clone())
        .await
        .expect("push after renewal");
    assert_eq!(refresher.0.load(Ordering::SeqCst), 1);
    let sent = fake.seen();
    let auths: Vec<_> = sent[before..]
        .iter()
        .filter_map(|s| s.header("authorization").map(str::to_owned))
        .collect();
    assert!(
        auths
            .first()
            .is_some_and(|a| *a != *fake.auth.lock().unwrap()),
        "first try used the old token"
    );
    assert!(
        auths
            .last()
            .is_some_and(|a| *a == *fake.auth.lock().unwrap()),
        "retry used the fresh token"
    );
    assert!(!format!("{renewing:?}").contains(FRESH));
    // The worker's path: refresh_token() then a push.
    let worker_side = make(
        credentials(TOKEN).with_refresher(refresher.clone()),
        options(clock.clone()),
    );
    worker_side.refresh_token().await.expect("refresh");
    let before = fake.count();
    worker_side
        .push(change.clone())
        .await
        .expect("push with refreshed token");
    assert_eq!(
        fake.seen()[before].header("authorization"),
        Some(fake.auth.lock().unwrap().as_str())
    );

    // The adapter's own rate: one call per 10 s with a burst of 1; the second call waits.
    let limited = make(
        credentials(FRESH),
        HttpOptions {
            rate_limit: RateLimiterConfig {
                per_second: 0.1,
                burst: 1,
            },
            ..options(clock.clone())
        },
    );
    limited.push(change.clone()).await.expect("first call");
    let before = fake.count();
    let err = limited.push(change.clone()).await.unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::RateLimited {
                retry_after_ms: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.count(), before);
    clock.advance(10_000);
    limited.push(change.clone()).await.expect("after refill");

    *fake.auth.lock().unwrap() = expected_auth(fake, credentials, TOKEN);
}

fn clock_now(clock: &ManualClock) -> i64 {
    use sync_core::Clock;
    clock.now_ms()
}

/// The `Authorization` value the adapter sends for `secret` with these credentials.
pub fn expected_auth(
    fake: &Fake,
    credentials: &dyn Fn(&str) -> Credentials,
    secret: &str,
) -> String {
    let creds = credentials(secret);
    match fake.scheme {
        "Bearer" => format!("Bearer {}", creds.secret.expose()),
        _ => format!(
            "Basic {}",
            sync_providers::http::encode::base64(creds.secret.expose().as_bytes())
        ),
    }
}
