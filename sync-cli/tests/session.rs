//! `tasksync session ...` end to end: a session driven through the binary on a SQLite file.

mod common;

use common::Hub;

#[test]
fn a_session_through_the_binary() {
    let db = Hub::empty().prefixed(&["session"]);
    let out = db.ok(&["create", "--id", "s1", "--cycles", "plan,build,review"]);
    assert!(out.contains("Session `s1`: created (version 1)"), "{out}");
    assert!(out.contains("review"), "{out}");

    let err = db.fails(5, &["switch", "--id", "s1"]);
    assert!(
        err.contains("cannot switch session `s1`: it is created"),
        "{err}"
    );

    let out = db.ok(&["start", "--id", "s1"]);
    assert!(out.contains("running (version 2)"), "{out}");
    let out = db.ok(&["switch", "--id", "s1"]);
    assert!(out.contains("1 switches"), "{out}");
    let out = db.ok(&["switch", "--id", "s1", "--to", "review"]);
    assert!(out.contains("2 switches"), "{out}");
    let err = db.fails(2, &["switch", "--id", "s1", "--to", "nope"]);
    assert!(err.contains("has no cycle `nope`"), "{err}");

    let out = db.ok(&["pause", "--id", "s1"]);
    assert!(out.contains("paused (version 5)"), "{out}");
    let err = db.fails(5, &["pause", "--id", "s1"]);
    assert!(
        err.contains("cannot pause session `s1`: it is paused"),
        "{err}"
    );
    let out = db.ok(&["resume", "--id", "s1"]);
    assert!(out.contains("running (version 6)"), "{out}");
    let out = db.ok(&["complete", "--id", "s1"]);
    assert!(out.contains("completed (version 7)"), "{out}");
    let out = db.ok(&["show", "--id", "s1"]);
    assert!(out.contains("completed (version 7)"), "{out}");

    let out = db.ok(&["delete", "--id", "s1"]);
    assert!(out.contains("Session `s1` deleted."), "{out}");
    let err = db.fails(1, &["show", "--id", "s1"]);
    assert!(err.contains("not found: session `s1`"), "{err}");
    let err = db.fails(2, &["create", "--id", "s2", "--cycles", "a,a"]);
    assert!(err.contains("more than once"), "{err}");
}
