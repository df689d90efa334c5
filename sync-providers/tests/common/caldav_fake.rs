//! A loopback CalDAV calendar on a plain std thread, for the credential sweep of the CalDAV
//! adapter and of the CLI's CalDAV provider (sync-cli includes this file with `#[path]`, so it
//! uses std only).
//!
//! It answers what the adapter sends, as RFC 4791 servers do: `REPORT` on the collection with
//! `Depth: 1` (a `207 Multi-Status` of `getetag` and `calendar-data`), `GET` of a resource with
//! its `ETag`, `PUT` with `If-Match` (`412` when the ETag is stale, a new ETag after). Every
//! request is first checked for the accepted `Authorization` (else `401` with a Basic
//! challenge and a body echoing what was presented, as careless servers do), after any queued
//! fault has been played.
//!
//! The same control endpoints as the HTTP fakes (`common::control`) are answered under
//! `/_fake/` (`seen`, `fault`, `credential`, `data`, `reset`); the data is a map of resource
//! name to iCalendar text.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A queued answer: status, headers, body, delay in ms.
type Fault = (u16, Vec<(String, String)>, String, u64);

#[derive(Debug, Default, Clone)]
struct State {
    authorization: String,
    faults: VecDeque<Fault>,
    /// Resource name → (ETag, iCalendar text).
    resources: BTreeMap<String, (u64, String)>,
    next_etag: u64,
    /// `METHOD path` of every request.
    seen: Vec<String>,
    /// Every request as `/_fake/seen` shows it.
    requests: Vec<serde_json::Value>,
    /// What `/_fake/reset` goes back to.
    start: Option<Box<State>>,
}

/// A calendar collection `/{user}/{calendar}/` served on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct CalDavFake {
    /// The calendar home URL (`http://127.0.0.1:PORT/{user}/`).
    pub home: String,
    /// The collection's name.
    pub calendar: String,
    state: Arc<Mutex<State>>,
}

/// A VTODO resource's text.
pub fn vtodo(uid: &str, summary: &str, status: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fake//EN\r\nBEGIN:VTODO\r\nUID:{uid}\r\n\
         DTSTAMP:20260101T090000Z\r\nSUMMARY:{summary}\r\nSTATUS:{status}\r\nEND:VTODO\r\n\
         END:VCALENDAR\r\n"
    )
}

