//! Stores: the [`TaskStore`] foreign trait a host implements (Kotlin, Swift, Python, ...), its
//! records, and the [`HubStore`] object the engine and the queue work on: the core's memory
//! store, the SQLite store, the PostgreSQL store (`HubStore.postgres`, shared by every process
//! on the database, provider gates included), a host task store (`HubStore.foreign`), or a host
//! task store with its host job store (`HubStore.foreignQueue`, see [`job_store`]); the job
//! record is in [`job`] (mirroring `sync_core::store`'s `job` and `job_store`).
//!
//! Invariant (the outbox contract): a store that keeps no jobs (`HubStore.foreign`) is the
//! core's `without_jobs` store: a change set that carries jobs is refused with a clear `Store`
//! error before the host sees it, never silently dropped; the status service and the worker
//! therefore need a job-keeping store (memory, SQLite, PostgreSQL or `foreignQueue`), which
//! writes a status and its jobs in one transaction. A worker on a built-in store (memory,
//! SQLite, PostgreSQL) keeps its breaker and rate-limit state in the store's provider gates,
//! shared with every worker on that store (on SQLite and PostgreSQL, other processes too); on a
//! host store each worker keeps its own.

pub(crate) mod job;
pub(crate) mod job_store;

use std::sync::Arc;

use async_trait::async_trait;
use sync_core::StoreError;

use crate::error::{TasksyncError, guard, guard_future, host_store_call};
use crate::model::Task;
use crate::store::job::JobWrite;

/// A scope's tasks and version, read in one consistent snapshot.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScopeSnapshot {
    /// The scope's version (0 when it has never been written).
    pub version: u64,
    /// Its tasks.
    pub tasks: Vec<Task>,
}

/// Where a source's task lives in the hub.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Identity {
    /// The source's id.
    pub external_id: String,
    /// Hub id.
    pub id: String,
    /// The owning scope.
    pub scope: String,
}

/// "Apply only if this scope is still at this version."
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ScopeGuard {
    /// Scope.
    pub scope: String,
    /// The version it must still have.
    pub expected_version: u64,
}

/// One task write of a change set.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum TaskWrite {
    /// A new task (its id must not exist).
    Insert {
        /// The task.
        task: Task,
    },
    /// Replace a task at this version.
    Update {
        /// The new task (version already bumped).
        task: Task,
        /// The version the stored task must have.
        expected_version: u64,
    },
    /// Remove a task at this version.
    Delete {
        /// Hub id.
        id: String,
        /// Its scope.
        scope: String,
        /// The version the stored task must have.
        expected_version: u64,
    },
}

/// Writes a store applies atomically: all or nothing, guards checked first. Every scope it
/// touches gets its version bumped by one.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChangeSet {
    /// Scope versions to check.
    pub guards: Vec<ScopeGuard>,
    /// Task writes.
    pub tasks: Vec<TaskWrite>,
    /// Job writes, in order, applied in the same atomic write as the task writes (the outbox):
    /// an insert's id must be free, an update's `expected_version` must hold, and after the set
    /// a (task, target) has at most one `pending` job; any failed check fails the whole set
    /// with a `Conflict`. Job writes touch no scope. Always empty for a store made with
    /// `HubStore.foreign` (it keeps no jobs).
    #[uniffi(default = [])]
    pub jobs: Vec<JobWrite>,
}

/// A scope's version after an apply.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ScopeVersion {
    /// Scope.
    pub scope: String,
    /// Its new version.
    pub version: u64,
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Applied {
    /// The new version of every touched scope.
    pub scope_versions: Vec<ScopeVersion>,
}

/// A task store implemented by the host. Raise `TasksyncError.Conflict` for a failed guard or
/// version check (the engine reports it as a stale plan) and `TasksyncError.Store` for any
/// other failure; `apply` must write all or nothing, including the change set's `jobs` when
/// the store also keeps the queue (`HubStore.foreignQueue`).
#[uniffi::export(with_foreign)]
#[async_trait]
pub trait TaskStore: Send + Sync {
    /// The scope's tasks and version, consistently.
    async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, TasksyncError>;
    /// The scope's version.
    async fn scope_version(&self, scope: String) -> Result<u64, TasksyncError>;
    /// One task by hub id.
    async fn get(&self, id: String) -> Result<Option<Task>, TasksyncError>;
    /// Where these external ids of `source` live, in any scope.
    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, TasksyncError>;
    /// Applies a change set atomically.
    async fn apply(&self, changes: ChangeSet) -> Result<Applied, TasksyncError>;
}

