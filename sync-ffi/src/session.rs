//! Sessions (mirrors `sync_core::session`): [`SessionEngine`] over the memory store, the SQLite
//! store, the PostgreSQL store or a host-implemented [`SessionStore`], its records, and
//! [`server_time`].
//!
//! Conversion only: the core keeps the time accounting (cycle, running and paused time from the
//! engine's clock), the state machine (`InvalidState` for an operation the session's state does
//! not allow) and the compare-and-swap retry loop. Invariant: a host session store follows the
//! core's contract (insert fails on an existing id; update and delete apply only at the
//! expected version and raise `TasksyncError.Conflict` otherwise); the session data it returns
//! is checked by the core before any operation uses it (an inconsistent session is
//! `TasksyncError.Store`, never a panic).

use std::sync::Arc;

use async_trait::async_trait;
use sync_core::StoreError;

use crate::clock::{Clock, core_clock};
use crate::error::{TasksyncError, guard, guard_future, host_store_call};
use crate::event::{EventSink, core_sink};
use crate::limits::{Limits, core_limits};
use crate::store::store_error;

/// One cycle of a session (a phase whose time is counted separately).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Cycle {
    /// Its id, unique in the session.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Where a session is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SessionStatus {
    /// Created, not started.
    Created,
    /// Counting time for the current cycle.
    Running,
    /// Not counting time.
    Paused,
    /// Finished; only reads and delete are allowed.
    Completed,
}

/// A session as stored (times in ms since the epoch, durations in ms).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Session {
    /// Its id.
    pub id: String,
    /// Its cycles, in order.
    pub cycles: Vec<Cycle>,
    /// Where it is in its life.
    pub status: SessionStatus,
    /// Index of the current cycle.
    pub current: u64,
    /// Time counted per cycle up to the current segment's start.
    pub cycle_ms: Vec<u64>,
    /// Time spent paused, up to the current pause's start.
    pub paused_ms: u64,
    /// How many switches were made.
    pub switch_count: u64,
    /// Bumped by every change (compare-and-swap).
    pub version: u64,
    /// When it was created.
    pub created_at: i64,
    /// When it was first started.
    pub started_at: Option<i64>,
    /// When it was completed.
    pub completed_at: Option<i64>,
    /// When the running segment started.
    pub segment_started_at: Option<i64>,
    /// When the current pause started.
    pub paused_at: Option<i64>,
    /// The time of its last change.
    pub last_seen: i64,
}

/// A cycle's time in a [`SessionState`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CycleTime {
    /// The cycle's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Time counted for it so far.
    pub elapsed_ms: u64,
}

/// A session's derived view at one instant (`at`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionState {
    /// Its id.
    pub id: String,
    /// Where it is in its life.
    pub status: SessionStatus,
    /// Index of the current cycle.
    pub current_index: u64,
    /// Id of the current cycle.
    pub current_cycle: String,
    /// Time per cycle.
    pub cycles: Vec<CycleTime>,
    /// Time spent running.
    pub running_ms: u64,
    /// Time spent paused.
    pub paused_ms: u64,
    /// Running plus paused time.
    pub elapsed_ms: u64,
    /// How many switches were made.
    pub switch_count: u64,
    /// Its version.
    pub version: u64,
    /// The instant of this view.
    pub at: i64,
    /// When it was created.
    pub created_at: i64,
    /// When it was first started.
    pub started_at: Option<i64>,
    /// When it was completed.
    pub completed_at: Option<i64>,
}

/// The server's clock, for client-side offset correction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct ServerTime {
    /// Now on the server, in ms since the epoch.
    pub now_ms: i64,
}

impl From<SessionStatus> for sync_core::SessionStatus {
    fn from(s: SessionStatus) -> Self {
        match s {
            SessionStatus::Created => Self::Created,
            SessionStatus::Running => Self::Running,
            SessionStatus::Paused => Self::Paused,
            SessionStatus::Completed => Self::Completed,
        }
    }
}

impl From<sync_core::SessionStatus> for SessionStatus {
    fn from(s: sync_core::SessionStatus) -> Self {
        use sync_core::SessionStatus as S;
        match s {
            S::Created => SessionStatus::Created,
            S::Running => SessionStatus::Running,
            S::Paused => SessionStatus::Paused,
            S::Completed => SessionStatus::Completed,
        }
    }
}

fn cycle_in(c: Cycle) -> sync_core::Cycle {
    sync_core::Cycle::new(c.id, c.name)
}

fn cycle_out(c: sync_core::Cycle) -> Cycle {
    Cycle {
        id: c.id,
        name: c.name,
    }
}

