//! Built-in providers (mirrors `sync_providers::config`): `Provider.builtin(config, refresher)`
//! turns a plain dict (the `ProviderConfig` serde form; unknown keys refused, naming the key)
//! into the core adapter. The refresher is a host object with `refresh(provider)` or a plain
//! callable, sync or `async def`, returning the new token.

use std::sync::Arc;

use pyo3::prelude::*;
use sync_core::TokenRefresher;

use crate::convert::from_py;
use crate::error::to_py as error_to_py;
use crate::provider::{PyProvider, host_refresher};

#[pymethods]
impl PyProvider {
    /// A built-in adapter from its configuration dict.
    #[staticmethod]
    #[pyo3(signature = (config, refresher=None))]
    fn builtin(config: &Bound<'_, PyAny>, refresher: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let config: sync_providers::ProviderConfig = from_py(config, "provider config")?;
        let refresher: Option<Arc<dyn TokenRefresher>> = match refresher {
            Some(obj) if !obj.is_none() => Some(host_refresher(obj)?),
            _ => None,
        };
        let inner = sync_providers::build(&config, refresher).map_err(error_to_py)?;
        Ok(PyProvider { inner })
    }
}
