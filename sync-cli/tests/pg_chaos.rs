//! Crash and multi-process scenarios on a real PostgreSQL: `tasksync worker` processes share
//! one queue while workers are killed, the server restarts, sessions are ended under them, the
//! server runs out of connections, and the workers sit on separate network hosts. Each ends
//! with the checks of [`chaos::Bench::verify`]: nothing lost, nothing finished twice, nothing
//! stuck, and the provider's journal agreeing with the store.
//!
//! `cargo test` runs a short pass (300 jobs, one fault of each kind); `make test-pg-chaos`
//! runs thousands of jobs and many faults (`TASKSYNC_CHAOS_JOBS`, `TASKSYNC_CHAOS_KILLS`).

mod chaos;

use std::time::Duration;

use chaos::netns::Hosts;
use chaos::private_pg::PrivatePg;
use chaos::sql::Sql;
use chaos::{BATCH, Bench, Params, Proc, Repeats, Rng};
use sync_postgres::testing::TestDatabase;

/// How long a scenario may take to drain its queue.
fn patience(p: &Params) -> Duration {
    Duration::from_secs(90) + Duration::from_millis(40 * p.jobs as u64)
}

/// The delivery count at which the `k`-th of `n` faults strikes: spread over the run, with
/// random jitter, never at the very end.
fn moment(rng: &mut Rng, p: &Params, k: usize, n: usize) -> usize {
    let step = p.jobs / (n + 1);
    let jitter = rng.between(0, (step / 2).max(1) as u64) as usize;
    (step * k + step / 2 + jitter).min(p.jobs * 9 / 10)
}

/// A private server with a fresh `chaos` database; the URL the test uses.
fn private(listen: &str, settings: &[&str], trusted: &[&str]) -> (PrivatePg, String) {
    let pg = PrivatePg::start(listen, settings, trusted);
    let sql = Sql::new();
    let admin = sql.connect(&pg.url("127.0.0.1", "postgres")).unwrap();
    sql.execute(&admin, "CREATE DATABASE chaos").unwrap();
    let url = pg.url("127.0.0.1", "chaos");
    (pg, url)
}

fn stop_all(workers: &mut [Proc]) -> usize {
    workers
        .iter_mut()
        .filter(|w| w.status.is_none())
        .map(Proc::stop_gracefully)
        .sum()
}

#[test]
fn two_workers_claiming_at_once_finish_every_job_exactly_once() {
    let p = Params::from_env("two workers at once");
    let db = TestDatabase::create();
    let mut bench = Bench::with_tasks(&db.url, p.jobs);
    let mut workers: Vec<Proc> = ["a", "b"]
        .iter()
        .map(|id| bench.spawn(id, bench.worker(&db.url, id, &[])))
        .collect();
    // Both wait, idle, and wake as the status changes queue jobs.
    bench.wait_running(&workers);
    bench.enqueue();
    bench.wait_finished(patience(&p), &workers.iter().collect::<Vec<_>>());
    let reported = stop_all(&mut workers);
    let summary = bench.verify(Repeats::Never);
    assert_eq!(
        reported, p.jobs,
        "the workers' own totals add up to every job once"
    );
    for id in ["a", "b"] {
        assert!(
            summary.by_worker.get(id).copied().unwrap_or(0) > 0,
            "worker {id} took no job: {:?}",
            summary.by_worker
        );
    }
}

#[test]
fn a_postgres_restart_mid_run_loses_nothing() {
    let p = Params::from_env("server restart");
    let mut rng = p.rng("server restart");
    let (mut pg, url) = private("127.0.0.1", &[], &[]);
    let mut bench = Bench::prepare(&url, p.jobs);
    let mut workers: Vec<Proc> = ["a", "b"]
        .iter()
        .map(|id| bench.spawn(id, bench.worker(&url, id, &[])))
        .collect();
    for k in 0..p.kills {
        bench.wait_delivered(moment(&mut rng, &p, k, p.kills));
        pg.stop_fast();
        std::thread::sleep(Duration::from_millis(rng.between(200, 1_500)));
        pg.start_again();
    }
    bench.wait_finished(patience(&p), &workers.iter().collect::<Vec<_>>());
    stop_all(&mut workers);
    // Per restart, each worker may lose the results of its batch in flight, and of one more
    // if the pool handed it a session that the restart had ended.
    bench.verify(Repeats::AtMost(p.kills * 2 * 2 * BATCH));
}

