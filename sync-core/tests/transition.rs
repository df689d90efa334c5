//! The status state machine and the provider status mappings.

use proptest::prelude::*;
use serde_json::{Value, json};
use sync_core::transition::{
    Guard, ProviderKind, StatusMapping, TransitionError, TransitionRules, iso8601,
};
use sync_core::{DesiredTask, Status, Task};

fn task(id: &str, status: Status, parent: Option<&str>) -> Task {
    let mut d = DesiredTask::new(id, id);
    if let Some(p) = parent {
        d = d.parent(p);
    }
    let mut t = Task::from_desired("s", "plan", &d, 0);
    t.status = status;
    t
}

#[test]
fn an_invalid_transition_names_both_statuses() {
    let rules = TransitionRules::default();
    let t = task("a", Status::Draft, None);
    let err = rules.plan(&t, Status::Completed, &[]).unwrap_err();
    assert!(matches!(
        err,
        TransitionError::Invalid {
            from: Status::Draft,
            to: Status::Completed,
            ..
        }
    ));
    let message = err.to_string();
    assert!(
        message.contains("`draft`") && message.contains("`completed`"),
        "{message}"
    );
    assert!(
        rules.plan(&t, Status::Draft, &[]).unwrap().is_empty(),
        "same status is no change"
    );
    let err = sync_core::Error::from(err);
    assert_eq!(err.kind(), sync_core::ErrorKind::InvalidTransition);
    assert_eq!(err.kind().code(), "invalid_transition");
    assert_eq!(err.to_string(), message, "the core error keeps the message");
}

#[test]
fn dependencies_guard_starting_and_completing() {
    let rules = TransitionRules::default();
    let mut step = task("step-2", Status::Pending, Some("proc"));
    step.fields.insert("depends_on".into(), json!(["step-1"]));
    let dep_open = task("step-1", Status::InProgress, Some("proc"));
    let err = rules
        .plan(&step, Status::Completed, std::slice::from_ref(&dep_open))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("dependency `step-1` is in_progress"),
        "{err}"
    );
    let err = rules.plan(&step, Status::InProgress, &[]).unwrap_err();
    assert!(
        err.to_string().contains("dependency `step-1` not found"),
        "{err}"
    );
    let dep_done = Task {
        status: Status::Completed,
        ..dep_open
    };
    assert_eq!(
        rules
            .plan(&step, Status::Completed, &[dep_done])
            .unwrap()
            .len(),
        1
    );
    // Cancelling is not guarded.
    assert!(rules.plan(&step, Status::Cancelled, &[]).is_ok());
    assert!(
        rules
            .guards
            .contains(&(Status::Completed, Guard::DependenciesCompleted))
    );
}

#[test]
fn a_process_completes_with_its_last_step_and_starts_with_its_first() {
    let rules = TransitionRules::default();
    let root = task("root", Status::Pending, None);
    let process = task("proc", Status::InProgress, Some("root"));
    let s1 = task("s1", Status::Completed, Some("proc"));
    let s2 = task("s2", Status::InProgress, Some("proc"));
    let related = vec![root.clone(), process.clone(), s1.clone(), s2.clone()];
    let changes = rules.plan(&s2, Status::Completed, &related).unwrap();
    let moves: Vec<(&str, Status)> = changes
        .iter()
        .map(|c| {
            (
                if c.task_id == s2.id {
                    "s2"
                } else if c.task_id == process.id {
                    "proc"
                } else {
                    "root"
                },
                c.to,
            )
        })
        .collect();
    // The process completes; root has only that child, so it completes too (pending → completed).
    assert_eq!(
        moves,
        vec![
            ("s2", Status::Completed),
            ("proc", Status::Completed),
            ("root", Status::Completed)
        ]
    );
    assert!(
        changes[1]
            .cause
            .as_deref()
            .unwrap()
            .contains("all children done")
    );
    // With a step still open, nothing follows.
    let s3 = task("s3", Status::Pending, Some("proc"));
    let mut more = related.clone();
    more.push(s3);
    assert_eq!(rules.plan(&s2, Status::Completed, &more).unwrap().len(), 1);
    // Starting a step of a pending process starts it.
    let idle = task("proc", Status::Pending, Some("root"));
    let s4 = task("s4", Status::Pending, Some("proc"));
    let changes = rules
        .plan(&s4, Status::InProgress, &[idle, s4.clone()])
        .unwrap();
    assert_eq!(
        changes.iter().map(|c| c.to).collect::<Vec<_>>(),
        vec![Status::InProgress, Status::InProgress]
    );
}

