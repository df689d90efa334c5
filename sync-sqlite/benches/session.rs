//! Session switch latency through `SessionEngine` on the SQLite store (in memory and on a WAL
//! file). Run: `cargo bench -p sync-sqlite --bench session`. Before criterion runs, each setup
//! times 10,000 single switches and prints p50/p99 (criterion reports means only).

use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use sync_core::session::Cycle;
use sync_core::{ManualClock, NullSink, SessionEngine};
use sync_sqlite::SqliteStore;

fn engine(store: SqliteStore) -> (SessionEngine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(0));
    let engine = SessionEngine::new(Arc::new(store), clock.clone(), Arc::new(NullSink));
    let cycles = (0..8)
        .map(|i| Cycle::new(format!("cycle-{i}"), format!("Cycle {i}")))
        .collect();
    block_on(engine.create("bench".into(), cycles)).expect("create");
    block_on(engine.start("bench")).expect("start");
    (engine, clock)
}

fn percentiles(label: &str, n: usize, mut f: impl FnMut()) {
    let mut samples: Vec<u128> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_nanos());
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    println!(
        "{label}: {n} switches: p50 {} ns, p99 {} ns, max {} ns",
        at(0.50),
        at(0.99),
        samples[n - 1]
    );
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let stores = [
        (
            "sqlite_memory",
            SqliteStore::open_in_memory().expect("open"),
        ),
        (
            "sqlite_file",
            SqliteStore::open(dir.path().join("bench.db")).expect("open"),
        ),
    ];
    let mut group = c.benchmark_group("session_switch");
    for (name, store) in stores {
        let (engine, clock) = engine(store);
        let switch = || {
            clock.advance(1);
            block_on(engine.switch("bench", None)).expect("switch");
        };
        percentiles(name, 10_000, switch);
        group.bench_function(name, |b| b.iter(switch));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
