//! Diff of 1,000,000 stored vs desired tasks (10% changed, 5% new, 5% gone), one core.
//! Target: under 0.25 s on one core. Run: `cargo bench -p sync-core --bench diff`.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use sync_core::{DesiredTask, Listing, Policy, ScopeSnapshot, Task, diff};

fn scenario(n: usize) -> (ScopeSnapshot, Listing) {
    let desired = |i: usize| {
        DesiredTask::new(format!("ext-{i:07}"), format!("Task number {i}"))
            .kind(if i % 10 == 0 { "feature" } else { "user_story" })
            .field("priority", (i % 4) as i64)
    };
    // Stored: ids 0..n; the listing drops the last 5% (gone), changes every 10th title, and
    // adds 5% new ids.
    let tasks = (0..n)
        .map(|i| Task::from_desired("s", "files", &desired(i), 0))
        .collect();
    let gone = n / 20;
    let mut items: Vec<DesiredTask> = (0..n - gone)
        .map(|i| {
            let mut d = desired(i);
            if i % 10 == 3 {
                d.content.title.push_str(" (edited)");
            }
            d
        })
        .collect();
    items.extend((n..n + n / 20).map(desired));
    (
        ScopeSnapshot { version: 1, tasks },
        Listing::complete("files", items),
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    for n in [100_000usize, 1_000_000] {
        let (snapshot, listing) = scenario(n);
        let policy = Policy {
            force_deletes: true,
            ..Policy::default()
        };
        let plan = diff::compute("s", &snapshot, &listing, &policy);
        assert_eq!(plan.counts.updates, n / 10 - (n / 20) / 10);
        group.bench_function(format!("compute_{n}"), |b| {
            b.iter(|| black_box(diff::compute("s", black_box(&snapshot), &listing, &policy)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
