//! `tasksync pull`: a provider's listing previewed into a hub scope and executed on its own only
//! when the rule allows it (`sync_core::pull::Puller` decides); once (`--once`) or every
//! `--every` seconds until SIGTERM or SIGINT (the pull in flight is finished).
//!
//! Each pull is one JSON line on stdout: the core's `PullReport` without the held plan (its
//! token instead), or `{"outcome": "failed", "error"}`. A held plan is written to
//! `--save-held FILE` so a person can `tasksync execute --plan FILE --yes`; a pull that
//! executes or finds nothing to do removes that file. Every pull is in the hub's history (a
//! failed listing as a failed preview run).

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{Value, json};
use sync_core::pull::{PullConfig, PullOutcome, PullReport, PullRule, Puller};
use sync_core::{Plan, SyncEngine};

use crate::args::PolicyArgs;
use crate::commands::CliError;
use crate::providers::{ProviderArgs, Providers};
use crate::worker::{Shutdown, tokio_sleep};

/// Pull a provider into a hub scope.
#[derive(Debug, Args)]
pub(crate) struct PullArgs {
    #[command(flatten)]
    providers: ProviderArgs,
    /// The provider to pull (default: the only one defined).
    #[arg(long, value_name = "NAME")]
    from_provider: Option<String>,
    /// The hub scope the tasks go into.
    #[arg(long)]
    scope: String,
    /// The scope the provider lists (a To Do list id, `tickets`, a process id...); default:
    /// --scope.
    #[arg(long)]
    provider_scope: Option<String>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Pull once and exit (a failed pull exits 1).
    #[arg(long)]
    once: bool,
    /// Seconds between pulls.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        conflicts_with = "once"
    )]
    every: u64,
    /// The most deletions a plan may make and still execute on its own.
    #[arg(long, value_name = "N", default_value_t = 0)]
    max_deletes: usize,
    /// Execute a plan that reports conflicts on its own.
    #[arg(long)]
    allow_conflicts: bool,
    /// Never execute on its own: hold every plan that changes something.
    #[arg(long)]
    hold: bool,
    /// Write each held plan here (JSON, as `preview --save` does) for `execute --plan FILE`.
    #[arg(long, value_name = "FILE")]
    save_held: Option<PathBuf>,
}

/// A pull's JSON line: the report without the held plan.
fn line(result: &sync_core::Result<PullReport>) -> Value {
    match result {
        Ok(report) => {
            let mut value = serde_json::to_value(report).unwrap_or(Value::Null);
            if let (PullOutcome::Held { plan, .. }, Value::Object(map)) =
                (&report.outcome, &mut value)
            {
                map.remove("plan");
                map.insert("plan_token".into(), json!(plan.token));
            }
            value
        }
        Err(err) => json!({"outcome": "failed", "error": err.to_string()}),
    }
}

/// Keeps `--save-held` in step with the puller's held plan.
fn save_held(path: Option<&Path>, held: Option<&Plan>) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    match held {
        Some(plan) => {
            let text = serde_json::to_string(plan).map_err(|e| e.to_string())?;
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write the held plan to {}: {e}", path.display()))
        }
        None => match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(format!(
                "cannot remove the old held plan {}: {e}",
                path.display()
            )),
            _ => Ok(()),
        },
    }
}

fn after(result: &sync_core::Result<PullReport>, save: Option<&Path>) {
    println!("{}", line(result));
    let held = match result {
        Ok(PullReport {
            outcome: PullOutcome::Held { plan, .. },
            ..
        }) => Some(Some(plan.as_ref())),
        Ok(_) => Some(None),
        // A failed pull leaves the held plan as it was.
        Err(_) => None,
    };
    if let Some(held) = held {
        if let Err(message) = save_held(save, held) {
            eprintln!("warning: {message}");
        }
    }
}

/// Runs `tasksync pull`.
pub(crate) async fn pull(engine: SyncEngine, args: PullArgs) -> Result<(), CliError> {
    let provider = Providers::read(&args.providers)?.build_one(args.from_provider.as_deref())?;
    let config = PullConfig {
        scope: args.scope.clone(),
        provider_scope: args.provider_scope.clone(),
        policy: args.policy.policy(),
        rule: PullRule {
            auto_execute: !args.hold,
            allow_conflicts: args.allow_conflicts,
            max_deletes: args.max_deletes,
        },
        interval_ms: args.every.saturating_mul(1_000),
    };
    let puller = Puller::new(engine, provider, config)?;
    let save = args.save_held.as_deref();
    if args.once {
        let result = puller.pull(&crate::history::options()).await;
        after(&result, save);
        result?;
        return Ok(());
    }
    let shutdown = Shutdown::install("pull", "the pull")?;
    let totals = puller
        .run(
            &crate::history::options(),
            &tokio_sleep,
            shutdown.wait(),
            |result| after(result, save),
        )
        .await;
    eprintln!(
        "pull done: {} pulls, {} executed, {} held, {} unchanged, {} failed",
        totals.pulls, totals.executed, totals.held, totals.unchanged, totals.failed
    );
    Ok(())
}
