//! The sync job record, its lifecycle states and the changes a worker reports back.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::StoreError;
use crate::model::{Millis, Status};

/// Where a job is in its life.
///
/// `pending` → `running` (claimed with a lease) → `succeeded` | `pending` (retry or deferral) |
/// `dead`. A dead job can be requeued (→ `pending`) or `discarded` by hand. A pending job is
/// `superseded` when a newer intent for the same (task, target) is enqueued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting until `run_at`.
    Pending,
    /// Claimed by a worker until `lease_until`.
    Running,
    /// The provider applied it.
    Succeeded,
    /// Out of attempts or refused for good: in the dead-letter queue.
    Dead,
    /// Replaced by a newer intent before it ran.
    Superseded,
    /// Taken out of the dead-letter queue by hand.
    Discarded,
}

impl JobState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Superseded => "superseded",
            JobState::Discarded => "discarded",
        }
    }

    /// Every state, in lifecycle order.
    pub const ALL: [JobState; 6] = [
        JobState::Pending,
        JobState::Running,
        JobState::Succeeded,
        JobState::Dead,
        JobState::Superseded,
        JobState::Discarded,
    ];

    /// Parses a snake_case name.
    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|state| state.as_str() == s)
    }

    /// Whether the job will not change again by itself.
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobState::Pending | JobState::Running)
    }
}

impl std::str::FromStr for JobState {
    type Err = crate::Error;

    /// Parses a snake_case name; an unknown one is `InvalidInput` naming the known ones.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobState::parse(s).ok_or_else(|| {
            let known: Vec<&str> = JobState::ALL.iter().map(|s| s.as_str()).collect();
            crate::Error::invalid_input(format!(
                "unknown job state `{}`; expected one of: {}",
                crate::error::clip(s),
                known.join(", ")
            ))
        })
    }
}

/// A task's sync status towards one target, for UI indicators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// A change waits to be sent (or to be retried).
    Pending,
    /// A worker is sending it now.
    Syncing,
    /// The provider has the latest change.
    Synced,
    /// The latest change is in the dead-letter queue.
    Failed,
    /// The latest change was taken out of the dead-letter queue by hand: it never reached the
    /// provider, and nothing will send it.
    Discarded,
}

impl SyncStatus {
    /// The status a task shows for the latest job of a (task, target).
    pub fn of(state: JobState) -> SyncStatus {
        match state {
            JobState::Pending => SyncStatus::Pending,
            JobState::Running => SyncStatus::Syncing,
            JobState::Succeeded | JobState::Superseded => SyncStatus::Synced,
            JobState::Dead => SyncStatus::Failed,
            JobState::Discarded => SyncStatus::Discarded,
        }
    }

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Pending => "pending",
            SyncStatus::Syncing => "syncing",
            SyncStatus::Synced => "synced",
            SyncStatus::Failed => "failed",
            SyncStatus::Discarded => "discarded",
        }
    }
}

/// One outbound status change for one target (the outbox record).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Unique id; also the idempotency key sent to the provider (stable across attempts,
    /// unique per intent).
    pub id: String,
    /// Hub id of the task.
    pub task_id: String,
    /// The provider (target) name, as registered with the worker.
    pub target: String,
    /// The task's external id in the target.
    pub external_id: String,
    /// The task's kind.
    pub kind: String,
    /// The hub status before the change (what a reverting dead job restores).
    pub from: Status,
    /// The hub status to reach.
    pub to: Status,
    /// The provider payload from the status mapping.
    pub payload: Value,
    /// The provider payload that undoes the change (travels with the job).
    pub undo: Value,
    /// Where it is.
    pub state: JobState,
    /// Attempts started so far (a claim starts one; a deferral gives it back).
    pub attempts: u32,
    /// The job's own attempt budget (from its target); `None`: the worker's backoff budget.
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// The row's version: 1 when enqueued, one more on every write (claim, result, requeue).
    /// A store writes a job only while the stored one still has the version the writer read.
    #[serde(default)]
    pub version: u64,
    /// The fencing counter: one more on every claim. A result or heartbeat counts only while
    /// the stored job is running under the same owner *and* the same lease number, so a
    /// worker whose lease expired can never overwrite the job another worker took since.
    #[serde(default)]
    pub lease: u64,
    /// The task's version after the change this job carries: orders the intents of one
    /// (task, target), the newest being the one with the highest.
    #[serde(default)]
    pub task_version: u64,
    /// When it is due.
    pub run_at: Millis,
    /// The worker holding it (while running).
    pub lease_owner: Option<String>,
    /// Until when the lease holds; an expired lease is recovered by the next claim.
    pub lease_until: Option<Millis>,
    /// The last failure, already free of secrets.
    pub last_error: Option<String>,
    /// The provider's state after success (`PushReceipt::remote`).
    pub result: Option<Value>,
    /// Who asked for the change.
    pub actor: Option<String>,
    /// When it was enqueued.
    pub created_at: Millis,
    /// When it last changed.
    pub updated_at: Millis,
}

