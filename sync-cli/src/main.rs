//! `tasksync`: preview and execute syncs from a folder of Markdown task files into the hub (an
//! SQLite file, or a PostgreSQL database shared by many instances), verify consistency and
//! list tasks; change statuses, run the outbound queue's worker
//! and settle its dead letters; run sessions.
//!
//! Exit codes: 0 success, 1 failure, 2 bad usage or input, 3 stale plan, 4 not confirmed,
//! 5 refused by the current state (`invalid_state`, `invalid_transition`), 6 `verify` found
//! the store not consistent with the folder.
//!
//! Warnings go to stderr once each, without colour codes unless stderr is a terminal and
//! `NO_COLOR` is unset.

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
mod providers;
mod pull;
mod queue;
mod render;
mod store;
mod worker;

use std::io::{IsTerminal, Write};

use clap::Parser;
use sync_core::ErrorKind;

/// The log filter without `TASKSYNC_LOG`: warnings, except those the tool reports itself, so
/// each is shown once: the folder source's come with its listing and are printed as `warning:`
/// lines, and the engine's only warning (a stale plan refused) is the command's error.
const DEFAULT_LOG: &str = "warn,sync_fs=error,sync_core::engine=error";

/// A reader that stops early (`tasksync history list | head -1`) closes the pipe; printing then
/// fails. The tool exits quietly with 141, the code of a process ended by SIGPIPE, as other
/// command-line tools do, instead of reporting a crash.
fn quiet_on_closed_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info);
    }));
}

/// Log lines go to stderr with the hub URL's password (if any) replaced by `***`: the store
/// keeps it out of its messages already; this is the second lock on the door.
struct Scrubbed(store::Location);

/// One log event, written whole (the formatter writes each event in one call).
struct ScrubbedLine<'a>(&'a store::Location);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Scrubbed {
    type Writer = ScrubbedLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedLine(&self.0)
    }
}

impl Write for ScrubbedLine<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(self.0.scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn main() {
    quiet_on_closed_pipe();
    let cli = args::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("TASKSYNC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG));
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Scrubbed(cli.db.clone()))
        .with_ansi(colour)
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
    let location = cli.db.clone();
    if let Err(err) = runtime.block_on(commands::run(cli)) {
        // The store redacts its URL's password; this is the second lock on the door.
        eprintln!("error: {}", location.scrub(&err.to_string()));
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
            commands::CliError::Inconsistent(_) => 6,
        };
        std::process::exit(code);
    }
}
