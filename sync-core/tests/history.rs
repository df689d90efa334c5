//! History: runs, items, counters and audit recorded through the best-effort recorder; a
//! failing or hanging history store never fails or blocks a sync; cancellation; progress events.

use std::sync::Arc;

use async_trait::async_trait;
use futures::FutureExt;
use futures::executor::block_on;
use sync_core::history::{
    Actor, AuditAction, AuditQuery, Cursor, HistoryBatch, ItemOutcome, ItemQuery, Page,
    RecorderConfig, Run, RunContext, RunKind, RunQuery, RunStatus,
};
use sync_core::{
    Applied, AuditEntry, CancelToken, ChangeSet, Clock, CollectingSink, DesiredTask, Error,
    ErrorKind, Event, HistoryRecorder, HistoryStore, Identity, Listing, ManualClock,
    MemoryHistoryStore, MemoryStore, Plan, Policy, RunOptions, ScopeSnapshot, StoreError,
    SyncEngine, TaskStore,
};

fn listing() -> Listing {
    Listing::complete(
        "ardoq",
        vec![
            DesiredTask::new("e1", "Epic one").kind("epic"),
            DesiredTask::new("f1", "Feature one")
                .kind("feature")
                .parent("e1"),
            DesiredTask::new("f2", "Feature two")
                .kind("feature")
                .parent("e1"),
            DesiredTask::new("s1", "Story ✓")
                .kind("user_story")
                .parent("f1"),
        ],
    )
}

/// A task store that moves the clock during every apply, so a run has a real duration.
struct SlowApply {
    inner: MemoryStore,
    clock: Arc<ManualClock>,
}

#[async_trait]
impl TaskStore for SlowApply {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        self.inner.snapshot(scope).await
    }
    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.inner.scope_version(scope).await
    }
    async fn get(&self, id: String) -> Result<Option<sync_core::Task>, StoreError> {
        self.inner.get(id).await
    }
    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        self.inner.find_identities(source, external_ids).await
    }
    async fn apply(&self, changes: ChangeSet) -> Result<Applied, StoreError> {
        self.clock.advance(250);
        self.inner.apply(changes).await
    }
}

struct Setup {
    tasks: Arc<SlowApply>,
    history: Arc<MemoryHistoryStore>,
    sink: Arc<CollectingSink>,
    engine: SyncEngine,
    recorder: HistoryRecorder,
    pump: sync_core::HistoryPump,
}

fn setup() -> Setup {
    let clock = Arc::new(ManualClock::new(10_000));
    let tasks = Arc::new(SlowApply {
        inner: MemoryStore::new(),
        clock: clock.clone(),
    });
    let history = Arc::new(MemoryHistoryStore::new());
    let sink = Arc::new(CollectingSink::default());
    let (recorder, pump) = HistoryRecorder::new(history.clone(), RecorderConfig::default());
    let engine = SyncEngine::new(tasks.clone())
        .with_clock(clock.clone())
        .with_events(sink.clone())
        .with_history(recorder.clone());
    Setup {
        tasks,
        history,
        sink,
        engine,
        recorder,
        pump,
    }
}

/// Runs `work` next to the pump on one thread, then closes the recorder so the pump flushes.
fn with_pump<T>(
    recorder: &HistoryRecorder,
    pump: sync_core::HistoryPump,
    work: impl Future<Output = T>,
) -> T {
    let work = async {
        let out = work.await;
        recorder.close();
        out
    };
    block_on(futures::future::join(work, pump.run())).0
}

fn runs(history: &MemoryHistoryStore) -> Vec<Run> {
    block_on(history.runs(RunQuery::default())).unwrap().items
}