impl Job {
    /// The job as a claim writes it: `running` under `owner`'s lease until `now + lease_ms`,
    /// one more attempt, the next lease number and the next version. Every store's `claim`
    /// writes exactly this (host stores call it through their binding).
    pub fn claimed(&self, owner: &str, now: Millis, lease_ms: u64) -> Job {
        let mut job = self.clone();
        job.claim(owner, now, lease_ms);
        job
    }

    /// [`Job::claimed`] in place (for a store that holds the job it claims).
    pub fn claim(&mut self, owner: &str, now: Millis, lease_ms: u64) {
        self.state = JobState::Running;
        self.attempts = self.attempts.saturating_add(1);
        self.lease = self.lease.saturating_add(1);
        self.lease_owner = Some(owner.to_owned());
        self.lease_until = Some(crate::clock::later(now, lease_ms));
        self.updated_at = now;
        self.version = self.version.saturating_add(1);
    }

    /// Applies a worker's result (the caller checked the lease). `newer_pending` says whether
    /// the job's (task, target) has a newer job waiting (enqueued while this one ran): a job
    /// that would go back to `pending` is then `superseded` instead, so the older intent can
    /// never reach the provider after the newer one.
    pub fn finish(&mut self, result: &Finish, now: Millis, newer_pending: bool) {
        self.lease_owner = None;
        self.lease_until = None;
        self.updated_at = now;
        let again = if newer_pending {
            JobState::Superseded
        } else {
            JobState::Pending
        };
        match result {
            Finish::Succeeded { remote, .. } => {
                self.state = JobState::Succeeded;
                self.result = Some(remote.clone());
            }
            Finish::Retry { run_at, error, .. } => {
                self.state = again;
                self.run_at = *run_at;
                self.last_error = Some(error.clone());
            }
            Finish::Defer { run_at, .. } => {
                self.state = again;
                self.run_at = *run_at;
                self.attempts = self.attempts.saturating_sub(1);
            }
            Finish::Dead { error, .. } => {
                self.state = JobState::Dead;
                self.last_error = Some(error.clone());
            }
        }
    }

    /// The attempt budget that applies: the job's own, else `default` (the worker's backoff
    /// budget).
    pub fn budget(&self, default: u32) -> u32 {
        self.max_attempts.unwrap_or(default)
    }

    /// Whether `owner` holds the job's lease (any lease number).
    pub fn held_by(&self, owner: &str) -> bool {
        self.state == JobState::Running && self.lease_owner.as_deref() == Some(owner)
    }

    /// Whether `owner` still holds the lease numbered `lease` (the fencing check).
    pub fn held_under(&self, owner: &str, lease: u64) -> bool {
        self.held_by(owner) && self.lease == lease
    }

    /// This job's pair: (task, target).
    pub fn pair(&self) -> (&str, &str) {
        (&self.task_id, &self.target)
    }

    /// Settles a dead job by hand: discard it, or requeue it due at `now` with a fresh budget
    /// (`superseded` instead when its pair has a newer job: a requeue never overtakes a newer
    /// intent). Refuses a job that is not dead.
    pub fn settle_dead(
        &mut self,
        now: Millis,
        discard: bool,
        newer_exists: bool,
    ) -> Result<(), JobError> {
        if self.state != JobState::Dead {
            return Err(JobError::NotDead {
                id: self.id.clone(),
                state: self.state.as_str().to_owned(),
            });
        }
        self.updated_at = now;
        self.state = match (discard, newer_exists) {
            (true, _) => JobState::Discarded,
            (false, true) => JobState::Superseded,
            (false, false) => {
                self.attempts = 0;
                self.run_at = now;
                JobState::Pending
            }
        };
        Ok(())
    }