impl CalDavFake {
    /// Serves `calendar` of `user` holding `{name}.ics` for each `(name, status)`.
    pub fn start(user: &str, calendar: &str, todos: &[(&str, &str)]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut state = State::default();
        for (name, status) in todos {
            state.next_etag += 1;
            let text = vtodo(name, &format!("Task {name}"), status);
            state
                .resources
                .insert(format!("{name}.ics"), (state.next_etag, text));
        }
        state.start = Some(Box::new(state.clone()));
        let fake = CalDavFake {
            home: format!("http://127.0.0.1:{port}/{user}/"),
            calendar: calendar.to_owned(),
            state: Arc::new(Mutex::new(state)),
        };
        let served = fake.clone();
        let prefix = format!("/{user}/{calendar}/");
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                served.answer(stream, &prefix);
            }
        });
        fake
    }

    /// The collection's URL.
    pub fn collection(&self) -> String {
        format!("{}{}/", self.home, self.calendar)
    }

    /// `METHOD path` of every request so far.
    pub fn seen(&self) -> Vec<String> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The stored text of a resource.
    pub fn resource(&self, name: &str) -> Option<String> {
        let state = self.state.lock().unwrap();
        state.resources.get(name).map(|(_, text)| text.clone())
    }

    /// Accept exactly this `Authorization` value from now on; it is also what a reset keeps.
    pub fn accept_from_start(&self, authorization: &str) {
        let mut state = self.state.lock().unwrap();
        state.authorization = authorization.to_owned();
        if let Some(start) = state.start.as_mut() {
            start.authorization = authorization.to_owned();
        }
    }

    fn answer(&self, mut stream: TcpStream, prefix: &str) {
        let Some((method, path, headers, body)) = read_request(&stream) else {
            return;
        };
        let (status, extra, body) = match path.strip_prefix("/_fake/") {
            Some(control) => self.control(&method, control, &body),
            None => self.handle(&method, &path, &headers, &body, prefix),
        };
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
            reason(status),
            body.len()
        );
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body.as_bytes());
        let _ = stream.flush();
    }

    fn handle(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
        prefix: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let mut state = self.state.lock().unwrap();
        state.seen.push(format!("{method} {path}"));
        let (only_path, query) = path.split_once('?').unwrap_or((path, ""));
        let shown: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(n, v)| (n.clone(), serde_json::Value::String(v.clone())))
            .collect();
        state.requests.push(serde_json::json!({
            "method": method, "path": only_path, "query": query, "headers": shown,
            "body": String::from_utf8_lossy(body),
        }));
        if let Some((status, headers, body, delay)) = state.faults.pop_front() {
            if delay > 0 {
                drop(state);
                std::thread::sleep(std::time::Duration::from_millis(delay));
                state = self.state.lock().unwrap();
            }
            if status != 200 {
                return (status, headers, body);
            }
        }
        let given = header("authorization").unwrap_or("");
        if given != state.authorization {
            let challenge = ("WWW-Authenticate".into(), "Basic realm=\"fake\"".to_owned());
            return (401, vec![challenge], format!("credentials {given} refused"));
        }
        let Some(name) = path.strip_prefix(prefix) else {
            return (404, Vec::new(), "no such collection".into());
        };
        match (method, name) {
            ("REPORT", "") if header("depth") == Some("1") => {
                let mut xml = String::from(
                    "<?xml version=\"1.0\"?>\n<D:multistatus xmlns:D=\"DAV:\" \
                     xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n",
                );
                for (name, (etag, text)) in &state.resources {
                    xml.push_str(&format!(
                        "<D:response><D:href>{prefix}{name}</D:href><D:propstat><D:prop>\
                         <D:getetag>\"{etag}\"</D:getetag><C:calendar-data>{}</C:calendar-data>\
                         </D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>\n",
                        escape(text)
                    ));
                }
                xml.push_str("</D:multistatus>\n");
                let kind = (
                    "Content-Type".into(),
                    "application/xml; charset=utf-8".into(),
                );
                (207, vec![kind], xml)
            }
            ("GET", name) => match state.resources.get(name) {
                Some((etag, text)) => {
                    let headers = vec![
                        ("ETag".into(), format!("\"{etag}\"")),
                        ("Content-Type".into(), "text/calendar; charset=utf-8".into()),
                    ];
                    (200, headers, text.clone())
                }
                None => (404, Vec::new(), "not found".into()),
            },
            ("PUT", name) if !name.is_empty() => {
                let current = state
                    .resources
                    .get(name)
                    .map(|(etag, _)| format!("\"{etag}\""));
                if header("if-match").is_some_and(|m| Some(m.to_owned()) != current) {
                    return (412, Vec::new(), "stale ETag".into());
                }
                let text = String::from_utf8_lossy(body).into_owned();
                if !text.contains("BEGIN:VTODO") {
                    return (415, Vec::new(), "not a VTODO".into());
                }
                state.next_etag += 1;
                let etag = state.next_etag;
                state.resources.insert(name.to_owned(), (etag, text));
                (
                    204,
                    vec![("ETag".into(), format!("\"{etag}\""))],
                    String::new(),
                )
            }
            _ => (405, Vec::new(), "method not allowed".into()),
        }
    }
}