#[test]
fn an_execute_is_recorded_with_items_counters_context_and_audit() {
    let s = setup();
    let context = RunContext {
        actor: Actor {
            user: Some("ana".into()),
            ip: Some("10.0.0.7".into()),
            user_agent: Some("Mozilla/5.0".into()),
        },
        source_id: Some("ardoq-config-1".into()),
        target_id: Some("hub".into()),
    };
    let options = RunOptions::new().context(context.clone());
    let report = with_pump(&s.recorder, s.pump, async {
        let plan = s
            .engine
            .preview_with("p", &listing(), &Policy::default(), &options)
            .await?;
        s.engine.execute_with(&plan, true, &options).await
    })
    .unwrap();
    assert_eq!(report.created, 4);

    let runs = runs(&s.history);
    assert_eq!(runs.len(), 2, "{runs:?}");
    let (execute, preview) = (&runs[0], &runs[1]);
    assert_eq!(preview.kind, RunKind::Preview);
    assert_eq!(preview.status, RunStatus::Completed);
    assert_eq!(preview.totals.created, 4);
    assert_eq!(execute.kind, RunKind::Execute);
    assert_eq!(execute.status, RunStatus::Completed);
    assert_eq!(
        (execute.scope.as_str(), execute.source.as_str()),
        ("p", "ardoq")
    );
    assert_eq!(execute.context, context);
    assert_eq!(
        (execute.started_at, execute.ended_at, execute.duration_ms),
        (10_000, Some(10_250), Some(250))
    );
    assert_eq!(execute.total_items, 4);
    assert_eq!((execute.totals.created, execute.totals.total()), (4, 4));
    assert_eq!(execute.by_type["epic"].created, 1);
    assert_eq!(execute.by_type["feature"].created, 2);
    assert_eq!(execute.by_type["user_story"].created, 1);
    assert_eq!(execute.error, None);

    let items = block_on(s.history.items(ItemQuery::first(&execute.id, 10))).unwrap();
    assert_eq!(items.items.len(), 4);
    assert!(
        items
            .items
            .iter()
            .all(|i| i.outcome == ItemOutcome::Created)
    );
    let story = items.items.iter().find(|i| i.external_id == "s1").unwrap();
    assert_eq!(
        (story.name.as_str(), story.kind.as_str()),
        ("Story ✓", "user_story")
    );
    assert_eq!(
        story.target_id.as_deref(),
        Some(sync_core::Task::hub_id("ardoq", "s1").as_str())
    );

    let audit = block_on(s.history.audit(AuditQuery {
        entity_type: Some("sync".into()),
        entity_id: Some(execute.id.clone()),
        ..AuditQuery::default()
    }))
    .unwrap();
    let actions: Vec<AuditAction> = audit.items.iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        vec![AuditAction::SyncCompleted, AuditAction::SyncStarted]
    );
    assert!(audit.items.iter().all(|e| e.actor == context.actor));
    assert_eq!(audit.items[0].details["created"], 4);
    let stats = s.recorder.stats();
    assert_eq!((stats.dropped, stats.lost, stats.queued), (0, 0, 0));
    assert!(stats.written > 0);
}

#[test]
fn a_stale_execute_is_a_failed_run_with_failed_items() {
    let s = setup();
    let result = with_pump(&s.recorder, s.pump, async {
        let plan = s
            .engine
            .preview("p", &listing(), &Policy::default())
            .await?;
        s.engine.execute(&plan, true).await?;
        // The same plan again: stale, nothing written.
        s.engine.execute(&plan, true).await
    });
    assert_eq!(result.unwrap_err().kind(), ErrorKind::StalePlan);
    let failed = block_on(s.history.runs(RunQuery {
        status: Some(RunStatus::Failed),
        ..RunQuery::default()
    }))
    .unwrap()
    .items;
    assert_eq!(failed.len(), 1);
    let run = &failed[0];
    assert!(
        run.error.as_deref().unwrap().contains("stale plan"),
        "{run:?}"
    );
    assert_eq!((run.totals.failed, run.totals.created), (4, 0));
    assert_eq!(run.by_type["feature"].failed, 2);
    let items = block_on(s.history.items(ItemQuery::first(&run.id, 10))).unwrap();
    assert!(
        items
            .items
            .iter()
            .all(|i| i.outcome == ItemOutcome::Failed && i.error.is_some())
    );
    let audit = block_on(s.history.audit(AuditQuery {
        entity_id: Some(run.id.clone()),
        ..AuditQuery::default()
    }))
    .unwrap();
    assert_eq!(audit.items[0].action, AuditAction::SyncFailed);
}

#[test]
fn overwrite_mode_counts_deletions() {
    let s = setup();
    let policy = Policy {
        overwrite: true,
        ..Policy::default()
    };
    with_pump(&s.recorder, s.pump, async {
        let plan = s.engine.preview("p", &listing(), &policy).await?;
        s.engine.execute(&plan, true).await?;
        let plan = s.engine.preview("p", &listing(), &policy).await?;
        assert_eq!(plan.deletes.len(), 4);
        s.engine.execute(&plan, true).await
    })
    .unwrap();
    let last = &block_on(s.history.runs(RunQuery {
        kind: Some(RunKind::Execute),
        limit: 1,
        ..RunQuery::default()
    }))
    .unwrap()
    .items[0];
    assert!(last.overwrite);
    assert_eq!(last.deletions, 4);
    assert_eq!((last.totals.deleted, last.totals.created), (4, 4));
}

