//! `tasksync history list | show | audit`, and the recording of every preview and execute into
//! the history of the same hub (the SQLite file's, or the PostgreSQL database's).
//!
//! Recording is best effort, as in the core: if the history cannot be opened the command runs
//! without it (with a `warning:` line). The pump runs next to the command (`futures::join`) and is
//! flushed before the process exits, so a finished `execute` has its run, items and audit
//! entries on disk.

use std::future::Future;

use crate::render::{cut_to as cut, table};
use clap::Subcommand;
use serde_json::json;
use sync_core::history::{
    Actor, AuditEntry, AuditQuery, Cursor, DEFAULT_LIMIT, ItemQuery, RecorderConfig, Run,
    RunContext, RunKind, RunQuery, RunStatus,
};
use sync_core::{Error, HistoryPump, HistoryRecorder, Millis, RunOptions, SyncEngine};

use crate::commands::CliError;
use crate::store::Hub;

/// `tasksync history ...`
#[derive(Debug, Subcommand)]
pub(crate) enum HistoryCommand {
    /// List sync runs, newest first.
    #[command(alias = "runs")]
    List {
        /// Only runs with this status (pending, in_progress, completed, failed, cancelled).
        #[arg(long, value_parser = parse_status)]
        status: Option<RunStatus>,
        /// Only runs of this scope.
        #[arg(long)]
        scope: Option<String>,
        /// Only previews or only executes.
        #[arg(long, value_parser = parse_kind)]
        kind: Option<RunKind>,
        /// Only runs started at or after this time (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[Z] in UTC,
        /// or milliseconds since the epoch).
        #[arg(long, value_parser = parse_time)]
        since: Option<Millis>,
        /// Only runs started before this time (same formats as --since).
        #[arg(long, value_parser = parse_time)]
        until: Option<Millis>,
        /// At most this many runs.
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: usize,
        /// Continue after this cursor (printed under the previous page).
        #[arg(long)]
        cursor: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one run with its counters and items.
    Show {
        /// The run id.
        run_id: String,
        /// At most this many items.
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        items_limit: usize,
        /// Items after this position (printed under the previous page).
        #[arg(long)]
        items_after: Option<u64>,
        /// Print JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// List audit entries, newest first: syncs, status changes, manual retries and discards.
    Audit {
        /// Only entries about this entity id (a run id, a task id, a job id).
        #[arg(long)]
        entity: Option<String>,
        /// Only entries about entities of this type (sync, task, job).
        #[arg(long)]
        entity_type: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = DEFAULT_LIMIT)]
        limit: usize,
        /// Continue after this cursor.
        #[arg(long)]
        cursor: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

fn parse_status(s: &str) -> Result<RunStatus, String> {
    s.parse().map_err(|e: Error| e.to_string())
}

fn parse_kind(s: &str) -> Result<RunKind, String> {
    match s {
        "preview" => Ok(RunKind::Preview),
        "execute" => Ok(RunKind::Execute),
        _ => Err("expected `preview` or `execute`".into()),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01 (`civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Milliseconds, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[Z]` (UTC).
fn parse_time(s: &str) -> Result<Millis, String> {
    if let Ok(ms) = s.parse::<Millis>() {
        return Ok(ms);
    }
    let bad =
        || format!("`{s}` is not a time: use YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or milliseconds");
    let (date, time) = s.split_once(['T', ' ']).unwrap_or((s, "00:00:00"));
    let numbers = |text: &str, sep: char| -> Result<Vec<i64>, String> {
        text.split(sep)
            .map(|n| n.parse::<i64>().map_err(|_| bad()))
            .collect()
    };
    let date = numbers(date, '-')?;
    let time = numbers(time.trim_end_matches('Z'), ':')?;
    let (&[y, mo, d], &[h, mi, sec]) = (&date[..], &time[..]) else {
        return Err(bad());
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    if h < 0 || mi < 0 || sec < 0 {
        return Err(bad());
    }
    Ok((days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + sec) * 1_000)
}

/// `YYYY-MM-DD HH:MM:SS` in UTC.
fn time(ms: Millis) -> String {
    let secs = ms.div_euclid(1_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3_600,
        s % 3_600 / 60,
        s % 60
    )
}

/// The recorder side of a command: flushed when the command's future is done.
pub(crate) struct Recording {
    recorder: HistoryRecorder,
    pump: HistoryPump,
}

impl Recording {
    /// Another handle on the recorder (for audit entries of queue commands).
    pub(crate) fn recorder(&self) -> HistoryRecorder {
        self.recorder.clone()
    }
}

/// Gives the engine a recorder into the hub's history, if it opens.
pub(crate) fn attach(hub: &Hub, engine: SyncEngine) -> (SyncEngine, Option<Recording>) {
    match hub.history() {
        Ok(store) => {
            let (recorder, pump) = HistoryRecorder::new(store, RecorderConfig::default());
            let engine = engine.with_history(recorder.clone());
            (engine, Some(Recording { recorder, pump }))
        }
        Err(err) => {
            eprintln!("warning: sync history unavailable, running without it: {err}");
            (engine, None)
        }
    }
}

/// Runs `work` next to the pump, then flushes what was recorded.
pub(crate) async fn drive<T>(recording: Option<Recording>, work: impl Future<Output = T>) -> T {
    let Some(Recording { recorder, pump }) = recording else {
        return work.await;
    };
    let work = async {
        let out = work.await;
        recorder.close();
        out
    };
    futures::future::join(work, pump.run()).await.0
}

/// The run options of a command: the local user and this tool as the user agent.
pub(crate) fn options() -> RunOptions {
    RunOptions::new().context(RunContext {
        actor: Actor {
            user: std::env::var("USER").ok().filter(|u| !u.is_empty()),
            ip: None,
            user_agent: Some(format!("tasksync/{}", env!("CARGO_PKG_VERSION"))),
        },
        source_id: None,
        target_id: None,
    })
}

fn cursor(text: Option<String>) -> Result<Option<Cursor>, CliError> {
    text.map(|t| t.parse::<Cursor>().map_err(CliError::Core))
        .transpose()
}

fn store_error(e: sync_core::StoreError) -> CliError {
    CliError::Core(Error::from(e))
}

fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError::Other(e.to_string()))?;
    println!("{text}");
    Ok(())
}

fn duration(run: &Run) -> String {
    match run.duration_ms {
        Some(ms) => format!("{}.{:03} s", ms / 1_000, ms % 1_000),
        None => "-".into(),
    }
}

/// Runs a `history` subcommand on the hub's history.
pub(crate) async fn run(hub: &Hub, command: HistoryCommand) -> Result<(), CliError> {
    let store = hub.history().map_err(CliError::Other)?;
    match command {
        HistoryCommand::List {
            status,
            scope,
            kind,
            since,
            until,
            limit,
            cursor: after,
            json,
        } => {
            let query = RunQuery {
                status,
                kind,
                scope,
                since,
                until,
                after: cursor(after)?,
                limit,
            };
            query.validate()?;
            let page = store.runs(query).await.map_err(store_error)?;
            let next = page.next.as_ref().map(Cursor::to_string);
            if json {
                return print_json(&json!({"runs": page.items, "next": next}));
            }
            list(&page.items, next.as_deref());
        }
        HistoryCommand::Show {
            run_id,
            items_limit,
            items_after,
            json,
        } => {
            let query = ItemQuery {
                run_id: run_id.clone(),
                after: items_after,
                limit: items_limit,
            };
            query.validate()?;
            let Some(run) = store.run(run_id.clone()).await.map_err(store_error)? else {
                return Err(CliError::Core(Error::NotFound(format!(
                    "run `{}`",
                    cut(&run_id, 80)
                ))));
            };
            let page = store.items(query).await.map_err(store_error)?;
            if json {
                return print_json(&json!({"run": run, "items": page.items, "next": page.next}));
            }
            show(&run, &page.items, page.next);
        }
        HistoryCommand::Audit {
            entity,
            entity_type,
            limit,
            cursor: after,
            json,
        } => {
            let query = AuditQuery {
                entity_type,
                entity_id: entity,
                after: cursor(after)?,
                limit,
            };
            query.validate()?;
            let page = store.audit(query).await.map_err(store_error)?;
            let next = page.next.as_ref().map(Cursor::to_string);
            if json {
                return print_json(&json!({"entries": page.items, "next": next}));
            }
            audit(&page.items, next.as_deref());
        }
    }
    Ok(())
}

fn list(runs: &[Run], next: Option<&str>) {
    if runs.is_empty() {
        println!("No sync runs recorded.");
        return;
    }
    let mut rows = table(&[
        "run",
        "kind",
        "status",
        "scope",
        "started (UTC)",
        "took",
        "changes",
    ]);
    crate::render::whole(&mut rows, 0);
    for run in runs {
        rows.add_row([
            run.id.clone(),
            run.kind.to_string(),
            run.status.to_string(),
            cut(&run.scope, 24),
            time(run.started_at),
            duration(run),
            changes(&run.totals),
        ]);
    }
    println!("{rows}");
    if let Some(next) = next {
        println!("more: --cursor {next}");
    }
}

/// The counters that are not zero, one per line (`none` when all are).
fn changes(c: &sync_core::history::Counters) -> String {
    let parts: Vec<String> = [
        (c.created, "created"),
        (c.updated, "updated"),
        (c.deleted, "deleted"),
        (c.failed, "failed"),
        (c.skipped, "skipped"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join("\n")
    }
}

fn show(run: &Run, items: &[sync_core::history::Item], next: Option<u64>) {
    println!("Run {} ({}, {})", run.id, run.kind, run.status);
    println!(
        "  scope {} from {}",
        cut(&run.scope, 40),
        cut(&run.source, 40)
    );
    println!(
        "  started {} UTC, took {}",
        time(run.started_at),
        duration(run)
    );
    let actor = &run.context.actor;
    if let Some(user) = &actor.user {
        println!("  by {user}");
    }
    if let Some(agent) = &actor.user_agent {
        println!("  user agent {agent}");
    }
    if run.overwrite {
        println!(
            "  overwrite mode: {} deleted to be recreated",
            run.deletions
        );
    }
    if let Some(error) = &run.error {
        println!("  error: {}", cut(error, 200));
    }
    let mut counters = table(&["type", "created", "updated", "deleted", "failed", "skipped"]);
    for (kind, c) in run
        .by_type
        .iter()
        .chain(std::iter::once((&"total".to_owned(), &run.totals)))
    {
        counters.add_row([
            kind.clone(),
            c.created.to_string(),
            c.updated.to_string(),
            c.deleted.to_string(),
            c.failed.to_string(),
            c.skipped.to_string(),
        ]);
    }
    println!("{counters}");
    if items.is_empty() {
        println!("No items recorded ({} planned).", run.total_items);
        return;
    }
    let mut rows = table(&["#", "outcome", "type", "external id", "name", "detail"]);
    for item in items {
        rows.add_row([
            item.seq.to_string(),
            item.outcome.to_string(),
            item.kind.clone(),
            cut(&item.external_id, 32),
            cut(&item.name, 40),
            cut(item.error.as_deref().unwrap_or(""), 48),
        ]);
    }
    println!("{rows}");
    if let Some(next) = next {
        println!("more: --items-after {next}");
    }
}

fn audit(entries: &[AuditEntry], next: Option<&str>) {
    if entries.is_empty() {
        println!("No audit entries.");
        return;
    }
    let mut rows = table(&["at (UTC)", "action", "entity", "by", "change", "details"]);
    for e in entries {
        let change = match (&e.from, &e.to) {
            (Some(from), Some(to)) => format!("{from} → {to}"),
            _ => String::new(),
        };
        let details = if e.details.is_null() {
            String::new()
        } else {
            e.details.to_string()
        };
        rows.add_row([
            time(e.at),
            e.action.to_string(),
            format!("{} {}", e.entity_type, cut(&e.entity_id, 40)),
            e.actor.user.clone().unwrap_or_default(),
            change,
            cut(&details, 60),
        ]);
    }
    println!("{rows}");
    if let Some(next) = next {
        println!("more: --cursor {next}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_print_in_utc() {
        assert_eq!(parse_time("1700000000000"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("2024-02-29T12:30:05Z"), Ok(1_709_209_805_000));
        assert_eq!(time(1_709_209_805_000), "2024-02-29 12:30:05");
        assert_eq!(time(0), "1970-01-01 00:00:00");
        for bad in [
            "yesterday",
            "2024-13-01",
            "2024-01-01T25:00:00",
            "2024-01",
            "1-2-3-4",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