proptest! {
    /// Every change a plan returns follows an allowed edge from the status the task has at that
    /// point, the requested change comes first, and refused plans are exactly the missing edges.
    #[test]
    fn plans_follow_the_machine(
        from in 0usize..6, to in 0usize..6,
        siblings in proptest::collection::vec(0usize..6, 0..4),
        parent_status in 0usize..6,
    ) {
        let rules = TransitionRules::default();
        let (from, to) = (Status::ALL[from], Status::ALL[to]);
        let parent = task("p", Status::ALL[parent_status], None);
        let me = task("me", from, Some("p"));
        let mut related = vec![parent, me.clone()];
        for (i, s) in siblings.iter().enumerate() {
            related.push(task(&format!("c{i}"), Status::ALL[*s], Some("p")));
        }
        match rules.plan(&me, to, &related) {
            Ok(changes) if from == to => prop_assert!(changes.is_empty()),
            Ok(changes) => {
                prop_assert_eq!((changes[0].from, changes[0].to), (from, to));
                for c in &changes {
                    prop_assert!(rules.allows(c.from, c.to), "{:?}", c);
                }
                prop_assert!(changes.len() <= 2);
            }
            Err(TransitionError::Invalid { .. }) => prop_assert!(!rules.allows(from, to)),
            Err(other) => prop_assert!(false, "unexpected {}", other),
        }
    }

    /// Mapping a status out and reading it back gives the status (draft reads back as pending).
    #[test]
    fn mappings_round_trip(kind in 0usize..6, status in 0usize..6, now in 0i64..4_102_444_800_000) {
        let kinds = [ProviderKind::MsTodo, ProviderKind::ConnectWiseTicket, ProviderKind::ConnectWiseProjectTask, ProviderKind::ProcessStep, ProviderKind::CalDav, ProviderKind::AzureDevOps];
        let mapping = StatusMapping::new(kinds[kind]);
        let status = Status::ALL[status];
        let mapped = mapping.to_provider(status, &Value::Null, now);
        let payload = match &mapped.payload {
            Value::Array(ops) => json!({"status": {"name": ops[0]["value"]}}),
            other => other.clone(),
        };
        let back = mapping.from_provider(&payload).unwrap();
        let want = match status {
            Status::Draft => Status::Pending,
            // CalDAV has no "blocked": it is NEEDS-ACTION, which reads back as pending.
            Status::Blocked if kinds[kind] == ProviderKind::CalDav => Status::Pending,
            // Azure DevOps has no "blocked" state either: it is Active, read back as in progress.
            Status::Blocked if kinds[kind] == ProviderKind::AzureDevOps => Status::InProgress,
            s => s,
        };
        prop_assert_eq!(back, want);
    }
}

#[test]
fn ms_todo_sets_and_clears_completed_date_time() {
    let m = StatusMapping::new(ProviderKind::MsTodo);
    let now = 1_769_821_713_123;
    let current = json!({"status": "notStarted", "completedDateTime": null});
    let done = m.to_provider(Status::Completed, &current, now);
    assert_eq!(
        done.payload,
        json!({"status": "completed", "completedDateTime": {"dateTime": "2026-01-31T01:08:33.1230000", "timeZone": "UTC"}})
    );
    assert_eq!(done.undo.payload, current);
    let reopened = m.to_provider(Status::Pending, &done.payload, now);
    assert_eq!(
        reopened.payload,
        json!({"status": "notStarted", "completedDateTime": null})
    );
    assert_eq!(
        m.from_provider(&json!({"status": "notStarted", "completedDateTime": {"dateTime": "x"}})),
        Some(Status::Completed)
    );
    assert_eq!(m.from_provider(&json!({"status": "weird"})), None);
}

