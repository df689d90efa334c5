//! Free-form JSON values (task fields, provider payloads) cross the boundary as JSON text:
//! every uniffi language has a JSON parser, and no schema is imposed on hosts. Invariant: text
//! that does not parse is refused with `InvalidInput` naming the field, never stored.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::TasksyncError;

/// Parses `text` (JSON) for the field `what`.
pub(crate) fn parse(what: &str, text: &str) -> Result<Value, TasksyncError> {
    serde_json::from_str(text).map_err(|err| TasksyncError::InvalidInput {
        detail: format!("`{what}` is not valid JSON: {err}"),
    })
}

/// JSON text of a value (serialising a `Value` cannot fail).
pub(crate) fn text(value: &Value) -> String {
    value.to_string()
}

/// Task fields from a map of JSON texts.
pub(crate) fn fields_in(
    fields: HashMap<String, String>,
) -> Result<sync_core::Fields, TasksyncError> {
    fields
        .into_iter()
        .map(|(name, value)| {
            let parsed = parse(&format!("fields.{name}"), &value)?;
            Ok((name, parsed))
        })
        .collect()
}

/// Task fields as a map of JSON texts.
pub(crate) fn fields_out(fields: &sync_core::Fields) -> HashMap<String, String> {
    fields.iter().map(|(k, v)| (k.clone(), text(v))).collect()
}
