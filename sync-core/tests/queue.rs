//! The outbound queue end to end on the in-memory store: outbox, worker schedules against a
//! manual clock, dead letters, breaker, rate limiting, token refresh, chaos.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::executor::block_on;
use serde_json::json;
use sync_core::retry::{
    BreakerConfig, DeadPolicy, JobQuery, JobState, JobStore, StatusService, SyncStatus, Target,
    TickReport, Worker, WorkerConfig,
};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    ChangeSet, CollectingSink, DesiredTask, Error, ErrorKind, Event, Listing, ManualClock,
    MemoryStore, ProviderClient, ProviderError, PushReceipt, Status, StatusPush, Task, TaskStore,
    TaskWrite,
};

/// What the scripted provider answers, in order, per task; `Ok` once the script runs out.
type Script = HashMap<String, Vec<Result<(), ProviderError>>>;

#[derive(Default)]
struct Scripted {
    script: Mutex<Script>,
    calls: Mutex<Vec<(StatusPush, i64)>>,
    refreshes: Mutex<u32>,
    refresh_fails: bool,
    clock: Option<Arc<ManualClock>>,
}

#[async_trait]
impl ProviderClient for Scripted {
    fn name(&self) -> String {
        "todo".into()
    }
    async fn list(&self, _scope: String) -> Result<Listing, ProviderError> {
        Ok(Listing::complete("todo", Vec::new()))
    }
    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        let at = self
            .clock
            .as_ref()
            .map_or(0, |c| sync_core::Clock::now_ms(&**c));
        self.calls.lock().unwrap().push((change.clone(), at));
        let next = {
            let mut script = self.script.lock().unwrap();
            let steps = script.entry(change.external_id.clone()).or_default();
            if steps.is_empty() {
                Ok(())
            } else {
                steps.remove(0)
            }
        };
        next.map(|()| PushReceipt {
            remote: json!({"status": change.payload["status"].clone()}),
        })
    }
    async fn refresh_token(&self) -> Result<(), ProviderError> {
        *self.refreshes.lock().unwrap() += 1;
        if self.refresh_fails {
            return Err(ProviderError::Rejected {
                provider: "todo".into(),
                status: 400,
                message: "invalid_grant".into(),
            });
        }
        Ok(())
    }
}

/// A provider answering by `script`.
fn scripted(script: Script) -> Scripted {
    Scripted {
        script: Mutex::new(script),
        ..Scripted::default()
    }
}

fn unavailable() -> ProviderError {
    ProviderError::Unavailable {
        provider: "todo".into(),
        status: 503,
        message: "busy".into(),
    }
}

fn rejected(status: u16) -> ProviderError {
    ProviderError::Rejected {
        provider: "todo".into(),
        status,
        message: "no".into(),
    }
}

struct Rig {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    events: Arc<CollectingSink>,
    service: StatusService,
    provider: Arc<Scripted>,
    worker: Worker,
}

fn rig_with(config: WorkerConfig, provider: Scripted, tasks: &[&str]) -> Rig {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(1_000_000));
    let events = Arc::new(CollectingSink::default());
    let provider = Arc::new(Scripted {
        clock: Some(clock.clone()),
        ..provider
    });
    let inserts = tasks
        .iter()
        .map(|id| {
            let d = DesiredTask::new(*id, format!("Task {id}")).status(Status::Pending);
            TaskWrite::Insert {
                task: Task::from_desired("inbox", "todo", &d, 0),
            }
        })
        .collect();
    block_on(store.apply(ChangeSet {
        tasks: inserts,
        ..ChangeSet::default()
    }))
    .unwrap();
    let service = StatusService::new(store.clone(), clock.clone(), events.clone()).with_target(
        Target::new("todo", StatusMapping::new(ProviderKind::MsTodo)),
    );
    let worker = Worker::new(store.clone(), clock.clone(), events.clone(), config)
        .unwrap()
        .with_provider(provider.clone());
    Rig {
        store,
        clock,
        events,
        service,
        provider,
        worker,
    }
}

fn rig(provider: Scripted, tasks: &[&str]) -> Rig {
    rig_with(WorkerConfig::default(), provider, tasks)
}

