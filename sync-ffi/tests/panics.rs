//! A Rust panic never leaves the binding as uniffi's own error: inside an export it is the
//! core's internal error (`TasksyncError::Internal`, the export's guard), and inside an adapter
//! over a host callback it is the typed error of that call. The hosts here are Rust
//! implementations of the foreign traits that panic where a host's answer is lifted, which is
//! where a bug in the conversion would panic.

use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use tasksync_ffi::{
    Applied, ChangeSet, Clock, EventSink, HubStore, Identity, Listing, Provider, PushReceipt,
    ScopeSnapshot, SessionEngine, StatusPush, Task, TaskStore, TasksyncError, Worker, WorkerConfig,
    list_from, server_time,
};

const CORE_PANIC: &str = "internal error (a bug in tasksync): Rust panic: ";

fn block_on<T>(fut: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(fut)
}

/// A provider whose name panics (`name_panics`) or whose every call panics.
struct PanickingProvider {
    name_panics: bool,
}

#[async_trait]
impl Provider for PanickingProvider {
    fn name(&self) -> String {
        assert!(!self.name_panics, "host name lifted badly");
        "panicky".into()
    }
    async fn list(&self, _scope: String) -> Result<Listing, tasksync_ffi::ProviderError> {
        panic!("host listing lifted badly")
    }
    async fn push(&self, _change: StatusPush) -> Result<PushReceipt, tasksync_ffi::ProviderError> {
        panic!("host receipt lifted badly")
    }
    async fn refresh_token(&self) -> Result<(), tasksync_ffi::ProviderError> {
        panic!("host refresh lifted badly")
    }
}

fn internal_detail(result: Result<impl std::fmt::Debug, TasksyncError>) -> String {
    match result {
        Err(TasksyncError::Internal { detail }) => detail,
        other => panic!("expected TasksyncError::Internal, got {other:?}"),
    }
}

#[test]
fn a_panic_in_a_sync_export_is_the_cores_internal_error() {
    let worker = Worker::new(
        HubStore::memory(),
        vec![Arc::new(PanickingProvider { name_panics: true })],
        WorkerConfig {
            id: None,
            lease_ms: None,
            batch: None,
            concurrency: None,
            dead_policy: None,
            backoff: None,
            breaker: None,
            limiter: None,
            heartbeat_ms: None,
            poll_ms: None,
        },
        None,
        None,
    );
    assert_eq!(
        internal_detail(worker),
        format!("{CORE_PANIC}host name lifted badly")
    );
}

#[test]
fn a_panic_in_an_async_export_is_the_cores_internal_error() {
    let listed = block_on(list_from(
        Arc::new(PanickingProvider { name_panics: true }),
        "s".into(),
    ));
    assert_eq!(
        internal_detail(listed),
        format!("{CORE_PANIC}host name lifted badly")
    );
}

#[test]
fn a_panic_on_a_host_providers_answer_is_the_providers_unavailable() {
    let listed = block_on(list_from(
        Arc::new(PanickingProvider { name_panics: false }),
        "s".into(),
    ));
    match listed {
        Err(TasksyncError::Provider {
            detail,
            provider,
            provider_class,
            http_status,
            ..
        }) => {
            assert_eq!(provider, "panicky");
            assert_eq!(provider_class, "unavailable");
            assert_eq!(http_status, None);
            assert!(
                detail.contains("the host provider's answer to `list`"),
                "{detail}"
            );
            assert!(
                detail.contains("Rust panic: host listing lifted badly"),
                "{detail}"
            );
        }
        other => panic!("expected TasksyncError::Provider, got {other:?}"),
    }
}

/// A task store whose every answer panics.
struct PanickingStore;

#[async_trait]
impl TaskStore for PanickingStore {
    async fn snapshot(&self, _scope: String) -> Result<ScopeSnapshot, TasksyncError> {
        panic!("host snapshot lifted badly")
    }
    async fn scope_version(&self, _scope: String) -> Result<u64, TasksyncError> {
        panic!("host version lifted badly")
    }
    async fn get(&self, _id: String) -> Result<Option<Task>, TasksyncError> {
        panic!("host task lifted badly")
    }
    async fn find_identities(
        &self,
        _source: String,
        _external_ids: Vec<String>,
    ) -> Result<Vec<Identity>, TasksyncError> {
        panic!("host identities lifted badly")
    }
    async fn apply(&self, _changes: ChangeSet) -> Result<Applied, TasksyncError> {
        panic!("host apply lifted badly")
    }
}

#[test]
fn a_panic_on_a_host_stores_answer_is_a_store_error_naming_the_call() {
    let store = HubStore::foreign(Arc::new(PanickingStore));
    match block_on(store.snapshot("s".into())) {
        Err(TasksyncError::Store { detail }) => {
            assert!(
                detail.contains("the host task store's `snapshot`"),
                "{detail}"
            );
            assert!(
                detail.contains("Rust panic: host snapshot lifted badly"),
                "{detail}"
            );
        }
        other => panic!("expected TasksyncError::Store, got {other:?}"),
    }
}

/// A clock and an event sink whose answers panic.
struct PanickingHost;

impl Clock for PanickingHost {
    fn now_ms(&self) -> Result<i64, TasksyncError> {
        panic!("host time lifted badly")
    }
}

impl EventSink for PanickingHost {
    fn emit(&self, _event_json: String) -> Result<(), TasksyncError> {
        panic!("host ack lifted badly")
    }
}

#[test]
fn a_panic_on_a_host_clocks_answer_is_a_failed_clock_read() {
    match server_time(Some(Arc::new(PanickingHost))) {
        Err(TasksyncError::Store { detail }) => {
            assert!(detail.contains("the host clock failed"), "{detail}");
            assert!(
                detail.contains("Rust panic: host time lifted badly"),
                "{detail}"
            );
        }
        other => panic!("expected TasksyncError::Store, got {other:?}"),
    }
}

#[test]
fn a_panic_in_a_host_event_sink_loses_the_event_not_the_change() {
    let engine = SessionEngine::memory(None, Some(Arc::new(PanickingHost)), None);
    let cycle = tasksync_ffi::Cycle {
        id: "c".into(),
        name: "C".into(),
    };
    let created = block_on(engine.create("s1".into(), vec![cycle])).expect("created");
    assert_eq!(created.id, "s1");
    let stored = block_on(engine.get("s1".into())).expect("stored");
    assert_eq!(stored.version, created.version);
}
