//! What history costs a big sync: a 100,000-task execute (all creates) on the memory store,
//! without history, and with history recorded into the memory history store (the pump driven
//! to completion inside the measured time, so writing the 100,000 items is counted).
//! Target: history adds under 10%.
//! Run: `cargo bench -p sync-core --bench history`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use sync_core::history::RecorderConfig;
use sync_core::{
    DesiredTask, HistoryPump, HistoryRecorder, Listing, MemoryHistoryStore, MemoryStore, Plan,
    Policy, SyncEngine,
};

const TASKS: usize = 100_000;
const KINDS: [&str; 3] = ["epic", "feature", "user_story"];

fn listing() -> Listing {
    Listing::complete(
        "bench",
        (0..TASKS)
            .map(|i| {
                DesiredTask::new(format!("ext-{i}"), format!("Task number {i}"))
                    .kind(KINDS[i % 3])
                    .field("priority", (i % 4) as i64)
            })
            .collect(),
    )
}

/// A fresh store and the plan that fills it.
fn fresh(listing: &Listing) -> (SyncEngine, Plan) {
    let engine = SyncEngine::new(Arc::new(MemoryStore::new()));
    let plan = block_on(engine.preview("bench", listing, &Policy::default())).expect("preview");
    (engine, plan)
}

fn recorded(engine: SyncEngine) -> (SyncEngine, HistoryRecorder, HistoryPump) {
    let (recorder, pump) = HistoryRecorder::new(
        Arc::new(MemoryHistoryStore::new()),
        RecorderConfig::default(),
    );
    (engine.with_history(recorder.clone()), recorder, pump)
}

/// Where the time goes, once, before criterion runs: the execute alone, the execute with a
/// recorder (what the sync itself pays), the pump's flush, and dropping the recorded history.
fn breakdown(listing: &Listing) {
    let secs = |t: Instant| format!("{:.3} s", t.elapsed().as_secs_f64());
    let (engine, plan) = fresh(listing);
    let t = Instant::now();
    black_box(block_on(engine.execute(&plan, true)).expect("execute"));
    println!("breakdown: execute without history {}", secs(t));
    let (engine, plan) = fresh(listing);
    let (engine, recorder, pump) = recorded(engine);
    let t = Instant::now();
    black_box(block_on(engine.execute(&plan, true)).expect("execute"));
    println!(
        "breakdown: execute with a recorder (records queued) {}",
        secs(t)
    );
    recorder.close();
    let t = Instant::now();
    block_on(pump.run());
    println!(
        "breakdown: pump flush into the memory history store {}",
        secs(t)
    );
}

fn bench(c: &mut Criterion) {
    let listing = listing();
    breakdown(&listing);
    let mut group = c.benchmark_group("execute_100k");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("without_history", |b| {
        b.iter_batched(
            || fresh(&listing),
            |(engine, plan)| black_box(block_on(engine.execute(&plan, true)).expect("execute")),
            BatchSize::PerIteration,
        )
    });
    group.bench_function("with_history_flushed", |b| {
        b.iter_batched(
            || {
                let (engine, plan) = fresh(&listing);
                (recorded(engine), plan)
            },
            |((engine, recorder, pump), plan)| {
                let work = async {
                    let report = engine.execute(&plan, true).await.expect("execute");
                    recorder.close();
                    report
                };
                let (report, ()) = block_on(futures::future::join(work, pump.run()));
                assert_eq!(recorder.stats().dropped, 0);
                black_box(report)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
