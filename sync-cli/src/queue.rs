//! The outbound queue from the command line: change a task's status (outbox), run a worker,
//! list jobs and dead letters, retry or discard one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use sync_core::history::HistoryRecorder;
use sync_core::retry::{
    DeadLetters, DeadPolicy, JobQuery, JobState, JobStore, StatusService, Target, Worker,
    WorkerConfig,
};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{Clock, NullSink, ProviderClient, Secret, Status, SystemClock, Task};
use sync_sqlite::SqliteStore;

use crate::commands::CliError;
use crate::journal::Journal;
use crate::render;

/// `--target NAME=MAPPING[@SOURCE]`: tasks whose source is NAME (or SOURCE, when given: a mirror
/// of that source, addressed by the task's external id) sync their status to it, mapped as
/// MAPPING (`ms_todo`, `connect_wise_ticket`, `connect_wise_project_task`, `process_step`,
/// `cal_dav`, `azure_devops`).
#[derive(Debug, Args)]
pub(crate) struct TargetArgs {
    /// A target: `NAME=MAPPING[@SOURCE]`, e.g. `files=process_step` or `calendar=cal_dav@files`
    /// (repeatable).
    #[arg(long = "target", value_name = "NAME=MAPPING[@SOURCE]")]
    targets: Vec<String>,
}

impl TargetArgs {
    fn parse(&self) -> Result<Vec<Target>, CliError> {
        self.targets
            .iter()
            .map(|t| {
                let usage =
                    || CliError::Usage(format!("--target `{t}`: expected NAME=MAPPING[@SOURCE]"));
                let (name, rest) = t.split_once('=').ok_or_else(usage)?;
                let (kind, source) = match rest.split_once('@') {
                    Some((kind, source)) => (kind, Some(source)),
                    None => (rest, None),
                };
                if name.is_empty() || source.is_some_and(str::is_empty) {
                    return Err(usage());
                }
                let kind: ProviderKind =
                    serde_json::from_value(serde_json::json!(kind)).map_err(|_| {
                        CliError::Usage(format!("--target `{t}`: unknown mapping `{kind}`"))
                    })?;
                let target = Target::new(name, StatusMapping::new(kind));
                Ok(match source {
                    Some(source) => target.mirroring(source),
                    None => target,
                })
            })
            .collect()
    }
}

/// Change a task's status in the hub and queue its sync jobs.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The task's source (provider name).
    #[arg(long)]
    source: String,
    /// The task's external id in its source.
    #[arg(long)]
    task: String,
    /// The new status.
    #[arg(long, value_parser = parse_status)]
    to: Status,
    /// Who asks (kept with the job and in events).
    #[arg(long)]
    actor: Option<String>,
    #[command(flatten)]
    targets: TargetArgs,
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse::<Status>().map_err(|e| e.to_string())
}

/// Run a worker that delivers queued status changes.
#[derive(Debug, Args)]
pub(crate) struct WorkerArgs {
    /// A provider: `NAME=journal:PATH` delivers NAME's jobs into an SQLite journal file;
    /// `NAME=caldav:URL` to the VTODOs of a CalDAV calendar collection (resource
    /// `<external id>.ics`; account from --caldav-user and TASKSYNC_CALDAV_PASSWORD).
    #[arg(
        long = "provider",
        value_name = "NAME=journal:PATH|NAME=caldav:URL",
        required = true
    )]
    providers: Vec<String>,
    /// The CalDAV account of `caldav:` providers (the password is read from the environment
    /// variable TASKSYNC_CALDAV_PASSWORD, never from the command line).
    #[arg(long)]
    caldav_user: Option<String>,
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
    /// Jobs per batch.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Revert a dead job's optimistic status instead of keeping it flagged.
    #[arg(long)]
    revert_dead: bool,
    /// Print the metrics (Prometheus text) when the worker exits.
    #[arg(long)]
    metrics: bool,
}

