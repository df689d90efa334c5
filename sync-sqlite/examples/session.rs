//! A timed session on SQLite: three cycles walked through with switches, a pause and a resume,
//! on a hand-moved clock, so the times are exact; the per-cycle times add up to the running
//! time and the pause is excluded. A second engine on the same file (another process, say)
//! sees the same state.
//!
//! ```sh
//! cargo run -p sync-sqlite --example session
//! ```
//!
//! The hub database lives in a temporary directory. Exits non-zero when anything is wrong.

use std::sync::Arc;

use sync_core::{Cycle, ManualClock, NullSink, SessionEngine, SessionState};
use sync_sqlite::SqliteStore;

type Failure = Box<dyn std::error::Error>;

fn check(ok: bool, what: &str) -> Result<(), Failure> {
    if ok { Ok(()) } else { Err(what.into()) }
}

fn show(what: &str, state: &SessionState) {
    let cycles: Vec<String> = state
        .cycles
        .iter()
        .map(|c| format!("{} {} ms", c.id, c.elapsed_ms))
        .collect();
    println!(
        "{what}: {} in `{}`, running {} ms, paused {} ms ({})",
        state.status,
        state.current_cycle,
        state.running_ms,
        state.paused_ms,
        cycles.join(", ")
    );
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
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let sessions = SessionEngine::new(
        Arc::new(SqliteStore::open(&db)?),
        clock.clone(),
        Arc::new(NullSink),
    );

    futures::executor::block_on(async {
        let cycles = vec![
            Cycle::new("plan", "Plan"),
            Cycle::new("build", "Build"),
            Cycle::new("review", "Review"),
        ];
        sessions.create("sprint".into(), cycles).await?;
        sessions.start("sprint").await?;
        clock.advance(1_500);
        sessions.switch("sprint", None).await?; // to the next cycle: build
        clock.advance(2_000);
        sessions.pause("sprint").await?;
        clock.advance(10_000); // not counted: the session is paused
        sessions.resume("sprint").await?;
        clock.advance(500);
        show("after resume", &sessions.state("sprint").await?);
        sessions.switch("sprint", Some("review")).await?;
        clock.advance(750);
        sessions.complete("sprint").await?;
        clock.advance(5_000); // after completion: nothing counts any more

        let state = sessions.state("sprint").await?;
        show("completed", &state);
        let times: Vec<u64> = state.cycles.iter().map(|c| c.elapsed_ms).collect();
        check(times == [1_500, 2_500, 750], "exact per-cycle times")?;
        check(state.running_ms == 4_750, "running time excludes the pause")?;
        check(state.paused_ms == 10_000, "the pause is counted apart")?;
        check(state.switch_count == 2, "two switches")?;

        // Another engine on the same file reads the same session.
        let other = SessionEngine::new(
            Arc::new(SqliteStore::open(&db)?),
            clock.clone(),
            Arc::new(NullSink),
        );
        let seen = other.state("sprint").await?;
        check(seen == state, "a second engine sees the same state")?;
        println!(
            "a second engine on the same file sees version {}",
            seen.version
        );
        Ok(())
    })
}
