//! The schema and its versioned, forward-only migrations.
//!
//! The table `tasksync_schema_migrations` holds one row per applied step (its number and when
//! it was applied). [`migrate`] applies the missing steps, each in its own transaction that
//! first takes a transaction-level advisory lock (`pg_advisory_xact_lock`), so instances that
//! connect at the same moment from several processes or machines migrate once: the others wait
//! for the lock, then find the step applied. A database whose schema is newer than this build
//! is refused, never downgraded or misread.
//!
//! Layout choices (shared by every module of the crate):
//! - Keys and names the hub gets from its users (ids, sources, external ids, scopes, targets,
//!   entity ids) are `bytea`: PostgreSQL `text` cannot hold a NUL, which identities may
//!   contain, and `bytea` compares bytewise, which is the order of Rust strings (no collation).
//! - Records are JSON text (`body`) next to the columns their queries filter and sort on; JSON
//!   escapes every control character, so any string round-trips exactly.
//! - One pending job per (task, target) is a deferrable exclusion constraint, checked when the
//!   transaction commits: the rule holds "after the set", whatever the order of its writes.

use tokio_postgres::Client;

use sync_core::store::StoreError;

use crate::pool::to_store_error;

/// The key of the advisory lock that serialises migrations ("tasksync" in ASCII).
const LOCK_KEY: i64 = 0x7461_736b_7379_6e63;

const MIGRATIONS_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS tasksync_schema_migrations (
        version    integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
    );
";

/// Step `i` moves the schema from version `i` to `i + 1`.
const STEPS: &[&str] = &[
    // 1: tasks and scope versions.
    "
    CREATE TABLE tasks (
        id          bytea PRIMARY KEY,
        source      bytea NOT NULL,
        external_id bytea NOT NULL,
        scope       bytea NOT NULL,
        version     bigint NOT NULL,
        body        text NOT NULL,
        base        text NULL,
        CONSTRAINT tasks_identity UNIQUE (source, external_id)
    );
    CREATE INDEX tasks_scope ON tasks (scope);
    CREATE TABLE scopes (
        scope   bytea PRIMARY KEY,
        version bigint NOT NULL
    );
    ",
    // 2: the job queue.
    "
    CREATE TABLE jobs (
        seq         bigserial NOT NULL,
        id          bytea PRIMARY KEY,
        task_id     bytea NOT NULL,
        target      bytea NOT NULL,
        state       text NOT NULL,
        run_at      bigint NOT NULL,
        lease_until bigint NULL,
        created_at  bigint NOT NULL,
        version     bigint NOT NULL,
        body        text NOT NULL,
        CONSTRAINT jobs_one_pending EXCLUDE USING btree (task_id WITH =, target WITH =)
            WHERE (state = 'pending') DEFERRABLE INITIALLY DEFERRED
    );
    CREATE INDEX jobs_due ON jobs (run_at, seq) WHERE state = 'pending';
    CREATE INDEX jobs_lease ON jobs (lease_until) WHERE state = 'running';
    CREATE INDEX jobs_running_pair ON jobs (task_id, target) WHERE state = 'running';
    CREATE INDEX jobs_order ON jobs (created_at, id);
    CREATE INDEX jobs_task ON jobs (task_id, created_at, id);
    CREATE INDEX jobs_state ON jobs (state, created_at, id);
    ",
    // 3: sessions and provider gates.
    "
    CREATE TABLE sessions (
        id      bytea PRIMARY KEY,
        status  text NOT NULL,
        version bigint NOT NULL,
        body    text NOT NULL
    );
    CREATE TABLE gates (
        target  bytea PRIMARY KEY,
        version bigint NOT NULL,
        body    bytea NOT NULL
    );
    ",
    // 4: sync history and the audit log.
    "
    CREATE TABLE history_runs (
        id         bytea PRIMARY KEY,
        kind       text NOT NULL,
        scope      bytea NOT NULL,
        status     text NOT NULL,
        started_at bigint NOT NULL,
        body       text NOT NULL
    );
    CREATE INDEX history_runs_started ON history_runs (started_at DESC, id DESC);
    CREATE INDEX history_runs_scope ON history_runs (scope, started_at DESC, id DESC);
    CREATE TABLE history_items (
        run_id bytea NOT NULL,
        seq    bigint NOT NULL,
        body   text NOT NULL,
        PRIMARY KEY (run_id, seq)
    );
    CREATE TABLE history_audit (
        id          bytea PRIMARY KEY,
        at          bigint NOT NULL,
        entity_type bytea NOT NULL,
        entity_id   bytea NOT NULL,
        body        text NOT NULL
    );
    CREATE INDEX history_audit_at ON history_audit (at DESC, id DESC);
    CREATE INDEX history_audit_entity
        ON history_audit (entity_id, entity_type, at DESC, id DESC);
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i32 = STEPS.len() as i32;

/// Brings the schema up to [`SCHEMA_VERSION`], one step per transaction under the migration
/// lock; refuses a newer schema.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    loop {
        let tx = client.transaction().await.map_err(to_store_error)?;
        tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"))
            .await
            .map_err(to_store_error)?;
        tx.batch_execute(MIGRATIONS_TABLE)
            .await
            .map_err(to_store_error)?;
        let current: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM tasksync_schema_migrations",
                &[],
            )
            .await
            .map_err(to_store_error)?
            .get(0);
        if current > SCHEMA_VERSION {
            return Err(StoreError::Backend(format!(
                "database schema version {current} is newer than this build supports \
                 ({SCHEMA_VERSION}); upgrade tasksync"
            )));
        }
        if current == SCHEMA_VERSION {
            return tx.commit().await.map_err(to_store_error);
        }
        let step = STEPS[current.max(0) as usize];
        tx.batch_execute(step).await.map_err(to_store_error)?;
        tx.execute(
            "INSERT INTO tasksync_schema_migrations (version) VALUES ($1)",
            &[&(current + 1)],
        )
        .await
        .map_err(to_store_error)?;
        tx.commit().await.map_err(to_store_error)?;
        tracing::debug!(version = current + 1, "postgres schema migrated");
    }
}