fn id(external: &str) -> String {
    Task::hub_id("todo", external)
}

impl Rig {
    fn complete(&self, external: &str) -> sync_core::retry::StatusChangeReport {
        block_on(
            self.service
                .change_status(&id(external), Status::Completed, Some("ana")),
        )
        .unwrap()
    }
    fn tick(&self) -> TickReport {
        block_on(self.worker.run_once()).unwrap()
    }
    fn job(&self, job_id: &str) -> sync_core::Job {
        block_on(self.store.job(job_id.into())).unwrap().unwrap()
    }
    /// Runs the worker, jumping the clock to each wake-up, until nothing is left to do.
    fn drain(&self) {
        for _ in 0..100_000 {
            let report = self.tick();
            if report.claimed > 0 {
                continue;
            }
            match block_on(self.worker.next_wake()).unwrap() {
                Some(at) => self
                    .clock
                    .set(at.max(sync_core::Clock::now_ms(&*self.clock))),
                None => return,
            }
        }
        panic!("the queue never drained");
    }
    fn call_times(&self) -> Vec<i64> {
        self.provider
            .calls
            .lock()
            .unwrap()
            .iter()
            .map(|(_, at)| *at)
            .collect()
    }
}

#[test]
fn a_status_change_flows_to_the_provider() {
    let r = rig(Scripted::default(), &["a"]);
    let report = r.complete("a");
    assert_eq!(report.jobs.len(), 1);
    let job = &report.jobs[0];
    assert_eq!(job.payload["status"], "completed");
    assert!(job.payload["completedDateTime"]["dateTime"].is_string());
    assert_eq!(job.undo, json!({"status": null, "completedDateTime": null}));
    let task = block_on(r.store.get(id("a"))).unwrap().unwrap();
    assert_eq!(
        task.status,
        Status::Completed,
        "optimistic status is written at once"
    );
    assert_eq!(
        block_on(sync_core::retry::sync_status(&*r.store, &id("a"))).unwrap(),
        vec![("todo".into(), SyncStatus::Pending)]
    );

    let tick = r.tick();
    assert_eq!((tick.claimed, tick.succeeded), (1, 1));
    let calls = r.provider.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0.idempotency_key, job.id);
    assert_eq!(calls[0].0.attempt, 1);
    assert_eq!(calls[0].0.payload, job.payload);
    assert_eq!(r.job(&job.id).state, JobState::Succeeded);
    assert_eq!(
        block_on(sync_core::retry::sync_status(&*r.store, &id("a"))).unwrap(),
        vec![("todo".into(), SyncStatus::Synced)]
    );
    let events = r.events.take();
    assert!(
        matches!(&events[0], Event::StatusChanged { change, actor: Some(a), .. }
        if change.to == Status::Completed && a == "ana")
    );
    let states: Vec<SyncStatus> = events
        .iter()
        .filter_map(|e| match e {
            Event::JobChanged { sync_status, .. } => Some(*sync_status),
            _ => None,
        })
        .collect();
    assert_eq!(states, vec![SyncStatus::Pending, SyncStatus::Synced]);
    let text = r.worker.metrics().render_prometheus();
    assert!(
        text.contains("tasksync_jobs_total{target=\"todo\",outcome=\"succeeded\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("tasksync_provider_call_seconds_count{target=\"todo\"} 1"),
        "{text}"
    );
}

#[test]
fn an_invalid_transition_writes_nothing() {
    let r = rig(Scripted::default(), &["a"]);
    let err = block_on(r.service.change_status(&id("a"), Status::Draft, None)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidTransition);
    assert!(
        err.to_string().contains("`pending`") && err.to_string().contains("`draft`"),
        "{err}"
    );
    assert_eq!(block_on(r.store.get(id("a"))).unwrap().unwrap().version, 1);
    assert!(
        block_on(r.store.jobs(JobQuery::default()))
            .unwrap()
            .is_empty()
    );
    let missing = block_on(r.service.change_status("nope", Status::Completed, None)).unwrap_err();
    assert!(matches!(missing, Error::NotFound(_)));
}

