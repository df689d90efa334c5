//! Pull: a provider's listing previewed into a scope, executed on its own only under the rule;
//! a held plan is kept and announced; every pull is a history run; a failed or partial listing
//! never deletes; the scheduled loop pulls until stopped.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::FutureExt;
use futures::executor::block_on;
use sync_core::history::{RecorderConfig, RunKind, RunQuery, RunStatus};
use sync_core::pull::{HoldReason, PullConfig, PullOutcome, PullRule, Puller};
use sync_core::{
    CollectingSink, DesiredTask, Error, ErrorKind, Event, HistoryRecorder, HistoryStore, Listing,
    MemoryHistoryStore, MemoryStore, Policy, ProviderClient, ProviderError, RunOptions, Status,
    SyncEngine, TaskStore,
};

/// A provider answering a queue of listings (the last one repeats).
struct Scripted(Mutex<VecDeque<Result<Listing, ProviderError>>>);

impl Scripted {
    fn new(answers: Vec<Result<Listing, ProviderError>>) -> Arc<Self> {
        Arc::new(Scripted(Mutex::new(answers.into())))
    }
}

#[async_trait]
impl ProviderClient for Scripted {
    fn name(&self) -> String {
        "mstodo".into()
    }
    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        assert_eq!(
            scope, "list-1",
            "the provider scope is listed, not the hub scope"
        );
        let mut answers = self.0.lock().unwrap();
        if answers.len() > 1 {
            answers.pop_front().unwrap()
        } else {
            answers.front().cloned().unwrap()
        }
    }
}

fn tasks(n: usize) -> Vec<DesiredTask> {
    (0..n)
        .map(|i| DesiredTask::new(format!("list-1/t{i}"), format!("Task {i}")))
        .collect()
}

fn config() -> PullConfig {
    PullConfig {
        provider_scope: Some("list-1".into()),
        policy: Policy {
            writable: None,
            ..Policy::default()
        },
        ..PullConfig::new("todo")
    }
}

struct Setup {
    store: Arc<MemoryStore>,
    history: Arc<MemoryHistoryStore>,
    recorder: HistoryRecorder,
    pump: Option<sync_core::HistoryPump>,
    engine: SyncEngine,
}

fn setup() -> Setup {
    let store = Arc::new(MemoryStore::new());
    let history = Arc::new(MemoryHistoryStore::new());
    let (recorder, pump) = HistoryRecorder::new(history.clone(), RecorderConfig::default());
    let engine = SyncEngine::new(store.clone()).with_history(recorder.clone());
    Setup {
        store,
        history,
        recorder,
        pump: Some(pump),
        engine,
    }
}

impl Setup {
    fn count(&self) -> usize {
        block_on(self.store.snapshot("todo".into()))
            .unwrap()
            .tasks
            .len()
    }
    fn runs(&mut self) -> Vec<(RunKind, RunStatus, Option<String>)> {
        self.recorder.close();
        block_on(self.pump.take().unwrap().run());
        let mut runs = block_on(self.history.runs(RunQuery::default()))
            .unwrap()
            .items;
        runs.reverse();
        runs.into_iter()
            .map(|r| (r.kind, r.status, r.error))
            .collect()
    }
}

#[test]
fn a_clean_plan_executes_and_the_next_pull_is_unchanged() {
    let mut s = setup();
    let provider = Scripted::new(vec![Ok(Listing::complete("mstodo", tasks(3)))]);
    let puller = Puller::new(s.engine.clone(), provider, config()).unwrap();
    let first = block_on(puller.pull(&RunOptions::default())).unwrap();
    assert!(matches!(first.outcome, PullOutcome::Executed { ref report } if report.created == 3));
    assert_eq!(s.count(), 3);
    let second = block_on(puller.pull(&RunOptions::default())).unwrap();
    assert_eq!(second.outcome, PullOutcome::Unchanged);
    assert!(puller.held().is_none());
    let runs = s.runs();
    let kinds: Vec<_> = runs.iter().map(|r| r.0).collect();
    assert_eq!(
        kinds,
        [RunKind::Preview, RunKind::Execute, RunKind::Preview]
    );
    assert!(runs.iter().all(|r| r.1 == RunStatus::Completed));
}

