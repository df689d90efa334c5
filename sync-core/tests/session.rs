//! Sessions: every operation and precondition, exact times on a manual clock, a property test of
//! the time invariant, concurrent switches through the engine, and events.

use std::sync::Arc;

use futures::executor::block_on;
use proptest::prelude::*;
use sync_core::session::{self, Cycle, Session, SessionState, SessionStatus};
use sync_core::{
    CollectingSink, Error, ErrorKind, Event, ManualClock, MemorySessionStore, NullSink,
    SessionEngine, server_time,
};

fn cycles() -> Vec<Cycle> {
    vec![
        Cycle::new("a", "Alpha"),
        Cycle::new("b", "Beta"),
        Cycle::new("c", "Gamma"),
    ]
}

fn created() -> Session {
    session::create("s1", cycles(), 1_000).unwrap()
}

fn times(state: &SessionState) -> Vec<u64> {
    state.cycles.iter().map(|c| c.elapsed_ms).collect()
}

fn assert_invalid_state(result: Result<impl std::fmt::Debug, Error>, op: &str, from: &str) {
    match result {
        Err(e @ Error::InvalidState { .. }) => {
            assert_eq!(e.kind(), ErrorKind::InvalidState);
            assert_eq!(e.kind().code(), "invalid_state");
            assert_eq!(
                e.to_string(),
                format!("cannot {op} session `s1`: it is {from}")
            );
        }
        other => panic!("{op} from {from}: expected InvalidState, got {other:?}"),
    }
}

#[test]
fn create_validates_input() {
    let s = created();
    assert_eq!(s.status, SessionStatus::Created);
    assert_eq!((s.version, s.current, s.switch_count), (1, 0, 0));
    assert_eq!(s.cycle_ms, vec![0, 0, 0]);
    for bad in [
        session::create("", cycles(), 0),
        session::create("s", vec![], 0),
        session::create("s", vec![Cycle::new("a", "x"), Cycle::new("a", "y")], 0),
        session::create("s", vec![Cycle::new(" ", "x")], 0),
    ] {
        assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}

#[test]
fn exact_times_through_a_whole_session() {
    let s = created();
    let created_view = session::state(&s, 5_000);
    assert_eq!((created_view.running_ms, created_view.elapsed_ms), (0, 0));

    let s = session::start(&s, 2_000).unwrap();
    assert_eq!(s.status, SessionStatus::Running);
    assert_eq!(s.started_at, Some(2_000));
    assert_eq!(times(&session::state(&s, 2_300)), vec![300, 0, 0]);

    let s = session::switch(&s, None, 2_500).unwrap(); // a: 500
    assert_eq!(s.current, 1);
    let s = session::switch(&s, Some("a"), 3_200).unwrap(); // b: 700
    assert_eq!(s.current, 0);
    let s = session::pause(&s, 3_300).unwrap(); // a: +100
    let paused = session::state(&s, 4_300);
    assert_eq!(paused.status, SessionStatus::Paused);
    assert_eq!(times(&paused), vec![600, 700, 0]);
    assert_eq!((paused.running_ms, paused.paused_ms), (1_300, 1_000));
    assert_eq!(paused.elapsed_ms, 2_300);

    let s = session::resume(&s, 4_300).unwrap();
    assert_eq!(s.current, 0, "resume keeps the paused cycle");
    let s = session::switch(&s, Some("c"), 4_400).unwrap(); // a: +100
    let s = session::switch(&s, None, 4_450).unwrap(); // c: 50, wraps to a
    assert_eq!(s.current, 0, "next after the last cycle wraps around");
    let s = session::complete(&s, 5_000).unwrap(); // a: +550
    let done = session::state(&s, 99_999);
    assert_eq!(done.status, SessionStatus::Completed);
    assert_eq!(times(&done), vec![1_250, 700, 50]);
    assert_eq!(
        (done.running_ms, done.paused_ms, done.elapsed_ms),
        (2_000, 1_000, 3_000)
    );
    assert_eq!(done.at, 5_000, "a completed session's times are frozen");
    assert_eq!(done.switch_count, 4);
    assert_eq!(done.version, 9);
    assert_eq!(done.completed_at, Some(5_000));

    let last = session::delete(&s, 6_000).unwrap();
    assert_eq!(last, done);
}

#[test]
fn complete_from_paused_counts_the_open_pause() {
    let s = session::start(&created(), 1_000).unwrap();
    let s = session::pause(&s, 1_100).unwrap();
    let s = session::complete(&s, 1_400).unwrap();
    let v = session::state(&s, 9_000);
    assert_eq!((v.running_ms, v.paused_ms, v.elapsed_ms), (100, 300, 400));
}

#[test]
fn every_invalid_precondition_is_a_typed_error() {
    let s = created();
    assert_invalid_state(session::switch(&s, None, 1), "switch", "created");
    assert_invalid_state(session::pause(&s, 1), "pause", "created");
    assert_invalid_state(session::resume(&s, 1), "resume", "created");
    assert_invalid_state(session::complete(&s, 1), "complete", "created");

    let running = session::start(&s, 1).unwrap();
    assert_invalid_state(session::start(&running, 2), "start", "running");
    assert_invalid_state(session::resume(&running, 2), "resume", "running");

    let paused = session::pause(&running, 2).unwrap();
    assert_invalid_state(session::start(&paused, 3), "start", "paused");
    assert_invalid_state(session::switch(&paused, None, 3), "switch", "paused");
    assert_invalid_state(session::pause(&paused, 3), "pause", "paused");

    let done = session::complete(&paused, 3).unwrap();
    assert_invalid_state(session::start(&done, 4), "start", "completed");
    assert_invalid_state(session::switch(&done, None, 4), "switch", "completed");
    assert_invalid_state(session::pause(&done, 4), "pause", "completed");
    assert_invalid_state(session::resume(&done, 4), "resume", "completed");
    assert_invalid_state(session::complete(&done, 4), "complete", "completed");
    assert!(session::delete(&done, 4).is_ok());

    let unknown = session::switch(&running, Some("zzz"), 3).unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::InvalidInput);
}