#[test]
fn retries_follow_the_backoff_schedule_exactly() {
    let script = HashMap::from([("a".to_string(), vec![Err(unavailable()); 4])]);
    let r = rig(
        Scripted {
            script: Mutex::new(script),
            ..Scripted::default()
        },
        &["a"],
    );
    let job = r.complete("a").jobs.remove(0);
    r.drain();
    let t0 = 1_000_000;
    assert_eq!(
        r.call_times(),
        vec![t0, t0 + 1_000, t0 + 3_000, t0 + 7_000, t0 + 15_000]
    );
    let done = r.job(&job.id);
    assert_eq!((done.state, done.attempts), (JobState::Succeeded, 5));
}

/// The complete-a-task flow's schedule with every default (backoff, breaker, budget): the first
/// call, 5 retries after 1, 2, 4, 8 and 16 s, then the dead letters after 6 calls. The default
/// breaker never opens on one job's own failures, so it never stretches the schedule.
#[test]
fn one_always_failing_job_retries_after_1_2_4_8_16_s_then_dies() {
    let script = HashMap::from([("a".to_string(), vec![Err(unavailable()); 50])]);
    let r = rig(scripted(script), &["a"]);
    let job = r.complete("a").jobs.remove(0);
    assert_eq!(
        job.max_attempts, None,
        "the target sets no budget of its own"
    );
    r.drain();
    let times = r.call_times();
    let gaps: Vec<i64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(times[0], 1_000_000);
    assert_eq!(gaps, vec![1_000, 2_000, 4_000, 8_000, 16_000]);
    let dead = r.job(&job.id);
    assert_eq!((dead.state, dead.attempts), (JobState::Dead, 6));
    assert_eq!(
        block_on(sync_core::retry::sync_status(&*r.store, &id("a"))).unwrap(),
        vec![("todo".into(), SyncStatus::Failed)]
    );
}

/// A target without a budget of its own takes the worker's; one with a budget keeps it.
#[test]
fn the_worker_budget_applies_when_the_target_sets_none() {
    let script = HashMap::from([
        ("a".to_string(), vec![Err(unavailable()); 50]),
        ("b".to_string(), vec![Err(unavailable()); 50]),
    ]);
    let config = WorkerConfig {
        backoff: sync_core::retry::Backoff {
            max_attempts: 3,
            ..sync_core::retry::Backoff::default()
        },
        ..WorkerConfig::default()
    };
    let r = rig_with(config, scripted(script), &["a", "b"]);
    let own = StatusService::new(r.store.clone(), r.clock.clone(), r.events.clone()).with_target(
        Target::new("todo", StatusMapping::new(ProviderKind::MsTodo)).with_max_attempts(2),
    );
    let a = r.complete("a").jobs.remove(0);
    let b = block_on(own.change_status(&id("b"), Status::Completed, None))
        .unwrap()
        .jobs
        .remove(0);
    assert_eq!((a.max_attempts, b.max_attempts), (None, Some(2)));
    r.drain();
    let (a, b) = (r.job(&a.id), r.job(&b.id));
    assert_eq!(
        (a.state, a.attempts),
        (JobState::Dead, 3),
        "the worker's budget"
    );
    assert_eq!(
        (b.state, b.attempts),
        (JobState::Dead, 2),
        "the target's own"
    );
    assert!(
        Target::new("todo", StatusMapping::new(ProviderKind::MsTodo))
            .with_max_attempts(0)
            .validate()
            .is_err()
    );
}

