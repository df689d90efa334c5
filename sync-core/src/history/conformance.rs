//! The history store conformance suite: the behaviour every [`HistoryStore`] must show.
//!
//! Like the task-store suite ([`crate::conformance`]), each case is an async function over a
//! fresh, empty store returning `Err(message)` on the first broken expectation, needing no
//! particular runtime; [`history_store_conformance!`](crate::history_store_conformance) turns
//! them into `#[test]`s and [`run_all`] lets a binding host run them on its own store.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use crate::conformance::CaseFuture;

use super::store::{HistoryBatch, HistoryStore};
use super::{
    Actor, AuditAction, AuditEntry, AuditQuery, Counters, Cursor, Item, ItemOutcome, ItemQuery,
    Run, RunContext, RunItems, RunKind, RunQuery, RunStatus,
};

/// One history conformance case: a name and a function of a fresh store.
pub type HistoryCase = (&'static str, fn(Arc<dyn HistoryStore>) -> CaseFuture);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

fn run(id: &str, scope: &str, started_at: i64, status: RunStatus) -> Run {
    Run {
        id: id.into(),
        kind: RunKind::Execute,
        scope: scope.into(),
        source: "files".into(),
        status,
        overwrite: false,
        context: RunContext::default(),
        started_at,
        ended_at: None,
        duration_ms: None,
        total_items: 0,
        totals: Counters::default(),
        by_type: BTreeMap::new(),
        deletions: 0,
        error: None,
    }
}

fn item(seq: u64, outcome: ItemOutcome) -> Item {
    Item {
        seq,
        external_id: format!("ext-{seq}"),
        name: format!("Item {seq} ✓"),
        kind: "feature".into(),
        outcome,
        target_id: Some(format!("t{seq}")),
        target_url: None,
        error: None,
    }
}

fn entry(id: &str, at: i64, entity_type: &str, entity_id: &str) -> AuditEntry {
    AuditEntry {
        id: id.into(),
        ..AuditEntry::new(
            AuditAction::StatusChanged,
            entity_type,
            entity_id,
            Actor::user("ana"),
            at,
        )
    }
}

async fn write(store: &dyn HistoryStore, batch: HistoryBatch) -> Result<(), String> {
    store.write(batch).await.map_err(|e| e.to_string())
}

fn runs_of(runs: Vec<Run>) -> HistoryBatch {
    HistoryBatch {
        runs,
        ..HistoryBatch::default()
    }
}

fn ids(runs: &[Run]) -> Vec<&str> {
    runs.iter().map(|r| r.id.as_str()).collect()
}

async fn empty_history(store: Arc<dyn HistoryStore>) -> Result<(), String> {
    let got = store
        .run("missing".into())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(got.is_none(), "a missing run was found: {got:?}");
    let runs = store
        .runs(RunQuery::default())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        runs.items.is_empty() && runs.next.is_none(),
        "runs of an empty store: {runs:?}"
    );
    let items = store
        .items(ItemQuery::first("missing", 10))
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        items.items.is_empty() && items.next.is_none(),
        "items: {items:?}"
    );
    let audit = store
        .audit(AuditQuery::default())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        audit.items.is_empty() && audit.next.is_none(),
        "audit: {audit:?}"
    );
    write(&*store, HistoryBatch::default()).await?;
    Ok(())
}

async fn run_round_trips(store: Arc<dyn HistoryStore>) -> Result<(), String> {
    let mut full = run("r1", "scope \"ü\"", 1_000, RunStatus::Pending);
    full.overwrite = true;
    full.kind = RunKind::Preview;
    full.context = RunContext {
        actor: Actor {
            user: Some("Zoë".into()),
            ip: Some("2001:db8::1".into()),
            user_agent: Some("tasksync/1.0 (\"quoted\")".into()),
        },
        source_id: Some("ardoq-7".into()),
        target_id: Some("ado-3".into()),
    };
    write(&*store, runs_of(vec![full.clone()])).await?;
    let got = store.run("r1".into()).await.map_err(|e| e.to_string())?;
    ensure!(got.as_ref() == Some(&full), "pending run: got {got:?}");
    // A later record of the same run replaces it whole.
    let mut done = full.clone();
    done.status = RunStatus::Failed;
    done.ended_at = Some(1_250);
    done.duration_ms = Some(250);
    done.total_items = 7;
    done.totals = Counters {
        created: 1,
        updated: 2,
        deleted: 3,
        failed: 4,
        skipped: 5,
    };
    done.by_type.insert("user_story".into(), done.totals);
    done.by_type.insert("epic".into(), Counters::default());
    done.deletions = 3;
    done.error = Some(format!("stale plan: {}", "é".repeat(5_000)));
    write(&*store, runs_of(vec![done.clone()])).await?;
    let got = store.run("r1".into()).await.map_err(|e| e.to_string())?;
    ensure!(got.as_ref() == Some(&done), "final run: got {got:?}");
    let listed = store
        .runs(RunQuery::default())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        listed.items == vec![done],
        "the run was listed as {listed:?}"
    );
    Ok(())
}

