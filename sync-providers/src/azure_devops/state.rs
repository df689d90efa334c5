//! Work item states (Agile, Scrum and Basic processes) to hub statuses and back. Azure DevOps
//! has no entry in the core's `StatusMapping`, so its small table lives with the adapter.

use sync_core::Status;

/// The Agile-process state a hub status is pushed as.
pub fn state_for(status: Status) -> &'static str {
    match status {
        Status::Draft | Status::Pending => "New",
        Status::InProgress | Status::Blocked => "Active",
        Status::Completed => "Closed",
        Status::Cancelled => "Removed",
    }
}

/// The hub status of a work item state; `None` for a custom state.
pub fn hub_status(state: &str) -> Option<Status> {
    Some(match state {
        "New" | "To Do" | "Proposed" | "Approved" => Status::Pending,
        "Active" | "Committed" | "Doing" | "In Progress" => Status::InProgress,
        "Resolved" | "Closed" | "Done" => Status::Completed,
        "Removed" => Status::Cancelled,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_to_a_related_status() {
        for status in Status::ALL {
            let back = hub_status(state_for(status)).unwrap();
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
