//! Work item states to hub statuses and back. The Agile process's states (New, Active,
//! Resolved, Closed, Removed) are the core's `StatusMapping` for `ProviderKind::AzureDevOps`
//! (so the queue's jobs carry its payload and undo); the Scrum and Basic processes' other state
//! names are read here on top of it.

use serde_json::json;
use sync_core::Status;
use sync_core::transition::{ProviderKind, StatusMapping};

fn mapping() -> StatusMapping {
    StatusMapping::new(ProviderKind::AzureDevOps)
}

/// The Agile-process state a hub status is pushed as (the core mapping's `System.State`).
pub fn state_for(status: Status) -> String {
    mapping()
        .to_provider(status, &serde_json::Value::Null, 0)
        .payload["System.State"]
        .as_str()
        .unwrap_or("New")
        .to_owned()
}

/// The hub status of a work item state; `None` for a custom state.
pub fn hub_status(state: &str) -> Option<Status> {
    if let Some(status) = mapping().from_provider(&json!({ "System.State": state })) {
        return Some(status);
    }
    // Scrum and Basic process states the Agile mapping does not name.
    Some(match state {
        "To Do" | "Proposed" | "Approved" => Status::Pending,
        "Committed" | "Doing" | "In Progress" => Status::InProgress,
        "Done" => Status::Completed,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_to_a_related_status() {
        for status in Status::ALL {
            let back = hub_status(&state_for(status)).unwrap();
            let expected = match status {
                Status::Draft => Status::Pending,
                Status::Blocked => Status::InProgress,
                other => other,
            };
            assert_eq!(back, expected);
        }
        assert_eq!(hub_status("Custom"), None);
    }
}
