//! The credential sweep every adapter passes (the CLI's CalDAV provider too: sync-cli includes
//! this file with `#[path]`, so it needs only std, sync-core, sync-providers, tracing-subscriber
//! and async-trait).
//!
//! A run through the core's queue with failures: a sync from the provider into a memory hub
//! with history, four status changes through the outbox (audited), and the worker pushing them
//! against a loopback server that answers a success, a revoked credential (401, one renewal
//! through a careless vault, then the vault's refusal naming both credentials), a 500 twice
//! (echoing the credential the renewal replaced) and a 404 (echoing the current one), each
//! failure ending in the dead letters; one dead job is retried by hand, one discarded. Then no
//! form of either credential (the token, `user:password`, its base64, the password alone) may
//! appear in the log lines captured at TRACE (the `log` records of the HTTP stack included),
//! the errors, the jobs and their events, the history runs, items and audit entries, the
//! metrics text, or the `Debug` of the provider, its credentials, its options, its refresher,
//! the worker and the outbox.

#![allow(dead_code, unreachable_pub)]

use std::fmt::Debug;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use sync_core::history::{
    Actor, AuditQuery, HistoryRecorder, HistoryStore, ItemQuery, MAX_LIMIT, MemoryHistoryStore,
    RecorderConfig, RunOptions, RunQuery,
};
use sync_core::retry::{
    DeadLetters, JobQuery, JobState, JobStore, RateLimiterConfig, StatusService, Target, Worker,
    WorkerConfig,
};
use sync_core::transition::{ProviderKind, StatusMapping};
use sync_core::{
    CollectingSink, Listing, ManualClock, MemoryStore, Policy, ProviderClient, ProviderError,
    Secret, Status, SyncEngine, Task, TokenRefresher,
};
use sync_providers::http::encode::base64;
use sync_providers::{AuthScheme, Credentials, HttpOptions};

/// What the sweep needs from a loopback server.
pub trait Server: Sync {
    /// Accept exactly this `Authorization` value from now on (anything else gets a 401 that
    /// echoes what was presented).
    fn accept(&self, authorization: &str);
    /// Answer the next request with `status` and `body`, whatever it asks.
    fn fail_next(&self, status: u16, body: &str);
}

/// A host refresher that renews once, then refuses with a message naming every credential it
/// knows (a careless vault): the adapter must redact it.
#[derive(Debug)]
pub struct Vault {
    old: Secret,
    fresh: Secret,
    calls: AtomicUsize,
}

#[async_trait]
impl TokenRefresher for Vault {
    async fn refresh(&self, provider: String) -> Result<Secret, ProviderError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(self.fresh.clone());
        }
        Err(ProviderError::Rejected {
            provider,
            status: 400,
            message: format!(
                "the vault will not renew {} (renewed once already as {}): invalid_grant",
                self.old.expose(),
                self.fresh.expose()
            ),
        })
    }
}

/// One adapter under the sweep.
pub struct Sweep<'a, P> {
    /// Builds the adapter from its credential (with the vault as refresher) and options.
    pub make: &'a dyn Fn(Credentials, HttpOptions) -> P,
    /// The adapter's credential shape for a secret (bearer, or basic with its user).
    pub credentials: &'a dyn Fn(&str) -> Credentials,
    /// The loopback server behind the adapter.
    pub server: &'a dyn Server,
    /// The first credential, and the one the vault renews it with.
    pub secrets: [&'a str; 2],
    /// Whether the adapter renews through the vault (the CLI's has no refresher).
    pub renews: bool,
    /// The scope the adapter lists.
    pub scope: &'a str,
    /// How hub statuses look in the provider.
    pub mapping: ProviderKind,
    /// The hub's tasks: `None` syncs the adapter's own listing of `scope`; a listing of another
    /// source makes the provider a target mirroring that source.
    pub mirrored: Option<Listing>,
    /// Four hub tasks (external ids) and the status each moves to: the success, the revoked
    /// credential, the 500s, the 404 (then retried by hand, and then a success).
    pub moves: [(&'a str, Status); 4],
    /// `Debug` renderings of the provider's own configuration.
    pub configs: Vec<String>,
}

/// The log lines of this test binary, captured at TRACE from the first sweep on.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Captured(buffer.clone());
        // `try_init` also routes the `log` records of reqwest and hyper into tracing.
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the sweep installs the only subscriber of its test binary");
        buffer
    })
}

#[derive(Clone)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The `Authorization` value a credential is sent as.
pub fn header(credentials: &Credentials) -> String {
    let secret = credentials.secret.expose();
    match credentials.scheme {
        AuthScheme::Bearer => format!("Bearer {secret}"),
        AuthScheme::Basic => format!("Basic {}", base64(secret.as_bytes())),
    }
}