#[test]
fn a_cancelled_run_writes_nothing_and_ends_cancelled() {
    let s = setup();
    let token = CancelToken::new();
    let options = RunOptions::new().cancel(token.clone());
    let (preview, execute) = with_pump(&s.recorder, s.pump, async {
        let plan: Plan = s
            .engine
            .preview_with("p", &listing(), &Policy::default(), &options)
            .await
            .unwrap();
        token.cancel();
        let execute = s.engine.execute_with(&plan, true, &options).await;
        let preview = s
            .engine
            .preview_with("p", &listing(), &Policy::default(), &options)
            .await;
        (preview, execute)
    });
    let err = execute.unwrap_err();
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(err.kind(), ErrorKind::Cancelled);
    assert_eq!(err.kind().code(), "cancelled");
    assert_eq!(preview.unwrap_err().kind(), ErrorKind::Cancelled);
    assert_eq!(block_on(s.tasks.scope_version("p".into())).unwrap(), 0);

    let cancelled = block_on(s.history.runs(RunQuery {
        status: Some(RunStatus::Cancelled),
        ..RunQuery::default()
    }))
    .unwrap()
    .items;
    assert_eq!(cancelled.len(), 2);
    for run in &cancelled {
        let items = block_on(s.history.items(ItemQuery::first(&run.id, 10))).unwrap();
        assert!(
            items.items.is_empty(),
            "a cancelled run has items: {items:?}"
        );
        let audit = block_on(s.history.audit(AuditQuery {
            entity_id: Some(run.id.clone()),
            ..AuditQuery::default()
        }))
        .unwrap();
        assert_eq!(audit.items[0].action, AuditAction::SyncCancelled);
    }
    let finished: Vec<RunStatus> = s
        .sink
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::RunFinished { status, .. } => Some(status),
            _ => None,
        })
        .collect();
    assert_eq!(
        finished,
        vec![
            RunStatus::Completed,
            RunStatus::Cancelled,
            RunStatus::Cancelled
        ]
    );
}

