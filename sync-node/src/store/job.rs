//! Jobs (binds `sync_core::store::job`): the job as a claim writes it (`claimedJob`, what a JS
//! job store's `claim` stores and returns) and the sync status a job state shows.
//!
//! Invariant: both rules are the core's (`Job::claimed`, `SyncStatus::of`); a malformed job or
//! an unknown state is `invalid_input`.

use napi_derive::napi;
use sync_core::retry::{Job, JobState, SyncStatus};

use crate::error::{core, guard_sync, to_json};
use crate::input::parse;

/// The job (JSON `Job`) as a claim by `owner` at `now` writes it: `running` under a lease
/// until `now + leaseMs`, one more attempt, the next lease number and the next version. A JS
/// job store's `claim` stores exactly this for every job it picks.
#[napi]
pub fn claimed_job(job: String, owner: String, now: i64, lease_ms: f64) -> napi::Result<String> {
    guard_sync(|| {
        let job: Job = parse("job", &job)?;
        let lease_ms = crate::retry::duration_ms("leaseMs", lease_ms)?;
        to_json(&job.claimed(&owner, now, lease_ms))
    })
}

/// The sync status a task shows when the latest job of a (task, target) is in `state`: the
/// core's rule, for a JS queue store's `syncStatus`.
#[napi]
pub fn sync_status_of(state: String) -> napi::Result<String> {
    guard_sync(|| {
        let state: JobState = state.parse().map_err(core)?;
        Ok(SyncStatus::of(state).as_str().to_owned())
    })
}