/// A provider's `Retry-After` of 2^63 ms or more neither schedules the retry in the past nor
/// lets the next call through: the job waits a day, and so does the paused provider.
#[test]
fn a_huge_retry_after_pauses_for_a_day_not_the_past() {
    for retry_after_ms in [1u64 << 63, u64::MAX] {
        let limited = ProviderError::RateLimited {
            provider: "todo".into(),
            retry_after_ms,
        };
        let script = HashMap::from([("a".to_string(), vec![Err(limited)])]);
        let one_at_a_time = WorkerConfig {
            concurrency: 1,
            batch: 1,
            ..WorkerConfig::default()
        };
        let r = rig_with(one_at_a_time, scripted(script), &["a", "b"]);
        let ja = r.complete("a").jobs.remove(0);
        let jb = r.complete("b").jobs.remove(0);
        let day = sync_core::retry::MAX_DELAY_MS as i64;
        assert_eq!(r.tick().retried, 1);
        assert_eq!(r.job(&ja.id).run_at, 1_000_000 + day, "{retry_after_ms}");
        assert_eq!(r.tick().deferred, 1, "the provider is paused");
        assert_eq!(r.job(&jb.id).run_at, 1_000_000 + day);
        assert_eq!(r.call_times().len(), 1);
    }
}

/// A status change that no target receives enqueues nothing, and says so: the report lists
/// each target considered with the reason it was skipped, and a warning is logged.
#[test]
fn a_change_no_target_receives_reports_why_and_warns() {
    let r = rig(Scripted::default(), &["a"]);
    let service =
        StatusService::new(r.store.clone(), r.clock.clone(), r.events.clone()).with_target(
            Target::new("mstodo", StatusMapping::new(ProviderKind::MsTodo)),
        );
    let (report, logged) = capture_warnings(|| {
        block_on(service.change_status(&id("a"), Status::Completed, None)).unwrap()
    });
    assert!(report.jobs.is_empty());
    assert_eq!(report.targets.len(), 1);
    let decision = &report.targets[0];
    assert_eq!(
        (decision.task_id.as_str(), decision.target.as_str()),
        (id("a").as_str(), "mstodo")
    );
    assert_eq!(decision.job_id, None);
    let why = decision.skipped.as_deref().unwrap();
    assert!(
        why.contains("`mstodo`") && why.contains("`todo`") && why.contains("sources"),
        "{why}"
    );
    assert!(
        logged.iter().any(|m| m.contains("enqueues no sync job")),
        "{logged:?}"
    );

    // The same target mirroring the task's source sends it, and the report says so.
    let mirrored = StatusService::new(r.store.clone(), r.clock.clone(), r.events.clone())
        .with_target(
            Target::new("mstodo", StatusMapping::new(ProviderKind::MsTodo)).mirroring("todo"),
        );
    let (report, logged) = capture_warnings(|| {
        block_on(mirrored.change_status(&id("a"), Status::InProgress, None)).unwrap()
    });
    assert_eq!(report.jobs.len(), 1);
    assert_eq!(
        report.targets[0].job_id.as_deref(),
        Some(report.jobs[0].id.as_str())
    );
    assert_eq!(report.targets[0].skipped, None);
    assert!(logged.is_empty(), "{logged:?}");
}

/// Runs `f` with a subscriber that keeps the messages of WARN events.
fn capture_warnings<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    #[derive(Default)]
    struct Keep(Arc<Mutex<Vec<String>>>);
    struct Message<'a>(&'a mut String);
    impl Visit for Message<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                *self.0 = format!("{value:?}");
            }
        }
    }
    impl Subscriber for Keep {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            if *event.metadata().level() == Level::WARN {
                let mut text = String::new();
                event.record(&mut Message(&mut text));
                self.0.lock().unwrap().push(text);
            }
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
    let keep = Keep::default();
    let messages = keep.0.clone();
    let out = tracing::subscriber::with_default(keep, f);
    let messages = messages.lock().unwrap().clone();
    (out, messages)
}

