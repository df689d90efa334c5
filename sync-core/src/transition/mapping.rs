//! Per-provider status mappings, declarative and both ways.
//!
//! `current` is what the provider last had for the task (its own field names); the mapped
//! payload is what to send, and [`Undo`] is the payload that puts `current` back (what a dead
//! job reverts with, and what a reopen restores).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::time::iso8601;
use crate::model::{Millis, Status};

/// The providers with a built-in mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Microsoft To Do (Graph `todoTask`): `status` plus `completedDateTime` set or null (a
    /// `dateTimeTimeZone`: `{"dateTime": "2026-01-31T01:08:33.1230000", "timeZone": "UTC"}`).
    MsTodo,
    /// ConnectWise Manage service ticket: status by name, "Closed" when done.
    ConnectWiseTicket,
    /// ConnectWise Manage project task: status by name, "Complete" when done.
    ConnectWiseProjectTask,
    /// A process-plan step: `status` plus `completedAt` / `startedAt`.
    ProcessStep,
    /// CalDAV VTODO: `STATUS`, `COMPLETED`, `PERCENT-COMPLETE`.
    CalDav,
    /// Azure DevOps work item: `System.State` (New, Active, Resolved, Closed, Removed).
    #[serde(rename = "azure_devops", alias = "azure_dev_ops")]
    AzureDevOps,
}

/// What restores the provider's previous state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    /// The payload to send to undo the change.
    pub payload: Value,
}

/// A hub status in a provider's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappedStatus {
    /// The payload to send (a JSON object, or a JSON Patch array for ConnectWise).
    pub payload: Value,
    /// How to put back what was there.
    pub undo: Undo,
}

/// `(hub status, provider status word)`: the first row for a hub status is used outbound,
/// every row inbound.
type Table = &'static [(Status, &'static str)];

const MSTODO: Table = &[
    (Status::Completed, "completed"),
    (Status::InProgress, "inProgress"),
    (Status::Blocked, "waitingOnOthers"),
    (Status::Cancelled, "deferred"),
    (Status::Pending, "notStarted"),
    (Status::Draft, "notStarted"),
];
const CW_TICKET: Table = &[
    (Status::Completed, "Closed"),
    (Status::Completed, "Resolved"),
    (Status::InProgress, "In Progress"),
    (Status::Blocked, "Waiting"),
    (Status::Cancelled, "Cancelled"),
    (Status::Pending, "New"),
    (Status::Draft, "New"),
];
const CW_PROJECT_TASK: Table = &[
    (Status::Completed, "Complete"),
    (Status::InProgress, "In Progress"),
    (Status::Blocked, "On Hold"),
    (Status::Cancelled, "Cancelled"),
    (Status::Pending, "Open"),
    (Status::Draft, "Open"),
];
const PROCESS_STEP: Table = &[
    (Status::Completed, "completed"),
    (Status::InProgress, "in_progress"),
    (Status::Blocked, "blocked"),
    (Status::Cancelled, "skipped"),
    (Status::Pending, "pending"),
    (Status::Draft, "pending"),
];
const CALDAV: Table = &[
    (Status::Completed, "COMPLETED"),
    (Status::InProgress, "IN-PROCESS"),
    (Status::Cancelled, "CANCELLED"),
    (Status::Pending, "NEEDS-ACTION"),
    (Status::Blocked, "NEEDS-ACTION"),
    (Status::Draft, "NEEDS-ACTION"),
];

// Outbound "Closed"; inbound "Resolved" (a story fixed, waiting to be closed) is done too.
const AZURE_DEVOPS: Table = &[
    (Status::Completed, "Closed"),
    (Status::Completed, "Resolved"),
    (Status::InProgress, "Active"),
    (Status::Blocked, "Active"),
    (Status::Cancelled, "Removed"),
    (Status::Pending, "New"),
    (Status::Draft, "New"),
];

/// A provider's status mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusMapping {
    /// Which provider.
    pub kind: ProviderKind,
}

impl StatusMapping {
    /// The mapping of a provider.
    pub fn new(kind: ProviderKind) -> Self {
        StatusMapping { kind }
    }

    fn table(self) -> Table {
        match self.kind {
            ProviderKind::MsTodo => MSTODO,
            ProviderKind::ConnectWiseTicket => CW_TICKET,
            ProviderKind::ConnectWiseProjectTask => CW_PROJECT_TASK,
            ProviderKind::ProcessStep => PROCESS_STEP,
            ProviderKind::CalDav => CALDAV,
            ProviderKind::AzureDevOps => AZURE_DEVOPS,
        }
    }

