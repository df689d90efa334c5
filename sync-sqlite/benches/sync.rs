//! Preview + execute of 100,000 tasks into a SQLite file through the engine: the Rust-side
//! cost behind the Node (3x) and Python (20x) targets, without a binding.
//! Prints a per-phase breakdown (snapshot + diff, execute) for the initial creates and for a
//! 10% update run, then lets criterion time the whole 10%-update cycle.
//! Run: `cargo bench -p sync-sqlite --bench sync`.

use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use sync_core::{DesiredTask, Listing, Policy, SyncEngine};
use sync_sqlite::SqliteStore;

const N: usize = 100_000;

// The allocator the bindings ship with (see sync-node, sync-python, sync-ffi).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The Node bench's listing: a title and two fields; generation `gen > 0` edits every 10th title.
fn listing(generation: usize) -> Listing {
    let items = (0..N)
        .map(|i| {
            let title = if generation > 0 && i % 10 == 0 {
                format!("Task {i} v{generation}")
            } else {
                format!("Task {i}")
            };
            DesiredTask::new(format!("ext-{i}"), title)
                .field("priority", (i % 5) as i64)
                .field("url", format!("https://example.invalid/t/{i}"))
        })
        .collect();
    Listing::complete("bench", items)
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// One preview + execute, timed by phase.
fn cycle(engine: &SyncEngine, listing: &Listing, policy: &Policy) -> (f64, f64) {
    let t = Instant::now();
    let plan = block_on(engine.preview("scope", listing, policy)).unwrap();
    let preview = ms(t);
    let t = Instant::now();
    block_on(engine.execute(&plan, true)).unwrap();
    (preview, ms(t))
}

/// The best of `ROUNDS` fresh runs, per phase: the machine is shared, so a single run moves
/// by tens of percent.
const ROUNDS: usize = 3;

fn breakdown(dir: &std::path::Path, lists: &[Listing], policy: &Policy) {
    let mut best = [[f64::MAX; 2]; 3];
    for round in 0..ROUNDS {
        let path = dir.join(format!("round-{round}.db"));
        let engine = SyncEngine::new(Arc::new(SqliteStore::open(&path).unwrap()));
        for (phase, listing) in lists[..2].iter().enumerate() {
            let (p, e) = cycle(&engine, listing, policy);
            best[phase] = [best[phase][0].min(p), best[phase][1].min(e)];
        }
        let t = Instant::now();
        let plan = block_on(engine.preview("scope", &lists[1], policy)).unwrap();
        assert!(plan.is_empty());
        best[2][0] = best[2][0].min(ms(t));
    }
    let [[p0, e0], [p1, e1], [p2, _]] = best;
    println!("best of {ROUNDS} rounds, each on a new database file:");
    println!("  initial ({N} creates): preview {p0:.0} ms + execute {e0:.0} ms");
    println!(
        "  10% changed ({} updates): preview {p1:.0} ms + execute {e1:.0} ms",
        N / 10
    );
    println!("  unchanged (no writes): preview {p2:.0} ms");
}

/// The floor under any execute: the same 100,000 rows written with one prepared statement in
/// one transaction straight through rusqlite (no diff, no checks), into the same schema.
fn floor(dir: &std::path::Path) -> f64 {
    let path = dir.join("floor.db");
    drop(SqliteStore::open(&path).unwrap()); // the schema
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
    conn.pragma_update(None, "cache_size", -65_536).unwrap();
    let rows: Vec<(String, String, String, String)> = (0..N)
        .map(|i| {
            let ext = format!("ext-{i}");
            let id = sync_core::Task::hub_id("bench", &ext);
            let fields = format!(
                "{{\"priority\":{},\"url\":\"https://example.invalid/t/{i}\"}}",
                i % 5
            );
            (id, ext, format!("Task {i}"), fields)
        })
        .collect();
    let t = Instant::now();
    let tx = conn.transaction().unwrap();
    {
        let mut stmt = tx
            .prepare("INSERT INTO tasks (id, source, external_id, scope, kind, title, status, parent, fields, base, version, created_at, updated_at) VALUES (?1, 'bench', ?2, 'scope', 'task', ?3, 'draft', NULL, ?4, '=', 1, 0, 0)")
            .unwrap();
        for (id, ext, title, fields) in &rows {
            stmt.execute(rusqlite::params![id, ext, title, fields])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    ms(t)
}

fn bench(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("tasksync-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = Policy::default();
    let lists: Vec<Listing> = (0..4).map(listing).collect();
    breakdown(&dir, &lists, &policy);
    let best = (0..ROUNDS).map(|_| {
        let t = floor(&dir);
        std::fs::remove_file(dir.join("floor.db")).ok();
        t
    });
    println!(
        "  floor: the same {N} rows inserted straight through rusqlite: {:.0} ms",
        best.fold(f64::MAX, f64::min)
    );
    let engine = SyncEngine::new(Arc::new(SqliteStore::open(dir.join("t.db")).unwrap()));
    cycle(&engine, &lists[0], &policy);
    cycle(&engine, &lists[1], &policy);
    let mut generation = 1;
    let mut group = c.benchmark_group("sqlite_sync");
    group.sample_size(10);
    group.bench_function("preview_execute_10pct_of_100k", |b| {
        b.iter(|| {
            generation = if generation == 2 { 3 } else { 2 };
            cycle(&engine, &lists[generation], &policy)
        })
    });
    group.finish();
    drop(engine);
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench);
criterion_main!(benches);
