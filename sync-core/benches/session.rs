//! Session switch latency: the pure operation, and through `SessionEngine` on the memory store.
//! Target: core p99 under 2 us. Run: `cargo bench -p sync-core --bench session`.
//! Before criterion runs, each setup times 100,000 single switches and prints p50/p99 (criterion
//! reports means only).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use sync_core::session::{self, Cycle, Session};
use sync_core::{ManualClock, MemorySessionStore, NullSink, SessionEngine};

fn cycles() -> Vec<Cycle> {
    (0..8)
        .map(|i| Cycle::new(format!("cycle-{i}"), format!("Cycle {i}")))
        .collect()
}

fn started() -> Session {
    let created = session::create("bench", cycles(), 0).expect("valid");
    session::start(&created, 0).expect("created")
}

/// Times `n` calls of `f` one by one and prints p50/p99/max in nanoseconds.
fn percentiles(label: &str, n: usize, mut f: impl FnMut(usize)) {
    let mut samples: Vec<u128> = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        f(i);
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
    let mut group = c.benchmark_group("session_switch");

    let mut s = started();
    percentiles("core (pure switch)", 100_000, |i| {
        s = session::switch(&s, None, i as i64 + 1).expect("running");
    });
    let mut s = started();
    let mut now = 0i64;
    group.bench_function("core", |b| {
        b.iter(|| {
            now += 1;
            s = session::switch(black_box(&s), None, now).expect("running");
        })
    });

    let clock = Arc::new(ManualClock::new(0));
    let engine = SessionEngine::new(
        Arc::new(MemorySessionStore::new()),
        clock.clone(),
        Arc::new(NullSink),
    );
    block_on(engine.create("bench".into(), cycles())).expect("create");
    block_on(engine.start("bench")).expect("start");
    percentiles("engine + memory store", 100_000, |_| {
        clock.advance(1);
        block_on(engine.switch("bench", None)).expect("switch");
    });
    group.bench_function("engine_memory", |b| {
        b.iter(|| {
            clock.advance(1);
            block_on(engine.switch(black_box("bench"), None)).expect("switch")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
