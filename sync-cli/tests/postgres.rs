//! The binary on a PostgreSQL hub (`--db postgres://…`): every command works on it as on a
//! file, two schemes are taken, a password never shows, a worker stops gracefully on SIGTERM,
//! heartbeats keep a slow call's job with its worker, and an open breaker is shared by every
//! worker on the store.

mod chaos;
mod common;

use std::time::{Duration, Instant};

use chaos::{Bench, Repeats};
use common::Hub;
use sync_postgres::testing::TestDatabase;

const SECRET: &str = "Pw-6f1c2e9a0d";

/// A hub beside a copy of `examples/tasks`, on a fresh database.
fn hub(db: &TestDatabase) -> Hub {
    Hub::with_examples().on(&db.url)
}

#[test]
fn every_command_works_on_a_postgres_hub() {
    let db = TestDatabase::create();
    let hub = hub(&db);
    let out = hub.ok(&[
        "preview",
        "--from",
        "tasks",
        "--scope",
        "p",
        "--save",
        "plan.json",
    ]);
    assert!(out.contains("28 to create"), "{out}");
    let out = hub.ok(&["execute", "--plan", "plan.json", "--yes"]);
    assert!(out.contains("28 created"), "{out}");
    let out = hub.ok(&["verify", "--from", "tasks", "--scope", "p"]);
    assert!(
        out.starts_with("consistent: 28 listed, 28 in the hub"),
        "{out}"
    );
    let out = hub.ok(&["tasks", "--scope", "p"]);
    assert!(out.contains("Scope `p` (version 1): 28 tasks"), "{out}");

    // The other scheme reaches the same database.
    let other = db.url.replacen("postgres://", "postgresql://", 1);
    let out = Hub::empty().on(&other).ok(&["tasks", "--scope", "p"]);
    assert!(out.contains("28 tasks"), "{out}");

    // The outbox, a worker and the dead letters.
    let status = hub.ok(&[
        "status",
        "--task",
        "files:inbox",
        "--to",
        "pending",
        "--target",
        "files=process_step",
    ]);
    let job = status
        .lines()
        .find_map(|l| l.strip_prefix("queued job "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("{status}"))
        .to_owned();
    let listed = hub.json(&["jobs", "list", "--state", "pending"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let journal = hub.root.join("pushes.db");
    let provider = format!("files=journal:{}", journal.display());
    let out = hub.ok(&["worker", "--provider", &provider, "--until-idle"]);
    assert!(
        out.contains("worker done: 1 claimed, 1 succeeded, 0 dead"),
        "{out}"
    );
    let shown = hub.ok(&["jobs", "show", &job]);
    assert!(shown.contains("\"succeeded\""), "{shown}");
    let dead = hub.json(&["jobs", "dead"]);
    assert!(dead.as_array().unwrap().is_empty(), "{dead}");
    let err = hub.fails(5, &["jobs", "retry", &job]);
    assert!(err.contains("succeeded"), "{err}");

    // History and audit are the database's.
    let runs = hub.json(&["history", "list"]);
    let kinds: Vec<&str> = runs["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["execute", "preview"], "{runs}");
    let audit = hub.json(&["history", "audit", "--entity-type", "task"]);
    assert!(!audit["entries"].as_array().unwrap().is_empty(), "{audit}");

    // Sessions.
    let sessions = Hub::empty().on(&db.url).prefixed(&["session"]);
    let out = sessions.ok(&["create", "--id", "s1", "--cycles", "plan,build"]);
    assert!(out.contains("created (version 1)"), "{out}");
    let out = sessions.ok(&["start", "--id", "s1"]);
    assert!(out.contains("running (version 2)"), "{out}");
    let out = sessions.ok(&["show", "--id", "s1"]);
    assert!(out.contains("running"), "{out}");
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn assert_hidden(what: &str, text: &str) {
    for form in [SECRET, "Pw%2D6f1c2e9a0d", "6f1c2e9a0d"] {
        assert!(
            !text.contains(form),
            "{what} shows the password ({form}): {text}"
        );
    }
}

#[test]
fn a_password_never_shows() {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let out = chaos::tasksync()
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let port = closed_port();
    let trace = ("TASKSYNC_LOG", "trace");
    // Nothing listens: connection errors, at every log level, raw and percent-encoded.
    for url in [
        format!("postgres://ana:{SECRET}@127.0.0.1:{port}/hub"),
        format!("postgresql://ana:Pw%2D6f1c2e9a0d@127.0.0.1:{port}/hub"),
        format!("postgres://ana@127.0.0.1:{port}/hub?password={SECRET}"),
    ] {
        let (code, text) = run(&[trace], &["--db", &url, "tasks", "--scope", "p"]);
        assert_eq!(code, Some(1), "{text}");
        // The hub is named (without the password) and so is the failure.
        assert!(text.contains("cannot open"), "{text}");
        assert!(text.contains(&format!("127.0.0.1:{port}/hub")), "{text}");
        assert!(text.contains("***"), "{text}");
        assert_hidden("a refused connection", &text);
        // A worker trying again says each failure, none with the password.
        let (code, text) = run(
            &[trace],
            &[
                "--db",
                &url,
                "worker",
                "--provider",
                "x=journal:/tmp/x.db",
                "--wait-db-ms",
                "400",
            ],
        );
        assert_eq!(code, Some(1), "{text}");
        assert!(text.contains("retrying in"), "{text}");
        assert_hidden("a worker waiting for its database", &text);
    }
    // The machine's server (trust: the password is not checked), a database that is missing.
    let server = TestDatabase::create();
    let rest = server.url.split_once("://").unwrap().1;
    let host = rest
        .rsplit_once('@')
        .map_or(rest, |(_, h)| h)
        .split('/')
        .next()
        .unwrap();
    let missing = format!("postgres://postgres:{SECRET}@{host}/tasksync_no_such_database");
    let (code, text) = run(&[trace], &["--db", &missing, "tasks", "--scope", "p"]);
    assert_eq!(code, Some(1), "{text}");
    assert_hidden("a missing database", &text);
    // Help shows no value of TASKSYNC_DB.
    let url = format!("postgres://ana:{SECRET}@127.0.0.1:{port}/hub");
    let (code, text) = run(&[("TASKSYNC_DB", &url)], &["--help"]);
    assert_eq!(code, Some(0), "{text}");
    assert_hidden("--help", &text);
    let (_, text) = run(&[("TASKSYNC_DB", &url)], &["worker", "--help"]);
    assert_hidden("worker --help", &text);
}

/// How many of the bench's jobs are running.
fn running(db: &TestDatabase) -> usize {
    let hub = Hub::empty().on(&db.url);
    hub.json(&["jobs", "list", "--state", "running"])
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn sigterm_finishes_the_batch_in_flight_then_exits_0() {
    let db = TestDatabase::create();
    let bench = Bench::prepare(&db.url, 6);
    let cmd = bench.worker_with(
        &db.url,
        "slow",
        &[],
        &[
            ("--journal-delay-ms", "1500"),
            ("--batch", "6"),
            ("--lease-ms", "30000"),
        ],
    );
    let mut worker = bench.spawn("slow", cmd);
    let deadline = Instant::now() + Duration::from_secs(30);
    while running(&db) < 6 {
        assert!(
            Instant::now() < deadline,
            "the worker claimed nothing: {}",
            worker.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The calls are out (1.5 s each): the stop waits for them and records their results.
    let succeeded = worker.stop_gracefully();
    assert_eq!(succeeded, 6, "{}", worker.stdout());
    assert!(
        worker
            .stderr()
            .contains("stopping after the batch in flight"),
        "{}",
        worker.stderr()
    );
    assert_eq!(running(&db), 0);
    bench.verify(Repeats::Never);
}

#[test]
fn heartbeats_keep_slow_calls_with_their_worker() {
    let db = TestDatabase::create();
    let mut bench = Bench::prepare(&db.url, 8);
    // Each call takes 2.5 times the lease: without heartbeats the other worker would take the
    // job over and call the provider a second time.
    let options = [
        ("--journal-delay-ms", "2500"),
        ("--batch", "4"),
        ("--lease-ms", "1000"),
    ];
    let workers: Vec<_> = ["a", "b"]
        .iter()
        .map(|id| bench.spawn(id, bench.worker_with(&db.url, id, &[], &options)))
        .collect();
    bench.wait_finished(Duration::from_secs(60), &workers.iter().collect::<Vec<_>>());
    let mut workers = workers;
    for w in &mut workers {
        w.stop_gracefully();
        assert!(w.stdout().contains(", 0 lease lost"), "{}", w.stdout());
    }
    bench.verify(Repeats::Never);
}

#[test]
fn an_open_breaker_is_shared_by_every_worker_on_the_store() {
    let db = TestDatabase::create();
    let bench = Bench::prepare(&db.url, 16);
    let run = |journal: &str, id: &str| {
        let out = chaos::tasksync()
            .args([
                "--db", &db.url, "worker", "--once", "--batch", "8", "--id", id,
            ])
            .args(["--provider", &format!("todo=journal:{journal}")])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // The first worker's provider is down (its folder is missing): 8 distinct jobs fail in a
    // row and its breaker opens.
    let out = run("/nonexistent-folder/journal.db", "first");
    assert!(out.contains("claimed 8: 0 succeeded"), "{out}");
    // A second worker, another process with a healthy journal, obeys the same open breaker:
    // it defers its jobs without calling.
    let out = run(&bench.journal().display().to_string(), "second");
    assert!(
        out.contains("claimed 8: 0 succeeded, 0 retried, 8 deferred"),
        "{out}"
    );
    assert_eq!(bench.delivered(), 0);
}