/// A host error as the core's store error: conflicts stay conflicts (stale plans), the rest
/// is a backend failure carrying the host's message.
pub(crate) fn store_error(err: TasksyncError) -> StoreError {
    match err {
        TasksyncError::Conflict { detail } => StoreError::Conflict(detail),
        other => StoreError::Backend(other.to_string()),
    }
}

fn bad_data(err: TasksyncError) -> StoreError {
    StoreError::Backend(format!("the host store returned bad data: {err}"))
}

/// The core's `TaskStore` over a host's; a change set's job writes go to the host's `apply`
/// (a host task store alone is wrapped in the core's `without_jobs`, which refuses them).
pub(crate) struct Foreign {
    pub(crate) store: Arc<dyn TaskStore>,
}

fn task_in(task: Task) -> Result<sync_core::Task, StoreError> {
    task.try_into().map_err(bad_data)
}

#[async_trait]
impl sync_core::TaskStore for Foreign {
    async fn snapshot(&self, scope: String) -> Result<sync_core::ScopeSnapshot, StoreError> {
        host_store_call("the host task store's `snapshot`", async move {
            let snap = self.store.snapshot(scope).await.map_err(store_error)?;
            Ok(sync_core::ScopeSnapshot {
                version: snap.version,
                tasks: snap
                    .tasks
                    .into_iter()
                    .map(task_in)
                    .collect::<Result<_, _>>()?,
            })
        })
        .await
    }

    async fn scope_version(&self, scope: String) -> Result<u64, StoreError> {
        host_store_call("the host task store's `scope_version`", async move {
            self.store.scope_version(scope).await.map_err(store_error)
        })
        .await
    }

    async fn get(&self, id: String) -> Result<Option<sync_core::Task>, StoreError> {
        host_store_call("the host task store's `get`", async move {
            self.store
                .get(id)
                .await
                .map_err(store_error)?
                .map(task_in)
                .transpose()
        })
        .await
    }

    async fn find_identities(
        &self,
        source: String,
        external_ids: Vec<String>,
    ) -> Result<Vec<sync_core::Identity>, StoreError> {
        host_store_call("the host task store's `find_identities`", async move {
            let found = self.store.find_identities(source, external_ids).await;
            Ok(found
                .map_err(store_error)?
                .into_iter()
                .map(|i| sync_core::Identity {
                    external_id: i.external_id,
                    id: i.id,
                    scope: i.scope,
                })
                .collect())
        })
        .await
    }

    async fn apply(&self, changes: sync_core::ChangeSet) -> Result<sync_core::Applied, StoreError> {
        host_store_call("the host task store's `apply`", async move {
            let out = ChangeSet {
                guards: changes
                    .guards
                    .into_iter()
                    .map(|g| ScopeGuard {
                        scope: g.scope,
                        expected_version: g.expected_version,
                    })
                    .collect(),
                tasks: changes.tasks.iter().map(task_write_out).collect(),
                jobs: changes.jobs.iter().map(Into::into).collect(),
            };
            let applied = self.store.apply(out).await.map_err(store_error)?;
            Ok(sync_core::Applied {
                scope_versions: applied
                    .scope_versions
                    .into_iter()
                    .map(|v| (v.scope, v.version))
                    .collect(),
            })
        })
        .await
    }
}

fn task_write_out(write: &sync_core::TaskWrite) -> TaskWrite {
    match write {
        sync_core::TaskWrite::Insert { task } => TaskWrite::Insert { task: task.into() },
        sync_core::TaskWrite::Update {
            task,
            expected_version,
        } => TaskWrite::Update {
            task: task.into(),
            expected_version: *expected_version,
        },
        sync_core::TaskWrite::Delete {
            id,
            scope,
            expected_version,
        } => TaskWrite::Delete {
            id: id.clone(),
            scope: scope.clone(),
            expected_version: *expected_version,
        },
    }
}

/// Connects to the PostgreSQL database at `url` (`pool_size`: null for the store's default).
pub(crate) async fn connect_postgres(
    url: &str,
    pool_size: Option<u32>,
) -> Result<sync_postgres::PostgresStore, TasksyncError> {
    let mut options = sync_postgres::PostgresOptions::default();
    if let Some(size) = pool_size {
        options.pool_size = size as usize;
    }
    Ok(sync_postgres::PostgresStore::connect_with(url, options).await?)
}