#[test]
fn progress_events_stream_and_serialize() {
    let s = setup();
    with_pump(&s.recorder, s.pump, async {
        let plan = s
            .engine
            .preview("p", &listing(), &Policy::default())
            .await?;
        s.sink.take();
        s.engine.execute(&plan, true).await
    })
    .unwrap();
    let events = s.sink.take();
    let Event::RunStarted {
        run_id,
        kind,
        total_items,
        ..
    } = &events[0]
    else {
        panic!("the first event is not RunStarted: {events:?}");
    };
    assert_eq!((*kind, *total_items), (RunKind::Execute, 4));
    let items: Vec<(u64, ItemOutcome)> = events
        .iter()
        .filter_map(|e| match e {
            Event::RunItem {
                run_id: r,
                seq,
                outcome,
                ..
            } if r == run_id => Some((*seq, *outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|(_, o)| *o == ItemOutcome::Created));
    assert!(matches!(
        events.last(),
        Some(Event::RunFinished { status: RunStatus::Completed, totals, duration_ms: 250, .. })
            if totals.created == 4
    ));
    let json = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(json["type"], "run_item");
    assert_eq!(json["outcome"], "created");
    let back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(back, events[1]);
}

/// A history store that fails every call.
struct Failing;

#[async_trait]
impl HistoryStore for Failing {
    async fn write(&self, _: HistoryBatch) -> Result<(), StoreError> {
        Err(StoreError::Backend("disk full".into()))
    }
    async fn run(&self, _: String) -> Result<Option<Run>, StoreError> {
        Err(StoreError::Backend("disk full".into()))
    }
    async fn runs(&self, _: RunQuery) -> Result<Page<Run, Cursor>, StoreError> {
        Err(StoreError::Backend("disk full".into()))
    }
    async fn items(&self, _: ItemQuery) -> Result<Page<sync_core::history::Item, u64>, StoreError> {
        Err(StoreError::Backend("disk full".into()))
    }
    async fn audit(&self, _: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError> {
        Err(StoreError::Backend("disk full".into()))
    }
}

/// A history store whose calls never return.
struct Hanging;

#[async_trait]
impl HistoryStore for Hanging {
    async fn write(&self, _: HistoryBatch) -> Result<(), StoreError> {
        futures::future::pending().await
    }
    async fn run(&self, _: String) -> Result<Option<Run>, StoreError> {
        futures::future::pending().await
    }
    async fn runs(&self, _: RunQuery) -> Result<Page<Run, Cursor>, StoreError> {
        futures::future::pending().await
    }
    async fn items(&self, _: ItemQuery) -> Result<Page<sync_core::history::Item, u64>, StoreError> {
        futures::future::pending().await
    }
    async fn audit(&self, _: AuditQuery) -> Result<Page<AuditEntry, Cursor>, StoreError> {
        futures::future::pending().await
    }
}

/// Three syncs of growing listings into scope `p`; returns the tasks created per execute.
async fn three_syncs(engine: &SyncEngine) -> Result<Vec<usize>, Error> {
    let mut created = Vec::new();
    for n in [2, 3, 4] {
        let mut listing = listing();
        listing.items.truncate(n);
        let plan = engine.preview("p", &listing, &Policy::default()).await?;
        created.push(engine.execute(&plan, true).await?.created);
    }
    Ok(created)
}

#[test]
fn a_failing_history_store_never_fails_a_sync() {
    let tasks = Arc::new(MemoryStore::new());
    let (recorder, pump) = HistoryRecorder::new(Arc::new(Failing), RecorderConfig::default());
    let engine = SyncEngine::new(tasks.clone()).with_history(recorder.clone());
    recorder.audit(AuditEntry::job_retried("job-1", Actor::user("ana"), 5));
    let created = with_pump(&recorder, pump, three_syncs(&engine)).unwrap();
    assert_eq!(created, vec![2, 1, 1]);
    assert_eq!(block_on(tasks.snapshot("p".into())).unwrap().tasks.len(), 4);
    let stats = recorder.stats();
    assert_eq!(stats.written, 0);
    assert!(stats.lost > 0, "{stats:?}");
}

#[test]
fn a_hanging_history_store_never_blocks_a_sync() {
    let tasks = Arc::new(MemoryStore::new());
    let config = RecorderConfig {
        capacity: 4,
        max_batch: 2,
    };
    let (recorder, pump) = HistoryRecorder::new(Arc::new(Hanging), config);
    let engine = SyncEngine::new(tasks.clone()).with_history(recorder.clone());
    // The pump runs next to the syncs and gets stuck in its first write; the syncs finish
    // anyway, and the records that no longer fit the queue are dropped and counted.
    let work = three_syncs(&engine).boxed_local();
    let pump = pump.run().boxed_local();
    let created = match block_on(futures::future::select(work, pump)) {
        futures::future::Either::Left((created, _stuck_pump)) => created.unwrap(),
        futures::future::Either::Right(_) => panic!("the pump cannot finish: its store hangs"),
    };
    assert_eq!(created, vec![2, 1, 1]);
    assert_eq!(block_on(tasks.snapshot("p".into())).unwrap().tasks.len(), 4);
    let stats = recorder.stats();
    assert_eq!(stats.written, 0);
    assert_eq!(stats.queued, 4);
    assert!(stats.dropped > 0, "{stats:?}");
}

#[test]
fn a_full_queue_drops_and_counts_and_a_closed_pump_flushes_the_rest() {
    let history = Arc::new(MemoryHistoryStore::new());
    let config = RecorderConfig {
        capacity: 2,
        max_batch: 10,
    };
    let (recorder, pump) = HistoryRecorder::new(history.clone(), config);
    for i in 0..5 {
        recorder.audit(AuditEntry::status_changed(
            format!("t{i}"),
            "pending",
            "in_progress",
            Actor::user("ana"),
            i,
        ));
    }
    let stats = recorder.stats();
    assert_eq!((stats.queued, stats.dropped), (2, 3));
    recorder.close();
    // Closed: later records are dropped too, and the pump ends after writing the queue.
    recorder.audit(AuditEntry::job_discarded("j", Actor::default(), 9));
    block_on(pump.run());
    let audit = block_on(history.audit(AuditQuery::default()))
        .unwrap()
        .items;
    let tasks: Vec<&str> = audit.iter().map(|e| e.entity_id.as_str()).collect();
    assert_eq!(tasks, vec!["t1", "t0"]);
    assert_eq!(audit[0].from.as_deref(), Some("pending"));
    assert_eq!(audit[0].to.as_deref(), Some("in_progress"));
    assert!(!audit[0].id.is_empty() && audit[0].id != audit[1].id);
    let stats = recorder.stats();
    assert_eq!((stats.written, stats.dropped, stats.queued), (2, 4, 0));
}

#[test]
fn dropping_every_recorder_ends_the_pump() {
    let history = Arc::new(MemoryHistoryStore::new());
    let (recorder, pump) = HistoryRecorder::new(history.clone(), RecorderConfig::default());
    let clone = recorder.clone();
    recorder.audit(AuditEntry::job_retried("j1", Actor::user("ana"), 1));
    drop(recorder);
    clone.audit(AuditEntry::job_retried("j2", Actor::user("ana"), 2));
    drop(clone);
    block_on(pump.run());
    let audit = block_on(history.audit(AuditQuery::default()))
        .unwrap()
        .items;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].action, AuditAction::JobRetried);
}

#[test]
fn queries_and_cursors_refuse_bad_input() {
    let zero = RunQuery {
        limit: 0,
        ..RunQuery::default()
    };
    assert_eq!(zero.validate().unwrap_err().kind(), ErrorKind::InvalidInput);
    let huge = AuditQuery {
        limit: 1_000_000,
        ..AuditQuery::default()
    };
    assert_eq!(huge.validate().unwrap_err().kind(), ErrorKind::InvalidInput);
    let empty_range = RunQuery {
        since: Some(5),
        until: Some(5),
        ..RunQuery::default()
    };
    assert!(
        empty_range
            .validate()
            .unwrap_err()
            .to_string()
            .contains("empty")
    );
    assert!(ItemQuery::first("r", 10).validate().is_ok());
    for bad in ["", "12", "x:y", ":id", "5:", &"9".repeat(500)] {
        let err = bad.parse::<Cursor>().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(
            err.to_string().len() < 300,
            "the message repeats huge input"
        );
    }
    let cursor = Cursor {
        at: 1_700_000_000_000,
        id: "run-a:b".into(),
    };
    assert_eq!(cursor.to_string().parse::<Cursor>().unwrap(), cursor);
    assert_eq!(
        "bogus".parse::<RunStatus>().unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        "in_progress".parse::<RunStatus>().unwrap(),
        RunStatus::InProgress
    );
}

#[test]
fn an_engine_without_history_still_emits_run_events() {
    let clock = Arc::new(ManualClock::new(1));
    let sink = Arc::new(CollectingSink::default());
    let engine = SyncEngine::new(Arc::new(MemoryStore::new()))
        .with_clock(clock.clone())
        .with_events(sink.clone());
    let plan = block_on(engine.preview("p", &listing(), &Policy::default())).unwrap();
    block_on(engine.execute(&plan, true)).unwrap();
    let finished = sink
        .take()
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::RunFinished {
                    status: RunStatus::Completed,
                    ..
                }
            )
        })
        .count();
    assert_eq!(finished, 2);
    assert_eq!(clock.now_ms(), 1);
}

