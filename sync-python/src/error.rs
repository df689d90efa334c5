//! Errors: one Python exception class per core [`ErrorKind`], under `TasksyncError`.
//!
//! What it owns: the mapping core error → exception (each class carries `code`, equal to
//! `ErrorKind::code()`), the exceptions for a panic (`InternalError`, the core's
//! `Error::from_panic`) and for bad input, the structured attributes of a `ProviderError`
//! (the core's `Error::provider_details`), and the reverse mapping of a host's exception to a
//! [`StoreError`] or [`ProviderError`].
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
    "An external system failed: `provider`, `provider_class`, `http_status` and \
     `retry_after_ms` say how; `provider_error` is the core's serde form."
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
    "A bug in tasksync (a Rust panic caught at the boundary); nothing half-done crossed it."
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
            ErrorKind::Cancelled.code(),
            py.get_type::<CancelledError>(),
        ),
        (
            "InternalError",
            ErrorKind::Internal.code(),
            py.get_type::<InternalError>(),
        ),
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
    m.add_function(wrap_pyfunction!(_provider_error, m)?)?;
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

/// The `ProviderError` a host provider raises (`tasksync.provider_error` builds the dict):
/// the core's serde form checked (an unknown class or field is an `InvalidInputError`), then
/// the same exception, with the same attributes, as a failure coming out of the core.
#[pyfunction]
fn _provider_error(detail: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let parsed: ProviderError = crate::convert::from_py(detail, "provider_error")?;
    Ok(to_py(Error::Provider(parsed))
        .into_value(detail.py())
        .into_any())
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
    if let Error::Provider(failure) = &err {
        return Python::attach(|py| {
            let exc = ProviderFailure::new_err(message);
            let value = exc.value(py);
            if let Some(details) = err.provider_details() {
                let _ = value.setattr("provider", details.provider);
                let _ = value.setattr("provider_class", details.class);
                let _ = value.setattr("http_status", details.http_status);
                let _ = value.setattr("retry_after_ms", details.retry_after_ms);
            }
            // The serde form too, so a host provider may re-raise what it caught.
            if let Ok(form) = crate::convert::to_py(py, failure) {
                let _ = value.setattr("provider_error", form);
            }
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
        ErrorKind::Cancelled => CancelledError::new_err(message),
        ErrorKind::Internal => InternalError::new_err(message),
        // A kind added to the core later: still typed by its code until it gets its class.
        other => Python::attach(|py| {
            let err = TasksyncError::new_err(message);
            let _ = err.value(py).setattr("code", other.code());
            err
        }),
    }
}

/// The exception for a Rust panic caught at the boundary: the core's internal error.
pub(crate) fn panic_to_py(payload: Box<dyn std::any::Any + Send>) -> PyErr {
    to_py(Error::from_panic(&*payload))
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