#[test]
fn deletions_beyond_the_rule_are_held_announced_and_executable_by_a_person() {
    let mut s = setup();
    let provider = Scripted::new(vec![
        Ok(Listing::complete("mstodo", tasks(5))),
        Ok(Listing::complete("mstodo", tasks(3))),
    ]);
    let sink = Arc::new(CollectingSink::default());
    let rule = PullRule {
        max_deletes: 1,
        ..PullRule::default()
    };
    let puller = Puller::new(s.engine.clone(), provider, PullConfig { rule, ..config() })
        .unwrap()
        .with_events(sink.clone());
    block_on(puller.pull(&RunOptions::default())).unwrap();
    let held = block_on(puller.pull(&RunOptions::default())).unwrap();
    let PullOutcome::Held { reasons, plan } = &held.outcome else {
        panic!("not held: {held:?}");
    };
    assert_eq!(
        reasons,
        &[HoldReason::TooManyDeletes {
            deletes: 2,
            limit: 1
        }]
    );
    assert_eq!(s.count(), 5, "a held plan writes nothing");
    let events: Vec<_> = sink
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::PullHeld { .. }))
        .collect();
    assert!(
        matches!(&events[..], [Event::PullHeld { deletes: 2, scope, .. }] if scope == "todo"),
        "{events:?}"
    );
    assert_eq!(puller.held().as_ref(), Some(&**plan));
    block_on(s.engine.execute(plan, true)).unwrap();
    assert_eq!(s.count(), 3);
    assert_eq!(s.runs().len(), 4);
}

#[test]
fn conflicts_and_auto_execute_off_hold() {
    let rule = PullRule {
        auto_execute: false,
        ..PullRule::default()
    };
    let s = setup();
    let provider = Scripted::new(vec![Ok(Listing::complete("mstodo", tasks(2)))]);
    let puller = Puller::new(s.engine.clone(), provider, PullConfig { rule, ..config() }).unwrap();
    let report = block_on(puller.pull(&RunOptions::default())).unwrap();
    assert!(
        matches!(&report.outcome, PullOutcome::Held { reasons, .. } if reasons == &[HoldReason::AutoExecuteOff])
    );
    assert_eq!(s.count(), 0);
}

#[test]
fn a_failed_listing_is_a_failed_run_and_writes_nothing() {
    let mut s = setup();
    let provider = Scripted::new(vec![
        Ok(Listing::complete("mstodo", tasks(3))),
        Err(ProviderError::Unavailable {
            provider: "mstodo".into(),
            status: 503,
            message: "down".into(),
        }),
    ]);
    let puller = Puller::new(s.engine.clone(), provider, config()).unwrap();
    block_on(puller.pull(&RunOptions::default())).unwrap();
    let err = block_on(puller.pull(&RunOptions::default())).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Provider);
    assert_eq!(s.count(), 3, "nothing deleted");
    let runs = s.runs();
    let last = runs.last().unwrap();
    assert_eq!((last.0, last.1), (RunKind::Preview, RunStatus::Failed));
    assert!(last.2.as_deref().unwrap().contains("503"), "{last:?}");
}

#[test]
fn a_partial_listing_never_deletes() {
    let s = setup();
    let provider = Scripted::new(vec![
        Ok(Listing::complete("mstodo", tasks(4))),
        Ok(Listing::partial("mstodo", tasks(1))),
    ]);
    let rule = PullRule {
        max_deletes: 100,
        ..PullRule::default()
    };
    let puller = Puller::new(s.engine.clone(), provider, PullConfig { rule, ..config() }).unwrap();
    block_on(puller.pull(&RunOptions::default())).unwrap();
    let report = block_on(puller.pull(&RunOptions::default())).unwrap();
    assert!(!report.complete);
    assert_eq!(report.counts.deletes, 0);
    assert_eq!(s.count(), 4);
}

