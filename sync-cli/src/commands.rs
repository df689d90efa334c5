//! What each subcommand does: read the folder, call the engine, render the result.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sync_core::session::Cycle;
use sync_core::{Listing, NullSink, Plan, Policy, SessionEngine, SyncEngine, SystemClock};
use sync_fs::FolderSource;

use crate::args::{Cli, Command, SessionCommand, SourceArgs};
use crate::providers::{ProviderArgs, Providers};
use crate::render;
use crate::store::Hub;

/// A failure of the tool.
#[derive(Debug)]
pub(crate) enum CliError {
    Core(sync_core::Error),
    Usage(String),
    Other(String),
    /// `verify` found differences (exit code 6); the report is already printed.
    Inconsistent(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The only confirmation the tool asks for is `execute`'s, given with `--yes`.
            CliError::Core(sync_core::Error::NotConfirmed) => f.write_str(
                "execution not confirmed: preview the plan, then pass --yes to apply it",
            ),
            CliError::Core(e) => write!(f, "{e}"),
            CliError::Usage(m) | CliError::Other(m) | CliError::Inconsistent(m) => f.write_str(m),
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

async fn session(hub: &Hub, command: SessionCommand) -> Result<(), CliError> {
    let engine = SessionEngine::new(hub.sessions(), Arc::new(SystemClock), Arc::new(NullSink));
    let changed = match command {
        SessionCommand::Create { id, cycles } => {
            let cycles = cycles
                .into_iter()
                .map(|c| c.trim().to_owned())
                .map(|c| Cycle::new(c.clone(), c))
                .collect();
            engine.create(id, cycles).await?.id
        }
        SessionCommand::Start(s) => engine.start(&s.id).await?.id,
        SessionCommand::Switch { session, to } => {
            engine.switch(&session.id, to.as_deref()).await?.id
        }
        SessionCommand::Pause(s) => engine.pause(&s.id).await?.id,
        SessionCommand::Resume(s) => engine.resume(&s.id).await?.id,
        SessionCommand::Complete(s) => engine.complete(&s.id).await?.id,
        SessionCommand::Show(s) => s.id,
        SessionCommand::Delete(s) => {
            let last = engine.delete(&s.id).await?;
            println!("Session `{}` deleted.", s.id);
            render::session(&last);
            return Ok(());
        }
    };
    render::session(&engine.state(&changed).await?);
    Ok(())
}

/// Where a preview's listing comes from.
enum ListFrom<'a> {
    Folder(&'a SourceArgs),
    Provider {
        name: &'a str,
        provider_scope: Option<&'a str>,
        providers: &'a ProviderArgs,
    },
}

/// A folder's listing, its problems printed as warnings.
fn read_folder(args: &SourceArgs) -> Result<Listing, CliError> {
    folder_listing(&args.from, &args.source)
}

fn folder_listing(from: &std::path::Path, source: &str) -> Result<Listing, CliError> {
    let bar = spinner("reading task files");
    let (listing, problems) = FolderSource::new(from, source)
        .read_report()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    bar.finish_and_clear();
    for problem in &problems {
        eprintln!("warning: {problem}");
    }
    if !problems.is_empty() {
        eprintln!(
            "warning: {} left out; the listing is partial, so a sync deletes no task",
            match problems.len() {
                1 => "1 file or folder".to_owned(),
                n => format!("{n} files or folders"),
            }
        );
    }
    Ok(listing)
}

async fn preview(
    engine: &SyncEngine,
    from: ListFrom<'_>,
    scope: &str,
    policy: &Policy,
) -> Result<Plan, CliError> {
    let listing = match from {
        ListFrom::Folder(args) => read_folder(args)?,
        ListFrom::Provider {
            name,
            provider_scope,
            providers,
        } => {
            let provider = Providers::read(providers)?.build_one(Some(name))?;
            let bar = spinner("listing the provider");
            let listed = engine
                .list_from(
                    &*provider,
                    scope,
                    provider_scope.unwrap_or(scope),
                    &crate::history::options(),
                )
                .await;
            bar.finish_and_clear();
            listed?
        }
    };
    let bar = spinner("computing the plan");
    let options = crate::history::options();
    let plan = engine
        .preview_with(scope, &listing, policy, &options)
        .await?;
    bar.finish_and_clear();
    Ok(plan)
}

pub(crate) async fn run(cli: Cli) -> Result<(), CliError> {
    let options = cli.connect_options();
    let cli = match cli.command {
        Command::Worker(args) => return crate::worker::start(&cli.db, options, args).await,
        Command::Folder { from, source, json } => return folder(&from, &source, json),
        _ => cli,
    };
    let hub = Hub::open(&cli.db, options).await?;
    // Every preview and execute is recorded in the hub's sync history, flushed before exit.
    let (engine, recording) = crate::history::attach(&hub, SyncEngine::new(hub.tasks()));
    let recorder = recording.as_ref().map(crate::history::Recording::recorder);
    crate::history::drive(recording, dispatch(cli, &hub, engine, recorder)).await
}

async fn dispatch(
    cli: Cli,
    hub: &Hub,
    engine: SyncEngine,
    recorder: Option<sync_core::history::HistoryRecorder>,
) -> Result<(), CliError> {
    let folder: SourceArgs;
    match cli.command {
        Command::Preview {
            source,
            policy,
            save,
            json,
        } => {
            let from = match (&source.from, &source.from_provider) {
                (_, Some(name)) => ListFrom::Provider {
                    name,
                    provider_scope: source.provider_scope.as_deref(),
                    providers: &source.providers,
                },
                (Some(from), None) => {
                    folder = SourceArgs {
                        from: from.clone(),
                        scope: source.scope.clone(),
                        source: source.source.clone(),
                    };
                    ListFrom::Folder(&folder)
                }
                (None, None) => {
                    return Err(CliError::Usage("give --from or --from-provider".into()));
                }
            };
            let plan = preview(&engine, from, &source.scope, &policy.policy()).await?;
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
                        scope: scope.clone(),
                        source: source.source,
                    };
                    preview(&engine, ListFrom::Folder(&args), &scope, &policy.policy()).await?
                }
                (None, None, Some(scope)) if source.from_provider.is_some() => {
                    let from = ListFrom::Provider {
                        name: source.from_provider.as_deref().unwrap_or_default(),
                        provider_scope: source.provider_scope.as_deref(),
                        providers: &source.providers,
                    };
                    preview(&engine, from, &scope, &policy.policy()).await?
                }
                _ => {
                    return Err(CliError::Usage(
                        "give --plan FILE, --from DIR --scope S, or --from-provider NAME --scope S"
                            .into(),
                    ));
                }
            };
            let bar = spinner("applying the plan");
            let report = engine
                .execute_with(&plan, yes, &crate::history::options())
                .await;
            bar.finish_and_clear();
            render::executed(&report?);
        }
        Command::Verify { source } => {
            let listing = read_folder(&source)?;
            let report = engine.verify(&source.scope, &listing).await?;
            render::verify(&report);
            if !report.consistent {
                return Err(CliError::Inconsistent(format!(
                    "scope `{}` is not consistent with {}",
                    render::cut_to(&source.scope, 80),
                    source.from.display()
                )));
            }
        }
        Command::Tasks { scope } => {
            let snapshot = engine
                .store()
                .snapshot(scope.clone())
                .await
                .map_err(sync_core::Error::from)?;
            render::tasks(&scope, snapshot);
        }
        Command::Session { command } => session(hub, command).await?,
        Command::Status(args) => crate::queue::status(hub, recorder, args).await?,
        Command::Pull(args) => crate::pull::pull(engine, args).await?,
        Command::Worker(_) | Command::Folder { .. } => {
            unreachable!("the worker and the folder listing run without the command pipeline")
        }
        Command::Jobs { command } => crate::queue::jobs(hub, recorder, command).await?,
        Command::History { command } => crate::history::run(hub, command).await?,
    }
    Ok(())
}

/// `tasksync folder`: the listing (the core's serde form with `--json`), problems on stderr.
fn folder(from: &std::path::Path, source: &str, json: bool) -> Result<(), CliError> {
    let listing = folder_listing(from, source)?;
    if json {
        println!("{}", serde_json::to_string(&listing).map_err(other)?);
    } else {
        render::listing(&listing);
    }
    Ok(())
}

fn other(e: impl std::fmt::Display) -> CliError {
    CliError::Other(e.to_string())
}
