//! What each subcommand does: read the folder, call the engine, render the result.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sync_core::{Listing, Plan, Policy, SyncEngine};
use sync_fs::FolderSource;
use sync_sqlite::SqliteStore;

use crate::args::{Cli, Command, SourceArgs};
use crate::render;

/// A failure of the tool.
#[derive(Debug)]
pub(crate) enum CliError {
    Core(sync_core::Error),
    Usage(String),
    Other(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Core(e) => write!(f, "{e}"),
            CliError::Usage(m) | CliError::Other(m) => f.write_str(m),
        }
    }
}

impl From<sync_core::Error> for CliError {
    fn from(e: sync_core::Error) -> Self {
        CliError::Core(e)
    }
}

/// A spinner on stderr while long work runs; hidden when stderr is not a terminal.
fn spinner(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("template"));
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn engine(db: &Path) -> Result<SyncEngine, CliError> {
    let store = SqliteStore::open(db)
        .map_err(|e| CliError::Other(format!("cannot open {}: {e}", db.display())))?;
    Ok(SyncEngine::new(Arc::new(store)))
}

fn read_folder(args: &SourceArgs) -> Result<Listing, CliError> {
    let bar = spinner("reading task files");
    let (listing, problems) = FolderSource::new(&args.from, &args.source)
        .read_report()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();
    for problem in problems {
        eprintln!("warning: {problem}");
    }
    Ok(listing)
}

async fn preview(
    engine: &SyncEngine,
    args: &SourceArgs,
    policy: &Policy,
) -> Result<Plan, CliError> {
    let listing = read_folder(args)?;
    let bar = spinner("computing the plan");
    let plan = engine.preview(&args.scope, &listing, policy).await?;
    bar.finish_and_clear();
    Ok(plan)
}

pub(crate) async fn run(cli: Cli) -> Result<(), CliError> {
    let engine = engine(&cli.db)?;
    match cli.command {
        Command::Preview {
            source,
            policy,
            save,
            json,
        } => {
            let plan = preview(&engine, &source, &policy.policy()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&plan).map_err(other)?);
            } else {
                render::plan(&plan);
            }
            if let Some(path) = save {
                let text = serde_json::to_string(&plan).map_err(other)?;
                std::fs::write(&path, text).map_err(|e| {
                    CliError::Other(format!("cannot write {}: {e}", path.display()))
                })?;
                println!("plan saved to {} (token {})", path.display(), plan.token);
            }
        }
        Command::Execute {
            plan,
            source,
            policy,
            yes,
        } => {
            let plan = match (plan, source.from, source.scope) {
                (Some(path), _, _) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        CliError::Usage(format!("cannot read plan {}: {e}", path.display()))
                    })?;
                    serde_json::from_str(&text).map_err(|e| {
                        CliError::Usage(format!("{} is not a plan: {e}", path.display()))
                    })?
                }
                (None, Some(from), Some(scope)) => {
                    let args = SourceArgs {
                        from,
                        scope,
                        source: source.source,
                    };
                    preview(&engine, &args, &policy.policy()).await?
                }
                _ => {
                    return Err(CliError::Usage(
                        "give --plan FILE, or --from DIR --scope S".into(),
                    ));
                }
            };
            let bar = spinner("applying the plan");
            let report = engine.execute(&plan, yes).await;
            bar.finish_and_clear();
            render::executed(&report?);
        }
        Command::Verify { source } => {
            let listing = read_folder(&source)?;
            let report = engine.verify(&source.scope, &listing).await?;
            render::verify(&report);
        }
        Command::Tasks { scope } => {
            let snapshot = engine
                .store()
                .snapshot(scope.clone())
                .await
                .map_err(sync_core::Error::from)?;
            render::tasks(&scope, snapshot);
        }
    }
    Ok(())
}

fn other(e: impl std::fmt::Display) -> CliError {
    CliError::Other(e.to_string())
}