#[test]
fn a_mass_deletion_blocked_by_the_policy_holds() {
    let s = setup();
    let provider = Scripted::new(vec![
        Ok(Listing::complete("mstodo", tasks(50))),
        Ok(Listing::complete("mstodo", Vec::new())),
    ]);
    let rule = PullRule {
        max_deletes: 1_000,
        ..PullRule::default()
    };
    let puller = Puller::new(s.engine.clone(), provider, PullConfig { rule, ..config() }).unwrap();
    block_on(puller.pull(&RunOptions::default())).unwrap();
    let report = block_on(puller.pull(&RunOptions::default())).unwrap();
    assert!(
        matches!(&report.outcome, PullOutcome::Held { reasons, .. }
            if matches!(reasons[..], [HoldReason::MassDeletion { deletes: 50, .. }])),
        "{report:?}"
    );
    assert_eq!(s.count(), 50);
}

#[test]
fn bad_configs_are_refused_naming_the_field() {
    let s = setup();
    let provider = Scripted::new(vec![Ok(Listing::complete("mstodo", Vec::new()))]);
    let too_fast = PullConfig {
        interval_ms: 10,
        ..config()
    };
    let err = Puller::new(s.engine.clone(), provider.clone(), too_fast).unwrap_err();
    assert!(err.to_string().contains("interval_ms"), "{err}");
    let unknown: Result<PullConfig, _> =
        serde_json::from_str(r#"{"scope":"todo","rule":{"auto_execute":true,"yolo":1}}"#);
    assert!(unknown.unwrap_err().to_string().contains("yolo"));
    let empty = PullConfig::new("");
    assert!(matches!(
        Puller::new(s.engine.clone(), provider, empty),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn the_loop_pulls_every_interval_until_stopped() {
    let mut s = setup();
    let provider = Scripted::new(vec![
        Ok(Listing::complete("mstodo", tasks(2))),
        Ok(Listing::complete(
            "mstodo",
            vec![DesiredTask::new("list-1/t0", "Renamed").status(Status::Draft)],
        )),
    ]);
    let rule = PullRule {
        max_deletes: 5,
        ..PullRule::default()
    };
    let puller = Puller::new(s.engine.clone(), provider, PullConfig { rule, ..config() }).unwrap();
    let slept = Arc::new(Mutex::new(Vec::new()));
    let (stop_tx, stop_rx) = futures::channel::oneshot::channel::<()>();
    let stop_tx = Mutex::new(Some(stop_tx));
    let seen = slept.clone();
    let sleep = move |ms: u64| {
        let mut slept = seen.lock().unwrap();
        slept.push(ms);
        let done = slept.len() >= 3;
        drop(slept);
        if done {
            // The third sleep never ends on its own: only the stop ends the loop.
            futures::future::pending().boxed()
        } else {
            futures::future::ready(()).boxed()
        }
    };
    let mut results = Vec::new();
    let mut options = RunOptions::default();
    options.context.actor.user = Some("scheduler".into());
    let totals = block_on(async {
        let run = puller.run(&options, &sleep, stop_rx.map(|_| ()), |r| {
            results.push(r.as_ref().map(|r| r.counts.clone()).ok());
            if results.len() == 3 {
                stop_tx.lock().unwrap().take().unwrap().send(()).unwrap();
            }
        });
        run.await
    });
    assert_eq!(totals.pulls, 3);
    assert_eq!(totals.executed, 2);
    assert_eq!(totals.unchanged, 1);
    assert_eq!(*slept.lock().unwrap(), vec![60_000; 3]);
    let snapshot = block_on(s.store.snapshot("todo".into())).unwrap();
    assert_eq!(snapshot.tasks.len(), 1);
    assert_eq!(snapshot.tasks[0].title, "Renamed");
    s.recorder.close();
    block_on(s.pump.take().unwrap().run());
    let runs = block_on(s.history.runs(RunQuery::default())).unwrap().items;
    assert!(!runs.is_empty());
    for run in runs {
        assert_eq!(
            run.context.actor.user.as_deref(),
            Some("scheduler"),
            "{run:?}"
        );
    }
}