async fn runs_newest_first_with_cursor(store: Arc<dyn HistoryStore>) -> Result<(), String> {
    let runs = vec![
        run("a", "s", 100, RunStatus::Completed),
        run("b", "s", 300, RunStatus::Completed),
        run("c", "s", 200, RunStatus::Completed),
        // Two runs started in the same millisecond: ordered by id, descending.
        run("d1", "s", 300, RunStatus::Completed),
        run("d2", "s", 300, RunStatus::Completed),
    ];
    write(&*store, runs_of(runs)).await?;
    let mut seen = Vec::new();
    let mut after: Option<Cursor> = None;
    for page_no in 0..4 {
        let query = RunQuery {
            after: after.clone(),
            limit: 2,
            ..RunQuery::default()
        };
        let page = store.runs(query).await.map_err(|e| e.to_string())?;
        ensure!(
            page.items.len() <= 2,
            "page {page_no} has {} runs",
            page.items.len()
        );
        seen.extend(page.items.iter().map(|r| r.id.clone()));
        match page.next {
            Some(next) => {
                let last = page.items.last().ok_or("a next cursor on an empty page")?;
                ensure!(
                    next.at == last.started_at && next.id == last.id,
                    "next {next:?} is not the last run of the page"
                );
                after = Some(next);
            }
            None => break,
        }
    }
    ensure!(
        seen == ["d2", "d1", "b", "c", "a"],
        "pages listed {seen:?}, expected d2, d1, b, c, a"
    );
    let exact = RunQuery {
        limit: 5,
        ..RunQuery::default()
    };
    let page = store.runs(exact).await.map_err(|e| e.to_string())?;
    ensure!(
        page.items.len() == 5 && page.next.is_none(),
        "a page holding every run must have no next: {:?}",
        page.next
    );
    Ok(())
}

async fn runs_filtered(store: Arc<dyn HistoryStore>) -> Result<(), String> {
    let mut preview = run("p", "one", 150, RunStatus::Completed);
    preview.kind = RunKind::Preview;
    let runs = vec![
        run("ok", "one", 100, RunStatus::Completed),
        run("bad", "one", 200, RunStatus::Failed),
        run("other", "two", 300, RunStatus::Completed),
        run("stop", "two", 400, RunStatus::Cancelled),
        preview,
    ];
    write(&*store, runs_of(runs)).await?;
    let list = |query: RunQuery| {
        let store = store.clone();
        async move {
            store
                .runs(query)
                .await
                .map(|page| {
                    ids(&page.items)
                        .into_iter()
                        .map(String::from)
                        .collect::<Vec<_>>()
                })
                .map_err(|e| e.to_string())
        }
    };
    let got = list(RunQuery {
        status: Some(RunStatus::Completed),
        ..RunQuery::default()
    })
    .await?;
    ensure!(got == ["other", "p", "ok"], "status completed: {got:?}");
    let got = list(RunQuery {
        scope: Some("one".into()),
        kind: Some(RunKind::Execute),
        ..RunQuery::default()
    })
    .await?;
    ensure!(got == ["bad", "ok"], "scope one, executes: {got:?}");
    let got = list(RunQuery {
        since: Some(150),
        until: Some(400),
        ..RunQuery::default()
    })
    .await?;
    ensure!(
        got == ["other", "bad", "p"],
        "150 <= started < 400: {got:?}"
    );
    let got = list(RunQuery {
        status: Some(RunStatus::Cancelled),
        scope: Some("one".into()),
        ..RunQuery::default()
    })
    .await?;
    ensure!(got.is_empty(), "cancelled in scope one: {got:?}");
    Ok(())
}

