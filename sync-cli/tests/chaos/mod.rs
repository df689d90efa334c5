//! The harness of the multi-process tests on PostgreSQL: a queue of jobs made the way a user
//! makes them (tasks synced from a generated folder by `tasksync execute`, status changes by
//! `tasksync status` and the same `StatusService` in-process), `tasksync worker` processes
//! delivering them into one journal file, and the final checks every scenario ends with:
//!
//! - nothing lost: one job per status change, every one terminal and succeeded (the journal
//!   never refuses, so a dead job is a lost one), none pending or running;
//! - nothing finished twice: the store recorded each job's success once (a trigger on the
//!   jobs table logs every write that makes a job succeeded);
//! - the provider saw what the store says: every succeeded job's key is in the journal, no key
//!   is there without its job, and a key was delivered more than once only as the scenario
//!   allows (a worker or its connection died while the call was out).
//!
//! Sizes and randomness come from the environment: `TASKSYNC_CHAOS_JOBS` (default 300),
//! `TASKSYNC_CHAOS_KILLS` (default 1) and `TASKSYNC_CHAOS_SEED` (default: the clock; printed so
//! a run can be repeated).

#![allow(dead_code)]

pub(crate) mod netns;
pub(crate) mod private_pg;
pub(crate) mod sql;

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::executor::block_on;
use sync_core::retry::{JobQuery, JobState, JobStore, StatusService, Target};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{NullSink, Status, SystemClock, Task};
use sync_postgres::PostgresStore;

/// Tasks per scope (a status change reads its scope, so scopes stay small).
const PER_SCOPE: usize = 100;
/// Status changes made through the `tasksync status` command (the rest in-process).
const THROUGH_CLI: usize = 5;
/// The workers' batch size: the most jobs a killed worker can leave in flight.
pub(crate) const BATCH: usize = 16;
/// The workers' lease.
pub(crate) const LEASE_MS: u64 = 2_000;

/// The run's size and seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Params {
    /// Jobs per scenario.
    pub(crate) jobs: usize,
    /// Kills (restarts, backend kills) per scenario.
    pub(crate) kills: usize,
    /// The seed of every random choice.
    pub(crate) seed: u64,
}

impl Params {
    /// From the environment (see the module doc); prints them.
    pub(crate) fn from_env(test: &str) -> Params {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .map(|v| {
                    v.parse::<u64>()
                        .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
                })
                .unwrap_or(default)
        };
        let clock = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let params = Params {
            jobs: number("TASKSYNC_CHAOS_JOBS", 300) as usize,
            kills: number("TASKSYNC_CHAOS_KILLS", 1).max(1) as usize,
            seed: number("TASKSYNC_CHAOS_SEED", clock % 1_000_000_007),
        };
        eprintln!(
            "{test}: {} jobs, {} kills, seed {} (TASKSYNC_CHAOS_SEED={} repeats the choices)",
            params.jobs, params.kills, params.seed, params.seed
        );
        params
    }

    /// The generator of one test (its name mixed into the seed).
    pub(crate) fn rng(&self, test: &str) -> Rng {
        let mixed = test
            .bytes()
            .fold(self.seed ^ 0x9e37_79b9_7f4a_7c15, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        Rng(mixed | 1)
    }
}

/// A small deterministic generator (xorshift64).
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The next number.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `lo..=hi`.
    pub(crate) fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// The `tasksync` binary under test.
pub(crate) fn tasksync() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tasksync"));
    cmd.env_remove("TASKSYNC_DB")
        .env_remove("TASKSYNC_LOG")
        .env("USER", "chaos");
    cmd
}

