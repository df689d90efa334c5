//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sync_core::{ConflictStrategy, Policy, Status};

use crate::store::{ConnectOptions, Location};

#[derive(Debug, Parser)]
#[command(name = "tasksync", version, about = "Preview and execute task syncs")]
pub(crate) struct Cli {
    /// The hub: an SQLite database file (created if missing), or a PostgreSQL database
    /// shared by every instance, as `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
    /// (`postgresql://` too; its tables are created if missing). A password is never shown.
    #[arg(
        long,
        global = true,
        default_value = "tasksync.db",
        env = "TASKSYNC_DB",
        hide_env_values = true,
        value_name = "PATH|URL",
        value_parser = Location::parse
    )]
    pub(crate) db: Location,
    /// PostgreSQL only: the most connections this process opens to the database.
    #[arg(long, global = true, default_value_t = 16, env = "TASKSYNC_DB_POOL",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) db_pool: u16,
    /// PostgreSQL only: how long one connection attempt may take, in ms.
    #[arg(long, global = true, default_value_t = 5_000, env = "TASKSYNC_DB_CONNECT_TIMEOUT_MS",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) db_connect_timeout_ms: u64,
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// How to connect to a PostgreSQL hub.
    pub(crate) fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            pool_size: usize::from(self.db_pool),
            connect_timeout_ms: self.db_connect_timeout_ms,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show what a sync from a folder or a provider would do; writes nothing.
    Preview {
        #[command(flatten)]
        source: SyncSourceArgs,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Save the plan as JSON, to execute exactly it later.
        #[arg(long)]
        save: Option<PathBuf>,
        /// Print the plan as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Apply a saved plan, or a fresh one from a folder or a provider, atomically.
    Execute {
        /// A plan saved by `preview --save` (or `pull --save-held`).
        #[arg(long, conflicts_with_all = ["from", "scope", "from_provider"])]
        plan: Option<PathBuf>,
        #[command(flatten)]
        source: OptionalSourceArgs,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Confirm the execution (required).
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Report how the store and a folder differ, regardless of policy.
    Verify {
        #[command(flatten)]
        source: SourceArgs,
    },
    /// List the tasks of a scope.
    Tasks {
        /// The hub scope.
        #[arg(long)]
        scope: String,
    },
    /// Change a task's status in the hub and queue its sync jobs (one atomic write).
    Status(crate::queue::StatusArgs),
    /// Run a worker that delivers queued status changes to providers.
    Worker(crate::worker::WorkerArgs),
    /// Pull a provider's tasks into a hub scope, once or on a schedule; a plan that deletes
    /// too much or has conflicts is held for a person.
    Pull(crate::pull::PullArgs),
    /// Print a folder's listing (the tasks a sync from it would read); writes nothing.
    Folder {
        /// The folder of Markdown task files.
        #[arg(long)]
        from: PathBuf,
        /// The source name the tasks carry.
        #[arg(long, default_value = "files")]
        source: String,
        /// Print the listing as JSON (problems go to stderr).
        #[arg(long)]
        json: bool,
    },
    /// List jobs and dead letters; retry or discard a dead job.
    Jobs {
        #[command(subcommand)]
        command: crate::queue::JobsCommand,
    },
    /// Sync history (runs, their items) and the audit log.
    History {
        #[command(subcommand)]
        command: crate::history::HistoryCommand,
    },
    /// Timed sessions over an ordered list of cycles (system clock).
    Session {
        #[command(subcommand)]
        command: SessionCommand,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum SessionCommand {
    /// Create a session.
    Create {
        /// The session id.
        #[arg(long)]
        id: String,
        /// The cycle ids, in switching order, comma-separated (`a,b,c`).
        #[arg(long, value_delimiter = ',', required = true)]
        cycles: Vec<String>,
    },
    /// Start a created session in its first cycle.
    Start(SessionId),
    /// Switch a running session to the next cycle (wrapping), or to `--to`.
    Switch {
        #[command(flatten)]
        session: SessionId,
        /// The cycle id to switch to.
        #[arg(long)]
        to: Option<String>,
    },
    /// Pause a running session.
    Pause(SessionId),
    /// Resume a paused session.
    Resume(SessionId),
    /// Complete a running or paused session.
    Complete(SessionId),
    /// Show a session's times now.
    Show(SessionId),
    /// Delete a session.
    Delete(SessionId),
}

#[derive(Debug, Args)]
pub(crate) struct SessionId {
    /// The session id.
    #[arg(long)]
    pub(crate) id: String,
}

#[derive(Debug, Args)]
pub(crate) struct SourceArgs {
    /// The folder of Markdown task files.
    #[arg(long)]
    pub(crate) from: PathBuf,
    /// The hub scope to sync into.
    #[arg(long)]
    pub(crate) scope: String,
    /// The source name the tasks carry.
    #[arg(long, default_value = "files")]
    pub(crate) source: String,
}

/// A folder (`--from`) or a provider (`--from-provider`), synced into `--scope`.
#[derive(Debug, Args)]
pub(crate) struct SyncSourceArgs {
    /// The folder of Markdown task files.
    #[arg(
        long,
        required_unless_present = "from_provider",
        conflicts_with = "from_provider"
    )]
    pub(crate) from: Option<PathBuf>,
    /// A provider to list instead of a folder (defined with --provider or --providers-file).
    #[arg(long, value_name = "NAME")]
    pub(crate) from_provider: Option<String>,
    /// The hub scope to sync into.
    #[arg(long)]
    pub(crate) scope: String,
    /// The scope the provider lists (default: --scope).
    #[arg(long, requires = "from_provider")]
    pub(crate) provider_scope: Option<String>,
    /// The source name the folder's tasks carry.
    #[arg(long, default_value = "files")]
    pub(crate) source: String,
    #[command(flatten)]
    pub(crate) providers: crate::providers::ProviderArgs,
}

#[derive(Debug, Args)]
pub(crate) struct OptionalSourceArgs {
    /// The folder of Markdown task files.
    #[arg(long, requires = "scope", conflicts_with = "from_provider")]
    pub(crate) from: Option<PathBuf>,
    /// A provider to list instead of a folder (defined with --provider or --providers-file).
    #[arg(long, value_name = "NAME", requires = "scope")]
    pub(crate) from_provider: Option<String>,
    /// The hub scope to sync into.
    #[arg(long)]
    pub(crate) scope: Option<String>,
    /// The scope the provider lists (default: --scope).
    #[arg(long, requires = "from_provider")]
    pub(crate) provider_scope: Option<String>,
    /// The source name the folder's tasks carry.
    #[arg(long, default_value = "files")]
    pub(crate) source: String,
    #[command(flatten)]
    pub(crate) providers: crate::providers::ProviderArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Strategy {
    SourceWins,
    HubWins,
    NewestWins,
    Manual,
}

#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// Let the sync write tasks of every status (default: draft only).
    #[arg(long)]
    pub(crate) all_statuses: bool,
    /// A status the sync must never modify or delete (repeatable).
    #[arg(long = "protect", value_parser = parse_status)]
    pub(crate) protected: Vec<Status>,
    /// Delete and recreate every writable listed task.
    #[arg(long)]
    pub(crate) overwrite: bool,
    /// How conflicting fields are settled.
    #[arg(long, value_enum, default_value = "source-wins")]
    pub(crate) strategy: Strategy,
    /// Allow a mass deletion.
    #[arg(long)]
    pub(crate) force_deletes: bool,
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse().map_err(|e: sync_core::Error| e.to_string())
}

impl PolicyArgs {
    pub(crate) fn policy(&self) -> Policy {
        let base = if self.all_statuses {
            Policy::all_writable()
        } else {
            Policy::default()
        };
        Policy {
            protected: self.protected.clone(),
            overwrite: self.overwrite,
            strategy: match self.strategy {
                Strategy::SourceWins => ConflictStrategy::SourceWins,
                Strategy::HubWins => ConflictStrategy::HubWins,
                Strategy::NewestWins => ConflictStrategy::NewestWins,
                Strategy::Manual => ConflictStrategy::Manual,
            },
            force_deletes: self.force_deletes,
            ..base
        }
    }
}