/// Inspect and settle jobs.
#[derive(Debug, Subcommand)]
pub(crate) enum JobsCommand {
    /// List jobs (oldest first).
    List {
        /// Only jobs in this state (pending, running, succeeded, dead, superseded, discarded).
        #[arg(long, value_parser = parse_state)]
        state: Option<JobState>,
        /// Only jobs of this target.
        #[arg(long)]
        target: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The dead-letter queue (same as `list --state dead`).
    Dead {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one job as JSON (payloads, undo data, last error).
    Show {
        /// The job id.
        id: String,
    },
    /// Requeue a dead job with a fresh attempt budget.
    Retry {
        /// The job id.
        id: String,
    },
    /// Discard a dead job.
    Discard {
        /// The job id.
        id: String,
    },
}

fn parse_state(s: &str) -> Result<JobState, String> {
    JobState::parse(s).ok_or_else(|| format!("unknown job state `{s}`"))
}

pub(crate) async fn status(
    store: Arc<SqliteStore>,
    history: Option<HistoryRecorder>,
    args: StatusArgs,
) -> Result<(), CliError> {
    let mut service = StatusService::new(store, Arc::new(SystemClock), Arc::new(NullSink));
    if let Some(history) = history {
        service = service.with_history(history);
    }
    for target in args.targets.parse()? {
        service = service.with_target(target);
    }
    let id = Task::hub_id(&args.source, &args.task);
    let report = service
        .change_status(&id, args.to, args.actor.as_deref())
        .await?;
    for change in &report.changes {
        let cause = change
            .cause
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        println!(
            "{}: {} -> {}{cause}",
            change.task_id,
            change.from.as_str(),
            change.to.as_str()
        );
    }
    for job in &report.jobs {
        println!("queued job {} for `{}`", job.id, job.target);
    }
    for skipped in report.targets.iter().filter_map(|t| t.skipped.as_deref()) {
        println!("no job: {skipped}");
    }
    Ok(())
}

pub(crate) async fn worker(store: Arc<SqliteStore>, args: WorkerArgs) -> Result<(), CliError> {
    let config = WorkerConfig {
        id: args
            .id
            .unwrap_or_else(|| format!("worker-{}", std::process::id())),
        lease_ms: args.lease_ms,
        batch: args.batch,
        dead_policy: if args.revert_dead {
            DeadPolicy::RevertStatus
        } else {
            DeadPolicy::KeepFlagged
        },
        ..WorkerConfig::default()
    };
    let clock = Arc::new(SystemClock);
    let mut worker = Worker::new(store, clock.clone(), Arc::new(NullSink), config)?;
    for spec in &args.providers {
        worker = worker.with_provider(provider(spec, args.caldav_user.as_deref())?);
    }
    let mut total = sync_core::retry::TickReport::default();
    loop {
        let tick = worker.run_once().await?;
        if tick.claimed > 0 {
            println!(
                "claimed {}: {} succeeded, {} retried, {} deferred, {} dead",
                tick.claimed, tick.succeeded, tick.retried, tick.deferred, tick.dead
            );
        }
        total.claimed += tick.claimed;
        total.succeeded += tick.succeeded;
        total.dead += tick.dead;
        if args.once {
            break;
        }
        if tick.claimed > 0 {
            continue;
        }
        let Some(due) = worker.next_wake().await? else {
            if args.until_idle {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let wait = (due - clock.now_ms()).clamp(1, 1_000);
        tokio::time::sleep(Duration::from_millis(wait as u64)).await;
    }
    println!(
        "worker done: {} claimed, {} succeeded, {} dead",
        total.claimed, total.succeeded, total.dead
    );
    if args.metrics {
        print!("{}", worker.metrics().render_prometheus());
    }
    Ok(())
}

/// The provider of one `--provider` spec.
fn provider(spec: &str, caldav_user: Option<&str>) -> Result<Arc<dyn ProviderClient>, CliError> {
    let usage = || {
        CliError::Usage(format!(
            "--provider `{spec}`: expected NAME=journal:PATH or NAME=caldav:URL"
        ))
    };
    let (name, rest) = spec.split_once('=').ok_or_else(usage)?;
    if name.is_empty() {
        return Err(usage());
    }
    if let Some(path) = rest.strip_prefix("journal:") {
        return Ok(Arc::new(Journal::new(name.into(), PathBuf::from(path))));
    }
    if let Some(url) = rest.strip_prefix("caldav:") {
        let password = std::env::var(crate::caldav::PASSWORD_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::new);
        return Ok(Arc::new(crate::caldav::Collection::new(
            name,
            url,
            caldav_user,
            password,
        )?));
    }
    Err(usage())
}

pub(crate) async fn jobs(
    store: Arc<SqliteStore>,
    history: Option<HistoryRecorder>,
    command: JobsCommand,
) -> Result<(), CliError> {
    let mut dead = DeadLetters::new(store.clone(), Arc::new(SystemClock), Arc::new(NullSink));
    if let Some(history) = history {
        dead = dead.with_history(history);
    }
    let actor = crate::history::options().context.actor;
    match command {
        JobsCommand::List {
            state,
            target,
            limit,
            json,
        } => {
            let query = JobQuery {
                state,
                target,
                limit,
                ..JobQuery::default()
            };
            render::jobs(
                &store.jobs(query).await.map_err(sync_core::Error::from)?,
                json,
            );
        }
        JobsCommand::Dead { json } => {
            let query = JobQuery {
                state: Some(JobState::Dead),
                limit: 1_000,
                ..JobQuery::default()
            };
            render::jobs(
                &store.jobs(query).await.map_err(sync_core::Error::from)?,
                json,
            );
        }
        JobsCommand::Show { id } => {
            let job = dead.inspect(&id).await?;
            println!(
                "{}",
                serde_json::to_string_pretty(&job).expect("a job serializes")
            );
        }
        JobsCommand::Retry { id } => {
            let job = dead.retry(&id, actor).await?;
            println!(
                "job {} is {} ({} attempts left)",
                job.id,
                job.state.as_str(),
                job.budget(WorkerConfig::default().backoff.max_attempts)
                    .saturating_sub(job.attempts)
            );
        }
        JobsCommand::Discard { id } => {
            let job = dead.discard(&id, actor).await?;
            println!("job {} is {}", job.id, job.state.as_str());
        }
    }
    Ok(())
}
