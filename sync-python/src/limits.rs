//! Limits (mirrors `sync_core::limits`): the fixed size limits callers read (`MAX_ID_BYTES`,
//! `MAX_TITLE_BYTES`) and the `limits=` argument that raises the configurable ones. The core's
//! operations check them; nothing here does.

use pyo3::prelude::*;
use sync_core::limits::{MAX_ID_BYTES, MAX_TITLE_BYTES};

use crate::convert::from_py;

/// A `limits=` argument: `None` (the defaults) or a dict of `sync_core::Limits` fields.
pub(crate) fn limits(obj: Option<&Bound<'_, PyAny>>) -> PyResult<sync_core::Limits> {
    match obj.filter(|o| !o.is_none()) {
        Some(o) => from_py(o, "limits"),
        None => Ok(sync_core::Limits::default()),
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_ID_BYTES", MAX_ID_BYTES)?;
    m.add("MAX_TITLE_BYTES", MAX_TITLE_BYTES)?;
    Ok(())
}