#[test]
fn an_exhausted_job_dies_and_can_revert_or_stay_flagged() {
    for policy in [DeadPolicy::KeepFlagged, DeadPolicy::RevertStatus] {
        let script = HashMap::from([("a".to_string(), vec![Err(unavailable()); 9])]);
        let config = WorkerConfig {
            dead_policy: policy,
            ..WorkerConfig::default()
        };
        let r = rig_with(
            config,
            Scripted {
                script: Mutex::new(script),
                ..Scripted::default()
            },
            &["a"],
        );
        let job = r.complete("a").jobs.remove(0);
        r.drain();
        assert_eq!(r.call_times().len(), 6, "6 attempts in all");
        let dead = r.job(&job.id);
        assert_eq!(dead.state, JobState::Dead);
        assert!(
            dead.last_error
                .as_deref()
                .unwrap()
                .contains("gave up after 6 attempts")
        );
        let task = block_on(r.store.get(id("a"))).unwrap().unwrap();
        let expected = if policy == DeadPolicy::RevertStatus {
            Status::Pending
        } else {
            Status::Completed
        };
        assert_eq!(task.status, expected, "{policy:?}");
        // A revert is announced as a status change (cause `dead_job_reverted`), after the job's
        // own `dead` event; without a revert there is none.
        let events = r.events.take();
        let reverts: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                Event::StatusChanged { change, actor, .. }
                    if change.cause.as_deref() == Some(sync_core::retry::REVERT_CAUSE) =>
                {
                    Some((change.clone(), actor.clone()))
                }
                _ => None,
            })
            .collect();
        if policy == DeadPolicy::RevertStatus {
            assert_eq!(reverts.len(), 1, "{events:?}");
            let (change, actor) = &reverts[0];
            assert_eq!(
                (change.task_id.as_str(), change.from, change.to),
                (id("a").as_str(), Status::Completed, Status::Pending)
            );
            assert!(actor.is_some());
            let dead_at = events.iter().position(|e| {
                matches!(
                    e,
                    Event::JobChanged {
                        state: JobState::Dead,
                        ..
                    }
                )
            });
            let revert_at = events.iter().position(
                |e| matches!(e, Event::StatusChanged { change, .. } if change.cause.is_some()),
            );
            assert!(dead_at < revert_at, "{events:?}");
        } else {
            assert!(reverts.is_empty(), "{events:?}");
        }
        assert_eq!(
            block_on(sync_core::retry::sync_status(&*r.store, &id("a"))).unwrap(),
            vec![("todo".into(), SyncStatus::Failed)]
        );
        // By hand: requeue, and this time the provider answers.
        r.provider.script.lock().unwrap().clear();
        let requeued = block_on(sync_core::retry::requeue(&*r.store, &job.id, 2_000_000)).unwrap();
        assert_eq!((requeued.state, requeued.attempts), (JobState::Pending, 0));
        r.clock.set(2_000_000);
        r.drain();
        assert_eq!(r.job(&job.id).state, JobState::Succeeded);
    }
}

#[test]
fn a_refusal_is_dead_at_once() {
    for status in [400, 403, 404] {
        let script = HashMap::from([("a".to_string(), vec![Err(rejected(status))])]);
        let r = rig(
            Scripted {
                script: Mutex::new(script),
                ..Scripted::default()
            },
            &["a"],
        );
        let job = r.complete("a").jobs.remove(0);
        r.drain();
        let dead = r.job(&job.id);
        assert_eq!(
            (dead.state, dead.attempts),
            (JobState::Dead, 1),
            "HTTP {status}"
        );
        assert!(dead.last_error.unwrap().contains(&format!("HTTP {status}")));
    }
}

#[test]
fn rate_limit_honours_retry_after_and_pauses_the_provider() {
    let limited = ProviderError::RateLimited {
        provider: "todo".into(),
        retry_after_ms: 30_000,
    };
    let script = HashMap::from([("a".to_string(), vec![Err(limited)])]);
    let config = WorkerConfig {
        concurrency: 1,
        batch: 1,
        ..WorkerConfig::default()
    };
    let r = rig_with(
        config,
        Scripted {
            script: Mutex::new(script),
            ..Scripted::default()
        },
        &["a", "b"],
    );
    let ja = r.complete("a").jobs.remove(0);
    r.clock.advance(1);
    let jb = r.complete("b").jobs.remove(0);
    let t0 = 1_000_001; // the worker runs after b's change
    assert_eq!(r.tick().retried, 1);
    assert_eq!(
        r.job(&ja.id).run_at,
        t0 + 30_000,
        "Retry-After wins over the 1 s backoff"
    );
    // b is due, but the provider is paused: deferred without burning an attempt.
    let tick = r.tick();
    assert_eq!(tick.deferred, 1);
    let b = r.job(&jb.id);
    assert_eq!(
        (b.state, b.attempts, b.run_at),
        (JobState::Pending, 0, t0 + 30_000)
    );
    r.drain();
    assert_eq!(r.call_times(), vec![t0, t0 + 30_000, t0 + 30_000]);
    assert_eq!(r.job(&jb.id).attempts, 1);
}

