//! Caller input (mirrors `sync_core::input`): free-form JSON values (task fields, provider
//! payloads, job undo data) cross the boundary as JSON text, since every uniffi language has a
//! JSON parser and no schema is imposed on hosts; typed input (options, targets) arrives as
//! records, and JSON forms of the core's options are parsed by the core's strict reader.
//!
//! Invariant: text that does not parse (or is over the core's JSON size limit) is refused with
//! `InvalidInput` naming the field, never stored; the reading is the core's.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::TasksyncError;

/// Parses `text` (JSON) for the field `what`, with the core's reader.
pub(crate) fn parse(what: &str, text: &str) -> Result<Value, TasksyncError> {
    Ok(sync_core::input::from_json(&format!("`{what}`"), text)?)
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
