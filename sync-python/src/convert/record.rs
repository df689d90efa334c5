//! Binding plumbing. Records: read-only Python views of the core's result types, dataclass-like.
//!
//! What it owns: the [`record!`] macro that wraps one serde type in a frozen Python class with
//! attribute access by field name, a readable `repr`, `==`, `to_dict()` and `to_json()`.
//! Invariant: a record holds the core value itself, so passing it back (a plan to execute)
//! converts nothing, and its fields are exactly the core type's serde fields.

use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::convert::pick::{Pick, pick};

/// Defines a record class `$rust` (Python name `$name`) around `$inner`; extra `#[pymethods]`
/// items go in the optional braces.
macro_rules! record {
    ($(#[$doc:meta])* $rust:ident, $name:literal, $inner:ty $(, { $($extra:tt)* })?) => {
        $(#[$doc])*
        #[pyclass(name = $name, module = "tasksync._native", frozen)]
        #[derive(Debug, Clone)]
        pub(crate) struct $rust {
            pub(crate) inner: $inner,
        }

        impl From<$inner> for $rust {
            fn from(inner: $inner) -> Self {
                $rust { inner }
            }
        }

        #[pymethods]
        impl $rust {
            fn __getattr__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
                crate::convert::record::field(py, &self.inner, $name, name)
            }

            fn __repr__(&self) -> String {
                crate::convert::record::repr(&self.inner, $name)
            }

            fn __dir__(&self) -> Vec<String> {
                crate::convert::record::fields(&self.inner)
            }

            fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
                other.cast::<Self>().is_ok_and(|o| o.get().inner == self.inner)
            }

            /// The record as plain Python data (its serde form).
            fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                crate::convert::to_py(py, &self.inner)
            }

            /// The record as JSON text.
            fn to_json(&self) -> PyResult<String> {
                serde_json::to_string(&self.inner)
                    .map_err(|e| crate::error::invalid_input(e.to_string()))
            }

            $($($extra)*)?
        }
    };
}
pub(crate) use record;

fn object<T: Serialize>(inner: &T) -> serde_json::Map<String, Value> {
    match serde_json::to_value(inner) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// One field of a record, converted to Python: only that field is serialized.
pub(crate) fn field<T: Serialize>(
    py: Python<'_>,
    inner: &T,
    class: &str,
    name: &str,
) -> PyResult<Py<PyAny>> {
    let value = match pick(inner, Some(name)) {
        Pick::Field(value) => value,
        _ => object(inner).remove(name),
    };
    match value {
        Some(value) => crate::convert::value_to_py(py, &value),
        None => Err(PyAttributeError::new_err(format!(
            "'{class}' has no attribute '{name}'"
        ))),
    }
}

/// The record's field names.
pub(crate) fn fields<T: Serialize>(inner: &T) -> Vec<String> {
    match pick(inner, None) {
        Pick::Names(names) => names,
        _ => object(inner).keys().cloned().collect(),
    }
}

/// `Name(field=value, ...)`, with long lists summarised so a 100,000-task plan prints short.
pub(crate) fn repr<T: Serialize>(inner: &T, class: &str) -> String {
    let parts: Vec<String> = object(inner)
        .iter()
        .map(|(k, v)| format!("{k}={}", short(v)))
        .collect();
    format!("{class}({})", parts.join(", "))
}

fn short(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => format!("{:?}", crate::convert::clip(s)).replace('"', "'"),
        Value::Array(items) if items.len() > 3 => format!("[<{} items>]", items.len()),
        other => crate::convert::clip(&other.to_string()),
    }
}