/// Runs the sweep (see the module doc); panics naming where a credential showed.
pub async fn sweep<P: ProviderClient + Debug + 'static>(case: Sweep<'_, P>) {
    let logs = logs();
    let [token, fresh] = case.secrets;
    // What the adapter can know: an adapter without a refresher never holds the renewal.
    let held = if case.renews {
        &case.secrets[..]
    } else {
        &case.secrets[..1]
    };
    let echoed = held.join(" / ");
    let mut forms = Vec::new();
    for secret in held {
        let credentials = (case.credentials)(secret);
        let whole = credentials.secret.expose().to_owned();
        forms.extend([(*secret).to_owned(), base64(whole.as_bytes()), whole]);
    }

    let clock = Arc::new(ManualClock::new(1_769_821_713_000));
    let options = HttpOptions {
        timeout: Duration::from_secs(5),
        rate_limit: RateLimiterConfig::unlimited(),
        max_wait: Duration::ZERO,
        clock: clock.clone(),
    };
    let vault = Arc::new(Vault {
        old: Secret::new(token),
        fresh: Secret::new(fresh),
        calls: AtomicUsize::new(0),
    });
    let credentials = (case.credentials)(token).with_refresher(vault.clone());
    let shown_config = [
        format!("{credentials:?}"),
        format!("{options:?}"),
        format!("{vault:?}"),
    ];
    case.server.accept(&header(&credentials));
    let provider = Arc::new((case.make)(credentials, options));
    let name = provider.name();

    let store = Arc::new(MemoryStore::new());
    let history = Arc::new(MemoryHistoryStore::new());
    let (recorder, pump) = HistoryRecorder::new(history.clone(), RecorderConfig::default());
    let events = Arc::new(CollectingSink::default());
    let engine = SyncEngine::new(store.clone())
        .with_clock(clock.clone())
        .with_events(events.clone())
        .with_history(recorder.clone());
    let mut target = Target::new(name.clone(), StatusMapping::new(case.mapping));
    target.max_attempts = Some(2);
    if let Some(listing) = &case.mirrored {
        target = target.mirroring(listing.source.clone());
    }
    let service = StatusService::new(store.clone(), clock.clone(), events.clone())
        .with_history(recorder.clone())
        .with_target(target);
    let worker = Worker::new(
        store.clone(),
        clock.clone(),
        events.clone(),
        WorkerConfig {
            concurrency: 1,
            ..WorkerConfig::default()
        },
    )
    .unwrap()
    .with_provider(provider.clone());
    let dead = DeadLetters::new(store.clone(), clock.clone(), events.clone())
        .with_history(recorder.clone());
    let mut shown: Vec<(&str, String)> = Vec::new();

    // A sync into the hub, recorded as a run with its items.
    let listing = match &case.mirrored {
        Some(listing) => listing.clone(),
        None => provider.list(case.scope.to_owned()).await.expect("listing"),
    };
    let sync = |listing: Listing| {
        let engine = engine.clone();
        async move {
            let plan = engine
                .preview_with("swept", &listing, &Policy::default(), &RunOptions::new())
                .await
                .expect("preview");
            engine
                .execute_with(&plan, true, &RunOptions::new())
                .await
                .expect("execute");
        }
    };
    sync(listing.clone()).await;
    let source = listing.source.clone();
    let change = |external: &str, to: Status| {
        let id = Task::hub_id(&source, external);
        let external = external.to_owned();
        let service = &service;
        async move {
            let report = service
                .change_status(&id, to, Some("ana"))
                .await
                .unwrap_or_else(|err| panic!("{external} to {to}: {err}"));
            assert_eq!(report.jobs.len(), 1, "{external}: one job");
            report.jobs[0].id.clone()
        }
    };
    let tick = || async { worker.run_once().await.expect("tick") };
    let [ok, revoked, failing, missing] = case.moves;

    // A success.
    change(ok.0, ok.1).await;
    assert_eq!(tick().await.succeeded, 1, "the healthy push");

    // The credential is revoked elsewhere: 401, a renewal, 401 again, the vault refuses.
    case.server.accept("Bearer revoked-elsewhere");
    let revoked_job = change(revoked.0, revoked.1).await;
    assert_eq!(tick().await.dead, 1, "a revoked credential is dead");
    let now_held = if case.renews { fresh } else { token };
    case.server.accept(&header(&(case.credentials)(now_held)));

    // A direct listing that fails, its error shown as a host would show it.
    case.server
        .fail_next(500, &format!("list failed for {echoed}"));
    let err = provider
        .list(case.scope.to_owned())
        .await
        .expect_err("a failing listing");
    shown.push(("a listing error", describe(&err)));

    // A 500 twice, echoing the credential the renewal replaced: dead after two attempts.
    let echo = format!(r#"{{"message":"upstream saw Authorization: {echoed}"}}"#);
    let failing_job = change(failing.0, failing.1).await;
    case.server.fail_next(500, &echo);
    assert_eq!(tick().await.retried, 1, "a 500 is retried");
    clock.advance(60_000);
    case.server.fail_next(500, &echo);
    assert_eq!(tick().await.dead, 1, "the second 500 is the last attempt");

    // A 404 echoing the current one: dead at once; retried by hand, it then succeeds.
    let missing_job = change(missing.0, missing.1).await;
    case.server.fail_next(404, &echo);
    assert_eq!(tick().await.dead, 1, "a 404 is dead at once");
    let listed_dead = dead.list(None, 100).await.unwrap();
    assert_eq!(listed_dead.len(), 3, "{listed_dead:?}");
    let missing_error = dead.inspect(&missing_job).await.unwrap().last_error;
    assert!(
        missing_error.as_deref().is_some_and(|e| e.contains("***")),
        "the echo is redacted, not dropped: {missing_error:?}"
    );
    dead.retry(&missing_job, Actor::user("ana")).await.unwrap();
    assert_eq!(tick().await.succeeded, 1, "the job retried by hand");
    dead.discard(&failing_job, Actor::user("ana"))
        .await
        .unwrap();
    assert_eq!(
        dead.inspect(&revoked_job).await.unwrap().state,
        JobState::Dead
    );

    // A second sync after all of it, then every history record written.
    if case.mirrored.is_none() {
        let again = provider.list(case.scope.to_owned()).await.expect("listing");
        sync(again).await;
    }
    recorder.close();
    pump.run().await;

    // Everything a person or a program can see.
    shown.push((
        "logs",
        String::from_utf8_lossy(&logs.lock().unwrap()).into_owned(),
    ));
    let jobs = store.jobs(JobQuery::default()).await.unwrap();
    assert_eq!(jobs.len(), 4);
    for job in &jobs {
        shown.push(("a job", serde_json::to_string(job).unwrap()));
        shown.push(("a job's Debug", format!("{job:?}")));
    }
    for dead_job in &listed_dead {
        shown.push(("a dead letter", format!("{dead_job:?}")));
    }
    let emitted = events.take();
    assert!(emitted.len() >= 8, "{emitted:?}");
    for event in &emitted {
        shown.push(("an event", serde_json::to_string(event).unwrap()));
    }
    let runs = history
        .runs(RunQuery {
            limit: MAX_LIMIT,
            ..RunQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert!(runs.len() >= 2, "{runs:?}");
    let mut items = 0;
    for run in &runs {
        shown.push(("a history run", serde_json::to_string(run).unwrap()));
        let page = history
            .items(ItemQuery::first(run.id.clone(), MAX_LIMIT))
            .await
            .unwrap();
        items += page.items.len();
        for item in page.items {
            shown.push(("a history item", serde_json::to_string(&item).unwrap()));
        }
    }
    assert!(items >= 4, "history items: {items}");
    let audit = history
        .audit(AuditQuery {
            limit: MAX_LIMIT,
            ..AuditQuery::default()
        })
        .await
        .unwrap()
        .items;
    assert!(
        audit.len() >= 6,
        "status changes, a retry, a discard: {audit:?}"
    );
    for entry in &audit {
        shown.push(("an audit entry", serde_json::to_string(entry).unwrap()));
    }
    shown.push(("the metrics", worker.metrics().render_prometheus()));
    shown.push(("the provider's Debug", format!("{provider:?}")));
    shown.push(("the worker's Debug", format!("{worker:?}")));
    shown.push(("the outbox's Debug", format!("{service:?}")));
    for config in shown_config.into_iter().chain(case.configs) {
        shown.push(("a configuration's Debug", config));
    }

    let logged = &shown.iter().find(|(what, _)| *what == "logs").unwrap().1;
    for line in ["job dead", "provider call failed"] {
        assert!(logged.contains(line), "the logs were captured: no `{line}`");
    }
    for (what, text) in &shown {
        for (n, form) in forms.iter().enumerate().filter(|(_, f)| f.len() >= 4) {
            if let Some(at) = text.find(form.as_str()) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(160)
                    .map_or(0, |(i, _)| i);
                panic!(
                    "credential form {n} showed in {what} of `{name}`, after: …{}",
                    &text[from..at]
                );
            }
        }
    }
}

fn describe(err: &ProviderError) -> String {
    format!(
        "{err} | {err:?} | {}",
        serde_json::to_string(err).unwrap_or_default()
    )
}
