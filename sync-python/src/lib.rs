//! tasksync binding for Python (pyo3): the native module `tasksync._native`.
//!
//! Thin: conversion and error mapping only; every behaviour is the core's. The modules mirror
//! `sync-core`'s, file for file and named as they are (`model`, `store`, `diff`, `engine`,
//! `transition`, `retry/` with one file per core `retry` module, `history`, `session`,
//! `event`, `clock`, `provider`, `error`, `limits`, `conformance`, `manifest`). Three support
//! files are the binding's own plumbing and say so in their docs: `convert` (Python data ⇄
//! core types, and the record classes), `runtime` (running core futures, calling host
//! objects, the panic fence) and `log` (`tracing` to Python `logging`). A new core module gets
//! a new file here with a `register` function, called from [`_native`].
//!
//! Invariants: no panic crosses into Python (see [`runtime`]); blocking methods release the
//! GIL; every error is a `tasksync.TasksyncError` subclass carrying the core's error code.
#![deny(missing_docs)]

// mimalloc for the core's allocations: a sync builds and drops hundreds of thousands of small
// strings and maps, and glibc's malloc spent a third of a 100,000-task preview + execute in
// malloc/free and fresh-page faults (BENCHMARKS.md). Host allocations are not affected.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod clock;
mod conformance;
mod convert;
mod diff;
mod engine;
mod error;
mod event;
mod fs;
mod history;
mod limits;
mod log;
mod manifest;
mod model;
mod provider;
mod providers;
mod pull;
mod retry;
mod runtime;
mod session;
mod store;
mod transition;

use pyo3::prelude::*;

/// The stable code a binding gives an error of this kind (`stale_plan`, ...).
pub fn error_code(kind: sync_core::ErrorKind) -> &'static str {
    kind.code()
}

/// The native module; the `tasksync` package re-exports it.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    log::install();
    error::register(m)?;
    model::register(m)?;
    limits::register(m)?;
    diff::register(m)?;
    engine::register(m)?;
    store::register(m)?;
    clock::register(m)?;
    event::register(m)?;
    session::register(m)?;
    transition::register(m)?;
    retry::register(m)?;
    history::register(m)?;
    provider::register(m)?;
    fs::register(m)?;
    pull::register(m)?;
    conformance::register(m)?;
    manifest::register(m)?;
    runtime::register(m)?;
    log::register(m)?;
    Ok(())
}
