//! Errors: one Python exception class per core [`ErrorKind`], under `TasksyncError`.
//!
//! What it owns: the mapping core error → exception (each class carries `code`, equal to
//! `ErrorKind::code()`), the exceptions for a panic (`InternalError`) and for bad input, and
//! the reverse mapping of a host's exception to a [`StoreError`] or [`ProviderError`].
//! Invariant: every error that leaves the binding is a `TasksyncError` subclass; messages are
//! the core's (already secret-free and clipped).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use sync_core::{Error, ErrorKind, ProviderError, StoreError};

use crate::convert::clip;

create_exception!(
    tasksync,
    TasksyncError,
    PyException,
    "Base of every tasksync error; `code` names the kind."
);
create_exception!(
    tasksync,
    InvalidInputError,
    TasksyncError,
    "The input is malformed; nothing was changed."
);
create_exception!(
    tasksync,
    NotConfirmedError,
    TasksyncError,
    "Execute was not confirmed; nothing was changed."
);
create_exception!(
    tasksync,
    StalePlanError,
    TasksyncError,
    "The scope changed since the preview; preview again."
);
create_exception!(
    tasksync,
    ConflictError,
    TasksyncError,
    "A record changed under a write; re-read and retry."
);
create_exception!(
    tasksync,
    IdentityConflictError,
    TasksyncError,
    "The store refuses a create for good (another record holds its key); previewing again \
     does not help. `source` and `external_id` name the identity (clipped)."
);
create_exception!(
    tasksync,
    InvalidStateError,
    TasksyncError,
    "The operation is not allowed in the current state."
);
create_exception!(
    tasksync,
    InvalidTransitionError,
    TasksyncError,
    "The status state machine refuses the change."
);
create_exception!(
    tasksync,
    NotFoundError,
    TasksyncError,
    "The named thing does not exist."
);
create_exception!(
    tasksync,
    StoreFailure,
    TasksyncError,
    "The store failed; nothing was written."
);
create_exception!(
    tasksync,
    ProviderFailure,
    TasksyncError,
    "An external system failed."
);
create_exception!(
    tasksync,
    CancelledError,
    TasksyncError,
    "The operation was cancelled."
);
create_exception!(
    tasksync,
    InternalError,
    TasksyncError,
    "A bug in tasksync (a Rust panic); nothing crossed the boundary."
);

/// Each exception class with its public name and code, registered on the module.
fn classes(py: Python<'_>) -> Vec<(&'static str, &'static str, Bound<'_, PyType>)> {
    vec![
        ("TasksyncError", "error", py.get_type::<TasksyncError>()),
        (
            "InvalidInputError",
            ErrorKind::InvalidInput.code(),
            py.get_type::<InvalidInputError>(),
        ),
        (
            "NotConfirmedError",
            ErrorKind::NotConfirmed.code(),
            py.get_type::<NotConfirmedError>(),
        ),
        (
            "StalePlanError",
            ErrorKind::StalePlan.code(),
            py.get_type::<StalePlanError>(),
        ),
        (
            "ConflictError",
            ErrorKind::Conflict.code(),
            py.get_type::<ConflictError>(),
        ),
        (
            "IdentityConflictError",
            ErrorKind::IdentityConflict.code(),
            py.get_type::<IdentityConflictError>(),
        ),
        (
            "InvalidStateError",
            ErrorKind::InvalidState.code(),
            py.get_type::<InvalidStateError>(),
        ),
        (
            "InvalidTransitionError",
            ErrorKind::InvalidTransition.code(),
            py.get_type::<InvalidTransitionError>(),
        ),
        (
            "NotFoundError",
            ErrorKind::NotFound.code(),
            py.get_type::<NotFoundError>(),
        ),
        (
            "StoreError",
            ErrorKind::Store.code(),
            py.get_type::<StoreFailure>(),
        ),
        (
            "ProviderError",
            ErrorKind::Provider.code(),
            py.get_type::<ProviderFailure>(),
        ),
        (
            "CancelledError",
            "cancelled",
            py.get_type::<CancelledError>(),
        ),
        ("InternalError", "internal", py.get_type::<InternalError>()),
    ]
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    for (name, code, class) in classes(m.py()) {
        class.setattr("code", code)?;
        class.setattr("__module__", "tasksync")?;
        class.setattr("__name__", name)?;
        class.setattr("__qualname__", name)?;
        m.add(name, class)?;
    }
    m.add_function(wrap_pyfunction!(error_codes, m)?)?;
    Ok(())
}

