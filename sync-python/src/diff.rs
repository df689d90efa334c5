//! Diff: plans, policies and verify reports (mirrors `sync_core::diff`).
//!
//! A [`PyPlan`] holds the core plan itself: `execute` takes it back without conversion, and a
//! plan sent to a client as JSON comes back through `Plan.from_json` (the token still guards
//! it).

use pyo3::prelude::*;
use pyo3::types::PyDict;
use sync_core::{Plan, Policy, VerifyReport};

use crate::convert::record::record;
use crate::convert::{from_json, from_py, to_py};

record!(
    /// What a sync would do to a scope (see `sync_core::Plan`).
    PyPlan, "Plan", Plan, {
    #[getter]
    fn scope(&self) -> &str {
        &self.inner.scope
    }

    #[getter]
    fn source(&self) -> &str {
        &self.inner.source
    }

    #[getter]
    fn scope_version(&self) -> u64 {
        self.inner.scope_version
    }

    #[getter]
    fn token(&self) -> &str {
        &self.inner.token
    }

    #[getter]
    fn counts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_py(py, &self.inner.counts)
    }

    /// Whether executing the plan would write nothing.
    fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// A plan from its JSON form (`to_json`).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(from_json::<Plan>(text, "plan")?.into())
    }
});

record!(
    /// What a sync may write (see `sync_core::Policy`); fields as keyword arguments.
    PyPolicy, "Policy", Policy, {
    #[new]
    #[pyo3(signature = (**fields))]
    fn new(fields: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match fields {
            None => Ok(Policy::default().into()),
            Some(d) => Ok(from_py::<Policy>(d.as_any(), "policy")?.into()),
        }
    }

    /// A policy that may write tasks of every status.
    #[staticmethod]
    fn all_writable() -> Self {
        Policy::all_writable().into()
    }
});

record!(
    /// How a scope compares with a listing (see `sync_core::VerifyReport`).
    PyVerifyReport, "VerifyReport", VerifyReport
);

/// A policy argument: `None` (the default policy), a `Policy`, or a dict of its fields.
pub(crate) fn policy(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Policy> {
    match obj {
        None => Ok(Policy::default()),
        Some(o) if o.is_none() => Ok(Policy::default()),
        Some(o) => match o.cast::<PyPolicy>() {
            Ok(p) => Ok(p.get().inner.clone()),
            Err(_) => from_py(o, "policy"),
        },
    }
}

/// A plan argument: a `Plan`, or its dict or JSON form.
pub(crate) fn plan(obj: &Bound<'_, PyAny>) -> PyResult<Plan> {
    if let Ok(p) = obj.cast::<PyPlan>() {
        return Ok(p.get().inner.clone());
    }
    if let Ok(s) = obj.cast::<pyo3::types::PyString>() {
        return from_json(&s.to_cow()?, "plan");
    }
    from_py(obj, "plan")
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPlan>()?;
    m.add_class::<PyPolicy>()?;
    m.add_class::<PyVerifyReport>()?;
    Ok(())
}