#[test]
fn an_expired_token_is_refreshed_then_retried() {
    let expired = ProviderError::TokenExpired {
        provider: "todo".into(),
    };
    let script = HashMap::from([("a".to_string(), vec![Err(expired.clone())])]);
    let r = rig(
        Scripted {
            script: Mutex::new(script),
            ..Scripted::default()
        },
        &["a"],
    );
    let job = r.complete("a").jobs.remove(0);
    r.drain();
    assert_eq!(*r.provider.refreshes.lock().unwrap(), 1);
    assert_eq!(
        r.call_times(),
        vec![1_000_000, 1_000_000],
        "retried at once"
    );
    assert_eq!(r.job(&job.id).state, JobState::Succeeded);

    let script = HashMap::from([("a".to_string(), vec![Err(expired)])]);
    let failing = Scripted {
        script: Mutex::new(script),
        refresh_fails: true,
        ..Scripted::default()
    };
    let r = rig(failing, &["a"]);
    let job = r.complete("a").jobs.remove(0);
    r.drain();
    let dead = r.job(&job.id);
    assert_eq!(dead.state, JobState::Dead);
    assert!(dead.last_error.unwrap().contains("token refresh failed"));
}

#[test]
fn the_breaker_opens_half_opens_and_closes() {
    let names = ["a", "b", "c", "d"];
    let mut script: Script = names
        .iter()
        .map(|n| (n.to_string(), vec![Err(unavailable())]))
        .collect();
    script.get_mut("a").unwrap().push(Err(unavailable()));
    let config = WorkerConfig {
        concurrency: 1,
        batch: 1,
        breaker: BreakerConfig {
            failure_threshold: 3,
            open_ms: 10_000,
        },
        ..WorkerConfig::default()
    };
    let r = rig_with(
        config,
        Scripted {
            script: Mutex::new(script),
            ..Scripted::default()
        },
        &names,
    );
    for n in names {
        r.complete(n);
        r.clock.advance(1);
    }
    let start = sync_core::Clock::now_ms(&*r.clock);
    // Three failures in a row open the breaker.
    for _ in 0..3 {
        assert_eq!(r.tick().retried, 1);
    }
    // d is due but the breaker is open: deferred to when it half-opens, no attempt burned.
    assert_eq!(r.tick().deferred, 1);
    let d = r.job(&r.complete_job_id("d"));
    assert_eq!((d.attempts, d.run_at), (0, start + 10_000));
    // Half-open: exactly one trial goes; it fails (a's second failure) and reopens the breaker.
    r.clock.set(start + 10_000);
    assert_eq!(r.tick().retried, 1);
    let tick = r.tick();
    assert_eq!(
        (tick.claimed, tick.deferred),
        (1, 1),
        "the reopened breaker defers b"
    );
    let b = r.job(&r.complete_job_id("b"));
    assert_eq!((b.attempts, b.run_at), (1, start + 20_000));
    // After the next open period the trial succeeds, the breaker closes and all drain.
    r.drain();
    let calls = r.provider.calls.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        3 + 2 + 2 + 2,
        "no call was made while the breaker was open"
    );
    assert!(
        calls
            .iter()
            .all(|(_, at)| *at <= start + 10_000 || *at >= start + 20_000)
    );
    let attempts: Vec<u32> = names
        .iter()
        .map(|n| r.job(&r.complete_job_id(n)).attempts)
        .collect();
    assert_eq!(attempts, vec![3, 2, 2, 2]);
    assert!(
        block_on(r.store.jobs(JobQuery::default()))
            .unwrap()
            .iter()
            .all(|j| j.state == JobState::Succeeded)
    );
}

impl Rig {
    fn complete_job_id(&self, external: &str) -> String {
        let jobs = block_on(self.store.jobs(JobQuery {
            task_id: Some(id(external)),
            ..JobQuery::default()
        }));
        jobs.unwrap().remove(0).id
    }
}