async fn items_paginate_by_seq(store: Arc<dyn HistoryStore>) -> Result<(), String> {
    write(
        &*store,
        runs_of(vec![run("r", "s", 1, RunStatus::Completed)]),
    )
    .await?;
    // Two batches, seqs out of order, and a second run whose items must stay apart.
    let first = (10..25)
        .rev()
        .map(|s| item(s, ItemOutcome::Created))
        .collect();
    let mut failed = item(3, ItemOutcome::Failed);
    failed.error = Some("stale plan".into());
    failed.target_url = Some("https://example.test/items/3?x=1&y=ü".into());
    let mut second: Vec<Item> = (0..10).map(|s| item(s, ItemOutcome::Updated)).collect();
    second[3] = failed.clone();
    write(
        &*store,
        HistoryBatch {
            items: vec![
                RunItems {
                    run_id: "r".into(),
                    items: first,
                },
                RunItems {
                    run_id: "other".into(),
                    items: vec![item(0, ItemOutcome::Skipped)],
                },
            ],
            ..HistoryBatch::default()
        },
    )
    .await?;
    write(
        &*store,
        HistoryBatch {
            items: vec![RunItems {
                run_id: "r".into(),
                items: second,
            }],
            ..HistoryBatch::default()
        },
    )
    .await?;
    let mut seqs = Vec::new();
    let mut after = None;
    loop {
        let query = ItemQuery {
            run_id: "r".into(),
            after,
            limit: 10,
        };
        let page = store.items(query).await.map_err(|e| e.to_string())?;
        ensure!(
            page.items.len() <= 10,
            "a page of {} items",
            page.items.len()
        );
        seqs.extend(page.items.iter().map(|i| i.seq));
        if let Some(i) = page.items.iter().find(|i| i.seq == 3) {
            ensure!(*i == failed, "item 3 came back as {i:?}");
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        ensure!(seqs.len() <= 25, "pagination does not end: {seqs:?}");
    }
    ensure!(
        seqs == (0..25).collect::<Vec<_>>(),
        "items listed as {seqs:?}"
    );
    // Rewriting a seq replaces it.
    let replaced = item(24, ItemOutcome::Deleted);
    write(
        &*store,
        HistoryBatch {
            items: vec![RunItems {
                run_id: "r".into(),
                items: vec![replaced.clone()],
            }],
            ..HistoryBatch::default()
        },
    )
    .await?;
    let tail = ItemQuery {
        run_id: "r".into(),
        after: Some(20),
        limit: 10,
    };
    let page = store.items(tail).await.map_err(|e| e.to_string())?;
    ensure!(
        page.items.len() == 4 && page.items.last() == Some(&replaced) && page.next.is_none(),
        "after 20: {page:?}"
    );
    let other = store
        .items(ItemQuery::first("other", 10))
        .await
        .map_err(|e| e.to_string())?;
    ensure!(other.items.len() == 1, "the other run's items: {other:?}");
    Ok(())
}

async fn audit_by_entity(store: Arc<dyn HistoryStore>) -> Result<(), String> {
    let mut change = entry("a3", 300, "task", "t1");
    change.from = Some("pending".into());
    change.to = Some("in_progress".into());
    change.details = json!({"reason": "ünïcødé", "n": [1, 2.5, null]});
    let entries = vec![
        entry("a1", 100, "task", "t1"),
        entry("a2", 200, "task", "t2"),
        change.clone(),
        entry("a4", 300, "job", "t1"),
        entry("a5", 400, "task", "t1"),
    ];
    write(
        &*store,
        HistoryBatch {
            audit: entries,
            ..HistoryBatch::default()
        },
    )
    .await?;
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let query = AuditQuery {
            entity_type: Some("task".into()),
            entity_id: Some("t1".into()),
            after,
            limit: 2,
        };
        let page = store.audit(query).await.map_err(|e| e.to_string())?;
        for e in &page.items {
            if e.id == "a3" {
                ensure!(*e == change, "entry a3 came back as {e:?}");
            }
            seen.push(e.id.clone());
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
        ensure!(seen.len() <= 5, "pagination does not end: {seen:?}");
    }
    ensure!(seen == ["a5", "a3", "a1"], "task t1's trail: {seen:?}");
    let by_id = AuditQuery {
        entity_id: Some("t1".into()),
        ..AuditQuery::default()
    };
    let page = store.audit(by_id).await.map_err(|e| e.to_string())?;
    let got: Vec<&str> = page.items.iter().map(|e| e.id.as_str()).collect();
    ensure!(
        got == ["a5", "a4", "a3", "a1"],
        "entity id t1, any type: {got:?}"
    );
    // Writing an entry again (same id) does not duplicate it.
    write(
        &*store,
        HistoryBatch {
            audit: vec![entry("a1", 100, "task", "t1")],
            ..HistoryBatch::default()
        },
    )
    .await?;
    let all = store
        .audit(AuditQuery::default())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        all.items.len() == 5,
        "after a rewrite: {} entries",
        all.items.len()
    );
    Ok(())
}