/// The store the engine, the status service and the worker work on.
#[derive(uniffi::Object)]
pub struct HubStore {
    pub(crate) tasks: Arc<dyn sync_core::TaskStore>,
    /// The same store as a queue store (tasks and jobs); `None` for a host task store alone
    /// (it keeps no jobs).
    pub(crate) queue: Option<Arc<dyn sync_core::retry::QueueStore>>,
    /// The provider gates the store keeps (the built-in stores), which its workers share;
    /// `None` (host stores): each worker keeps its own.
    pub(crate) gates: Option<Arc<dyn sync_core::store::GateStore>>,
}

impl std::fmt::Debug for HubStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubStore")
            .field("keeps_jobs", &self.queue.is_some())
            .field("keeps_gates", &self.gates.is_some())
            .finish_non_exhaustive()
    }
}

impl HubStore {
    /// The job store, or a clear error for a host store.
    pub(crate) fn job_store(&self) -> Result<Arc<dyn sync_core::JobStore>, TasksyncError> {
        let jobs: Arc<dyn sync_core::JobStore> = self.queue_store()?;
        Ok(jobs)
    }

    /// The store as a queue store, or a clear error for a host task store alone.
    pub(crate) fn queue_store(
        &self,
    ) -> Result<Arc<dyn sync_core::retry::QueueStore>, TasksyncError> {
        self.queue.clone().ok_or_else(|| {
            TasksyncError::invalid(
                "this store keeps no jobs (a host TaskStore alone): the outbound queue needs \
                 a job-keeping store, HubStore.memory(), HubStore.sqlite(path), \
                 HubStore.postgres(url) or HubStore.foreignQueue(tasks, jobs)",
            )
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl HubStore {
    /// The core's in-memory store (tasks and jobs).
    #[uniffi::constructor]
    pub fn memory() -> Arc<Self> {
        let store = Arc::new(sync_core::MemoryStore::new());
        Arc::new(HubStore {
            tasks: store.clone(),
            queue: Some(store.clone()),
            gates: Some(store),
        })
    }

    /// The SQLite store at `path` (created when missing; tasks, jobs and provider gates).
    #[uniffi::constructor]
    pub fn sqlite(path: String) -> Result<Arc<Self>, TasksyncError> {
        guard(|| {
            let store = Arc::new(sync_sqlite::SqliteStore::open(path)?);
            Ok(Arc::new(HubStore {
                tasks: store.clone(),
                queue: Some(store.clone()),
                gates: Some(store),
            }))
        })
    }

    /// The PostgreSQL store at `url` (a `postgres://` URL; the tables are created and migrated):
    /// tasks, jobs and provider gates, shared by every process connected to the database.
    /// `pool_size`: the most connections it opens (null: the store's default, 16).
    #[uniffi::constructor(default(pool_size = None))]
    pub async fn postgres(url: String, pool_size: Option<u32>) -> Result<Arc<Self>, TasksyncError> {
        guard_future(async move {
            let store = Arc::new(connect_postgres(&url, pool_size).await?);
            Ok(Arc::new(HubStore {
                tasks: store.clone(),
                queue: Some(store.clone()),
                gates: Some(store),
            }))
        })
        .await
    }

    /// A host-implemented task store (it keeps no jobs: see the module doc).
    #[uniffi::constructor]
    pub fn foreign(store: Arc<dyn TaskStore>) -> Arc<Self> {
        let tasks: Arc<dyn sync_core::TaskStore> =
            sync_core::retry::without_jobs(Arc::new(Foreign { store }));
        Arc::new(HubStore {
            tasks,
            queue: None,
            gates: None,
        })
    }

    /// Whether this store keeps the outbound queue.
    pub fn keeps_jobs(&self) -> bool {
        self.queue.is_some()
    }

    /// A scope's tasks and version.
    pub async fn snapshot(&self, scope: String) -> Result<ScopeSnapshot, TasksyncError> {
        guard_future(async move {
            let snap = self.tasks.snapshot(scope).await?;
            Ok(ScopeSnapshot {
                version: snap.version,
                tasks: snap.tasks.iter().map(Into::into).collect(),
            })
        })
        .await
    }

    /// One task by hub id.
    pub async fn get(&self, id: String) -> Result<Option<Task>, TasksyncError> {
        guard_future(async move { Ok(self.tasks.get(id).await?.as_ref().map(Into::into)) }).await
    }
}