#[test]
fn killed_backends_are_survived() {
    let p = Params::from_env("backends killed");
    let mut rng = p.rng("backends killed");
    let db = TestDatabase::create();
    let mut bench = Bench::prepare(&db.url, p.jobs);
    let sql = Sql::new();
    let killer = sql.connect(&db.url).unwrap();
    let mut workers: Vec<Proc> = ["a", "b"]
        .iter()
        .map(|id| bench.spawn(id, bench.worker(&db.url, id, &[])))
        .collect();
    let rounds = 3 * p.kills;
    let mut ended = 0;
    for k in 0..rounds {
        bench.wait_delivered(moment(&mut rng, &p, k, rounds));
        std::thread::sleep(Duration::from_millis(rng.between(0, 100)));
        ended += sql.terminate_others(&killer).unwrap();
    }
    assert!(ended >= rounds, "{ended} sessions ended in {rounds} rounds");
    bench.wait_finished(patience(&p), &workers.iter().collect::<Vec<_>>());
    stop_all(&mut workers);
    bench.verify(Repeats::AtMost(rounds * 2 * BATCH));
    eprintln!("{ended} sessions ended over {rounds} rounds");
}

#[test]
fn workers_wait_out_an_exhausted_server_and_finish() {
    let p = Params::from_env("connections exhausted");
    let mut rng = p.rng("connections exhausted");
    // 16 slots for 4 workers of 2 pooled connections and a listener each, and the test's.
    let (_pg, url) = private("127.0.0.1", &["max_connections=16"], &[]);
    let mut bench = Bench::prepare(&url, p.jobs);
    let sql = Sql::new();
    // The test's own session, taken before the workers fill the server.
    let killer = sql.connect(&url).unwrap();
    let mut workers: Vec<Proc> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| bench.spawn(id, bench.worker(&url, id, &["--db-pool", "2"])))
        .collect();
    for k in 0..p.kills {
        bench.wait_delivered(moment(&mut rng, &p, k, p.kills));
        // Every session is ended and every slot taken: nobody reconnects for a while.
        sql.terminate_others(&killer).unwrap();
        let (held, full) = sql.hog(&url, 64);
        assert!(
            full,
            "the server still had slots after {} connections",
            held.len()
        );
        std::thread::sleep(Duration::from_millis(rng.between(500, 2_000)));
        drop(held);
    }
    bench.wait_finished(patience(&p), &workers.iter().collect::<Vec<_>>());
    let words: String = workers.iter().map(Proc::stderr).collect();
    stop_all(&mut workers);
    bench.verify(Repeats::AtMost(p.jobs));
    assert!(
        words.contains("too many clients") || words.contains("trying again"),
        "no worker met the full server: {words}"
    );
}

#[test]
fn a_worker_killed_mid_run_leaves_its_jobs_to_the_other() {
    let p = Params::from_env("one worker killed");
    let mut rng = p.rng("one worker killed");
    let db = TestDatabase::create();
    let mut bench = Bench::prepare(&db.url, p.jobs);
    let mut workers: Vec<Proc> = ["a", "b"]
        .iter()
        .map(|id| bench.spawn(id, bench.worker(&db.url, id, &[])))
        .collect();
    bench.wait_delivered(moment(&mut rng, &p, 0, 1));
    let victim = rng.between(0, 1) as usize;
    workers[victim].kill();
    eprintln!(
        "killed worker {} after {} deliveries",
        workers[victim].id,
        bench.delivered()
    );
    bench.wait_finished(patience(&p), &workers.iter().collect::<Vec<_>>());
    stop_all(&mut workers);
    let summary = bench.verify(Repeats::AtMost(BATCH));
    let survivor = &workers[1 - victim].id;
    assert!(
        summary.by_worker.get(survivor).copied().unwrap_or(0) > 0,
        "{summary:?}"
    );
}

