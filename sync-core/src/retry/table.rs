//! An in-memory job table with the indexes a claim needs: the [`MemoryStore`]'s queue. It
//! stores and indexes; the queue's rules are the core's ([`super::lifecycle`]).
//!
//! Invariants: `due` holds exactly the pending jobs keyed by (`run_at`, sequence), `leases`
//! exactly the running ones keyed by (`lease_until`, id), `pending`/`running` the pending job
//! and the running count of each (task, target), and `by_task` every job of a task in listing
//! order, so a claim costs O(claimed · log n) and a task's jobs are found without a scan.
//!
//! [`MemoryStore`]: crate::MemoryStore

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use crate::model::Millis;
use crate::store::StoreError;
use crate::store::{Job, JobQuery, JobState, JobWrite};

type Pair = (String, String);

fn pair_of(job: &Job) -> Pair {
    (job.task_id.clone(), job.target.clone())
}

/// The jobs of a [`MemoryStore`](crate::MemoryStore).
#[derive(Debug, Default)]
pub(crate) struct JobTable {
    jobs: FxHashMap<String, (u64, Job)>,
    due: BTreeMap<(Millis, u64), String>,
    leases: BTreeSet<(Millis, String)>,
    pending: FxHashMap<Pair, String>,
    running: FxHashMap<Pair, usize>,
    by_task: FxHashMap<String, BTreeSet<(Millis, String)>>,
    order: BTreeSet<(Millis, String)>,
    seq: u64,
}

impl JobTable {
    /// Checks job writes against the table plus the earlier writes of the same set: inserts
    /// need a free id, updates the expected version, and no pair may end with two pending jobs.
    pub(crate) fn validate(&self, writes: &[JobWrite]) -> Result<(), StoreError> {
        // id -> (version, state, pair) after the writes so far.
        let mut overlay: FxHashMap<&str, (u64, JobState, (&str, &str))> =
            FxHashMap::with_capacity_and_hasher(writes.len(), Default::default());
        for write in writes {
            let job = write.job();
            let current = overlay
                .get(job.id.as_str())
                .map(|(v, _, _)| *v)
                .or_else(|| self.jobs.get(&job.id).map(|(_, j)| j.version));
            match (write, current) {
                (JobWrite::Insert { .. }, None) => {}
                (JobWrite::Insert { .. }, Some(_)) => {
                    return Err(StoreError::Conflict(format!(
                        "job `{}` already exists",
                        job.id
                    )));
                }
                (
                    JobWrite::Update {
                        expected_version, ..
                    },
                    Some(v),
                ) if v == *expected_version => {}
                (
                    JobWrite::Update {
                        expected_version, ..
                    },
                    found,
                ) => {
                    return Err(StoreError::Conflict(match found {
                        Some(v) => format!(
                            "job `{}` is at version {v}, expected {expected_version}",
                            job.id
                        ),
                        None => format!("job `{}` does not exist", job.id),
                    }));
                }
            }
            overlay.insert(&job.id, (job.version, job.state, job.pair()));
        }
        let mut pending: FxHashMap<(&str, &str), Vec<&str>> = FxHashMap::default();
        for (id, (_, state, pair)) in &overlay {
            if *state == JobState::Pending {
                pending.entry(*pair).or_default().push(id);
            }
        }
        for (pair, ids) in pending {
            let stored = self
                .pending
                .get(&(pair.0.to_owned(), pair.1.to_owned()))
                .filter(|id| !overlay.contains_key(id.as_str()));
            if ids.len() + usize::from(stored.is_some()) > 1 {
                return Err(StoreError::Conflict(format!(
                    "task `{}` would have two pending jobs for target `{}`",
                    pair.0, pair.1
                )));
            }
        }
        Ok(())
    }

