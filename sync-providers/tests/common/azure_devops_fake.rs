//! A loopback Azure DevOps project (`/acme/web`) with the work-item API's documented shapes:
//! `api-version=7.1` on every call, JSON Patch (`application/json-patch+json`) to create
//! (`POST .../workitems/$Type`) and update (`PATCH .../workitems/{id}`), WIQL listing then a
//! batch `GET .../workitems?ids=..&$expand=relations`, `{"message", "typeKey"}` errors.
//! Data: `{"items": [work item]}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{Fake, TOKEN};
use sync_providers::http::encode::base64;

pub const PROJECT: &str = "/acme/web";
const STATES: [&str; 5] = ["New", "Active", "Resolved", "Closed", "Removed"];

fn ado_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"$id": "1", "message": message, "typeKey": "RuleValidationException"})),
    )
        .into_response()
}

async fn checked(
    fake: &Fake,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    patch: bool,
) -> Result<(), Response> {
    fake.gate(method, uri, headers, body).await?;
    if !uri
        .query()
        .unwrap_or("")
        .split('&')
        .any(|p| p == "api-version=7.1")
    {
        return Err(ado_error(
            StatusCode::BAD_REQUEST,
            "VS800075: The project must specify an api-version",
        ));
    }
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
    if patch && content_type != Some("application/json-patch+json") {
        return Err(ado_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content type must be application/json-patch+json",
        ));
    }
    Ok(())
}

fn item_json(item: &Value, host: &str) -> Value {
    let id = item["id"].as_u64().unwrap();
    let mut out = item.clone();
    out["url"] = json!(format!("http://{host}{PROJECT}/_apis/wit/workItems/{id}"));
    out["_links"] =
        json!({"html": {"href": format!("http://{host}{PROJECT}/_workitems/edit/{id}")}});
    out
}

/// `POST .../workitems/$Type` creates, `PATCH .../workitems/{id}` updates.
async fn create(
    State(fake): State<Arc<Fake>>,
    Path(ty): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = checked(&fake, &method, &uri, &headers, &body, true).await {
        return r;
    }
    let host = headers["host"].to_str().unwrap().to_owned();
    let Some(ty) = ty
        .strip_prefix('$')
        .filter(|t| ["Epic", "Feature", "User Story"].contains(t))
    else {
        return ado_error(StatusCode::NOT_FOUND, "TF51535: work item type not found");
    };
    let Ok(Value::Array(ops)) = serde_json::from_slice::<Value>(&body) else {
        return ado_error(
            StatusCode::BAD_REQUEST,
            "body must be a JSON Patch document",
        );
    };
    let mut data = fake.data.lock().unwrap();
    let id = data["items"].as_array().unwrap().len() as u64 + 1;
    let mut item = json!({"id": id, "rev": 1, "fields": {"System.WorkItemType": ty, "System.State": "New"}, "relations": []});
    for op in ops {
        match (op["op"].as_str(), op["path"].as_str()) {
            (Some("add"), Some(path)) if path.starts_with("/fields/") => {
                item["fields"][&path[8..]] = op["value"].clone();
            }
            (Some("add"), Some("/relations/-")) => {
                let url = op["value"]["url"].as_str().unwrap_or("");
                let parent: u64 = url
                    .rsplit('/')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                if op["value"]["rel"] != "System.LinkTypes.Hierarchy-Reverse"
                    || parent == 0
                    || parent >= id
                {
                    return ado_error(StatusCode::BAD_REQUEST, "invalid relation");
                }
                item["relations"]
                    .as_array_mut()
                    .unwrap()
                    .push(op["value"].clone());
            }
            _ => return ado_error(StatusCode::BAD_REQUEST, "unsupported operation"),
        }
    }
    let title = item["fields"]["System.Title"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    if title.is_empty() || title.contains("reject") {
        return ado_error(
            StatusCode::BAD_REQUEST,
            "TF401320: Rule Error for field Title",
        );
    }
    data["items"].as_array_mut().unwrap().push(item.clone());
    axum::Json(item_json(&item, &host)).into_response()
}

async fn update(
    State(fake): State<Arc<Fake>>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = checked(&fake, &method, &uri, &headers, &body, true).await {
        return r;
    }
    let host = headers["host"].to_str().unwrap().to_owned();
    let Ok(Value::Array(ops)) = serde_json::from_slice::<Value>(&body) else {
        return ado_error(
            StatusCode::BAD_REQUEST,
            "body must be a JSON Patch document",
        );
    };
    let mut data = fake.data.lock().unwrap();
    let Some(item) = data["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["id"].as_u64().map(|n| n.to_string()) == Some(id.clone()))
    else {
        return ado_error(StatusCode::NOT_FOUND, "TF401232: Work item does not exist");
    };
    for op in ops {
        if op["op"] != "add" || op["path"] != "/fields/System.State" {
            return ado_error(StatusCode::BAD_REQUEST, "unsupported operation");
        }
        if !op["value"].as_str().is_some_and(|s| STATES.contains(&s)) {
            return ado_error(
                StatusCode::BAD_REQUEST,
                "TF401320: Rule Error for field State",
            );
        }
        item["fields"]["System.State"] = op["value"].clone();
        item["rev"] = json!(item["rev"].as_u64().unwrap() + 1);
    }
    axum::Json(item_json(item, &host)).into_response()
}

async fn wiql(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = checked(&fake, &method, &uri, &headers, &body, false).await {
        return r;
    }
    let query: Value = serde_json::from_slice(&body).unwrap_or_default();
    if !query["query"]
        .as_str()
        .is_some_and(|q| q.starts_with("SELECT [System.Id] FROM WorkItems"))
    {
        return ado_error(StatusCode::BAD_REQUEST, "VS402337: bad WIQL");
    }
    let data = fake.data.lock().unwrap();
    let refs: Vec<Value> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"id": i["id"]}))
        .collect();
    axum::Json(json!({"queryType": "flat", "workItems": refs})).into_response()
}

async fn batch(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = checked(&fake, &method, &uri, &headers, &body, false).await {
        return r;
    }
    assert_eq!(q.get("$expand").map(String::as_str), Some("relations"));
    let host = headers["host"].to_str().unwrap().to_owned();
    let ids: Vec<String> = q["ids"].split(',').map(str::to_owned).collect();
    let data = fake.data.lock().unwrap();
    let value: Vec<Value> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| ids.contains(&i["id"].to_string()))
        .map(|i| item_json(i, &host))
        .collect();
    axum::Json(json!({"count": value.len(), "value": value})).into_response()
}

/// A project holding `data`, accepting Basic `:` [`TOKEN`] (a personal access token).
pub fn fake(data: Value) -> Arc<Fake> {
    Fake::new(
        format!("Basic {}", base64(format!(":{TOKEN}").as_bytes())),
        "Basic",
        data,
    )
}

/// Its routes under the project path [`PROJECT`] (the base URL is `ORIGIN/acme/web`).
pub fn router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route(
            &format!("{PROJECT}/_apis/wit/workitems/{{id}}"),
            post(create).patch(update),
        )
        .route(&format!("{PROJECT}/_apis/wit/workitems"), get(batch))
        .route(&format!("{PROJECT}/_apis/wit/wiql"), post(wiql))
        .with_state(fake)
}