    fn word(self, status: Status) -> &'static str {
        // Every table has a row for every status (checked by a test).
        self.table()
            .iter()
            .find(|(s, _)| *s == status)
            .map_or("", |(_, w)| w)
    }

    /// The payload that moves the provider's task to `to`, given what it has now (`current`,
    /// in the provider's own field names; `Value::Null` when unknown). Reopening a ConnectWise
    /// item restores `current["reopen_status"]` when known (the status it had before it was
    /// closed), else the board's "New"/"Open".
    pub fn to_provider(&self, to: Status, current: &Value, now: Millis) -> MappedStatus {
        let payload = self.payload(to, current, now);
        let undo = Undo {
            payload: self.restore(current),
        };
        MappedStatus { payload, undo }
    }

    fn payload(&self, to: Status, current: &Value, now: Millis) -> Value {
        let word = self.word(to);
        match self.kind {
            ProviderKind::MsTodo => {
                let completed = (to == Status::Completed)
                    .then(|| json!({"dateTime": graph_date_time(now), "timeZone": "UTC"}));
                json!({"status": word, "completedDateTime": completed})
            }
            ProviderKind::ConnectWiseTicket | ProviderKind::ConnectWiseProjectTask => {
                let reopen = current.get("reopen_status").and_then(Value::as_str);
                let name = match reopen {
                    Some(previous) if !to.is_terminal() && to != Status::InProgress => previous,
                    _ => word,
                };
                json!([{"op": "replace", "path": "status/name", "value": name}])
            }
            ProviderKind::ProcessStep => match to {
                Status::Completed => json!({"status": word, "completedAt": iso8601(now)}),
                Status::InProgress => json!({"status": word, "startedAt": iso8601(now)}),
                _ => json!({"status": word}),
            },
            ProviderKind::CalDav => {
                let done = to == Status::Completed;
                let percent = if done { 100 } else { 0 };
                json!({
                    "STATUS": word,
                    "COMPLETED": if done { Value::String(caldav_time(now)) } else { Value::Null },
                    "PERCENT-COMPLETE": percent,
                })
            }
            ProviderKind::AzureDevOps => json!({"System.State": word}),
        }
    }

    /// The payload that puts `current` back.
    fn restore(&self, current: &Value) -> Value {
        let field = |name: &str| current.get(name).cloned().unwrap_or(Value::Null);
        match self.kind {
            ProviderKind::MsTodo => {
                json!({"status": field("status"), "completedDateTime": field("completedDateTime")})
            }
            ProviderKind::ConnectWiseTicket | ProviderKind::ConnectWiseProjectTask => {
                let name = current
                    .pointer("/status/name")
                    .cloned()
                    .unwrap_or_else(|| field("status"));
                json!([{"op": "replace", "path": "status/name", "value": name}])
            }
            ProviderKind::ProcessStep => json!({
                "status": field("status"),
                "completedAt": field("completedAt"),
                "startedAt": field("startedAt"),
            }),
            ProviderKind::CalDav => json!({
                "STATUS": field("STATUS"),
                "COMPLETED": field("COMPLETED"),
                "PERCENT-COMPLETE": field("PERCENT-COMPLETE"),
            }),
            ProviderKind::AzureDevOps => json!({"System.State": field("System.State")}),
        }
    }

    /// The hub status of a provider's task, from its payload; `None` for a word the mapping
    /// does not know. To Do counts a set `completedDateTime` as completed whatever `status` says.
    pub fn from_provider(&self, payload: &Value) -> Option<Status> {
        let word = match self.kind {
            ProviderKind::MsTodo => {
                if payload
                    .get("completedDateTime")
                    .is_some_and(|v| !v.is_null())
                {
                    return Some(Status::Completed);
                }
                payload.get("status")?.as_str()?
            }
            ProviderKind::ConnectWiseTicket | ProviderKind::ConnectWiseProjectTask => payload
                .pointer("/status/name")
                .or_else(|| payload.get("status"))?
                .as_str()?,
            ProviderKind::ProcessStep => payload.get("status")?.as_str()?,
            ProviderKind::CalDav => payload.get("STATUS")?.as_str()?,
            ProviderKind::AzureDevOps => payload.get("System.State")?.as_str()?,
        };
        let table = self.table();
        let exact = table.iter().find(|(_, w)| *w == word);
        // Inbound, a status word is matched case-insensitively (boards differ in casing).
        let loose = || table.iter().find(|(_, w)| w.eq_ignore_ascii_case(word));
        // NEEDS-ACTION and notStarted map to pending, never back to draft.
        exact.or_else(loose).map(|(s, _)| match s {
            Status::Draft => Status::Pending,
            other => *other,
        })
    }
}

/// Graph's `dateTimeTimeZone.dateTime`: `{date}T{time}` with seven fractional digits and no
/// zone suffix (`2026-01-31T01:08:33.1230000`); the zone travels in `timeZone` ("UTC").
fn graph_date_time(now: Millis) -> String {
    format!("{}0000", iso8601(now).trim_end_matches('Z'))
}

/// CalDAV `COMPLETED` is a UTC DATE-TIME: `YYYYMMDDTHHMMSSZ`.
fn caldav_time(now: Millis) -> String {
    let iso = iso8601(now);
    format!(
        "{}{}{}T{}{}{}Z",
        &iso[0..4],
        &iso[5..7],
        &iso[8..10],
        &iso[11..13],
        &iso[14..16],
        &iso[17..19]
    )
}