impl From<sync_core::Session> for Session {
    fn from(s: sync_core::Session) -> Self {
        Session {
            id: s.id,
            cycles: s.cycles.into_iter().map(cycle_out).collect(),
            status: s.status.into(),
            current: s.current as u64,
            cycle_ms: s.cycle_ms,
            paused_ms: s.paused_ms,
            switch_count: s.switch_count,
            version: s.version,
            created_at: s.created_at,
            started_at: s.started_at,
            completed_at: s.completed_at,
            segment_started_at: s.segment_started_at,
            paused_at: s.paused_at,
            last_seen: s.last_seen,
        }
    }
}

impl From<Session> for sync_core::Session {
    // Conversion only: the core's session engine checks the session's consistency (an index
    // beyond the platform's range stays out of range and is refused there).
    fn from(s: Session) -> Self {
        sync_core::Session {
            id: s.id,
            cycles: s.cycles.into_iter().map(cycle_in).collect(),
            status: s.status.into(),
            current: usize::try_from(s.current).unwrap_or(usize::MAX),
            cycle_ms: s.cycle_ms,
            paused_ms: s.paused_ms,
            switch_count: s.switch_count,
            version: s.version,
            created_at: s.created_at,
            started_at: s.started_at,
            completed_at: s.completed_at,
            segment_started_at: s.segment_started_at,
            paused_at: s.paused_at,
            last_seen: s.last_seen,
        }
    }
}

impl From<sync_core::SessionState> for SessionState {
    fn from(s: sync_core::SessionState) -> Self {
        SessionState {
            id: s.id,
            status: s.status.into(),
            current_index: s.current_index as u64,
            current_cycle: s.current_cycle,
            cycles: s
                .cycles
                .into_iter()
                .map(|c| CycleTime {
                    id: c.id,
                    name: c.name,
                    elapsed_ms: c.elapsed_ms,
                })
                .collect(),
            running_ms: s.running_ms,
            paused_ms: s.paused_ms,
            elapsed_ms: s.elapsed_ms,
            switch_count: s.switch_count,
            version: s.version,
            at: s.at,
            created_at: s.created_at,
            started_at: s.started_at,
            completed_at: s.completed_at,
        }
    }
}

/// A session store implemented by the host, with the core's compare-and-swap contract (see
/// the module doc): raise `TasksyncError.Conflict` for an existing id on insert or a version
/// mismatch on update/delete, `TasksyncError.Store` for any other failure.
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// One session by id.
    async fn get(&self, id: String) -> Result<Option<Session>, TasksyncError>;
    /// Adds a new session.
    async fn insert(&self, session: Session) -> Result<(), TasksyncError>;
    /// Replaces the session with its id if its stored version is `expected_version`.
    async fn update(&self, session: Session, expected_version: u64) -> Result<(), TasksyncError>;
    /// Deletes the session if its stored version is `expected_version`.
    async fn delete(&self, id: String, expected_version: u64) -> Result<(), TasksyncError>;
}

/// The core's `SessionStore` over a host's.
struct Foreign(Arc<dyn SessionStore>);

#[async_trait]
impl sync_core::SessionStore for Foreign {
    async fn get(&self, id: String) -> Result<Option<sync_core::Session>, StoreError> {
        host_store_call("the host session store's `get`", async move {
            let found = self.0.get(id).await.map_err(store_error)?;
            Ok(found.map(Into::into))
        })
        .await
    }

    async fn insert(&self, session: sync_core::Session) -> Result<(), StoreError> {
        host_store_call("the host session store's `insert`", async move {
            self.0.insert(session.into()).await.map_err(store_error)
        })
        .await
    }

    async fn update(
        &self,
        session: sync_core::Session,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        host_store_call("the host session store's `update`", async move {
            let session = session.into();
            self.0
                .update(session, expected_version)
                .await
                .map_err(store_error)
        })
        .await
    }

    async fn delete(&self, id: String, expected_version: u64) -> Result<(), StoreError> {
        host_store_call("the host session store's `delete`", async move {
            self.0
                .delete(id, expected_version)
                .await
                .map_err(store_error)
        })
        .await
    }
}

/// Runs session operations (create, start, switch, pause, resume, complete, delete) against a
/// store, with a clock and an optional event sink (`session_changed` events).
#[derive(uniffi::Object)]
pub struct SessionEngine(
    sync_core::SessionEngine,
    /// Its store (what the session store conformance suite runs against).
    pub(crate) Arc<dyn sync_core::SessionStore>,
);

impl std::fmt::Debug for SessionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionEngine")
    }
}

fn engine(
    store: Arc<dyn sync_core::SessionStore>,
    clock: Option<Arc<dyn Clock>>,
    events: Option<Arc<dyn EventSink>>,
    limits: Option<Limits>,
) -> Arc<SessionEngine> {
    let core = sync_core::SessionEngine::new(store.clone(), core_clock(clock), core_sink(events))
        .with_limits(core_limits(limits));
    Arc::new(SessionEngine(core, store))
}