impl CalDavFake {
    /// The `/_fake/` control endpoints (see `common::control`); not recorded.
    fn control(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, String) {
        use serde_json::{Value, json};
        let typed = || vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let bad = |message: String| (400, typed(), json!({ "error": message }).to_string());
        let done = || (204, Vec::new(), String::new());
        let parsed = serde_json::from_slice::<Value>(body);
        let object = match (&parsed, method) {
            (Ok(Value::Object(object)), _) => Some(object.clone()),
            (_, "POST" | "PUT") if path != "reset" => {
                return bad("body: a JSON object is required".into());
            }
            _ => None,
        };
        let object = object.unwrap_or_default();
        let known = |keys: &[&str]| object.keys().find(|k| !keys.contains(&k.as_str())).cloned();
        let mut state = self.state.lock().unwrap();
        match (method, path) {
            ("GET", "seen") => (
                200,
                typed(),
                Value::Array(state.requests.clone()).to_string(),
            ),
            ("POST", "fault") => {
                if let Some(key) = known(&["status", "headers", "body", "delay_ms"]) {
                    return bad(format!("{key}: unknown field"));
                }
                let Some(status) = object
                    .get("status")
                    .and_then(Value::as_u64)
                    .filter(|s| (200..=599).contains(s))
                else {
                    return bad("status: an HTTP status is required".into());
                };
                let mut headers = Vec::new();
                for (name, value) in object
                    .get("headers")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let Some(value) = value.as_str().filter(|v| !v.contains(['\r', '\n'])) else {
                        return bad(format!("headers: `{name}` must be a string"));
                    };
                    headers.push((name.to_ascii_lowercase(), value.to_owned()));
                }
                if !headers.iter().any(|(n, _)| n == "content-type") {
                    headers.push(("content-type".into(), "application/json".into()));
                }
                let text = object
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let delay = object.get("delay_ms").and_then(Value::as_u64).unwrap_or(0);
                state
                    .faults
                    .push_back((status as u16, headers, text, delay.min(600_000)));
                done()
            }
            ("POST", "credential") => {
                if let Some(key) = known(&["user", "password"]) {
                    return bad(format!(
                        "{key}: this fake takes {{\"user\", \"password\"}} only"
                    ));
                }
                let field = |name: &str| object.get(name).and_then(Value::as_str);
                let (Some(user), Some(password)) = (field("user"), field("password")) else {
                    return bad("user: `user` and `password` are required".into());
                };
                let raw = format!("{user}:{password}");
                state.authorization = format!(
                    "Basic {}",
                    sync_providers::http::encode::base64(raw.as_bytes())
                );
                done()
            }
            ("GET", "data") => {
                let data: serde_json::Map<String, Value> = state
                    .resources
                    .iter()
                    .map(|(name, (_, text))| (name.clone(), Value::String(text.clone())))
                    .collect();
                (200, typed(), Value::Object(data).to_string())
            }
            ("PUT", "data") => {
                let mut resources = BTreeMap::new();
                for (name, text) in &object {
                    let Some(text) = text.as_str().filter(|t| t.contains("BEGIN:VTODO")) else {
                        return bad(format!("{name}: must be the text of a VTODO resource"));
                    };
                    if name.is_empty() || name.contains('/') {
                        return bad(format!("{name}: not a resource name"));
                    }
                    state.next_etag += 1;
                    resources.insert(name.clone(), (state.next_etag, text.to_owned()));
                }
                state.resources = resources;
                done()
            }
            ("POST", "reset") => {
                let start = state.start.clone().expect("the start state");
                *state = (*start).clone();
                state.start = Some(start);
                done()
            }
            _ => (
                404,
                typed(),
                json!({ "error": "no such control endpoint" }).to_string(),
            ),
        }
    }
}

impl super::secrets::Server for CalDavFake {
    fn accept(&self, authorization: &str) {
        self.state.lock().unwrap().authorization = authorization.to_owned();
    }
    fn fail_next(&self, status: u16, body: &str) {
        let mut state = self.state.lock().unwrap();
        let json = vec![("Content-Type".into(), "application/json".into())];
        state.faults.push_back((status, json, body.to_owned(), 0));
    }
}

type Request = (String, String, Vec<(String, String)>, Vec<u8>);

/// Method, path, lower-cased headers and body of one HTTP/1.1 request.
fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((method, path, headers, body))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        207 => "Multi-Status",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        412 => "Precondition Failed",
        _ => "Status",
    }
}
