//! The job store conformance suite on the in-memory store, and proof that the suite fails on
//! stores that break the contract: one that loses job writes, one that ignores version checks,
//! one whose claim is not atomic (two owners get one job).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sync_core::retry::{Job, JobQuery, JobStore, JobWrite, QueueStore, conformance};
use sync_core::store::{Applied, ChangeSet, Identity, ScopeSnapshot, StoreError, TaskStore};
use sync_core::{MemoryStore, Task};

sync_core::job_store_conformance!(std::sync::Arc::new(sync_core::MemoryStore::new()));

/// How a [`Broken`] store breaks the contract.
#[derive(Clone, Copy, PartialEq)]
enum Fault {
    /// Drops every job update (inserts land).
    LosesUpdates,
    /// Writes job updates whatever version the stored job has.
    IgnoresVersions,
    /// Hands the jobs of the first claim out again to the next claimer.
    DoubleClaims,
}

struct Broken {
    inner: MemoryStore,
    fault: Fault,
    last_claim: Mutex<Vec<Job>>,
}

#[async_trait]
impl TaskStore for Broken {
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, StoreError> {
        self.inner.snapshot(scope).await
    }
    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        self.inner.scope_version(scope).await
    }
    async fn get(&self, id: String) -> Result<Option<Task>, StoreError> {
        self.inner.get(id).await
    }
    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, StoreError> {
        self.inner.find_identities(source, external_ids).await
    }
    async fn apply(&self, mut changes: ChangeSet) -> Result<Applied, StoreError> {
        match self.fault {
            Fault::LosesUpdates => changes
                .jobs
                .retain(|w| matches!(w, JobWrite::Insert { .. })),
            Fault::IgnoresVersions => {
                for write in &mut changes.jobs {
                    if let JobWrite::Update {
                        job,
                        expected_version,
                    } = write
                    {
                        let stored = self.inner.job(job.id.clone()).await?;
                        if let Some(stored) = stored {
                            *expected_version = stored.version;
                        }
                    }
                }
            }
            Fault::DoubleClaims => {}
        }
        self.inner.apply(changes).await
    }
}

#[async_trait]
impl JobStore for Broken {
    async fn claim(
        &self,
        owner: String,
        now: i64,
        lease_ms: u64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let claimed = self.inner.claim(owner, now, lease_ms, limit).await?;
        if self.fault != Fault::DoubleClaims {
            return Ok(claimed);
        }
        let mut last = self.last_claim.lock().unwrap();
        if claimed.is_empty() && !last.is_empty() {
            return Ok(std::mem::take(&mut *last));
        }
        *last = claimed.clone();
        Ok(claimed)
    }
    async fn job(&self, id: String) -> Result<Option<Job>, StoreError> {
        self.inner.job(id).await
    }
    async fn jobs(&self, query: JobQuery) -> Result<Vec<Job>, StoreError> {
        self.inner.jobs(query).await
    }
    async fn next_due(&self) -> Result<Option<i64>, StoreError> {
        self.inner.next_due().await
    }
}

fn failures(fault: Fault) -> Vec<&'static str> {
    let failed = futures::executor::block_on(conformance::run_all(|| {
        Arc::new(Broken {
            inner: MemoryStore::new(),
            fault,
            last_claim: Mutex::new(Vec::new()),
        }) as Arc<dyn QueueStore>
    }));
    failed.into_iter().map(|(name, _)| name).collect()
}

#[test]
fn run_all_passes_on_the_memory_store() {
    let failed = futures::executor::block_on(conformance::run_all(|| {
        Arc::new(MemoryStore::new()) as Arc<dyn QueueStore>
    }));
    assert!(failed.is_empty(), "{failed:?}");
}

#[test]
fn the_suite_fails_a_store_that_loses_job_writes() {
    let failed = failures(Fault::LosesUpdates);
    assert!(failed.contains(&"results_are_recorded"), "{failed:?}");
    assert!(failed.contains(&"job_writes_are_checked"), "{failed:?}");
}

#[test]
fn the_suite_fails_a_store_that_ignores_version_checks() {
    let failed = failures(Fault::IgnoresVersions);
    assert!(failed.contains(&"job_writes_are_checked"), "{failed:?}");
    assert!(
        failed.contains(&"a_late_result_of_a_lost_lease_changes_nothing"),
        "{failed:?}"
    );
}

#[test]
fn the_suite_fails_a_store_whose_claim_is_not_atomic() {
    let failed = failures(Fault::DoubleClaims);
    assert!(
        failed.contains(&"claimers_never_split_a_pair"),
        "{failed:?}"
    );
}