#[test]
fn a_newer_intent_supersedes_a_pending_one() {
    let r = rig(Scripted::default(), &["a"]);
    let first = block_on(r.service.change_status(&id("a"), Status::InProgress, None)).unwrap();
    let second = r.complete("a");
    assert_eq!(r.job(&first.jobs[0].id).state, JobState::Superseded);
    r.drain();
    let calls = r.provider.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0.idempotency_key, second.jobs[0].id);
}

/// A tiny deterministic generator (xorshift), so the chaos run is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A provider failing 30% of calls with mixed classes: every job still ends terminal, with an
/// attempt count equal to the calls made for it, dead only when refused or out of attempts.
#[test]
fn chaos_every_job_ends_terminal_with_the_right_attempts() {
    let n = 400;
    let mut rng = Rng(0x5eed_cafe);
    let mut script = Script::new();
    for i in 0..n {
        let steps = (0..6)
            .map(|_| match rng.next() % 100 {
                0..=9 => Err(unavailable()),
                10..=17 => Err(ProviderError::Timeout {
                    provider: "todo".into(),
                    message: "slow".into(),
                }),
                18..=22 => Err(ProviderError::RateLimited {
                    provider: "todo".into(),
                    retry_after_ms: 2_000,
                }),
                23..=26 => Err(ProviderError::TokenExpired {
                    provider: "todo".into(),
                }),
                27..=29 => Err(rejected(404)),
                _ => Ok(()),
            })
            .collect();
        script.insert(format!("t{i}"), steps);
    }
    let expected = script.clone();
    let names: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let config = WorkerConfig {
        batch: 32,
        ..WorkerConfig::default()
    };
    let r = rig_with(
        config,
        Scripted {
            script: Mutex::new(script),
            ..Scripted::default()
        },
        &refs,
    );
    for name in &names {
        r.complete(name);
    }
    r.drain();
    let calls = r.provider.calls.lock().unwrap().clone();
    let jobs = block_on(r.store.jobs(JobQuery {
        limit: 10_000,
        ..JobQuery::default()
    }))
    .unwrap();
    assert_eq!(jobs.len(), n);
    for job in jobs {
        assert!(job.state.is_terminal(), "{job:?}");
        let made = calls
            .iter()
            .filter(|(c, _)| c.idempotency_key == job.id)
            .count() as u32;
        assert_eq!(
            job.attempts, made,
            "attempts = calls for {}",
            job.external_id
        );
        // Replay the script: the first refusal, or the first success, or the budget ends it.
        let steps = &expected[&job.external_id];
        let mut outcome = JobState::Dead;
        let mut calls_needed = 6;
        for (k, step) in steps.iter().take(6).enumerate() {
            match step {
                Ok(()) => {
                    outcome = JobState::Succeeded;
                    calls_needed = k + 1;
                    break;
                }
                Err(e) if !e.is_retryable() => {
                    calls_needed = k + 1;
                    break;
                }
                Err(_) => {}
            }
        }
        assert_eq!(
            (job.state, job.attempts),
            (outcome, calls_needed as u32),
            "{}",
            job.external_id
        );
    }
}