#[test]
fn workers_killed_and_restarted_again_and_again_lose_nothing() {
    let p = Params::from_env("repeated kills");
    let mut rng = p.rng("repeated kills");
    let db = TestDatabase::create();
    let mut bench = Bench::prepare(&db.url, p.jobs);
    let mut live: Vec<Proc> = ["w0", "w1"]
        .iter()
        .map(|id| bench.spawn(id, bench.worker(&db.url, id, &[])))
        .collect();
    let mut dead: Vec<Proc> = Vec::new();
    let kills = 2 * p.kills + 1;
    for k in 0..kills {
        bench.wait_delivered(moment(&mut rng, &p, k, kills));
        let at = rng.between(0, live.len() as u64 - 1) as usize;
        let mut victim = live.swap_remove(at);
        victim.kill();
        dead.push(victim);
        let id = format!("w{}", k + 2);
        live.push(bench.spawn(&id, bench.worker(&db.url, &id, &[])));
    }
    bench.wait_finished(patience(&p), &live.iter().collect::<Vec<_>>());
    stop_all(&mut live);
    bench.verify(Repeats::AtMost(kills * BATCH));
    eprintln!("{kills} workers killed and replaced");
}

#[test]
fn workers_on_separate_network_hosts_share_one_queue() {
    let p = Params::from_env("separate hosts");
    let mut rng = p.rng("separate hosts");
    let tag = format!("{:06x}", rng.next() & 0xff_ffff);
    let net = Hosts::create(2, &tag, Hosts::free_subnet(rng.next()));
    let listen = format!(
        "127.0.0.1,{},{}",
        net.hosts[0].gateway, net.hosts[1].gateway
    );
    let (pg, url) = private(&listen, &[], &["10.77.0.0/16"]);
    let mut bench = Bench::with_tasks(&url, p.jobs);
    let mut workers: Vec<Proc> = net
        .hosts
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let id = format!("host{i}");
            let remote = pg.url(&host.gateway, "chaos");
            let inner = bench.worker(&remote, &id, &[]);
            let mut cmd = std::process::Command::new("ip");
            cmd.args(["netns", "exec", &host.namespace])
                .arg(inner.get_program())
                .args(inner.get_args());
            bench.spawn(&id, cmd)
        })
        .collect();
    // The server sees each worker from its own host's address.
    let sql = Sql::new();
    let watcher = sql.connect(&url).unwrap();
    let addresses: std::collections::BTreeSet<String> =
        net.hosts.iter().map(|h| h.address.clone()).collect();
    let mut seen = std::collections::BTreeSet::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !addresses.is_subset(&seen) && std::time::Instant::now() < deadline {
        for row in sql
            .rows(
                &watcher,
                "SELECT DISTINCT host(client_addr) FROM pg_stat_activity \
                 WHERE datname = current_database() AND client_addr IS NOT NULL",
            )
            .unwrap()
        {
            seen.insert(row.get::<_, String>(0));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let addresses: std::collections::BTreeSet<String> =
        net.hosts.iter().map(|h| h.address.clone()).collect();
    assert!(
        addresses.is_subset(&seen),
        "clients seen {seen:?}, hosts {addresses:?}"
    );
    bench.wait_running(&workers);
    bench.enqueue();
    bench.wait_finished(patience(&p), &workers.iter().collect::<Vec<_>>());
    let reported = stop_all(&mut workers);
    let summary = bench.verify(Repeats::Never);
    assert_eq!(reported, p.jobs);
    for id in ["host0", "host1"] {
        assert!(
            summary.by_worker.get(id).copied().unwrap_or(0) > 0,
            "{summary:?}"
        );
    }
}
