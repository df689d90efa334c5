//! Readable tables for plans, reports and tasks.

use comfy_table::{ColumnConstraint, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use sync_core::{ExecuteReport, Plan, ScopeSnapshot, SessionState, SkipReason, VerifyReport};

/// Longest cell text before it is cut.
const CELL: usize = 48;

fn cut(s: &str) -> String {
    cut_to(s, CELL)
}

/// `s` cut to `n` characters, with an ellipsis when it was longer.
pub(crate) fn cut_to(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// The widest a table is drawn: the terminal's width up to this, and this when the output is
/// not a terminal (a pipe, a file); longer cells wrap.
pub(crate) const MAX_WIDTH: u16 = 100;

/// An empty table with a header, in the tool's style, at most [`MAX_WIDTH`] wide.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let width = table.width().map_or(MAX_WIDTH, |w| w.min(MAX_WIDTH));
    table.set_width(width);
    table.set_header(header.iter().copied());
    table
}

/// Keeps column `index` unwrapped (ids that are copied into the next command).
pub(crate) fn whole(table: &mut Table, index: usize) {
    if let Some(column) = table.column_mut(index) {
        column.set_constraint(ColumnConstraint::ContentWidth);
    }
}

fn skip_reason(reason: &SkipReason) -> String {
    match reason {
        SkipReason::MassDeletion { .. } | SkipReason::HeldByMassDeletion { .. } => {
            format!("{reason}; pass --force-deletes")
        }
        other => other.to_string(),
    }
}

fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("\"{}\"", cut(s)),
        other => cut(&other.to_string()),
    }
}

/// Prints a plan: one row per planned or skipped change, then the totals.
pub(crate) fn plan(plan: &Plan) {
    println!(
        "Plan for scope `{}` from `{}` (scope version {})",
        cut(&plan.scope),
        cut(&plan.source),
        plan.scope_version
    );
    if plan.is_empty() && plan.skipped.is_empty() && plan.conflicts.is_empty() {
        println!(
            "Nothing to do: {} tasks already in sync.",
            plan.counts.unchanged
        );
        return;
    }
    let mut rows = table(&["action", "kind", "external id", "title", "detail"]);
    for c in &plan.creates {
        rows.add_row([
            "create",
            &c.task.kind,
            &cut(&c.task.external_id),
            &cut(&c.task.title),
            &format!("status {}", c.task.status),
        ]);
    }
    for u in &plan.updates {
        let detail: Vec<String> = u
            .changes
            .iter()
            .map(|c| format!("{}: {} → {}", c.field, value(&c.before), value(&c.after)))
            .collect();
        rows.add_row([
            "update",
            &u.kind,
            &cut(&u.external_id),
            &cut(&u.after.title),
            &detail.join("\n"),
        ]);
    }
    for d in &plan.deletes {
        let why = format!("{:?}", d.reason).to_lowercase();
        rows.add_row([
            "delete",
            &d.kind,
            &cut(&d.external_id),
            &cut(&d.title),
            &why,
        ]);
    }
    for c in &plan.conflicts {
        let detail = format!(
            "{}: hub {} vs source {} (base {}) → {:?}",
            c.field,
            value(&c.hub),
            value(&c.source),
            value(&c.base),
            c.resolution
        );
        rows.add_row(["conflict", "", &cut(&c.external_id), "", &detail]);
    }
    for s in &plan.skipped {
        rows.add_row([
            "skip",
            "",
            &cut(&s.external_id),
            &cut(&s.title),
            &skip_reason(&s.reason),
        ]);
    }
    println!("{rows}");
    let n = &plan.counts;
    println!(
        "{} to create, {} to update, {} to delete, {} unchanged, {} conflicts, {} skipped",
        n.creates, n.updates, n.deletes, n.unchanged, n.conflicts, n.skipped
    );
    println!("token {}", plan.token);
}

/// Prints what an execute did.
pub(crate) fn executed(report: &ExecuteReport) {
    println!(
        "Executed on scope `{}`: {} created, {} updated, {} deleted (scope version {})",
        cut(&report.scope),
        report.created,
        report.updated,
        report.deleted,
        report.scope_version
    );
}

