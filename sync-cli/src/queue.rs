//! The outbound queue from the command line: change a task's status (outbox), list jobs and
//! dead letters, retry or discard one. The worker is in [`crate::worker`].

use std::sync::Arc;

use clap::{Args, Subcommand};
use sync_core::history::HistoryRecorder;
use sync_core::retry::{DeadLetters, JobQuery, JobState, StatusService, Target, WorkerConfig};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{NullSink, Status, SystemClock, Task};

use crate::commands::CliError;
use crate::render;
use crate::store::Hub;

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
    hub: &Hub,
    history: Option<HistoryRecorder>,
    args: StatusArgs,
) -> Result<(), CliError> {
    let mut service = StatusService::new(hub.queue(), Arc::new(SystemClock), Arc::new(NullSink));
    if let Some(history) = history {
        service = service.with_history(history);
    }
    for target in args.targets.parse()? {
        service = service.with_target(target);
    }
    let task = TaskRef::parse(args.source.as_deref(), &args.task)?;
    let id = task.hub_id();
    let reader = hub.tasks();
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

pub(crate) async fn jobs(
    hub: &Hub,
    history: Option<HistoryRecorder>,
    command: JobsCommand,
) -> Result<(), CliError> {
    let store = hub.queue();
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