#[uniffi::export(async_runtime = "tokio")]
impl SessionEngine {
    /// An engine on a fresh in-memory session store (`limits`: null for the core's).
    #[uniffi::constructor(default(clock = None, events = None, limits = None))]
    pub fn memory(
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
        limits: Option<Limits>,
    ) -> Arc<Self> {
        engine(
            Arc::new(sync_core::MemorySessionStore::new()),
            clock,
            events,
            limits,
        )
    }

    /// An engine on the SQLite store at `path` (created when missing; the same file as
    /// `HubStore.sqlite(path)` can be shared).
    #[uniffi::constructor(default(clock = None, events = None, limits = None))]
    pub fn sqlite(
        path: String,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
        limits: Option<Limits>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let store = Arc::new(sync_sqlite::SqliteStore::open(path)?);
            Ok(engine(store, clock, events, limits))
        })
    }

    /// An engine on the PostgreSQL database at `url` (the tables are created and migrated; the
    /// database of `HubStore.postgres(url)` can be shared); `pool_size` as there.
    #[uniffi::constructor(default(pool_size = None, clock = None, events = None, limits = None))]
    pub async fn postgres(
        url: String,
        pool_size: Option<u32>,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
        limits: Option<Limits>,
    ) -> Result<Arc<Self>, TasksyncError> {
        guard_future(async move {
            let store = Arc::new(crate::store::connect_postgres(&url, pool_size).await?);
            Ok(engine(store, clock, events, limits))
        })
        .await
    }

    /// An engine on a host-implemented session store.
    #[uniffi::constructor(default(clock = None, events = None, limits = None))]
    pub fn foreign(
        store: Arc<dyn SessionStore>,
        clock: Option<Arc<dyn Clock>>,
        events: Option<Arc<dyn EventSink>>,
        limits: Option<Limits>,
    ) -> Arc<Self> {
        engine(Arc::new(Foreign(store)), clock, events, limits)
    }

    /// Creates a session over `cycles` (at least one, unique ids), in the `Created` state.
    pub async fn create(&self, id: String, cycles: Vec<Cycle>) -> Result<Session, TasksyncError> {
        guard_future(async move {
            let cycles = cycles.into_iter().map(cycle_in).collect();
            Ok(self.0.create(id, cycles).await?.into())
        })
        .await
    }

    /// Starts a created session.
    pub async fn start(&self, id: String) -> Result<Session, TasksyncError> {
        guard_future(async move { Ok(self.0.start(&id).await?.into()) }).await
    }

    /// Moves to cycle `to` (an id), or to the next cycle when `to` is null.
    #[uniffi::method(default(to = None))]
    pub async fn switch(&self, id: String, to: Option<String>) -> Result<Session, TasksyncError> {
        guard_future(async move { Ok(self.0.switch(&id, to.as_deref()).await?.into()) }).await
    }

    /// Pauses a running session.
    pub async fn pause(&self, id: String) -> Result<Session, TasksyncError> {
        guard_future(async move { Ok(self.0.pause(&id).await?.into()) }).await
    }

    /// Resumes a paused session.
    pub async fn resume(&self, id: String) -> Result<Session, TasksyncError> {
        guard_future(async move { Ok(self.0.resume(&id).await?.into()) }).await
    }

    /// Completes a session.
    pub async fn complete(&self, id: String) -> Result<Session, TasksyncError> {
        guard_future(async move { Ok(self.0.complete(&id).await?.into()) }).await
    }

    /// One session as stored.
    pub async fn get(&self, id: String) -> Result<Session, TasksyncError> {
        guard_future(async move { Ok(self.0.get(&id).await?.into()) }).await
    }

    /// A session's view now (by the engine's clock).
    pub async fn state(&self, id: String) -> Result<SessionState, TasksyncError> {
        guard_future(async move { Ok(self.0.state(&id).await?.into()) }).await
    }

    /// Deletes a session, returning its last view.
    pub async fn delete(&self, id: String) -> Result<SessionState, TasksyncError> {
        guard_future(async move { Ok(self.0.delete(&id).await?.into()) }).await
    }
}

/// The server's time from the host's clock (null: the system clock); a failing host clock
/// is `TasksyncError.Store`.
#[uniffi::export(default(clock = None))]
pub fn server_time(clock: Option<Arc<dyn Clock>>) -> Result<ServerTime, TasksyncError> {
    guard(|| {
        let now = sync_core::server_time(&*core_clock(clock))?;
        Ok(ServerTime { now_ms: now.now_ms })
    })
}
