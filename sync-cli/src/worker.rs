//! `tasksync worker`: delivers queued status changes to providers until stopped.
//!
//! - The loop: batches while there is work; when idle it waits for the next due job, the
//!   store's wake hint (PostgreSQL: a notification from any instance) or at most `--poll-ms`.
//! - Leases: while provider calls are out, the worker extends the leases of the jobs in
//!   flight every `--heartbeat-ms`, so a slow provider does not hand a job to a second worker;
//!   a worker that dies stops beating and its jobs return to the queue after `--lease-ms`.
//! - Gates: the breaker and rate limit of each provider live in the store (the SQLite file,
//!   the PostgreSQL database), shared by every worker on it: a breaker one worker opens holds
//!   the others back too.
//! - A store failure (the database restarting, a dropped connection, no free connection)
//!   fails only the batch: the worker says so on stderr and tries again after a pause that
//!   doubles up to `--poll-ms` (2 s with `--until-idle`); jobs it had claimed and could not
//!   settle return to the queue after their lease. `--wait-db-ms` does the same for opening
//!   the hub at start.
//! - SIGTERM or SIGINT: the batch in flight is finished and recorded, then the worker prints
//!   its totals and exits 0. A second signal exits at once (143 or 130).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use futures::future::BoxFuture;
use sync_core::retry::{DeadPolicy, Sleep, TickReport, Worker, WorkerConfig};
use sync_core::{ErrorKind, NullSink, SystemClock};
use tokio::sync::Notify;

use crate::commands::CliError;
use crate::providers::{ProviderArgs, Providers};
use crate::store::{ConnectOptions, Hub, Location};

/// Run a worker that delivers queued status changes.
#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    providers: ProviderArgs,
    /// Process one batch and exit.
    #[arg(long, conflicts_with = "until_idle")]
    once: bool,
    /// Exit when no job is pending or running.
    #[arg(long)]
    until_idle: bool,
    /// The lease owner name (default: `worker-<pid>`).
    #[arg(long)]
    id: Option<String>,
    /// How long a claim holds a job, in ms.
    #[arg(long, default_value_t = 30_000)]
    lease_ms: u64,
    /// How often the leases of jobs in flight are extended, in ms (0: a third of --lease-ms).
    #[arg(long, default_value_t = 0)]
    heartbeat_ms: u64,
    /// The longest idle wait when no wake-up hint arrives, in ms.
    #[arg(long, default_value_t = 1_000)]
    poll_ms: u64,
    /// Jobs per batch.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// How long to keep trying to open the hub at start, in ms (the database restarting, out
    /// of connections); 0: fail at once.
    #[arg(long, default_value_t = 0)]
    pub(crate) wait_db_ms: u64,
    /// Revert a dead job's optimistic status instead of keeping it flagged.
    #[arg(long)]
    revert_dead: bool,
    /// Print the metrics (Prometheus text) when the worker exits.
    #[arg(long)]
    metrics: bool,
}

/// Set by the first SIGTERM or SIGINT; the loop stops after the batch in flight.
#[derive(Debug, Default)]
pub(crate) struct Shutdown {
    asked: AtomicBool,
    notify: Notify,
}

impl Shutdown {
    /// Listens for SIGTERM and SIGINT: the first asks for a graceful stop, the second exits.
    /// `command` and `work` name the stop in its messages (`worker`, `the batch`).
    pub(crate) fn install(
        command: &'static str,
        work: &'static str,
    ) -> Result<Arc<Shutdown>, CliError> {
        use tokio::signal::unix::{SignalKind, signal};
        let shutdown = Arc::new(Shutdown::default());
        let cannot = |e: std::io::Error| CliError::Other(format!("cannot handle signals: {e}"));
        let mut term = signal(SignalKind::terminate()).map_err(cannot)?;
        let mut int = signal(SignalKind::interrupt()).map_err(cannot)?;
        let this = shutdown.clone();
        tokio::spawn(async move {
            let mut seen = false;
            loop {
                let code = tokio::select! {
                    _ = term.recv() => 143,
                    _ = int.recv() => 130,
                };
                if seen {
                    eprintln!("{command}: second signal, exiting now");
                    std::process::exit(code);
                }
                seen = true;
                eprintln!("{command}: stopping after {work} in flight");
                this.asked.store(true, Ordering::SeqCst);
                this.notify.notify_waiters();
            }
        });
        Ok(shutdown)
    }

    pub(crate) fn asked(&self) -> bool {
        self.asked.load(Ordering::SeqCst)
    }

    /// Resolves once a stop was asked.
    pub(crate) async fn wait(&self) {
        loop {
            let notified = self.notify.notified();
            if self.asked() {
                return;
            }
            notified.await;
        }
    }

    /// Sleeps `ms`, or less if a stop is asked meanwhile.
    async fn sleep(&self, ms: u64) {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
            _ = self.wait() => {}
        }
    }
}

/// Whether a failed batch is worth retrying: the store failed or lost a race.
fn transient(e: &sync_core::Error) -> bool {
    matches!(e.kind(), ErrorKind::Store | ErrorKind::Conflict)
}

/// tokio's timer, as the core's worker loop takes it.
pub(crate) fn tokio_sleep(ms: u64) -> BoxFuture<'static, ()> {
    Box::pin(tokio::time::sleep(Duration::from_millis(ms)))
}

