//! Sync history on SQLite: three syncs recorded through the best-effort recorder (its pump runs
//! next to the work and is flushed at the end), then the queries a host offers its users: runs
//! by kind and scope a page at a time, one run's items, and the audit log of a run.
//!
//! ```sh
//! cargo run -p sync-sqlite --example history_queries
//! ```
//!
//! The hub database lives in a temporary directory. Exits non-zero when anything is wrong.

use std::sync::Arc;

use futures::executor::block_on;
use sync_core::history::{
    Actor, AuditQuery, ItemQuery, RecorderConfig, RunContext, RunKind, RunQuery,
};
use sync_core::{
    DesiredTask, HistoryRecorder, HistoryStore, Listing, ManualClock, Policy, RunOptions,
    SyncEngine,
};
use sync_sqlite::{SqliteHistoryStore, SqliteStore};

type Failure = Box<dyn std::error::Error>;

fn check(ok: bool, what: &str) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(what.into()) }
}

fn listing(titles: &[(&str, &str)]) -> Listing {
    let items = titles
        .iter()
        .map(|(id, title)| DesiredTask::new(*id, *title).kind("feature"))
        .collect();
    Listing::complete("planner", items)
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Failure> {
    let work = tempfile::tempdir()?;
    let db = work.path().join("hub.db");
    let store = Arc::new(SqliteStore::open(&db)?);
    let history = Arc::new(SqliteHistoryStore::open(&db)?); // same file, own connection
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let (recorder, pump) = HistoryRecorder::new(history.clone(), RecorderConfig::default());
    let engine = SyncEngine::new(store)
        .with_clock(clock.clone())
        .with_history(recorder.clone());
    let options = RunOptions::new().context(RunContext {
        actor: Actor {
            user: Some("ana".into()),
            ip: None,
            user_agent: Some("history-example".into()),
        },
        source_id: None,
        target_id: None,
    });

    // The syncs, next to the pump; closing the recorder lets the pump flush and end.
    let work_done = async {
        let result: Result<(), sync_core::Error> = async {
            let versions = [
                listing(&[("login", "Log in"), ("search", "Search")]),
                listing(&[("login", "Log in with a passkey"), ("search", "Search")]),
                listing(&[("search", "Search"), ("export", "Export")]),
            ];
            for listing in &versions {
                let plan = engine
                    .preview_with("web-app", listing, &Policy::default(), &options)
                    .await?;
                engine.execute_with(&plan, true, &options).await?;
                clock.advance(60_000);
            }
            Ok(())
        }
        .await;
        recorder.close();
        result
    };
    let (synced, ()) = block_on(futures::future::join(work_done, pump.run()));
    synced?;

    block_on(async {
        // Executes only, newest first, two per page.
        let mut query = RunQuery {
            kind: Some(RunKind::Execute),
            scope: Some("web-app".into()),
            limit: 2,
            ..RunQuery::default()
        };
        let mut executes = Vec::new();
        loop {
            let page = history.runs(query.clone()).await?;
            println!("a page of {} runs", page.items.len());
            executes.extend(page.items);
            match page.next {
                Some(cursor) => query.after = Some(cursor),
                None => break,
            }
        }
        for run in &executes {
            let t = &run.totals;
            println!(
                "{} {} by {}: {} created, {} updated, {} deleted",
                run.id,
                run.status,
                run.context.actor.user.as_deref().unwrap_or("-"),
                t.created,
                t.updated,
                t.deleted
            );
        }
        check(executes.len() == 3, "three executes are recorded")?;
        let all = history.runs(RunQuery::default()).await?;
        check(all.items.len() == 6, "three previews and three executes")?;

        // The last execute's items: one per task it touched.
        let last = &executes[0];
        let items = history.items(ItemQuery::first(&last.id, 100)).await?;
        for item in &items.items {
            println!(
                "  #{} {} {} `{}`",
                item.seq, item.outcome, item.kind, item.external_id
            );
        }
        check(
            last.totals.created == 1 && last.totals.deleted == 1,
            "the last sync created `export` and deleted `login`",
        )?;

        // The audit log of that run.
        let audit = history
            .audit(AuditQuery {
                entity_type: Some("sync".into()),
                entity_id: Some(last.id.clone()),
                ..AuditQuery::default()
            })
            .await?;
        for entry in &audit.items {
            println!("  audit: {} {} {}", entry.at, entry.action, entry.entity_id);
        }
        check(audit.items.len() == 2, "a started and a completed entry")?;
        Ok(())
    })
}