/// Every core error kind's code by exception class name (the parity check's source of truth).
#[pyfunction]
fn error_codes(py: Python<'_>) -> Vec<(String, String)> {
    classes(py)
        .into_iter()
        .map(|(name, code, _)| (name.to_owned(), code.to_owned()))
        .collect()
}

/// An `InvalidInputError`.
pub(crate) fn invalid_input(message: impl Into<String>) -> PyErr {
    InvalidInputError::new_err(message.into())
}

/// The exception for a core error.
pub(crate) fn to_py(err: Error) -> PyErr {
    let message = err.to_string();
    if let Error::IdentityConflict(refused) = &err {
        return Python::attach(|py| {
            let exc = IdentityConflictError::new_err(message);
            let value = exc.value(py);
            let _ = value.setattr("source", refused.source.as_str());
            let _ = value.setattr("external_id", refused.external_id.as_str());
            exc
        });
    }
    match err.kind() {
        ErrorKind::InvalidInput => InvalidInputError::new_err(message),
        ErrorKind::NotConfirmed => NotConfirmedError::new_err(message),
        ErrorKind::StalePlan => StalePlanError::new_err(message),
        ErrorKind::Conflict => ConflictError::new_err(message),
        ErrorKind::InvalidState => InvalidStateError::new_err(message),
        ErrorKind::InvalidTransition => InvalidTransitionError::new_err(message),
        ErrorKind::NotFound => NotFoundError::new_err(message),
        ErrorKind::Store => StoreFailure::new_err(message),
        ErrorKind::Provider => ProviderFailure::new_err(message),
        // A kind added to the core later: still typed by its code until it gets its class.
        other => {
            let code = other.code();
            if code == "cancelled" {
                return CancelledError::new_err(message);
            }
            Python::attach(|py| {
                let err = TasksyncError::new_err(message);
                let _ = err.value(py).setattr("code", code);
                err
            })
        }
    }
}

/// The exception for a Rust panic caught at the boundary.
pub(crate) fn panic_to_py(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    InternalError::new_err(format!("internal error (Rust panic): {}", clip(&what)))
}

pub(crate) fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    clip(&format!("{name}: {}", err.value(py)))
}

/// A host store's exception as a store failure: `ConflictError` (or `StalePlanError`) means
/// a failed version check, anything else a backend failure.
pub(crate) fn store_error(err: PyErr) -> StoreError {
    Python::attach(|py| {
        if err.is_instance_of::<ConflictError>(py) || err.is_instance_of::<StalePlanError>(py) {
            StoreError::Conflict(clip(&err.value(py).to_string()))
        } else {
            StoreError::Backend(format!("host store raised {}", describe(py, &err)))
        }
    })
}

/// A host provider's exception as a provider failure. An exception carrying a
/// `provider_error` dict (the core's serde form: `{"class": "timeout", ...}`, see
/// `tasksync.provider_error`) keeps its class; anything else counts as a retryable outage.
pub(crate) fn provider_error(provider: &str, err: PyErr) -> ProviderError {
    Python::attach(|py| {
        let value = err.value(py);
        if let Ok(detail) = value.getattr("provider_error") {
            if let Ok(parsed) = crate::convert::from_py::<ProviderError>(&detail, "provider_error")
            {
                return parsed;
            }
        }
        ProviderError::Unavailable {
            provider: provider.to_owned(),
            status: 0,
            message: format!("host provider raised {}", describe(py, &err)),
        }
    })
}
