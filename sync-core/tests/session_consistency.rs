//! Sessions a store hands back corrupt (a host store's bad data): every engine operation
//! refuses them with a store error, and the pure operations never panic on them.

use std::sync::Arc;

use async_trait::async_trait;
use futures::executor::block_on;
use sync_core::session::{self, Cycle, Session, SessionStatus};
use sync_core::{CollectingSink, ErrorKind, ManualClock, SessionEngine, SessionStore, StoreError};

/// A session store that answers every read with one fixed session.
struct Corrupt(Session);

#[async_trait]
impl SessionStore for Corrupt {
    async fn get(&self, _id: String) -> Result<Option<Session>, StoreError> {
        Ok(Some(self.0.clone()))
    }
    async fn insert(&self, _: Session) -> Result<(), StoreError> {
        panic!("a corrupt session must never be written back")
    }
    async fn update(&self, _: Session, _: u64) -> Result<(), StoreError> {
        panic!("a corrupt session must never be written back")
    }
    async fn delete(&self, _: String, _: u64) -> Result<(), StoreError> {
        panic!("a corrupt session must never be deleted")
    }
}

fn running() -> Session {
    let s = session::create(
        "s1",
        vec![Cycle::new("a", "A"), Cycle::new("b", "B")],
        1_000,
    );
    let s = session::start(&s.unwrap(), 2_000).unwrap();
    session::switch(&s, None, 2_500).unwrap()
}

fn corruptions() -> Vec<(&'static str, Session)> {
    let base = running();
    let with = |f: &dyn Fn(&mut Session)| {
        let mut s = base.clone();
        f(&mut s);
        s
    };
    vec![
        ("current out of range", with(&|s| s.current = 7)),
        ("current beyond usize", with(&|s| s.current = usize::MAX)),
        ("too few cycle times", with(&|s| s.cycle_ms = vec![500])),
        ("no cycles", with(&|s| s.cycles.clear())),
        ("version at its end", with(&|s| s.version = u64::MAX)),
        (
            "overflowing times",
            with(&|s| s.cycle_ms = vec![u64::MAX, u64::MAX]),
        ),
        ("pause time overflows", with(&|s| s.paused_ms = u64::MAX)),
        (
            "start after last seen",
            with(&|s| s.started_at = Some(i64::MAX)),
        ),
        (
            "negative segment",
            with(&|s| s.segment_started_at = Some(i64::MIN)),
        ),
        (
            "running without a segment",
            with(&|s| s.segment_started_at = None),
        ),
        (
            "created with times",
            with(&|s| s.status = SessionStatus::Created),
        ),
        (
            "completed without an end",
            with(&|s| s.status = SessionStatus::Completed),
        ),
        ("time not accounted", with(&|s| s.cycle_ms = vec![0, 0])),
        ("another session", with(&|s| s.id = "other".into())),
    ]
}

#[test]
fn a_corrupt_session_from_a_store_is_a_store_error_for_every_operation() {
    for (case, corrupt) in corruptions() {
        assert!(
            session::check(&corrupt).is_err() || corrupt.id != "s1",
            "{case}: check accepted it"
        );
        let engine = SessionEngine::new(
            Arc::new(Corrupt(corrupt)),
            Arc::new(ManualClock::new(3_000)),
            Arc::new(CollectingSink::default()),
        );
        let results = [
            block_on(engine.start("s1")).map(drop),
            block_on(engine.switch("s1", None)).map(drop),
            block_on(engine.switch("s1", Some("b"))).map(drop),
            block_on(engine.pause("s1")).map(drop),
            block_on(engine.resume("s1")).map(drop),
            block_on(engine.complete("s1")).map(drop),
            block_on(engine.get("s1")).map(drop),
            block_on(engine.state("s1")).map(drop),
            block_on(engine.delete("s1")).map(drop),
        ];
        for result in results {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Store, "{case}: {err}");
            assert!(
                err.to_string().contains("session store returned"),
                "{case}: {err}"
            );
        }
    }
}

#[test]
fn pure_operations_on_a_corrupt_session_never_panic() {
    for (_, corrupt) in corruptions() {
        let _ = session::state(&corrupt, 3_000);
        for next in [
            session::switch(&corrupt, None, 3_000),
            session::pause(&corrupt, 3_000),
            session::complete(&corrupt, 3_000),
        ]
        .into_iter()
        .flatten()
        {
            let _ = session::state(&next, i64::MAX);
        }
    }
}
