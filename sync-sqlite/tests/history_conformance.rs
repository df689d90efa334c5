//! The SQLite history store runs the history store conformance suite, in memory and on a file,
//! next to a task store on the same file.
use std::sync::Arc;

use sync_sqlite::SqliteHistoryStore;

sync_core::history_store_conformance!(Arc::new(
    SqliteHistoryStore::open_in_memory().expect("open an in-memory history store")
));

mod file_backed {
    use std::sync::Arc;

    use futures::executor::block_on;
    use sync_core::history::{HistoryStore, ItemQuery, RecorderConfig, RunQuery, RunStatus};
    use sync_core::{DesiredTask, HistoryRecorder, Listing, Policy, SyncEngine, TaskStore};
    use sync_sqlite::{SqliteHistoryStore, SqliteStore};

    /// A history store on a fresh file; the temp dir is leaked so it outlives the test's store.
    fn file_store() -> Arc<SqliteHistoryStore> {
        let dir: &'static tempfile::TempDir =
            Box::leak(Box::new(tempfile::tempdir().expect("create a temp dir")));
        Arc::new(SqliteHistoryStore::open(dir.path().join("history.db")).expect("open"))
    }

    sync_core::history_store_conformance!(file_store());

    /// The CLI's setup: tasks and history in one file, on two connections; history survives a
    /// reopen.
    #[test]
    fn history_shares_the_task_file_and_survives_a_reopen() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("hub.db");
        let tasks = Arc::new(SqliteStore::open(&path).expect("task store"));
        let history = Arc::new(SqliteHistoryStore::open(&path).expect("history store"));
        let (recorder, pump) = HistoryRecorder::new(history, RecorderConfig::default());
        let engine = SyncEngine::new(tasks.clone()).with_history(recorder.clone());
        let listing = Listing::complete(
            "files",
            (0..2_500)
                .map(|i| DesiredTask::new(format!("t{i}"), format!("Task {i}")).kind("feature"))
                .collect(),
        );
        let work = async {
            let plan = engine.preview("p", &listing, &Policy::default()).await?;
            let report = engine.execute(&plan, true).await;
            recorder.close();
            report
        };
        let (report, ()) = block_on(futures::future::join(work, pump.run()));
        assert_eq!(report.expect("execute").created, 2_500);
        drop((engine, recorder, tasks));

        let history = SqliteHistoryStore::open(&path).expect("reopen");
        let runs = block_on(history.runs(RunQuery::default()))
            .expect("runs")
            .items;
        assert_eq!(runs.len(), 2);
        assert!(runs.iter().all(|r| r.status == RunStatus::Completed));
        let executed = &runs[0];
        assert_eq!(executed.totals.created, 2_500);
        assert_eq!(executed.by_type["feature"].created, 2_500);
        let mut count = 0;
        let mut after = None;
        loop {
            let page = block_on(history.items(ItemQuery {
                run_id: executed.id.clone(),
                after,
                limit: 1_000,
            }))
            .expect("items");
            count += page.items.len();
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(count, 2_500);
        let tasks = SqliteStore::open(&path).expect("reopen tasks");
        assert_eq!(
            block_on(tasks.scope_version("p".into())).expect("version"),
            1
        );
    }
}
