//! Several instances on one database, as several machines run them: concurrent claims never
//! hand one job out twice nor split a (task, target), and an enqueue on one instance wakes the
//! others through `LISTEN`/`NOTIFY`.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use futures::executor::block_on;
use sync_core::retry::{JobStore, JobWrite, lifecycle};
use sync_core::{ChangeSet, TaskStore};
use sync_postgres::testing::TestDatabase;

use common::{instance, job, seed, task};

#[test]
fn two_instances_never_claim_one_job_twice() {
    let db = TestDatabase::create();
    let (a, b) = (instance(&db.url, false), instance(&db.url, false));
    let tasks: Vec<_> = (0..2_000).map(task).collect();
    let started = Instant::now();
    block_on(a.apply(seed(&tasks))).expect("enqueue 2,000 jobs");
    eprintln!("2,000 tasks and jobs in one set: {:?}", started.elapsed());
    let claimers = 4;
    let barrier = Arc::new(Barrier::new(claimers));
    let started = Instant::now();
    let threads: Vec<_> = (0..claimers)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut mine = Vec::new();
                loop {
                    // Leases far longer than the test: nothing expires, so nothing may come
                    // back twice.
                    let batch =
                        block_on(store.claim(format!("w{i}"), 10, 600_000, 25)).expect("claim");
                    if batch.is_empty() {
                        break;
                    }
                    for job in &batch {
                        assert_eq!(job.lease_owner.as_deref(), Some(format!("w{i}").as_str()));
                    }
                    mine.extend(batch.into_iter().map(|j| j.id));
                }
                mine
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut per_claimer = Vec::new();
    for thread in threads {
        let mine = thread.join().expect("claimer thread");
        per_claimer.push(mine.len());
        all.extend(mine);
    }
    let elapsed = started.elapsed();
    eprintln!(
        "4 claimers on 2 instances took 2,000 jobs in {elapsed:?} ({:.0} jobs/s; per claimer \
         {per_claimer:?})",
        2_000.0 / elapsed.as_secs_f64()
    );
    let unique: HashSet<&String> = all.iter().collect();
    assert_eq!(all.len(), 2_000, "every job claimed once: {}", all.len());
    assert_eq!(unique.len(), 2_000, "a job was claimed twice");
    let want: HashSet<String> = tasks.iter().map(|t| job(t, 2, 0).id).collect();
    assert_eq!(unique, want.iter().collect());
}

/// Crashed workers left 200 pairs with an expired running job and a newer pending one;
/// claimers on two instances race for them: each pair's older job goes out once, the newer
/// ones not at all.
#[test]
fn racing_instances_never_split_a_pair() {
    let db = TestDatabase::create();
    let (a, b) = (instance(&db.url, false), instance(&db.url, false));
    let tasks: Vec<_> = (0..200).map(task).collect();
    block_on(a.apply(seed(&tasks))).expect("seed");
    let crashed = block_on(a.claim("crashed".into(), 0, 1_000, 1_000)).expect("claim");
    assert_eq!(crashed.len(), 200);
    let newer: Vec<JobWrite> = tasks
        .iter()
        .map(|t| JobWrite::Insert { job: job(t, 3, 10) })
        .collect();
    let pending = block_on(a.jobs(sync_core::retry::JobQuery {
        state: Some(sync_core::retry::JobState::Pending),
        ..Default::default()
    }))
    .expect("list");
    assert!(pending.is_empty(), "every older job is running");
    block_on(a.apply(ChangeSet {
        jobs: newer,
        ..ChangeSet::default()
    }))
    .expect("enqueue the newer jobs");
    let barrier = Arc::new(Barrier::new(4));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut mine = Vec::new();
                for _ in 0..20 {
                    let batch =
                        block_on(store.claim(format!("w{i}"), 1_000, 600_000, 7)).expect("claim");
                    mine.extend(batch);
                }
                mine
            })
        })
        .collect();
    let claimed: Vec<_> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("claimer"))
        .collect();
    let older: HashSet<String> = tasks.iter().map(|t| job(t, 2, 0).id).collect();
    let ids: HashSet<&String> = claimed.iter().map(|j| &j.id).collect();
    assert_eq!(claimed.len(), 200, "each expired job once, nothing else");
    assert_eq!(
        ids,
        older.iter().collect(),
        "only the older job of each pair"
    );
    assert!(claimed.iter().all(|j| j.attempts == 2 && j.lease == 2));
}

#[test]
fn an_enqueue_on_one_instance_wakes_the_others() {
    let db = TestDatabase::create();
    let a = instance(&db.url, false);
    let b = instance(&db.url, true);
    let hint = b.wake_hint().expect("the store has a wake hint");
    // The listener raises once when it starts listening (notices before it are lost).
    assert!(
        hint.wait_since(0, Duration::from_secs(10)),
        "the listener of instance B never started"
    );
    let seen = hint.seen();
    let t = task(1);
    block_on(a.apply(ChangeSet {
        tasks: vec![sync_core::TaskWrite::Insert { task: t.clone() }],
        ..ChangeSet::default()
    }))
    .expect("a set without jobs");
    let started = Instant::now();
    let pending = block_on(lifecycle::pending_of(&a, &t.id)).expect("pending");
    let writes = lifecycle::enqueue_writes(&pending, vec![job(&t, 2, 0)], 0);
    block_on(a.apply(ChangeSet {
        jobs: writes,
        ..ChangeSet::default()
    }))
    .expect("enqueue on instance A");
    assert!(
        hint.wait_since(seen, Duration::from_secs(10)),
        "instance B was not woken by A's enqueue"
    );
    eprintln!("B woke {:?} after A's enqueue", started.elapsed());
    let seen = hint.seen();
    let local = a.wake_hint().expect("hint");
    let local_seen = local.seen();
    block_on(a.apply(ChangeSet {
        jobs: vec![JobWrite::Insert {
            job: job(&task(2), 2, 0),
        }],
        ..ChangeSet::default()
    }))
    .expect("enqueue again");
    assert_ne!(
        local.seen(),
        local_seen,
        "A's own hint is raised after commit"
    );
    assert!(
        hint.wait_since(seen, Duration::from_secs(10)),
        "instance B missed the second enqueue"
    );
    block_on(hint.raised_since(seen));
}