#[test]
fn a_skipped_change_is_recorded_without_a_made_up_type() {
    let s = setup();
    // The story is pending in the hub, so the default policy (drafts only) skips its rename.
    let mut first = listing();
    first.items[3].content.status = Some(sync_core::Status::Pending);
    let mut renamed = first.clone();
    renamed.items[3].content.title = "Story renamed".into();
    with_pump(&s.recorder, s.pump, async {
        let plan = s.engine.preview("p", &first, &Policy::default()).await?;
        s.engine.execute(&plan, true).await?;
        let plan = s.engine.preview("p", &renamed, &Policy::default()).await?;
        assert_eq!(plan.skipped.len(), 1);
        s.engine.execute(&plan, true).await.map(|_| ())
    })
    .unwrap();

    let run = &runs(&s.history)[0];
    assert_eq!(run.kind, RunKind::Execute);
    assert_eq!(run.totals.skipped, 1);
    assert!(run.by_type.values().all(|c| c.skipped == 0), "{run:?}");
    let items = block_on(s.history.items(ItemQuery::first(&run.id, 10))).unwrap();
    let skipped: Vec<_> = items
        .items
        .iter()
        .filter(|i| i.outcome == ItemOutcome::Skipped)
        .collect();
    assert_eq!(skipped.len(), 1);
    let item = (skipped[0].external_id.as_str(), skipped[0].kind.as_str());
    assert_eq!(item, ("s1", ""));
}
