//! The worker: claims due jobs with a lease, calls their providers through the breaker and the
//! rate limiter, classifies the outcomes and reports them back in one batch.
//!
//! Invariants:
//! - The worker owns no runtime and no timer: [`Worker::run_once`] processes one batch and
//!   returns; the host loops and sleeps until [`Worker::next_wake`].
//! - A job deferred by an open breaker or an exhausted/paused limiter makes no call and burns
//!   no attempt ([`Finish::Defer`]).
//! - A job's attempt budget is its own (set by its target) or else the backoff's
//!   `max_attempts`: by default the first call and 5 retries after 1, 2, 4, 8 and 16 s.
//! - A 429 pauses the whole provider for its `Retry-After` (at most a day); other retryable
//!   failures feed the provider's breaker, which counts each job once, so a single job's
//!   retries never open it; refusals (4xx) do not count (the provider is healthy, the request
//!   is not). Breakers and limiters live in a [`GateStore`] ([`Worker::with_gates`]): every
//!   worker on one store shares them (the rules are in `gate.rs`).
//! - While provider calls are out, [`Worker::run_once_beating`] extends the batch's leases
//!   every `heartbeat_ms`, so a long call keeps its job and a dead worker's jobs return after
//!   one lease.
//! - A token expiry calls the provider's `refresh_token` (the host callback) and retries at
//!   once; a failing refresh sends the job to the dead letters.
//! - Results are applied only while the worker still holds the lease; a lost lease (another
//!   worker recovered the job) drops the result, so a job is never finished twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::backoff::{Backoff, Outcome, classify};
use super::breaker::BreakerConfig;
use super::gate::{Effect, Gates};
use super::limiter::RateLimiterConfig;
use super::metrics::{Metrics, outcome};
use crate::clock::Clock;
use crate::error::Result;
use crate::event::{Event, EventSink};
use crate::model::Millis;
use crate::provider::{ProviderClient, PushReceipt, StatusPush};
use crate::store::{Finish, Job};
use crate::store::{GateStore, LocalGates, QueueStore};

/// What happens to the hub status of a task whose job died.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadPolicy {
    /// Keep the optimistic status; the task shows sync status `failed`.
    #[default]
    KeepFlagged,
    /// Put the task's status back to what it was before the change (unless it changed since).
    RevertStatus,
}

/// How a worker runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// The lease owner name (unique per worker process).
    pub id: String,
    /// How long a claim holds a job; a crashed worker's jobs return after it (at most
    /// [`MAX_DELAY_MS`](super::MAX_DELAY_MS)).
    pub lease_ms: u64,
    /// Jobs claimed per batch.
    pub batch: usize,
    /// Provider calls in flight at once within a batch.
    pub concurrency: usize,
    /// The retry schedule (its `max_attempts` is the budget of every job whose target sets
    /// none; a target's own budget wins).
    pub backoff: Backoff,
    /// The per-provider breaker (opens after 5 distinct jobs fail in a row, for 30 s).
    pub breaker: BreakerConfig,
    /// The per-provider rate limit (`None`: unlimited until a 429 pauses the provider).
    pub limiter: Option<RateLimiterConfig>,
    /// What a dead job does to its task's status.
    pub dead_policy: DeadPolicy,
    /// How often the leases of a batch are extended while its provider calls are out (0:
    /// a third of `lease_ms`).
    pub heartbeat_ms: u64,
    /// The longest idle wait of [`Worker::run`] when no wake hint arrives: how late a job
    /// enqueued by another instance without a hint is picked up at worst.
    pub poll_ms: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            id: "worker".into(),
            lease_ms: 30_000,
            batch: 64,
            concurrency: 16,
            backoff: Backoff::default(),
            breaker: BreakerConfig::default(),
            limiter: None,
            dead_policy: DeadPolicy::default(),
            heartbeat_ms: 0,
            poll_ms: 1_000,
        }
    }
}