/// Status changes and manual dead-letter actions are audited (who, when, from, to).
#[test]
fn status_changes_and_manual_actions_are_audited() {
    use sync_core::history::{
        Actor, AuditAction, AuditQuery, HistoryRecorder, HistoryStore, MemoryHistoryStore,
        RecorderConfig,
    };
    use sync_core::retry::DeadLetters;

    let script = HashMap::from([("a".to_string(), vec![Err(rejected(404))])]);
    let r = rig(
        Scripted {
            script: Mutex::new(script),
            ..Scripted::default()
        },
        &["a"],
    );
    let history = Arc::new(MemoryHistoryStore::new());
    let (recorder, pump) = HistoryRecorder::new(history.clone(), RecorderConfig::default());
    let service = StatusService::new(r.store.clone(), r.clock.clone(), r.events.clone())
        .with_target(Target::new(
            "todo",
            StatusMapping::new(ProviderKind::MsTodo),
        ))
        .with_history(recorder.clone());
    let job = block_on(service.change_status(&id("a"), Status::Completed, Some("ana")))
        .unwrap()
        .jobs
        .remove(0);
    r.drain();
    let dead = DeadLetters::new(r.store.clone(), r.clock.clone(), r.events.clone())
        .with_history(recorder.clone());
    assert_eq!(block_on(dead.list(None, 10)).unwrap().len(), 1);
    assert_eq!(block_on(dead.inspect(&job.id)).unwrap().undo, job.undo);
    let retried = block_on(dead.retry(&job.id, Actor::user("bob"))).unwrap();
    assert_eq!(retried.state, JobState::Pending);
    let err = block_on(dead.discard(&job.id, Actor::user("bob"))).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::InvalidState,
        "only dead jobs can be discarded"
    );
    let missing = block_on(dead.retry("nope", Actor::user("bob"))).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    drop((service, dead));
    recorder.close();
    block_on(pump.run());

    let task_audit = block_on(history.audit(AuditQuery {
        entity_id: Some(id("a")),
        ..AuditQuery::default()
    }))
    .unwrap()
    .items;
    assert_eq!(task_audit.len(), 1);
    let entry = &task_audit[0];
    assert_eq!(entry.action, AuditAction::StatusChanged);
    assert_eq!(
        (entry.from.as_deref(), entry.to.as_deref()),
        (Some("pending"), Some("completed"))
    );
    assert_eq!(entry.actor.user.as_deref(), Some("ana"));
    assert_eq!(entry.at, 1_000_000);
    let job_audit = block_on(history.audit(AuditQuery {
        entity_id: Some(job.id.clone()),
        ..AuditQuery::default()
    }))
    .unwrap()
    .items;
    let actions: Vec<AuditAction> = job_audit.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![AuditAction::JobRetried],
        "a refused discard is not audited"
    );
    assert_eq!(job_audit[0].actor.user.as_deref(), Some("bob"));
}

/// A target can mirror another source: one job per target (fan-out), each routed by name.
#[test]
fn a_change_fans_out_to_every_target_that_receives_its_source() {
    let r = rig(Scripted::default(), &["a"]);
    let service = StatusService::new(r.store.clone(), r.clock.clone(), r.events.clone())
        .with_target(Target::new(
            "todo",
            StatusMapping::new(ProviderKind::MsTodo),
        ))
        .with_target(
            Target::new("calendar", StatusMapping::new(ProviderKind::CalDav)).mirroring("todo"),
        )
        .with_target(
            Target::new("other", StatusMapping::new(ProviderKind::CalDav)).mirroring("files"),
        );
    let report = block_on(service.change_status(&id("a"), Status::Completed, None)).unwrap();
    let mut targets: Vec<&str> = report.jobs.iter().map(|j| j.target.as_str()).collect();
    targets.sort();
    assert_eq!(targets, vec!["calendar", "todo"]);
    let caldav = report.jobs.iter().find(|j| j.target == "calendar").unwrap();
    assert_eq!(caldav.payload["STATUS"], "COMPLETED");
    assert_ne!(
        caldav.id,
        report.jobs.iter().find(|j| j.target == "todo").unwrap().id
    );
    let statuses = block_on(sync_core::retry::sync_status(&*r.store, &id("a"))).unwrap();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
}

/// A store that keeps no jobs refuses a change set carrying some, naming the count and the hint.
#[test]
fn a_change_set_with_jobs_is_refused_by_a_store_without_jobs() {
    let r = rig(Scripted::default(), &["a"]);
    let report = r.complete("a");
    let set = ChangeSet {
        jobs: report
            .jobs
            .into_iter()
            .map(|job| sync_core::retry::JobWrite::Insert { job })
            .collect(),
        ..ChangeSet::default()
    };
    let err = set.refuse_jobs("use the SQLite store").unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("keeps no jobs")
            && message.contains("1 job(s)")
            && message.contains("use the SQLite store"),
        "{message}"
    );
    assert!(ChangeSet::default().refuse_jobs("unused").is_ok());
}
