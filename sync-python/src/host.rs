//! Checks on host-implemented parts before the core holds them.

use pyo3::prelude::*;

use crate::error::invalid_input;

/// Fails with `InvalidInputError` unless `obj` has every one of `methods` (callable).
pub(crate) fn require(obj: &Bound<'_, PyAny>, role: &str, methods: &[&str]) -> PyResult<()> {
    let missing: Vec<&str> = methods
        .iter()
        .copied()
        .filter(|m| !obj.getattr(*m).is_ok_and(|a| a.is_callable()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    Err(invalid_input(format!(
        "a {type_name} cannot be the {role}: it lacks {}",
        missing.join(", ")
    )))
}