impl WorkerConfig {
    /// Checks the configuration.
    pub fn validate(&self) -> Result<()> {
        crate::limits::check_id("worker id", &self.id)?;
        self.backoff.validate()?;
        self.breaker.validate()?;
        if let Some(limiter) = &self.limiter {
            limiter.validate()?;
        }
        super::backoff::check_delay("lease_ms", self.lease_ms)?;
        super::backoff::check_delay("heartbeat_ms", self.heartbeat_ms)?;
        super::backoff::check_delay("poll_ms", self.poll_ms)?;
        if self.id.is_empty() || self.lease_ms == 0 || self.batch == 0 || self.concurrency == 0 {
            return Err(crate::Error::invalid_input(
                "worker id must be non-empty and lease_ms, batch and concurrency positive",
            ));
        }
        if self.poll_ms == 0 {
            return Err(crate::Error::invalid_input("`poll_ms` must be at least 1"));
        }
        if self.heartbeat_ms >= self.lease_ms {
            return Err(crate::Error::invalid_input(format!(
                "`heartbeat_ms` ({}) must be shorter than `lease_ms` ({}), or 0 for a third of it",
                self.heartbeat_ms, self.lease_ms
            )));
        }
        Ok(())
    }

    /// The heartbeat interval in effect.
    pub fn heartbeat_interval(&self) -> u64 {
        if self.heartbeat_ms == 0 {
            (self.lease_ms / 3).max(1)
        } else {
            self.heartbeat_ms
        }
    }
}

/// What one [`Worker::run_once`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickReport {
    /// Jobs claimed.
    pub claimed: usize,
    /// Jobs the provider applied.
    pub succeeded: usize,
    /// Jobs rescheduled after a retryable failure (token refreshes included).
    pub retried: usize,
    /// Jobs deferred by a breaker or limiter (no attempt burned).
    pub deferred: usize,
    /// Jobs moved to the dead letters.
    pub dead: usize,
    /// Results dropped because the lease was lost meanwhile.
    pub lease_lost: usize,
}

/// The metrics outcome a result counts as.
fn tally(finish: &Finish) -> &'static str {
    match finish {
        Finish::Succeeded { .. } => outcome::SUCCEEDED,
        Finish::Retry { .. } => outcome::RETRIED,
        Finish::Defer { .. } => outcome::DEFERRED,
        Finish::Dead { .. } => outcome::DEAD,
    }
}

/// A queue worker (see the module doc).
pub struct Worker {
    pub(super) jobs: Arc<dyn QueueStore>,
    providers: HashMap<String, Arc<dyn ProviderClient>>,
    pub(super) clock: Arc<dyn Clock>,
    events: Arc<dyn EventSink>,
    metrics: Arc<Metrics>,
    pub(super) config: WorkerConfig,
    gates: Gates,
    /// The call results of the batch in flight, for the gates: (target, effect, when).
    effects: Mutex<Vec<(String, Effect, Millis)>>,
    /// The jobs of the batch in flight, as last written (claim or heartbeat).
    pub(super) in_flight: Mutex<HashMap<String, Job>>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut providers: Vec<&String> = self.providers.keys().collect();
        providers.sort();
        f.debug_struct("Worker")
            .field("config", &self.config)
            .field("providers", &providers)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// A worker on a queue store; register providers with [`Worker::with_provider`].
    pub fn new(
        jobs: Arc<dyn QueueStore>,
        clock: Arc<dyn Clock>,
        events: Arc<dyn EventSink>,
        config: WorkerConfig,
    ) -> Result<Self> {
        config.validate()?;
        let gates = Gates::new(
            Arc::new(LocalGates::new()),
            config.breaker.clone(),
            config.limiter.clone(),
        );
        Ok(Worker {
            jobs,
            providers: HashMap::new(),
            clock,
            events,
            metrics: Arc::new(Metrics::new()),
            config,
            gates,
            effects: Mutex::new(Vec::new()),
            in_flight: Mutex::new(HashMap::new()),
        })
    }

    /// Keeps the providers' breakers and rate limiters in `gates` (usually the queue's own
    /// store), shared with every worker on it; by default they are this worker's alone.
    pub fn with_gates(mut self, gates: Arc<dyn GateStore>) -> Self {
        self.gates = Gates::new(
            gates,
            self.config.breaker.clone(),
            self.config.limiter.clone(),
        );
        self
    }

    /// Registers the provider for the target of its `name()`.
    pub fn with_provider(mut self, provider: Arc<dyn ProviderClient>) -> Self {
        self.providers.insert(provider.name(), provider);
        self
    }

    /// Shares a metrics registry (several workers of one process).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The worker's metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// When there may be work next (the earliest due job or lease expiry); `None`: idle.
    pub async fn next_wake(&self) -> Result<Option<Millis>> {
        Ok(self.jobs.next_due().await?)
    }