#[test]
fn connectwise_closes_and_reopens_to_the_previous_status() {
    let ticket = StatusMapping::new(ProviderKind::ConnectWiseTicket);
    let current = json!({"status": {"name": "In Progress"}});
    let closed = ticket.to_provider(Status::Completed, &current, 0);
    assert_eq!(
        closed.payload,
        json!([{"op": "replace", "path": "status/name", "value": "Closed"}])
    );
    assert_eq!(
        closed.undo.payload,
        json!([{"op": "replace", "path": "status/name", "value": "In Progress"}])
    );
    let reopen = ticket.to_provider(
        Status::Pending,
        &json!({"status": {"name": "Closed"}, "reopen_status": "Waiting on client"}),
        0,
    );
    assert_eq!(reopen.payload[0]["value"], "Waiting on client");
    assert_eq!(
        ticket.to_provider(Status::Pending, &Value::Null, 0).payload[0]["value"],
        "New"
    );
    let task = StatusMapping::new(ProviderKind::ConnectWiseProjectTask);
    assert_eq!(
        task.to_provider(Status::Completed, &Value::Null, 0).payload[0]["value"],
        "Complete"
    );
    assert_eq!(
        ticket.from_provider(&json!({"status": {"name": "closed"}})),
        Some(Status::Completed)
    );
}

#[test]
fn process_steps_and_caldav_carry_their_timestamps() {
    let step = StatusMapping::new(ProviderKind::ProcessStep);
    let now = 951_782_400_000;
    assert_eq!(
        step.to_provider(Status::Completed, &Value::Null, now)
            .payload,
        json!({"status": "completed", "completedAt": "2000-02-29T00:00:00.000Z"})
    );
    assert_eq!(
        step.to_provider(Status::InProgress, &Value::Null, now)
            .payload,
        json!({"status": "in_progress", "startedAt": "2000-02-29T00:00:00.000Z"})
    );
    let caldav = StatusMapping::new(ProviderKind::CalDav);
    let done = caldav.to_provider(
        Status::Completed,
        &json!({"STATUS": "NEEDS-ACTION", "PERCENT-COMPLETE": 0}),
        now,
    );
    assert_eq!(
        done.payload,
        json!({"STATUS": "COMPLETED", "COMPLETED": "20000229T000000Z", "PERCENT-COMPLETE": 100})
    );
    assert_eq!(
        done.undo.payload,
        json!({"STATUS": "NEEDS-ACTION", "COMPLETED": null, "PERCENT-COMPLETE": 0})
    );
    assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
}

#[test]
fn azure_devops_maps_system_state_both_ways_with_undo() {
    let ado = StatusMapping::new(ProviderKind::AzureDevOps);
    let current = json!({"System.State": "Active"});
    let closed = ado.to_provider(Status::Completed, &current, 0);
    assert_eq!(closed.payload, json!({"System.State": "Closed"}));
    assert_eq!(closed.undo.payload, json!({"System.State": "Active"}));
    let undo_unknown = ado.to_provider(Status::Cancelled, &Value::Null, 0);
    assert_eq!(undo_unknown.payload, json!({"System.State": "Removed"}));
    assert_eq!(undo_unknown.undo.payload, json!({"System.State": null}));
    for (status, state) in [
        (Status::Draft, "New"),
        (Status::Pending, "New"),
        (Status::InProgress, "Active"),
        (Status::Blocked, "Active"),
    ] {
        assert_eq!(
            ado.to_provider(status, &Value::Null, 0).payload["System.State"],
            state
        );
    }
    for (state, status) in [
        ("New", Status::Pending),
        ("Active", Status::InProgress),
        ("Resolved", Status::Completed),
        ("Closed", Status::Completed),
        ("closed", Status::Completed),
        ("Removed", Status::Cancelled),
    ] {
        assert_eq!(
            ado.from_provider(&json!({"System.State": state})),
            Some(status),
            "{state}"
        );
    }
    assert_eq!(ado.from_provider(&json!({"System.State": "Custom"})), None);
    assert_eq!(
        serde_json::to_value(ProviderKind::AzureDevOps).unwrap(),
        json!("azure_devops")
    );
}