async fn one_batch_many_runs(store: Arc<dyn HistoryStore>) -> Result<(), String> {
    let batch = HistoryBatch {
        runs: vec![
            run("x", "s", 1, RunStatus::Completed),
            run("y", "s", 2, RunStatus::InProgress),
        ],
        items: vec![
            RunItems {
                run_id: "x".into(),
                items: vec![item(0, ItemOutcome::Created)],
            },
            RunItems {
                run_id: "y".into(),
                items: (0..1_500).map(|s| item(s, ItemOutcome::Created)).collect(),
            },
        ],
        audit: vec![entry("e", 1, "sync", "x")],
    };
    write(&*store, batch).await?;
    let runs = store
        .runs(RunQuery::default())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(
        ids(&runs.items) == ["y", "x"],
        "runs: {:?}",
        ids(&runs.items)
    );
    let mut count = 0;
    let mut after = None;
    loop {
        let query = ItemQuery {
            run_id: "y".into(),
            after,
            limit: 1_000,
        };
        let page = store.items(query).await.map_err(|e| e.to_string())?;
        count += page.items.len();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    ensure!(count == 1_500, "run y has {count} items, expected 1500");
    let audit = store
        .audit(AuditQuery::default())
        .await
        .map_err(|e| e.to_string())?;
    ensure!(audit.items.len() == 1, "audit: {audit:?}");
    Ok(())
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        /// Every history case, by name.
        pub const CASES: &[HistoryCase] = &[$((stringify!($name), |s| Box::pin($name(s)))),*];
    };
}

cases![
    empty_history,
    run_round_trips,
    runs_newest_first_with_cursor,
    runs_filtered,
    items_paginate_by_seq,
    audit_by_entity,
    one_batch_many_runs,
];

/// Runs every case, each on a fresh store from `make`; returns the failures by case name.
/// Binding hosts call this with their own store.
pub async fn run_all<F>(make: F) -> Vec<(&'static str, String)>
where
    F: Fn() -> Arc<dyn HistoryStore>,
{
    crate::conformance::run_cases(CASES, make).await
}

/// Generates one `#[test]` per history conformance case for a store built by `$make` (an
/// expression giving an `Arc<dyn HistoryStore>`, evaluated once per test). Cases run on a simple
/// executor; pass a runner (`|future| runtime.block_on(future)`) for stores that need one.
#[macro_export]
macro_rules! history_store_conformance {
    ($make:expr) => {
        $crate::history_store_conformance!($make, $crate::conformance::__block_on);
    };
    ($make:expr, $run:expr) => {
        $crate::history_store_conformance!(@cases $make, $run;
            empty_history, run_round_trips, runs_newest_first_with_cursor, runs_filtered,
            items_paginate_by_seq, audit_by_entity, one_batch_many_runs);
    };
    (@cases $make:expr, $run:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                let case = $crate::history::conformance::CASES
                    .iter()
                    .find(|(n, _)| *n == stringify!($name))
                    .expect("a history conformance case listed in the macro")
                    .1;
                let store: ::std::sync::Arc<dyn $crate::history::HistoryStore> = $make;
                if let Err(message) = ($run)(case(store)) {
                    panic!("history store conformance `{}` failed: {}", stringify!($name), message);
                }
            }
        )*
        #[test]
        fn history_conformance_macro_lists_every_case() {
            let listed = [$(stringify!($name)),*];
            for (name, _) in $crate::history::conformance::CASES {
                assert!(listed.contains(name), "case `{name}` is missing from the macro");
            }
        }
    };
}