/// Runs `tasksync --db URL ARGS…`, which must succeed; returns its stdout.
pub(crate) fn ok(url: &str, args: &[&str]) -> String {
    let out = tasksync().arg("--db").arg(url).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "tasksync {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A queue of jobs in one database and the journal its workers deliver into.
pub(crate) struct Bench {
    /// The database, as the test reaches it.
    pub(crate) url: String,
    /// Jobs enqueued.
    pub(crate) jobs: usize,
    dir: tempfile::TempDir,
    journal: PathBuf,
    store: Option<PostgresStore>,
}

/// A `tasksync worker` process.
pub(crate) struct Proc {
    /// Its `--id`.
    pub(crate) id: String,
    child: Child,
    out: PathBuf,
    err: PathBuf,
    /// Its exit status, once waited for.
    pub(crate) status: Option<ExitStatus>,
}

impl Proc {
    /// SIGKILL (no chance to finish anything).
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        self.status = Some(self.child.wait().unwrap());
    }

    /// SIGTERM: the graceful stop.
    pub(crate) fn term(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
    }

    /// Waits up to `timeout` for the process to exit.
    pub(crate) fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.status = Some(status);
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "worker {} still running after {timeout:?}: {}",
                    self.id,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its stdout so far.
    pub(crate) fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// The end of its stderr.
    pub(crate) fn stderr(&self) -> String {
        let text = std::fs::read_to_string(&self.err).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// The successes it reported when it exited (`None`: it printed no totals).
    pub(crate) fn succeeded(&self) -> Option<usize> {
        let out = self.stdout();
        let line = out.lines().find(|l| l.starts_with("worker done:"))?;
        let (_, rest) = line.split_once("claimed, ")?;
        rest.split(' ').next()?.parse().ok()
    }

    /// Stops it with SIGTERM and checks that it finished its batch and exited 0 with totals.
    pub(crate) fn stop_gracefully(&mut self) -> usize {
        self.term();
        let status = self.wait(Duration::from_secs(30));
        assert!(
            status.success(),
            "worker {} on SIGTERM: {status}: {}",
            self.id,
            self.stderr()
        );
        if self
            .stderr()
            .contains("worker: stopped before the hub opened")
        {
            return 0;
        }
        self.succeeded()
            .unwrap_or_else(|| panic!("worker {} printed no totals: {}", self.id, self.stdout()))
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// How often the provider may have seen one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeats {
    /// Never twice: no worker or connection died during a call.
    Never,
    /// Repeated keys (beyond the first call) at most this many in all: each is a call whose
    /// worker (or its connection) died before the result was recorded.
    AtMost(usize),
}

/// What the checks found.
#[derive(Debug)]
pub(crate) struct Summary {
    /// Jobs succeeded.
    pub(crate) succeeded: usize,
    /// Calls beyond the first, over all keys.
    pub(crate) repeated: usize,
    /// Successes recorded per worker (from the store's log).
    pub(crate) by_worker: HashMap<String, usize>,
}

impl Bench {
    /// Creates `jobs` tasks by syncing a generated folder into `url`, then changes each one's
    /// status with a sync target, so each change queues one job.
    pub(crate) fn prepare(url: &str, jobs: usize) -> Bench {
        let bench = Bench::with_tasks(url, jobs);
        bench.enqueue();
        bench
    }

    /// Creates `jobs` tasks by syncing a generated folder into `url` (no job yet).
    pub(crate) fn with_tasks(url: &str, jobs: usize) -> Bench {
        let started = Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.db");
        let scopes = jobs.div_ceil(PER_SCOPE);
        for scope in 0..scopes {
            let folder = dir.path().join(format!("tasks/s{scope}"));
            std::fs::create_dir_all(&folder).unwrap();
            for i in (scope * PER_SCOPE)..jobs.min((scope + 1) * PER_SCOPE) {
                std::fs::write(
                    folder.join(format!("t{i}.md")),
                    format!("# Task {i}\n\n- **Status**: Pending\n"),
                )
                .unwrap();
            }
            let (from, scope) = (folder.display().to_string(), format!("s{scope}"));
            ok(
                url,
                &[
                    "execute", "--from", &from, "--scope", &scope, "--source", "todo", "--yes",
                ],
            );
        }
        let sql = sql::Sql::new();
        sql::install_finish_log(&sql, &sql.connect(url).unwrap());
        eprintln!(
            "{jobs} tasks synced in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        Bench {
            url: url.to_owned(),
            jobs,
            dir,
            journal,
            store: None,
        }
    }

    /// Changes every task's status with a sync target: each change queues one job (the first
    /// few through `tasksync status`, the rest through the same service in-process).
    pub(crate) fn enqueue(&self) {
        let (url, jobs, started) = (self.url.as_str(), self.jobs, Instant::now());
        for i in 0..THROUGH_CLI.min(jobs) {
            let out = ok(
                url,
                &[
                    "status",
                    "--source",
                    "todo",
                    "--task",
                    &format!("t{i}"),
                    "--to",
                    "completed",
                    "--target",
                    "todo=ms_todo",
                ],
            );
            assert!(out.contains("queued job"), "{out}");
        }
        let store = block_on(PostgresStore::connect(url)).unwrap();
        let service = StatusService::new(
            Arc::new(store.clone()),
            Arc::new(SystemClock),
            Arc::new(NullSink),
        )
        .with_target(Target::new(
            "todo",
            StatusMapping::new(ProviderKind::MsTodo),
        ));
        let changes = futures::stream::iter(THROUGH_CLI.min(jobs)..jobs)
            .map(|i| {
                let service = &service;
                async move {
                    let id = Task::hub_id("todo", &format!("t{i}"));
                    service
                        .change_status(&id, Status::Completed, Some("chaos"))
                        .await
                }
            })
            .buffer_unordered(8)
            .collect::<Vec<_>>();
        for report in block_on(changes) {
            assert_eq!(report.unwrap().jobs.len(), 1, "one job per status change");
        }
        assert_eq!(self.all_jobs().len(), jobs, "one job per status change");
        eprintln!(
            "{jobs} jobs queued in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }

    /// Waits until every worker says it runs (its hub open).
    pub(crate) fn wait_running(&self, workers: &[Proc]) {
        let deadline = Instant::now() + Duration::from_secs(60);
        for w in workers {
            while !w.stderr().contains(": running on ") {
                assert!(
                    Instant::now() < deadline,
                    "worker {} not running: {}",
                    w.id,
                    w.stderr()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// The journal file.
    pub(crate) fn journal(&self) -> &Path {
        &self.journal
    }

    /// A worker on `db` (the URL it reaches the database by) with `--id id` and the scenario's
    /// usual settings: a short lease, small batches, random provider latency; `global` goes
    /// before the subcommand.
    pub(crate) fn worker(&self, db: &str, id: &str, global: &[&str]) -> Command {
        self.worker_with(db, id, global, &[])
    }

    /// [`Bench::worker`] with some worker options replaced or added (`("--lease-ms", "900")`).
    pub(crate) fn worker_with(
        &self,
        db: &str,
        id: &str,
        global: &[&str],
        options: &[(&str, &str)],
    ) -> Command {
        let journal = format!("todo=journal:{}", self.journal.display());
        let (lease, batch) = (LEASE_MS.to_string(), BATCH.to_string());
        let mut all: Vec<(&str, &str)> = vec![
            ("--provider", &journal),
            ("--id", id),
            ("--lease-ms", &lease),
            ("--batch", &batch),
            ("--journal-delay-ms", "0-25"),
            ("--poll-ms", "500"),
            ("--wait-db-ms", "120000"),
        ];
        for (name, value) in options {
            match all.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = value,
                None => all.push((name, value)),
            }
        }
        let mut cmd = tasksync();
        cmd.arg("--db").arg(db).args(global).arg("worker");
        for (name, value) in all {
            cmd.arg(name);
            if !value.is_empty() {
                cmd.arg(value);
            }
        }
        cmd
    }

    /// Starts `cmd` (from [`Bench::worker`]) as worker `id`, its output in the bench's folder.
    pub(crate) fn spawn(&self, id: &str, mut cmd: Command) -> Proc {
        let out = self.dir.path().join(format!("{id}.out"));
        let err = self.dir.path().join(format!("{id}.err"));
        let child = cmd
            .stdin(Stdio::null())
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Proc {
            id: id.to_owned(),
            child,
            out,
            err,
            status: None,
        }
    }

    /// Deliveries in the journal so far (keys).
    pub(crate) fn delivered(&self) -> usize {
        let Ok(conn) = rusqlite::Connection::open(&self.journal) else {
            return 0;
        };
        let _ = conn.busy_timeout(Duration::from_secs(5));
        conn.query_row("SELECT count(*) FROM pushes", [], |r| r.get::<_, i64>(0))
            .map_or(0, |n| n as usize)
    }

    /// Waits until at least `n` keys are delivered (or every job is).
    pub(crate) fn wait_delivered(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while self.delivered() < n.min(self.jobs) {
            assert!(
                Instant::now() < deadline,
                "fewer than {n} deliveries after 300 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn store(&mut self) -> Option<&PostgresStore> {
        if self.store.is_none() {
            self.store = block_on(PostgresStore::connect(&self.url)).ok();
        }
        self.store.as_ref()
    }

    /// Jobs still pending or running (`None`: the database did not answer).
    fn unfinished(&mut self) -> Option<usize> {
        let mut count = 0;
        for state in [JobState::Pending, JobState::Running] {
            let query = JobQuery {
                state: Some(state),
                limit: 1_000,
                ..JobQuery::default()
            };
            let store = self.store()?;
            match block_on(store.jobs(query)) {
                Ok(jobs) => count += jobs.len(),
                Err(_) => {
                    self.store = None;
                    return None;
                }
            }
        }
        Some(count)
    }

    /// Waits until no job is pending or running; panics (naming what is stuck and showing the
    /// workers' last words) after `timeout`.
    pub(crate) fn wait_finished(&mut self, timeout: Duration, workers: &[&Proc]) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.unfinished() == Some(0) {
                return;
            }
            if Instant::now() > deadline {
                let left = self.unfinished();
                let words: Vec<String> = workers
                    .iter()
                    .map(|w| format!("{}: {}", w.id, w.stderr()))
                    .collect();
                panic!(
                    "stuck: {left:?} jobs pending or running after {timeout:?}\n{}",
                    words.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Every job, in order.
    fn all_jobs(&self) -> Vec<sync_core::retry::Job> {
        let store = block_on(PostgresStore::connect(&self.url)).unwrap();
        let mut jobs = Vec::new();
        loop {
            let query = JobQuery {
                after: jobs.last().map(|j: &sync_core::retry::Job| j.id.clone()),
                limit: 1_000,
                ..JobQuery::default()
            };
            let page = block_on(store.jobs(query)).unwrap();
            if page.is_empty() {
                return jobs;
            }
            jobs.extend(page);
        }
    }

    /// The checks every scenario ends with (see the module doc).
    pub(crate) fn verify(&self, repeats: Repeats) -> Summary {
        let jobs = self.all_jobs();
        assert_eq!(jobs.len(), self.jobs, "lost or extra jobs");
        let mut states: HashMap<&str, usize> = HashMap::new();
        for job in &jobs {
            *states.entry(job.state.as_str()).or_default() += 1;
        }
        let succeeded = states.get("succeeded").copied().unwrap_or(0);
        assert_eq!(
            succeeded,
            self.jobs,
            "every job must succeed (the journal refuses nothing): {states:?}, e.g. {:?}",
            jobs.iter().find(|j| j.state != JobState::Succeeded)
        );

        let sql = sql::Sql::new();
        let finishes = sql::finish_log(&sql, &sql.connect(&self.url).unwrap());
        let mut by_worker: HashMap<String, usize> = HashMap::new();
        let mut writes: HashMap<&str, usize> = HashMap::new();
        for (job, owner) in &finishes {
            *writes.entry(job.as_str()).or_default() += 1;
            *by_worker.entry(owner.clone()).or_default() += 1;
        }
        let twice: Vec<_> = writes.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "jobs finished twice: {twice:?}");
        for job in &jobs {
            assert_eq!(
                writes.get(job.id.as_str()),
                Some(&1),
                "job {}: success writes",
                job.id
            );
        }

        let conn = rusqlite::Connection::open(&self.journal).unwrap();
        let mut stmt = conn.prepare("SELECT key, calls FROM pushes").unwrap();
        let journal: HashMap<String, i64> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let ids: HashSet<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        let strays: Vec<&String> = journal
            .keys()
            .filter(|k| !ids.contains(k.as_str()))
            .collect();
        assert!(
            strays.is_empty(),
            "keys delivered without a job: {strays:?}"
        );
        let mut repeated = 0;
        for job in &jobs {
            let calls = *journal.get(&job.id).unwrap_or_else(|| {
                panic!("job {} succeeded but never reached the provider", job.id)
            });
            assert!(
                calls >= 1 && calls as u32 <= job.attempts,
                "job {}: {calls} deliveries for {} attempts",
                job.id,
                job.attempts
            );
            repeated += (calls - 1) as usize;
        }
        match repeats {
            Repeats::Never => assert_eq!(repeated, 0, "keys delivered twice with no worker dying"),
            Repeats::AtMost(n) => assert!(
                repeated <= n,
                "{repeated} repeated deliveries, at most {n} expected"
            ),
        }
        eprintln!(
            "checked: {} jobs succeeded, 0 lost, 0 finished twice, 0 stuck; {} keys, {repeated} repeated deliveries; successes per worker {by_worker:?}",
            succeeded,
            journal.len()
        );
        Summary {
            succeeded,
            repeated,
            by_worker,
        }
    }
}