    /// Stores a validated write.
    pub(crate) fn write(&mut self, write: JobWrite) {
        let job = match write {
            JobWrite::Insert { job } | JobWrite::Update { job, .. } => job,
        };
        let seq = match self.jobs.get(&job.id) {
            Some((seq, _)) => {
                let seq = *seq;
                self.unindex(&job.id);
                seq
            }
            None => {
                self.seq += 1;
                let key = (job.created_at, job.id.clone());
                self.order.insert(key.clone());
                self.by_task
                    .entry(job.task_id.clone())
                    .or_default()
                    .insert(key);
                self.seq
            }
        };
        let id = job.id.clone();
        match self.jobs.get_mut(&id) {
            Some(slot) => slot.1 = job,
            None => {
                self.jobs.insert(id.clone(), (seq, job));
            }
        }
        self.index(&id);
    }

    /// Removes a job from the due/lease/pair indexes (its state is about to change).
    fn unindex(&mut self, id: &str) {
        let Some((seq, job)) = self.jobs.get(id) else {
            return;
        };
        match job.state {
            JobState::Pending => {
                self.due.remove(&(job.run_at, *seq));
                let pair = pair_of(job);
                if self.pending.get(&pair).is_some_and(|p| p == id) {
                    self.pending.remove(&pair);
                }
            }
            JobState::Running => {
                self.leases
                    .remove(&(job.lease_until.unwrap_or(0), id.to_owned()));
                let pair = pair_of(job);
                if let Some(n) = self.running.get_mut(&pair) {
                    *n -= 1;
                    if *n == 0 {
                        self.running.remove(&pair);
                    }
                }
            }
            _ => {}
        }
    }

    /// Puts a job into the indexes its state needs.
    fn index(&mut self, id: &str) {
        let Some((seq, job)) = self.jobs.get(id) else {
            return;
        };
        match job.state {
            JobState::Pending => {
                self.due.insert((job.run_at, *seq), id.to_owned());
                self.pending.insert(pair_of(job), id.to_owned());
            }
            JobState::Running => {
                self.leases
                    .insert((job.lease_until.unwrap_or(0), id.to_owned()));
                *self.running.entry(pair_of(job)).or_default() += 1;
            }
            _ => {}
        }
    }

    pub(crate) fn claim(
        &mut self,
        owner: &str,
        now: Millis,
        lease_ms: u64,
        limit: usize,
    ) -> Vec<Job> {
        // Expired leases first: they are the oldest work.
        let mut picked: Vec<String> = self
            .leases
            .range(..(now.saturating_add(1), String::new()))
            .take(limit)
            .map(|(_, id)| id.clone())
            .collect();
        for id in self
            .due
            .range(..(now.saturating_add(1), 0))
            .map(|(_, id)| id)
        {
            if picked.len() >= limit {
                break;
            }
            if !self.running.contains_key(&pair_of(&self.jobs[id].1)) {
                picked.push(id.clone());
            }
        }
        picked
            .into_iter()
            .map(|id| {
                self.unindex(&id);
                let job = &mut self.jobs.get_mut(&id).expect("indexed job exists").1;
                job.claim(owner, now, lease_ms);
                let claimed = job.clone();
                self.index(&id);
                claimed
            })
            .collect()
    }

    pub(crate) fn get(&self, id: &str) -> Option<Job> {
        self.jobs.get(id).map(|(_, job)| job.clone())
    }

    pub(crate) fn list(&self, query: &JobQuery) -> Vec<Job> {
        let start = query
            .after
            .as_ref()
            .and_then(|id| self.jobs.get(id))
            .map(|(_, job)| (job.created_at, job.id.clone()));
        let empty = BTreeSet::new();
        let keys = match &query.task_id {
            Some(task) => self.by_task.get(task).unwrap_or(&empty),
            None => &self.order,
        };
        let range = match start {
            Some(key) => keys.range((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded)),
            None => keys.range::<(Millis, String), _>(..),
        };
        range
            .map(|(_, id)| &self.jobs[id].1)
            .filter(|job| query.matches(job))
            .take(query.page_size())
            .cloned()
            .collect()
    }

    pub(crate) fn next_due(&self) -> Option<Millis> {
        let due = self.due.keys().next().map(|(at, _)| *at);
        let lease = self.leases.iter().next().map(|(at, _)| *at);
        match (due, lease) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