/// Prints a consistency report.
pub(crate) fn verify(report: &VerifyReport) {
    let verdict = if report.consistent {
        "consistent"
    } else {
        "NOT consistent"
    };
    println!(
        "{verdict}: {} listed, {} in the hub",
        report.source_count, report.hub_count
    );
    for id in &report.missing_in_hub {
        println!("  missing in hub:    {id}");
    }
    for id in &report.missing_in_source {
        println!("  missing in source: {id}");
    }
    for m in &report.mismatched {
        println!(
            "  differs:           {} ({})",
            m.external_id,
            m.fields.join(", ")
        );
    }
    for id in &report.duplicates_in_listing {
        println!("  listed twice:      {id}");
    }
}

/// Prints a scope's tasks, ordered by external id.
pub(crate) fn tasks(scope: &str, mut snapshot: ScopeSnapshot) {
    snapshot
        .tasks
        .sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let mut rows = table(&["external id", "kind", "status", "title", "version"]);
    for t in &snapshot.tasks {
        rows.add_row([
            cut(&t.external_id),
            t.kind.clone(),
            t.status.to_string(),
            cut(&t.title),
            t.version.to_string(),
        ]);
    }
    println!(
        "Scope `{}` (version {}): {} tasks",
        cut(scope),
        snapshot.version,
        snapshot.tasks.len()
    );
    println!("{rows}");
}

/// Milliseconds as `h:mm:ss.mmm`.
fn duration(ms: u64) -> String {
    let (s, ms) = (ms / 1_000, ms % 1_000);
    format!("{}:{:02}:{:02}.{ms:03}", s / 3_600, s / 60 % 60, s % 60)
}

/// Prints a session's state: a summary line, then one row per cycle.
pub(crate) fn session(state: &SessionState) {
    println!(
        "Session `{}`: {} (version {}), running {}, paused {}, {} switches",
        cut(&state.id),
        state.status,
        state.version,
        duration(state.running_ms),
        duration(state.paused_ms),
        state.switch_count
    );
    let mut rows = table(&["", "cycle", "name", "time", "ms"]);
    for (i, c) in state.cycles.iter().enumerate() {
        let marker = if i == state.current_index { "▶" } else { "" };
        rows.add_row([
            marker.to_owned(),
            cut(&c.id),
            cut(&c.name),
            duration(c.elapsed_ms),
            c.elapsed_ms.to_string(),
        ]);
    }
    println!("{rows}");
}

pub(crate) fn jobs(jobs: &[sync_core::Job], json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(jobs).expect("jobs serialize")
        );
        return;
    }
    // Ids and the short status words stay whole; the last errors follow the table, so the
    // table fits the width without cutting words.
    let mut t = table(&["job", "task", "target", "to", "state (attempts)"]);
    for column in [0, 3, 4] {
        whole(&mut t, column);
    }
    for job in jobs {
        t.add_row(vec![
            job.id.clone(),
            cut(&job.external_id),
            cut_to(&job.target, 24),
            job.to.as_str().to_owned(),
            format!(
                "{} ({}/{})",
                job.state.as_str(),
                job.attempts,
                job.budget(sync_core::WorkerConfig::default().backoff.max_attempts)
            ),
        ]);
    }
    println!("{t}");
    for job in jobs {
        if let Some(error) = &job.last_error {
            println!("{}: last error: {}", job.id, cut_to(error, 200));
        }
    }
    println!("{} job(s)", jobs.len());
}

/// Prints a listing: one row per task.
pub(crate) fn listing(listing: &sync_core::Listing) {
    let mut t = table(&["External id", "Kind", "Status", "Title"]);
    for item in &listing.items {
        t.add_row(vec![
            cut(&item.external_id),
            cut(item.content.kind.as_str()),
            item.content.status.map_or("-", |s| s.as_str()).to_owned(),
            cut(&item.content.title),
        ]);
    }
    println!("{t}");
    println!(
        "{} tasks from `{}`{}",
        listing.items.len(),
        cut(&listing.source),
        if listing.complete { "" } else { " (partial)" }
    );
}