fn add(total: &mut TickReport, tick: &TickReport) {
    total.claimed += tick.claimed;
    total.succeeded += tick.succeeded;
    total.retried += tick.retried;
    total.deferred += tick.deferred;
    total.dead += tick.dead;
    total.lease_lost += tick.lease_lost;
}

fn print_tick(tick: &TickReport) {
    if tick.claimed > 0 {
        println!(
            "claimed {}: {} succeeded, {} retried, {} deferred, {} dead",
            tick.claimed, tick.succeeded, tick.retried, tick.deferred, tick.dead
        );
    }
}

/// Opens the hub (trying again for up to `--wait-db-ms`) and runs the worker; a stop asked
/// while the hub is not open yet ends the command at once, with success.
pub(crate) async fn start(
    location: &Location,
    options: ConnectOptions,
    args: WorkerArgs,
) -> Result<(), CliError> {
    let providers = Providers::read(&args.providers)?;
    if providers.is_empty() {
        return Err(CliError::Usage(
            "worker: give --provider NAME=KIND:URL or --providers-file FILE".into(),
        ));
    }
    let built = providers.build_all()?;
    let shutdown = Shutdown::install("worker", "the batch")?;
    let deadline = Instant::now() + Duration::from_millis(args.wait_db_ms);
    let mut pause = 100;
    let hub = loop {
        let opened = tokio::select! {
            opened = Hub::open(location, options) => Some(opened),
            _ = shutdown.wait() => None,
        };
        let Some(opened) = opened.filter(|_| !shutdown.asked()) else {
            eprintln!("worker: stopped before the hub opened");
            return Ok(());
        };
        match opened {
            Ok(hub) => break hub,
            Err(e) if Instant::now() < deadline => {
                eprintln!("warning: {e}; retrying in {pause} ms");
                shutdown.sleep(pause).await;
                pause = (pause * 2).min(2_000);
            }
            Err(e) => return Err(e),
        }
    };
    run(&hub, args, built, &shutdown).await
}

async fn run(
    hub: &Hub,
    args: WorkerArgs,
    providers: Vec<Arc<dyn sync_core::ProviderClient>>,
    shutdown: &Shutdown,
) -> Result<(), CliError> {
    let id = args
        .id
        .clone()
        .unwrap_or_else(|| format!("worker-{}", std::process::id()));
    let config = WorkerConfig {
        id: id.clone(),
        lease_ms: args.lease_ms,
        batch: args.batch,
        dead_policy: if args.revert_dead {
            DeadPolicy::RevertStatus
        } else {
            DeadPolicy::KeepFlagged
        },
        heartbeat_ms: args.heartbeat_ms,
        poll_ms: args.poll_ms,
        ..WorkerConfig::default()
    };
    let poll_ms = config.poll_ms;
    let mut worker = Worker::new(
        hub.queue(),
        Arc::new(SystemClock),
        Arc::new(NullSink),
        config,
    )?;
    if let Some(gates) = hub.gates() {
        worker = worker.with_gates(gates);
    }
    for provider in providers {
        worker = worker.with_provider(provider);
    }
    eprintln!("worker {}: running on {}", id, hub.location().shown());
    let sleep: &Sleep = &tokio_sleep;
    let total = if args.once {
        let tick = worker.run_once_beating(sleep).await?;
        print_tick(&tick);
        tick
    } else if args.until_idle {
        until_idle(&worker, hub, shutdown, sleep, poll_ms).await?
    } else {
        worker.run(sleep, shutdown.wait()).await
    };
    report(&worker, &total, args.metrics);
    Ok(())
}

/// Batches until no job is pending or running (or a stop is asked); store failures are
/// retried like [`Worker::run`] does.
async fn until_idle(
    worker: &Worker,
    hub: &Hub,
    shutdown: &Shutdown,
    sleep: &Sleep,
    poll_ms: u64,
) -> Result<TickReport, CliError> {
    let mut total = TickReport::default();
    let mut pause = 0u64;
    let mut failed = |e: sync_core::Error| -> Result<u64, CliError> {
        if !transient(&e) {
            return Err(e.into());
        }
        pause = (pause * 2).clamp(100, 2_000);
        eprintln!(
            "warning: worker: {}; retrying in {pause} ms",
            hub.location().scrub(&e.to_string())
        );
        Ok(pause)
    };
    while !shutdown.asked() {
        let tick = match worker.run_once_beating(sleep).await {
            Ok(tick) => tick,
            Err(e) => {
                let wait = failed(e)?;
                shutdown.sleep(wait).await;
                continue;
            }
        };
        print_tick(&tick);
        add(&mut total, &tick);
        if tick.claimed > 0 {
            continue;
        }
        match worker.next_wake().await {
            Ok(None) => break,
            Ok(Some(_)) => {
                let wait = worker.wait_for_work(sleep, poll_ms);
                tokio::select! {
                    waited = wait => if let Err(e) = waited {
                        let wait = failed(e)?;
                        shutdown.sleep(wait).await;
                    },
                    _ = shutdown.wait() => {}
                }
            }
            Err(e) => {
                let wait = failed(e)?;
                shutdown.sleep(wait).await;
            }
        }
    }
    Ok(total)
}

fn report(worker: &Worker, total: &TickReport, metrics: bool) {
    println!(
        "worker done: {} claimed, {} succeeded, {} dead, {} retried, {} deferred, {} lease lost",
        total.claimed, total.succeeded, total.dead, total.retried, total.deferred, total.lease_lost
    );
    if metrics {
        print!("{}", worker.metrics().render_prometheus());
    }
}
