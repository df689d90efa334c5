//! CalDAV VTODO (RFC 4791) on calendar collections.
//!
//! Shapes: a listing is a `REPORT` `calendar-query` for VTODOs (`Depth: 1`, answer `207
//! Multi-Status` with `getetag` and `calendar-data`); an update is `GET` of the resource (its
//! `ETag`) then `PUT` of the rewritten object with `If-Match: <etag>`. A `412 Precondition
//! Failed` (someone changed it in between) re-reads and retries, up to three times, and is then
//! reported as retryable ([`ProviderError::Unavailable`] with status 412).
//!
//! Invariants: the adapter's base URL is a calendar home (`http://host/user/`); the scope is a
//! calendar collection's name in it; a task's external id is `{calendar}/{resource}` (the
//! resource's file name, e.g. `{calendar}/{uid}.ics`). Only `STATUS`, `COMPLETED`,
//! `PERCENT-COMPLETE`, `LAST-MODIFIED` and `DTSTAMP` (both set to the time of the rewrite) are
//! rewritten; every other line stays intact. The
//! `If-Match` ETag is CalDAV's idempotency guard, so no `Idempotency-Key` is sent.

pub(crate) mod ical;
pub(crate) mod xml;

use std::collections::HashMap;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use sync_core::transition::{ProviderKind, StatusMapping, iso8601};
use sync_core::{
    DesiredTask, Listing, ProviderClient, ProviderError, PushReceipt, Secret, StatusPush,
};

use crate::http::{Call, Credentials, HttpCore, HttpOptions, encode::segment, join};

/// Tries of the GET + PUT cycle when the ETag keeps changing.
const PUT_TRIES: usize = 3;

/// The CalDAV VTODO adapter.
#[derive(Debug)]
pub struct CalDavProvider {
    core: HttpCore,
    home: String,
}

impl CalDavProvider {
    /// The source name its tasks carry.
    pub const NAME: &'static str = "caldav";

    /// An adapter on a calendar home URL (`http://127.0.0.1:5232/alice/`).
    pub fn new(
        home_url: &str,
        credentials: Credentials,
        options: HttpOptions,
    ) -> Result<Self, ProviderError> {
        Ok(CalDavProvider {
            core: HttpCore::new(Self::NAME, credentials, options)?,
            home: home_url.to_owned(),
        })
    }

    /// An adapter for a user with a password and default transport settings (what `make demo`
    /// and scripts/radicale.sh use).
    pub fn with_password(
        home_url: &str,
        user: &str,
        password: Secret,
    ) -> Result<Self, ProviderError> {
        Self::new(
            home_url,
            Credentials::basic(user, password),
            HttpOptions::default(),
        )
    }

    fn collection(&self, calendar: &str) -> String {
        format!("{}/", join(&self.home, &segment(calendar)))
    }

    fn resource(&self, external_id: &str) -> Result<String, ProviderError> {
        match external_id.split_once('/') {
            Some((calendar, name)) if !calendar.is_empty() && !name.is_empty() => {
                Ok(join(&self.collection(calendar), &segment(name)))
            }
            _ => Err(self.core.rejected(format!(
                "external id `{external_id}` is not `calendar/resource.ics`"
            ))),
        }
    }

    /// `YYYYMMDDTHHMMSSZ` of now, for `LAST-MODIFIED` and `DTSTAMP`.
    fn stamp(&self) -> String {
        let iso = iso8601(self.core.now_ms());
        iso[..19].replace(['-', ':'], "") + "Z"
    }

    /// One GET + rewrite + conditional PUT; `Ok(None)` when the ETag no longer matched.
    async fn try_update(
        &self,
        url: &str,
        change: &StatusPush,
    ) -> Result<Option<Value>, ProviderError> {
        let current = self.core.send(&Call::get(url)).await?;
        let etag = current.header("etag").map(str::to_owned);
        let text = String::from_utf8_lossy(&current.body).into_owned();
        let updated = ical::apply(&text, &change.payload, &self.stamp())
            .map_err(|message| self.core.rejected(message))?;
        let mut put = Call::new(Method::PUT, url)
            .body(updated.clone().into_bytes(), "text/calendar; charset=utf-8");
        if let Some(etag) = etag {
            put = put.header("If-Match", etag);
        }
        let reply = self.core.send_raw(&put).await?;
        if reply.status == 412 {
            tracing::info!(
                provider = Self::NAME,
                "ETag changed under the update; re-reading"
            );
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(self.core.error(&reply));
        }
        let todo = ical::read(&updated).unwrap_or_default();
        let percent = todo.percent.as_deref().and_then(|p| p.parse::<u64>().ok());
        Ok(Some(json!({
            "STATUS": todo.status,
            "COMPLETED": todo.completed,
            "PERCENT-COMPLETE": percent,
        })))
    }
}

#[async_trait]
impl ProviderClient for CalDavProvider {
    fn name(&self) -> String {
        Self::NAME.to_owned()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        let call = Call::new(
            Method::from_bytes(b"REPORT").unwrap_or(Method::GET),
            self.collection(&scope),
        )
        .header("Depth", "1")
        .body(
            xml::VTODO_QUERY.as_bytes().to_vec(),
            "application/xml; charset=utf-8",
        );
        let reply = self.core.send(&call).await?;
        let body = String::from_utf8_lossy(&reply.body);
        let resources = xml::multistatus(&body).map_err(|message| self.core.rejected(message))?;
        Ok(Listing::complete(Self::NAME, tasks(&scope, resources)))
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let url = self.resource(&change.external_id)?;
        for _ in 0..PUT_TRIES {
            if let Some(remote) = self.try_update(&url, &change).await? {
                return Ok(PushReceipt { remote });
            }
        }
        Err(ProviderError::Unavailable {
            provider: Self::NAME.to_owned(),
            status: 412,
            message: format!("the resource kept changing during {PUT_TRIES} tries"),
        })
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        self.core.refresh().await
    }
}

/// The VTODOs of a calendar's multistatus resources as hub tasks (resources without a VTODO
/// are left out); a `RELATED-TO` parent becomes the parent's external id when it is listed.
pub(crate) fn tasks(scope: &str, resources: Vec<xml::Resource>) -> Vec<DesiredTask> {
    let mapping = StatusMapping::new(ProviderKind::CalDav);
    let mut uids = HashMap::new();
    let mut found = Vec::new();
    for resource in resources {
        let Some(todo) = ical::read(&resource.data) else {
            continue;
        };
        let name = resource
            .href
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("");
        let external_id = format!("{scope}/{}", decode(name));
        if let Some(uid) = &todo.uid {
            uids.insert(uid.clone(), external_id.clone());
        }
        found.push((external_id, todo));
    }
    found
        .into_iter()
        .map(|(external_id, todo)| {
            let mut task = DesiredTask::new(external_id, todo.summary.clone().unwrap_or_default());
            if let Some(status) = mapping.from_provider(&json!({"STATUS": todo.status})) {
                task = task.status(status);
            }
            if let Some(parent) = todo.parent_uid.as_ref().and_then(|uid| uids.get(uid)) {
                task = task.parent(parent.clone());
            }
            if let Some(uid) = todo.uid {
                task = task.field("uid", uid);
            }
            task
        })
        .collect()
}

/// Percent-decodes a href segment (Radicale escapes `@` and spaces in names).
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
