//! Task folders (mirrors `sync_fs`): `FolderSource(root, source="files")` reads a folder of
//! Markdown task files into the core's listing form, reports the files it skipped, and works
//! wherever a provider is accepted (`provider()`).

use std::sync::Arc;

use pyo3::prelude::*;

use crate::convert::to_py;
use crate::error::invalid_input;
use crate::provider::PyProvider;

/// A folder of Markdown task files as a listing source.
#[pyclass(name = "FolderSource", module = "tasksync._native", frozen)]
pub(crate) struct PyFolderSource {
    inner: Arc<sync_fs::FolderSource>,
    root: String,
    source: String,
}

#[pymethods]
impl PyFolderSource {
    #[new]
    #[pyo3(signature = (root, source="files"))]
    fn new(root: std::path::PathBuf, source: &str) -> Self {
        PyFolderSource {
            root: root.display().to_string(),
            inner: Arc::new(sync_fs::FolderSource::new(root, source)),
            source: source.to_string(),
        }
    }

    /// The folder's listing (dict form).
    fn read(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let inner = self.inner.clone();
        let listing = py
            .detach(move || inner.read())
            .map_err(|e| invalid_input(e.to_string()))?;
        to_py(py, &listing)
    }

    /// `(listing, problems)`; problems are `{"path", "kind", "message"}` dicts.
    fn read_report(&self, py: Python<'_>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let inner = self.inner.clone();
        let (listing, problems) = py
            .detach(move || inner.read_report())
            .map_err(|e| invalid_input(e.to_string()))?;
        let problems: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| {
                serde_json::json!({
                    "path": p.path.display().to_string(),
                    "kind": p.kind.as_str(),
                    "message": p.message,
                })
            })
            .collect();
        Ok((to_py(py, &listing)?, to_py(py, &problems)?))
    }

    /// This folder as a `Provider` (listing only; pushes are refused).
    fn provider(&self) -> PyProvider {
        PyProvider {
            inner: self.inner.clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!("FolderSource({:?}, source={:?})", self.root, self.source)
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyFolderSource>()?;
    Ok(())
}