#[test]
fn a_clock_going_backwards_never_gives_negative_times() {
    let s = session::start(&created(), 10_000).unwrap();
    let s = session::switch(&s, None, 9_000).unwrap(); // clamped to 10_000
    assert_eq!(s.last_seen, 10_000);
    let v = session::state(&s, 5_000);
    assert_eq!((v.at, v.running_ms), (10_000, 0));
    let s = session::pause(&s, 10_500).unwrap();
    let s = session::resume(&s, 1).unwrap(); // clamped: a zero-length pause
    let v = session::state(&s, 10_700);
    assert_eq!(times(&v), vec![0, 700, 0]);
    assert_eq!(v.paused_ms, 0);
}

#[test]
fn server_time_reads_the_clock() {
    assert_eq!(server_time(&ManualClock::new(42)).unwrap().now_ms, 42);
}

#[derive(Clone, Debug)]
enum Op {
    Start,
    Switch(Option<usize>),
    Pause,
    Resume,
    Complete,
    State,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Start),
        6 => proptest::option::of(0usize..4).prop_map(Op::Switch),
        2 => Just(Op::Pause),
        2 => Just(Op::Resume),
        1 => Just(Op::Complete),
        2 => Just(Op::State),
    ]
}

proptest! {
    /// Per-cycle sum == running time == (now - started - paused), exactly, after every step of
    /// random operations with random (sometimes backwards) clock moves; invalid operations
    /// change nothing.
    #[test]
    fn time_invariant_holds(steps in proptest::collection::vec((op(), -50i64..5_000), 1..80)) {
        let ids = ["a", "b", "c", "zz"];
        let mut s = created();
        let mut now: i64 = 1_000;
        // An independent model: effective instant, running and paused totals.
        let mut seen: i64 = 1_000;
        let (mut running, mut paused) = (0u64, 0u64);
        for (op, delta) in steps {
            now += delta;
            let t = now.max(seen);
            // Account the interval since the last recorded instant by the state we were in.
            let before = s.clone();
            let result = match &op {
                Op::Start => session::start(&s, now),
                Op::Switch(to) => session::switch(&s, to.map(|i| ids[i]), now),
                Op::Pause => session::pause(&s, now),
                Op::Resume => session::resume(&s, now),
                Op::Complete => session::complete(&s, now),
                Op::State => Ok(s.clone()),
            };
            let view = session::state(&s, now);
            match result {
                Ok(next) if !matches!(op, Op::State) => {
                    let dt = (t - seen) as u64;
                    match before.status {
                        SessionStatus::Running => running += dt,
                        SessionStatus::Paused => paused += dt,
                        _ => {}
                    }
                    seen = t;
                    prop_assert_eq!(next.version, before.version + 1);
                    s = next;
                }
                Ok(_) => {}
                Err(_) => {}
            }
            // Whatever the operations write is consistent: a store may always hand it back.
            prop_assert!(session::check(&s).is_ok(), "{:?}", session::check(&s));
            let view_after = session::state(&s, now);
            for v in [&view, &view_after] {
                let sum: u64 = v.cycles.iter().map(|c| c.elapsed_ms).sum();
                prop_assert_eq!(sum, v.running_ms);
                if let Some(started) = v.started_at {
                    let end = v.completed_at.unwrap_or(v.at);
                    prop_assert!(end >= started);
                    prop_assert_eq!(v.running_ms + v.paused_ms, (end - started) as u64);
                    prop_assert_eq!(v.elapsed_ms, (end - started) as u64);
                } else {
                    prop_assert_eq!(v.running_ms + v.paused_ms, 0);
                }
            }
            // The model agrees with the view at the last recorded instant.
            let at_seen = session::state(&s, seen);
            prop_assert_eq!(at_seen.running_ms, running);
            prop_assert_eq!(at_seen.paused_ms, paused);
        }
    }
}

