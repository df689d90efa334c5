//! The session record, its read-only view and the server-time helper.

use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::model::Millis;
use crate::state::SessionStatus;

/// One cycle of a session.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cycle {
    /// Unique within its session.
    pub id: String,
    /// Display name.
    pub name: String,
}

impl Cycle {
    /// A cycle.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Cycle {
            id: id.into(),
            name: name.into(),
        }
    }
}

/// A session as stored. Change it only through the operations of [`crate::session`], which keep
/// its time invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Id.
    pub id: String,
    /// The cycles, in switching order (at least one, ids unique).
    pub cycles: Vec<Cycle>,
    /// Life state.
    pub status: SessionStatus,
    /// Index into `cycles` of the current cycle.
    pub current: usize,
    /// Per cycle (same order as `cycles`), the time of its closed segments, in ms.
    pub cycle_ms: Vec<u64>,
    /// Time of the closed pauses, in ms.
    pub paused_ms: u64,
    /// How many switches were applied.
    pub switch_count: u64,
    /// Compare-and-swap version: 1 on create, +1 on every change.
    pub version: u64,
    /// When it was created.
    pub created_at: Millis,
    /// When it was started.
    pub started_at: Option<Millis>,
    /// When it was completed.
    pub completed_at: Option<Millis>,
    /// While running: when the current cycle's open segment started.
    pub segment_started_at: Option<Millis>,
    /// While paused: when the open pause started.
    pub paused_at: Option<Millis>,
    /// The latest instant any operation recorded; earlier clock readings are clamped to it.
    pub last_seen: Millis,
}

/// The server's clock reading, for clients to compute their offset.
///
/// A client sends a request at its local time `t0`, receives `now_ms` and reads its clock again
/// at `t1`. Assuming a symmetric network, its offset is `now_ms - (t0 + t1) / 2` (add it to local
/// readings to get server time) and the error is at most `(t1 - t0) / 2`; keep the sample with
/// the smallest round trip out of a few.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTime {
    /// The server's now, in ms since the Unix epoch.
    pub now_ms: Millis,
}

/// The server's time from `clock` (a failing host clock is an error). See [`ServerTime`] for
/// computing a client offset.
pub fn server_time(clock: &dyn Clock) -> crate::Result<ServerTime> {
    Ok(ServerTime {
        now_ms: clock.try_now_ms()?,
    })
}
