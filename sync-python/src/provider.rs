//! Providers (mirrors `sync_core::provider`): a Python object as a `ProviderClient` (methods
//! `list(scope)` and, optionally, `push(change)` and `refresh_token()`, plus a `name`
//! attribute or method) or as a `TokenRefresher` (`refresh(provider) -> str`), plain or
//! `async def`.
//!
//! A `Provider` handle wraps such an object in the core's trait, exactly as the queue worker
//! will hold it, so hosts can check their adapter through the binding. Tokens never appear in
//! an error or a repr: a refreshed token is a `Secret` until the one place that sends it.

use std::sync::Arc;

use async_trait::async_trait;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use sync_core::{
    Listing, ProviderClient, ProviderError, PushReceipt, Secret, StatusPush, TokenRefresher,
};

use crate::convert::{from_py, to_py};
use crate::error::provider_error;
use crate::runtime::{call_host, run_blocking};

/// A Python object as a provider.
pub(crate) struct HostProvider {
    obj: Py<PyAny>,
    name: String,
    can_push: bool,
    can_refresh: bool,
}

impl HostProvider {
    async fn call<T, A>(&self, method: &'static str, args: A) -> Result<T, ProviderError>
    where
        T: serde::de::DeserializeOwned,
        A: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, PyTuple>>,
    {
        let ret = call_host(&self.obj, method, args)
            .await
            .map_err(|e| provider_error(&self.name, e))?;
        Python::attach(|py| {
            from_py::<T>(ret.bind(py), method).map_err(|e| ProviderError::Rejected {
                provider: self.name.clone(),
                status: 0,
                message: format!(
                    "host provider returned a malformed {method} result: {}",
                    e.value(py)
                ),
            })
        })
    }
}

#[async_trait]
impl ProviderClient for HostProvider {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        self.call("list", |py| PyTuple::new(py, [scope])).await
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        if !self.can_push {
            return Err(ProviderError::Rejected {
                provider: self.name.clone(),
                status: 0,
                message: "does not accept status changes".into(),
            });
        }
        self.call("push", |py| PyTuple::new(py, [to_py(py, &change)?]))
            .await
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        if !self.can_refresh {
            return Ok(());
        }
        let ret = call_host(&self.obj, "refresh_token", |py| Ok(PyTuple::empty(py)))
            .await
            .map_err(|e| provider_error(&self.name, e))?;
        drop(ret);
        Ok(())
    }
}

/// A Python object as a token refresher.
pub(crate) struct HostTokenRefresher {
    obj: Py<PyAny>,
}

#[async_trait]
impl TokenRefresher for HostTokenRefresher {
    async fn refresh(&self, provider: String) -> Result<Secret, ProviderError> {
        let name = provider.clone();
        let ret = call_host(&self.obj, "refresh", |py| PyTuple::new(py, [provider]))
            .await
            .map_err(|e| provider_error(&name, e))?;
        Python::attach(|py| ret.bind(py).extract::<String>())
            .map(Secret::new)
            .map_err(|_| ProviderError::Rejected {
                provider: name,
                status: 0,
                message: "the token refresher must return a str".into(),
            })
    }
}

/// A host token refresher: an object with `refresh(provider)` or a plain callable.
pub(crate) fn host_refresher(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn TokenRefresher>> {
    if let Ok(r) = obj.cast::<PyTokenRefresher>() {
        return Ok(r.get().inner.clone());
    }
    let has_refresh = obj.getattr("refresh").is_ok_and(|a| a.is_callable());
    let obj = if has_refresh || !obj.is_callable() {
        crate::runtime::require(obj, "token refresher", &["refresh"])?;
        obj.clone().unbind()
    } else {
        let ns = pyo3::types::PyModule::import(obj.py(), "types")?.getattr("SimpleNamespace")?;
        let kwargs = pyo3::types::PyDict::new(obj.py());
        kwargs.set_item("refresh", obj)?;
        ns.call((), Some(&kwargs))?.unbind()
    };
    Ok(Arc::new(HostTokenRefresher { obj }))
}

/// A host provider as the core holds it.
pub(crate) fn host_provider(obj: &Bound<'_, PyAny>) -> PyResult<Arc<dyn ProviderClient>> {
    crate::runtime::require(obj, "provider", &["list"])?;
    let name = obj.getattr("name")?;
    let name: String = if name.is_callable() {
        name.call0()?.extract()?
    } else {
        name.extract()?
    };
    let has = |m: &str| obj.getattr(m).is_ok_and(|a| a.is_callable());
    Ok(Arc::new(HostProvider {
        can_push: has("push"),
        can_refresh: has("refresh_token"),
        obj: obj.clone().unbind(),
        name,
    }))
}

/// A provider (a host object) behind the core's `ProviderClient` trait.
#[pyclass(name = "Provider", module = "tasksync._native", frozen)]
pub(crate) struct PyProvider {
    pub(crate) inner: Arc<dyn ProviderClient>,
}

impl std::fmt::Debug for PyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Provider({:?})", self.inner.name())
    }
}

fn provider_failure(err: ProviderError) -> sync_core::Error {
    sync_core::Error::Provider(err)
}

#[pymethods]
impl PyProvider {
    #[new]
    fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(PyProvider {
            inner: host_provider(obj)?,
        })
    }

    /// The source name.
    #[getter]
    fn name(&self) -> String {
        self.inner.name()
    }

    /// Lists a scope through the core trait; returns the listing's dict form.
    fn list(&self, py: Python<'_>, scope: String) -> PyResult<Py<PyAny>> {
        let inner = self.inner.clone();
        let listing = run_blocking(py, async move {
            inner.list(scope).await.map_err(provider_failure)
        })?;
        to_py(py, &listing)
    }

    /// Pushes one status change (its dict form) through the core trait; returns the receipt.
    fn push(&self, py: Python<'_>, change: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let change: StatusPush = from_py(change, "status push")?;
        let inner = self.inner.clone();
        let receipt = run_blocking(py, async move {
            inner.push(change).await.map_err(provider_failure)
        })?;
        to_py(py, &receipt)
    }

    /// Asks the provider to refresh its token.
    fn refresh_token(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.clone();
        run_blocking(py, async move {
            inner.refresh_token().await.map_err(provider_failure)
        })
    }

    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

/// A token refresher (a host object) behind the core's `TokenRefresher` trait.
#[pyclass(name = "TokenRefresher", module = "tasksync._native", frozen)]
pub(crate) struct PyTokenRefresher {
    pub(crate) inner: Arc<dyn TokenRefresher>,
}

impl std::fmt::Debug for PyTokenRefresher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenRefresher(...)")
    }
}

#[pymethods]
impl PyTokenRefresher {
    #[new]
    fn new(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        crate::runtime::require(obj, "token refresher", &["refresh"])?;
        Ok(PyTokenRefresher {
            inner: Arc::new(HostTokenRefresher {
                obj: obj.clone().unbind(),
            }),
        })
    }

    /// Whether a refresh for `provider` succeeds (the token itself never comes back out).
    fn check(&self, py: Python<'_>, provider: String) -> PyResult<bool> {
        let inner = self.inner.clone();
        run_blocking(py, async move {
            inner
                .refresh(provider)
                .await
                .map(|_| true)
                .map_err(provider_failure)
        })
    }

    fn __repr__(&self) -> String {
        format!("{self:?}")
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyProvider>()?;
    m.add_class::<PyTokenRefresher>()?;
    Ok(())
}