    /// The job id (= idempotency key) of an intent: the task's version after the change
    /// identifies the intent, the target separates fan-out.
    pub fn key(task_id: &str, target: &str, task_version: u64) -> String {
        let seed = format!("{task_id}\u{1f}{target}\u{1f}{task_version}");
        format!("job-{:032x}", xxhash_rust::xxh3::xxh3_128(seed.as_bytes()))
    }
}

/// One write to the job table, travelling in a [`ChangeSet`](crate::ChangeSet) with the task
/// writes it belongs to. The job is stored exactly as given (the core has set its `version`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum JobWrite {
    /// Enqueue a new job (its `version` is 1). Refused if its id exists.
    Insert {
        /// The job.
        job: Job,
    },
    /// Replace a job whose stored version is `expected_version` (the new one has
    /// `expected_version + 1`). Refused if the job is missing or at another version.
    Update {
        /// The job after the change.
        job: Job,
        /// The version it must have now.
        expected_version: u64,
    },
}

impl JobWrite {
    /// The job this write stores.
    pub fn job(&self) -> &Job {
        match self {
            JobWrite::Insert { job } | JobWrite::Update { job, .. } => job,
        }
    }

    /// The update that replaces `current` with `next` (setting `next`'s version).
    pub fn update(current: &Job, mut next: Job) -> JobWrite {
        next.version = current.version.saturating_add(1);
        JobWrite::Update {
            job: next,
            expected_version: current.version,
        }
    }
}

/// What a worker reports for a job it holds. Each is applied only if the job is still
/// `running` under the same lease owner (a lost lease makes it a no-op).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Finish {
    /// The provider applied the change.
    Succeeded {
        /// The job.
        id: String,
        /// The provider's state afterwards.
        remote: Value,
    },
    /// A retryable failure: run again at `run_at` (the attempt counted).
    Retry {
        /// The job.
        id: String,
        /// When.
        run_at: Millis,
        /// Why.
        error: String,
    },
    /// Deferred by the breaker or the rate limiter before any call: the attempt is given back.
    Defer {
        /// The job.
        id: String,
        /// When.
        run_at: Millis,
    },
    /// To the dead-letter queue. With `revert`, the task's status goes back to the job's
    /// `from`, but only while it still is the job's `to` (a newer change wins).
    Dead {
        /// The job.
        id: String,
        /// Why.
        error: String,
        /// Whether to revert the optimistic hub status.
        revert: bool,
    },
}

impl Finish {
    /// The job this is about.
    pub fn id(&self) -> &str {
        match self {
            Finish::Succeeded { id, .. }
            | Finish::Retry { id, .. }
            | Finish::Defer { id, .. }
            | Finish::Dead { id, .. } => id,
        }
    }
}

/// Which jobs to list. Results come ordered by (`created_at`, `id`); page with `after`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this target.
    pub target: Option<String>,
    /// Only jobs of this task.
    pub task_id: Option<String>,
    /// Only jobs after this id in the order (the previous page's last id).
    pub after: Option<String>,
    /// At most this many (0 means 100).
    pub limit: usize,
}

impl JobQuery {
    /// The effective page size.
    pub fn page_size(&self) -> usize {
        if self.limit == 0 { 100 } else { self.limit }
    }

    /// Whether `job` passes the filters (not the cursor).
    pub fn matches(&self, job: &Job) -> bool {
        self.state.is_none_or(|s| job.state == s)
            && self.target.as_deref().is_none_or(|t| job.target == t)
            && self.task_id.as_deref().is_none_or(|t| job.task_id == t)
    }
}

/// Why a dead-letter action was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// No job has this id.
    #[error("no job `{0}`")]
    NotFound(String),
    /// The job is not in the dead-letter queue.
    #[error("job `{id}` is {state}, not dead")]
    NotDead {
        /// The job.
        id: String,
        /// Its state.
        state: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<JobError> for crate::Error {
    fn from(err: JobError) -> Self {
        match err {
            JobError::NotFound(id) => crate::Error::NotFound(format!("job `{id}`")),
            JobError::NotDead { id, state } => crate::Error::InvalidState {
                entity: format!("job `{}`", crate::error::clip(&id)),
                from: state,
                operation: "retry or discard".into(),
            },
            JobError::Store(err) => err.into(),
        }
    }
}
