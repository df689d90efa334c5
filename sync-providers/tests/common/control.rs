//! The control endpoints of an HTTP fake, under `/_fake/` on the fake's own origin (the
//! `fakes` example serves them; see examples/fakes.md). Control requests are not recorded.
//!
//! - `GET /_fake/seen`: the provider requests so far, `[{method, path, query, headers, body}]`
//!   (header names lower-cased, the body as UTF-8 text);
//! - `POST /_fake/fault` `{"status", "headers"?, "body"?, "delay_ms"?}`: queued; the next provider
//!   request is recorded and answered with it (a 200 fault only delays the real answer);
//! - `POST /_fake/credential` `{"token"}` (Bearer) or `{"user", "password"}` (Basic): what the
//!   fake accepts from now on;
//! - `GET /_fake/data`, `PUT /_fake/data`: the provider's data;
//! - `POST /_fake/reset`: the start credential and data, no faults, nothing seen.
//!
//! A bad control request is a `400` with `{"error": message}` naming the field.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use sync_providers::http::encode::base64;

use super::{Fake, Fault, Seen};

/// A fault as the control API takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub delay_ms: u64,
}

/// A credential as the control API takes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialSpec {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

impl CredentialSpec {
    /// The `Authorization` value it stands for, for a fake whose scheme is `scheme`.
    pub fn authorization(&self, scheme: &str) -> Result<String, String> {
        match (&self.token, &self.user, &self.password, scheme) {
            (Some(token), None, None, "Bearer") => Ok(format!("Bearer {token}")),
            (None, Some(user), Some(password), "Basic") => Ok(format!(
                "Basic {}",
                base64(format!("{user}:{password}").as_bytes())
            )),
            (_, _, _, "Bearer") => Err("token: this fake takes {\"token\"} only".into()),
            _ => Err("user: this fake takes {\"user\", \"password\"} only".into()),
        }
    }
}

/// A request's JSON form in `/_fake/seen`.
pub fn seen_json(seen: &Seen) -> Value {
    let mut headers = serde_json::Map::new();
    for (name, value) in &seen.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers.insert(name.as_str().to_ascii_lowercase(), Value::String(value));
    }
    json!({
        "method": seen.method.as_str(),
        "path": seen.path,
        "query": seen.query,
        "headers": headers,
        "body": String::from_utf8_lossy(&seen.body),
    })
}

fn bad(message: impl Into<String>) -> Response {
    let body = axum::Json(json!({"error": message.into()}));
    (StatusCode::BAD_REQUEST, body).into_response()
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| bad(e.to_string()))
}

async fn seen(State(fake): State<Arc<Fake>>) -> Response {
    let all: Vec<Value> = fake.seen().iter().map(seen_json).collect();
    axum::Json(all).into_response()
}

async fn fault(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let spec: FaultSpec = match parse(&body) {
        Ok(spec) => spec,
        Err(r) => return r,
    };
    if StatusCode::from_u16(spec.status).is_err() || spec.status < 200 {
        return bad(format!("status: {} is not an HTTP status", spec.status));
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for (name, value) in spec.headers {
        let valid = axum::http::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && axum::http::HeaderValue::from_str(&value).is_ok();
        if !valid {
            return bad(format!("headers: `{name}` is not a valid header"));
        }
        headers.push((name.to_ascii_lowercase(), value));
    }
    if !headers.iter().any(|(n, _)| n == "content-type") {
        headers.push(("content-type".into(), "application/json".into()));
    }
    fake.fault(Fault {
        status: spec.status,
        headers,
        body: spec.body,
        delay: Duration::from_millis(spec.delay_ms.min(600_000)),
    });
    StatusCode::NO_CONTENT.into_response()
}

async fn credential(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let spec: CredentialSpec = match parse(&body) {
        Ok(spec) => spec,
        Err(r) => return r,
    };
    match spec.authorization(fake.scheme) {
        Ok(auth) => {
            *fake.auth.lock().unwrap() = auth;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(message) => bad(message),
    }
}

async fn get_data(State(fake): State<Arc<Fake>>) -> Response {
    axum::Json(fake.data.lock().unwrap().clone()).into_response()
}

async fn put_data(State(fake): State<Arc<Fake>>, body: Bytes) -> Response {
    let data: Value = match parse(&body) {
        Ok(data) => data,
        Err(r) => return r,
    };
    let start = &fake.start.1;
    let same_shape = match (start, &data) {
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .all(|(k, v)| !v.is_array() || b.get(k).is_none_or(Value::is_array)),
        _ => false,
    };
    if !same_shape {
        return bad("data: must be an object shaped like the start data (GET /_fake/data)");
    }
    *fake.data.lock().unwrap() = data;
    StatusCode::NO_CONTENT.into_response()
}

async fn reset(State(fake): State<Arc<Fake>>) -> Response {
    fake.reset();
    StatusCode::NO_CONTENT.into_response()
}

/// The control routes of `fake`, to merge into its provider routes.
pub fn router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route("/_fake/seen", get(seen))
        .route("/_fake/fault", post(fault))
        .route("/_fake/credential", post(credential))
        .route("/_fake/data", get(get_data).put(put_data))
        .route("/_fake/reset", post(reset))
        .with_state(fake)
}
