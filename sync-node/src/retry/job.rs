//! Jobs (binds `sync_core::retry::job`): the sync status a job state shows.
//!
//! Invariant: the rule is the core's (`SyncStatus::of`); an unknown state is `invalid_input`.

use napi_derive::napi;
use sync_core::retry::{JobState, SyncStatus};

use crate::error::{core, guard_sync};

/// The sync status a task shows when the latest job of a (task, target) is in `state`: the
/// core's rule, for a JS queue store's `syncStatus`.
#[napi]
pub fn sync_status_of(state: String) -> napi::Result<String> {
    guard_sync(|| {
        let state: JobState = state.parse().map_err(core)?;
        Ok(SyncStatus::of(state).as_str().to_owned())
    })
}