fn engine_with(clock: Arc<ManualClock>, sink: Arc<CollectingSink>) -> SessionEngine {
    SessionEngine::new(Arc::new(MemorySessionStore::new()), clock, sink)
}

#[test]
fn engine_runs_every_operation_and_emits_one_event_each() {
    let clock = Arc::new(ManualClock::new(1_000));
    let sink = Arc::new(CollectingSink::default());
    let engine = engine_with(clock.clone(), sink.clone());
    block_on(async {
        engine.create("s1".into(), cycles()).await.unwrap();
        clock.advance(10);
        engine.start("s1").await.unwrap();
        clock.advance(100);
        engine.switch("s1", None).await.unwrap();
        clock.advance(200);
        engine.switch("s1", Some("a")).await.unwrap();
        engine.pause("s1").await.unwrap();
        clock.advance(1_000);
        engine.resume("s1").await.unwrap();
        clock.advance(50);
        let live = engine.state("s1").await.unwrap();
        assert_eq!(times(&live), vec![150, 200, 0]);
        assert_eq!(live.paused_ms, 1_000);
        engine.complete("s1").await.unwrap();
        assert_invalid_state(engine.switch("s1", None).await, "switch", "completed");
        let got = engine.get("s1").await.unwrap();
        assert_eq!(got.status, SessionStatus::Completed);
        let last = engine.delete("s1").await.unwrap();
        assert_eq!(last.running_ms, 350);
        assert_eq!(
            engine.get("s1").await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            engine.start("s1").await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            engine.delete("s1").await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        engine.create("s1".into(), cycles()).await.unwrap();
        let dup = engine.create("s1".into(), cycles()).await.unwrap_err();
        assert_eq!(dup.kind(), ErrorKind::Conflict);
    });
    let events = sink.take();
    let ops: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::SessionChanged { operation, .. } => operation.as_str(),
            other => panic!("unexpected event {other:?}"),
        })
        .collect();
    assert_eq!(
        ops,
        [
            "create", "start", "switch", "switch", "pause", "resume", "complete", "delete",
            "create"
        ]
    );
    match &events[3] {
        Event::SessionChanged { session, at, .. } => {
            assert_eq!(*at, 1_310);
            assert_eq!(session.current_cycle, "a");
            assert_eq!(session.switch_count, 2);
            assert_eq!(session.version, 4);
        }
        other => panic!("{other:?}"),
    }
    let json = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(json["type"], "session_changed");
}

#[test]
fn concurrent_switches_through_the_engine_are_never_lost() {
    const N: u64 = 500;
    let clock = Arc::new(ManualClock::new(0));
    let engine = SessionEngine::new(
        Arc::new(MemorySessionStore::new()),
        clock.clone(),
        Arc::new(NullSink),
    );
    block_on(engine.create("s1".into(), cycles())).unwrap();
    block_on(engine.start("s1")).unwrap();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (engine, clock) = (engine.clone(), clock.clone());
            std::thread::spawn(move || {
                for _ in 0..N {
                    clock.advance(1);
                    block_on(engine.switch("s1", None)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = block_on(engine.get("s1")).unwrap();
    assert_eq!(s.switch_count, 2 * N);
    assert_eq!(s.version, 2 + 2 * N);
    let v = block_on(engine.state("s1")).unwrap();
    assert_eq!(v.running_ms, v.elapsed_ms);
}
