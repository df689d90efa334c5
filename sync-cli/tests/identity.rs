//! The tool against a hub file where another record holds a new task's key: an identity
//! conflict, exit code 7, every time (previewing again does not help), nothing written.

mod common;

use common::Hub;

#[test]
fn a_create_another_record_holds_the_key_of_exits_7_every_time() {
    let hub = Hub::with_examples();
    let plan = hub.json(&["preview", "--from", "tasks", "--scope", "p"]);
    let create = &plan["creates"][0]["task"];
    let (id, external_id) = (
        create["id"].as_str().unwrap(),
        create["external_id"].as_str().unwrap(),
    );
    // Another tool wrote a row of another identity under that id.
    drop(sync_sqlite::SqliteStore::open(hub.db()).unwrap());
    rusqlite::Connection::open(hub.db())
        .unwrap()
        .execute(
            "INSERT INTO tasks VALUES (?1, 'legacy', 'x', 'imported', 'task', 'Old', 'draft', \
             NULL, '{}', NULL, 1, 10, 10)",
            [id],
        )
        .unwrap();
    for _ in 0..2 {
        let err = hub.fails(7, &["execute", "--from", "tasks", "--scope", "p", "--yes"]);
        assert!(err.contains("identity conflict"), "{err}");
        assert!(err.contains(&format!("`{external_id}`")), "{err}");
        assert!(err.contains("`legacy`"), "{err}");
    }
    assert!(
        hub.ok(&["tasks", "--scope", "p"])
            .contains("(version 0): 0 tasks")
    );
}