    /// Claims one batch, runs it and reports the results. A store failure fails the tick
    /// (jobs already claimed return when their lease expires). No heartbeats: a provider call
    /// longer than the lease may lose its job (see [`Worker::run_once_beating`]).
    pub async fn run_once(&self) -> Result<TickReport> {
        self.run_batch(None).await
    }

    /// One batch; with `sleep`, the batch's leases are extended while its calls are out.
    pub(super) async fn run_batch(&self, sleep: Option<&super::run::Sleep>) -> Result<TickReport> {
        let now = self.clock.try_now_ms()?;
        let claimed = self
            .jobs
            .claim(
                self.config.id.clone(),
                now,
                self.config.lease_ms,
                self.config.batch,
            )
            .await?;
        let mut report = TickReport {
            claimed: claimed.len(),
            ..TickReport::default()
        };
        if claimed.is_empty() {
            return Ok(report);
        }
        let span =
            tracing::debug_span!("worker_tick", worker = %self.config.id, claimed = claimed.len());
        let _guard = span.enter();
        let admitted = self.admit(&claimed, now).await?;
        self.track(&claimed);
        let calls = futures::stream::iter(claimed.into_iter().zip(admitted))
            .map(|(job, admitted)| async move {
                let finish = match admitted {
                    Ok(()) => self.attempt(&job).await,
                    Err(until) => Finish::Defer {
                        id: job.id.clone(),
                        run_at: until,
                    },
                };
                (job, finish)
            })
            .buffer_unordered(self.config.concurrency)
            .collect::<Vec<(Job, Finish)>>();
        let finished = match sleep {
            None => calls.await,
            Some(sleep) => self.beating(calls, sleep).await,
        };
        let finished = self.untrack(finished);
        let now = self.clock.now_ms();
        self.settle_gates().await;
        let outcomes: Vec<(&'static str, String, String)> = finished
            .iter()
            .map(|(j, f)| (tally(f), j.id.clone(), j.target.clone()))
            .collect();
        let after =
            super::lifecycle::finish_all(&*self.jobs, &self.config.id, now, finished).await?;
        for ((name, id, target), job) in outcomes.into_iter().zip(after.jobs) {
            self.account(&mut report, name, (&id, &target), job, now);
        }
        // A dead job's revert changed its task's status: the UI shows the status it went back to.
        for change in after.reverted {
            tracing::info!(task = %change.task_id, from = ?change.from, to = ?change.to,
                "status reverted after a dead job");
            self.events.emit(Event::StatusChanged {
                change,
                actor: Some(self.config.id.clone()),
                at: now,
            });
        }
        Ok(report)
    }

    /// Counts, logs and publishes one job's result (`None`: the lease was lost).
    fn account(
        &self,
        report: &mut TickReport,
        name: &'static str,
        (id, target): (&str, &str),
        job: Option<Job>,
        now: Millis,
    ) {
        let Some(job) = job else {
            report.lease_lost += 1;
            self.metrics.count(target, outcome::LEASE_LOST);
            tracing::warn!(job = %id, "lease lost before the result was saved; result dropped");
            return;
        };
        match name {
            outcome::SUCCEEDED => report.succeeded += 1,
            outcome::RETRIED => report.retried += 1,
            outcome::DEFERRED => report.deferred += 1,
            _ => {
                report.dead += 1;
                tracing::warn!(job = %job.id, target = %job.target,
                    error = job.last_error.as_deref().unwrap_or_default(), "job dead");
            }
        }
        self.metrics.count(&job.target, name);
        self.events.emit(Event::job_changed(&job, now));
    }

    /// One attempt of a claimed job: gates, call, classification.
    async fn attempt(&self, job: &Job) -> Finish {
        let Some(provider) = self.providers.get(&job.target) else {
            return Finish::Dead {
                id: job.id.clone(),
                error: format!("no provider is registered for target `{}`", job.target),
                revert: self.config.dead_policy == DeadPolicy::RevertStatus,
            };
        };
        let started = self.clock.now_ms();
        if let Some(until) = self.gates.blocked(&job.target, started) {
            return Finish::Defer {
                id: job.id.clone(),
                run_at: until,
            };
        }
        let push = StatusPush {
            job_id: job.id.clone(),
            idempotency_key: job.id.clone(),
            task_id: job.task_id.clone(),
            external_id: job.external_id.clone(),
            kind: job.kind.clone(),
            status: job.to,
            payload: job.payload.clone(),
            attempt: job.attempts,
        };
        let result = provider.push(push).await;
        let ended = self.clock.now_ms();
        self.metrics.observe(
            &job.target,
            (ended - started).max(0) as u64,
            (started - job.created_at).max(0) as u64,
        );
        let effect = Effect::of(&result, &job.id);
        if let Effect::RateLimited { retry_after_ms } = effect {
            tracing::warn!(target = %job.target, retry_after_ms, "provider rate limited: pausing it");
        }
        self.gates.note(&job.target, &effect, ended);
        self.effects
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((job.target.clone(), effect, ended));
        let mut backoff = self.config.backoff.clone();
        backoff.max_attempts = job.budget(self.config.backoff.max_attempts);
        let seed = xxhash_rust::xxh3::xxh3_64(job.id.as_bytes()) ^ u64::from(job.attempts);
        let error = result.as_ref().err();
        match classify(
            error.map_or(Ok(()), Err),
            job.attempts,
            ended,
            &backoff,
            seed,
        ) {
            Outcome::Succeeded => Finish::Succeeded {
                id: job.id.clone(),
                remote: result.map(|r: PushReceipt| r.remote).unwrap_or_default(),
            },
            Outcome::RetryAt { at } => Finish::Retry {
                id: job.id.clone(),
                run_at: at,
                error: error.map(ToString::to_string).unwrap_or_default(),
            },
            Outcome::RefreshToken => self.refresh(provider.as_ref(), job, ended).await,
            Outcome::Dead { reason } => Finish::Dead {
                id: job.id.clone(),
                error: reason,
                revert: self.config.dead_policy == DeadPolicy::RevertStatus,
            },
        }
    }

    async fn refresh(&self, provider: &dyn ProviderClient, job: &Job, now: Millis) -> Finish {
        match provider.refresh_token().await {
            Ok(()) => {
                self.metrics.count(&job.target, outcome::TOKEN_REFRESHED);
                tracing::info!(job = %job.id, target = %job.target, "token refreshed; retrying");
                Finish::Retry {
                    id: job.id.clone(),
                    run_at: now,
                    error: format!(
                        "provider `{}`: access token expired (refreshed)",
                        job.target
                    ),
                }
            }
            Err(err) => Finish::Dead {
                id: job.id.clone(),
                error: format!("token refresh failed: {err}"),
                revert: self.config.dead_policy == DeadPolicy::RevertStatus,
            },
        }
    }

    /// Admits the batch's jobs, one gate round per provider, in claim order.
    async fn admit(
        &self,
        claimed: &[Job],
        now: Millis,
    ) -> Result<Vec<std::result::Result<(), Millis>>> {
        let mut per_target: Vec<(&str, usize)> = Vec::new();
        for job in claimed {
            match per_target.iter_mut().find(|(t, _)| *t == job.target) {
                Some((_, n)) => *n += 1,
                None => per_target.push((&job.target, 1)),
            }
        }
        let mut answers: HashMap<&str, std::vec::IntoIter<std::result::Result<(), Millis>>> =
            HashMap::new();
        for (target, n) in per_target {
            if !self.providers.contains_key(target) {
                continue;
            }
            let admitted = self.gates.admit(target, n, now).await?;
            answers.insert(target, admitted.into_iter());
        }
        Ok(claimed
            .iter()
            .map(|job| {
                answers
                    .get_mut(job.target.as_str())
                    .and_then(Iterator::next)
                    .unwrap_or(Ok(()))
            })
            .collect())
    }

    /// Writes the batch's call results into the shared gates (a failure to write them is
    /// logged: the breaker forgets, the results still count).
    async fn settle_gates(&self) {
        let effects = std::mem::take(&mut *self.effects.lock().unwrap_or_else(|p| p.into_inner()));
        let mut per_target: Vec<(String, Vec<(Effect, Millis)>)> = Vec::new();
        for (target, effect, at) in effects {
            match per_target.iter_mut().find(|(t, _)| *t == target) {
                Some((_, list)) => list.push((effect, at)),
                None => per_target.push((target, vec![(effect, at)])),
            }
        }
        for (target, effects) in per_target {
            if let Err(err) = self.gates.settle(&target, &effects).await {
                tracing::warn!(target = %target, error = %err, "provider gate not saved");
            }
        }
    }
}
