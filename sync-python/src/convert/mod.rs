//! Binding plumbing (no core module of this name): conversion between Python objects and the
//! core's serde types, and ([`record`]) the read-only record classes of core results.
//!
//! What it owns: the one path every argument and result takes: Python object ⇄
//! `serde_json::Value` ⇄ core type (the last step through `sync_core::input`, which refuses
//! unknown keys with the core's list of known ones). Invariants: conversion never panics and
//! never mutates its input; anything that is not plain data (a non-string key, NaN, an int
//! beyond 64 bits, a cycle deeper than [`MAX_DEPTH`], a wrong shape, an unknown key) is an
//! `InvalidInputError` naming what was being converted, with user input clipped.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

use crate::error::invalid_input;

pub(crate) mod pick;
pub(crate) mod record;

/// Nesting deeper than this is refused (it is either a cycle or not task data).
pub(crate) const MAX_DEPTH: usize = 64;

/// Converts plain Python data (dict, list, tuple, str, int, float, bool, None) to JSON.
pub(crate) fn to_value(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    value_at(obj, what, 0)
}

fn value_at(obj: &Bound<'_, PyAny>, what: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(invalid_input(format!(
            "{what}: nested deeper than {MAX_DEPTH} levels"
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: a Python bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(invalid_input(format!(
            "{what}: integer out of 64-bit range"
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| invalid_input(format!("{what}: NaN and infinity are not valid data")));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = k.cast::<PyString>().map_err(|_| {
                invalid_input(format!(
                    "{what}: dict keys must be str, got {}",
                    type_name(&k)
                ))
            })?;
            map.insert(key.to_cow()?.into_owned(), value_at(&v, what, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        let items = l.iter().map(|v| value_at(&v, what, depth + 1));
        return items.collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        let items = t.iter().map(|v| value_at(&v, what, depth + 1));
        return items.collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    // A binding record (Plan, Policy, ...) converts through its own dict.
    if obj.hasattr("to_dict")? && obj.get_type().module()?.to_cow()? == "tasksync._native" {
        return value_at(&obj.call_method0("to_dict")?, what, depth + 1);
    }
    Err(invalid_input(format!(
        "{what}: expected plain data (dict, list, str, int, float, bool, None), got {}",
        type_name(obj)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Converts a Python object to a core type through its serde form.
pub(crate) fn from_py<T: DeserializeOwned>(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    from_value(to_value(obj, what)?, what)
}

/// Converts JSON to a core type; a shape error or an unknown key is an `InvalidInputError`.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value, what: &str) -> PyResult<T> {
    sync_core::input::from_value(what, value).map_err(crate::error::to_py)
}

/// Parses a JSON text into a core type; invalid JSON is an `InvalidInputError`.
pub(crate) fn from_json<T: DeserializeOwned>(text: &str, what: &str) -> PyResult<T> {
    sync_core::input::from_json(what, text).map_err(crate::error::to_py)
}

/// Converts a core type to plain Python data.
pub(crate) fn to_py<T: Serialize + ?Sized>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let json = serde_json::to_value(value)
        .map_err(|e| invalid_input(format!("cannot convert a result: {e}")))?;
    value_to_py(py, &json)
}

/// Converts JSON to plain Python data.
pub(crate) fn value_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64()
                    .unwrap_or(f64::NAN)
                    .into_pyobject(py)?
                    .into_any()
                    .unbind()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|v| value_to_py(py, v))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, value_to_py(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// Clips a message that may repeat user input.
pub(crate) fn clip(s: &str) -> String {
    const LIMIT: usize = 200;
    match s.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
        None => s.to_owned(),
    }
}
