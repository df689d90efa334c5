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
use sync_core::{Clock, NullSink, ProviderClient, Secret, Status, SystemClock, Task, TaskStore};
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
    /// The task's source (e.g. `files`); `--task` is then its external id, taken as is.
    #[arg(long)]
    source: Option<String>,
    /// The task: `SOURCE:EXTERNAL_ID` (e.g. `files:story-2`), its external id with `--source`,
    /// or its hub id.
    #[arg(long, value_name = "SOURCE:EXTERNAL_ID|EXTERNAL_ID|HUB_ID")]
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

/// A task as the user named it on the command line.
#[derive(Debug, PartialEq, Eq)]
enum TaskRef<'a> {
    /// By its identity in its source.
    Identity {
        source: &'a str,
        external_id: &'a str,
    },
    /// By its hub id.
    Hub(&'a str),
}

impl<'a> TaskRef<'a> {
    /// `--source S --task ID` is `(S, ID)`; `--task S:ID` is `(S, ID)` (split at the first `:`,
    /// so an external id may hold more); `--task ID` without `:` is a hub id.
    fn parse(source: Option<&'a str>, task: &'a str) -> Result<Self, CliError> {
        let identity = |source: &'a str, external_id: &'a str| {
            if source.is_empty() || external_id.is_empty() {
                return Err(CliError::Usage(format!(
                    "--task `{}`: expected SOURCE:EXTERNAL_ID with both parts, \
                     e.g. `files:story-2`",
                    render::cut_to(task, 80)
                )));
            }
            Ok(TaskRef::Identity {
                source,
                external_id,
            })
        };
        match (source, task.split_once(':')) {
            (Some(source), _) => identity(source, task),
            (None, Some((source, external_id))) => identity(source, external_id),
            (None, None) => Ok(TaskRef::Hub(task)),
        }
    }

    fn hub_id(&self) -> String {
        match self {
            TaskRef::Identity {
                source,
                external_id,
            } => Task::hub_id(source, external_id),
            TaskRef::Hub(id) => (*id).to_owned(),
        }
    }

    /// The error for a task that is not in the hub, in the user's words.
    fn not_found(&self) -> CliError {
        let message = match self {
            TaskRef::Identity {
                source,
                external_id,
            } => format!(
                "no task `{}` from source `{}` in the hub",
                render::cut_to(external_id, 80),
                render::cut_to(source, 40)
            ),
            TaskRef::Hub(id) => {
                let id = render::cut_to(id, 80);
                format!(
                    "no task has the hub id `{id}`; to name a task by its id in its source, \
                     give the source too: `--task SOURCE:{id}` or `--source SOURCE --task {id}`"
                )
            }
        };
        CliError::Core(sync_core::Error::NotFound(message))
    }
}

/// How a task is shown: `source:external id`.
fn shown(task: &Task) -> String {
    format!(
        "{}:{}",
        render::cut_to(&task.source, 40),
        render::cut_to(&task.external_id, 80)
    )
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
    let mut service = StatusService::new(store.clone(), Arc::new(SystemClock), Arc::new(NullSink));
    if let Some(history) = history {
        service = service.with_history(history);
    }
    for target in args.targets.parse()? {
        service = service.with_target(target);
    }
    let task = TaskRef::parse(args.source.as_deref(), &args.task)?;
    let id = task.hub_id();
    let reader = store;
    if reader
        .get(id.clone())
        .await
        .map_err(sync_core::Error::from)?
        .is_none()
    {
        return Err(task.not_found());
    }
    let report = service
        .change_status(&id, args.to, args.actor.as_deref())
        .await?;
    for change in &report.changes {
        let cause = change
            .cause
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        let name = match reader.get(change.task_id.clone()).await {
            Ok(Some(task)) => shown(&task),
            _ => change.task_id.clone(),
        };
        println!(
            "{name}: {} -> {}{cause}",
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
