//! `tasksync`: preview and execute syncs from a folder of Markdown task files into the SQLite
//! store, verify consistency and list tasks; change statuses, run the outbound queue's worker
//! and settle its dead letters; run sessions.
//!
//! Exit codes: 0 success, 1 failure, 2 bad usage or input, 3 stale plan, 4 not confirmed,
//! 5 refused by the current state (`invalid_state`, `invalid_transition`).

// mimalloc for the core's allocations: a sync builds and drops hundreds of thousands of small
// strings and maps, and glibc's malloc spent a third of a 100,000-task preview + execute in
// malloc/free and fresh-page faults (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod caldav;
mod commands;
mod history;
mod journal;
mod queue;
mod render;

use clap::Parser;
use sync_core::ErrorKind;

fn main() {
    let cli = args::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("TASKSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    // A current-thread tokio runtime: the HTTP providers (reqwest) need its I/O and timers.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            std::process::exit(1);
        }
    };
    if let Err(err) = runtime.block_on(commands::run(cli)) {
        eprintln!("error: {err}");
        let code = match &err {
            commands::CliError::Core(e) => match e.kind() {
                ErrorKind::InvalidInput => 2,
                ErrorKind::StalePlan => 3,
                ErrorKind::NotConfirmed => 4,
                ErrorKind::InvalidState | ErrorKind::InvalidTransition => 5,
                ErrorKind::IdentityConflict => 7,
                _ => 1,
            },
            commands::CliError::Usage(_) => 2,
            commands::CliError::Other(_) => 1,
        };
        std::process::exit(code);
    }
}
