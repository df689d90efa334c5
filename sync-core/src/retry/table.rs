//! An in-memory job table with the indexes a claim needs: the [`MemoryStore`]'s queue.
//!
//! Invariants: `due` holds exactly the pending jobs keyed by (`run_at`, sequence), `leases`
//! exactly the running ones keyed by (`lease_until`, id), and `pairs` the pending/running job
//! and the latest job of each (task, target), so a claim costs O(claimed · log n).
//!
//! [`MemoryStore`]: crate::MemoryStore

use std::collections::{BTreeMap, HashMap};

use super::job::{Finish, Job, JobQuery, JobState, SyncStatus};
use super::store::JobError;
use crate::model::Millis;

fn pair_of(job: &Job) -> (String, String) {
    (job.task_id.clone(), job.target.clone())
}

#[derive(Debug, Default)]
struct Pair {
    pending: Option<String>,
    running: Option<String>,
    latest: Option<String>,
}

/// The jobs of a [`MemoryStore`](crate::MemoryStore).
#[derive(Debug, Default)]
pub(crate) struct JobTable {
    jobs: HashMap<String, (u64, Job)>,
    due: BTreeMap<(Millis, u64), String>,
    leases: BTreeMap<(Millis, String), ()>,
    pairs: HashMap<(String, String), Pair>,
    order: BTreeMap<(Millis, String), ()>,
    targets_of: HashMap<String, Vec<String>>,
    seq: u64,
}

impl JobTable {
    /// Whether a job with this id exists (enqueueing it again is a conflict).
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.jobs.contains_key(id)
    }

    /// Adds a pending job, superseding its pair's pending one.
    pub(crate) fn enqueue(&mut self, job: Job, now: Millis) {
        let pair_key = (job.task_id.clone(), job.target.clone());
        let targets = self.targets_of.entry(job.task_id.clone()).or_default();
        if !targets.contains(&job.target) {
            targets.push(job.target.clone());
        }
        let old = self
            .pairs
            .entry(pair_key.clone())
            .or_default()
            .pending
            .take();
        if let Some(old) = old {
            self.unindex(&old);
            if let Some((_, old)) = self.jobs.get_mut(&old) {
                old.state = JobState::Superseded;
                old.updated_at = now;
            }
        }
        self.seq += 1;
        let pair = self.pairs.entry(pair_key).or_default();
        pair.pending = Some(job.id.clone());
        pair.latest = Some(job.id.clone());
        self.order.insert((job.created_at, job.id.clone()), ());
        self.due.insert((job.run_at, self.seq), job.id.clone());
        self.jobs.insert(job.id.clone(), (self.seq, job));
    }

    /// Removes a job from the due/lease indexes (its state is about to change).
    fn unindex(&mut self, id: &str) {
        let Some((seq, job)) = self.jobs.get(id) else {
            return;
        };
        match job.state {
            JobState::Pending => {
                self.due.remove(&(job.run_at, *seq));
            }
            JobState::Running => {
                self.leases
                    .remove(&(job.lease_until.unwrap_or(0), id.to_owned()));
            }
            _ => {}
        }
    }

    /// Puts a job (after a state change) back into the indexes its new state needs.
    fn reindex(&mut self, id: &str) {
        let Some((seq, job)) = self.jobs.get(id) else {
            return;
        };
        let pair = self
            .pairs
            .entry((job.task_id.clone(), job.target.clone()))
            .or_default();
        if pair.pending.as_deref() == Some(id) && job.state != JobState::Pending {
            pair.pending = None;
        }
        if pair.running.as_deref() == Some(id) && job.state != JobState::Running {
            pair.running = None;
        }
        match job.state {
            JobState::Pending => {
                pair.pending = Some(id.to_owned());
                self.due.insert((job.run_at, *seq), id.to_owned());
            }
            JobState::Running => {
                pair.running = Some(id.to_owned());
                self.leases
                    .insert((job.lease_until.unwrap_or(0), id.to_owned()), ());
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
            .map(|((_, id), ())| id.clone())
            .collect();
        let mut blocked = Vec::new();
        for ((_, _), id) in self.due.range(..(now.saturating_add(1), 0)) {
            if picked.len() >= limit {
                break;
            }
            let job = &self.jobs[id].1;
            let pair = &self.pairs[&(job.task_id.clone(), job.target.clone())];
            if pair.running.is_some() {
                blocked.push(id.clone());
                continue;
            }
            picked.push(id.clone());
        }
        picked
            .into_iter()
            .map(|id| {
                self.unindex(&id);
                let job = &mut self.jobs.get_mut(&id).expect("indexed job exists").1;
                job.claim(owner, now, lease_ms);
                let claimed = job.clone();
                self.reindex(&id);
                claimed
            })
            .collect()
    }

    /// Applies one result if `owner` still holds the job; returns the job after the change.
    pub(crate) fn finish(&mut self, owner: &str, now: Millis, result: &Finish) -> Option<Job> {
        let id = result.id();
        if !self.jobs.get(id).is_some_and(|(_, job)| job.held_by(owner)) {
            return None;
        }
        self.unindex(id);
        let newer_pending = self
            .pairs
            .get(&pair_of(&self.jobs[id].1))
            .is_some_and(|pair| pair.pending.as_deref().is_some_and(|p| p != id));
        let job = &mut self.jobs.get_mut(id).expect("checked above").1;
        job.finish(result, now, newer_pending);
        let after = job.clone();
        self.reindex(id);
        Some(after)
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
        let range = match &start {
            Some(key) => self.order.range((
                std::ops::Bound::Excluded(key.clone()),
                std::ops::Bound::Unbounded,
            )),
            None => self.order.range(..),
        };
        range
            .map(|((_, id), ())| &self.jobs[id].1)
            .filter(|job| query.matches(job))
            .take(query.page_size())
            .cloned()
            .collect()
    }

    /// Requeues (`discard == false`) or discards a dead job.
    pub(crate) fn settle_dead(
        &mut self,
        id: &str,
        now: Millis,
        discard: bool,
    ) -> Result<Job, JobError> {
        let (_, job) = self
            .jobs
            .get(id)
            .ok_or_else(|| JobError::NotFound(id.to_owned()))?;
        let newer_exists = self
            .pairs
            .get(&(job.task_id.clone(), job.target.clone()))
            .is_some_and(|pair| pair.pending.is_some() || pair.latest.as_deref() != Some(id));
        let job = &mut self.jobs.get_mut(id).expect("checked above").1;
        job.settle_dead(now, discard, newer_exists)?;
        let after = job.clone();
        self.reindex(id);
        Ok(after)
    }

    pub(crate) fn next_due(&self) -> Option<Millis> {
        let due = self.due.keys().next().map(|(at, _)| *at);
        let lease = self.leases.keys().next().map(|(at, _)| *at);
        match (due, lease) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(crate) fn sync_status(&self, task_id: &str) -> Vec<(String, SyncStatus)> {
        let targets = self.targets_of.get(task_id).map_or(&[][..], Vec::as_slice);
        let mut out: Vec<(String, SyncStatus)> = targets
            .iter()
            .filter_map(|target| {
                let pair = self.pairs.get(&(task_id.to_owned(), target.clone()))?;
                let latest = pair.latest.as_ref()?;
                Some((target.clone(), SyncStatus::of(self.jobs[latest].1.state)))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}
