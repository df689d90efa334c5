//! Limits: the largest strings and collections a caller may hand to the core.
//!
//! What it owns: every size limit of caller input, in one place, and the checks that apply
//! them. The core's operations call these checks before they read or write anything, so every
//! binding (Python, Node, uniffi), the CLI and Rust callers get the same limits and the same
//! messages; a refused input changes nothing and is [`Error::InvalidInput`] naming the field
//! and the limit.
//!
//! Fixed limits (constants) bound what no real task system needs more of:
//!
//! | what | limit |
//! |---|---|
//! | ids: task external ids, hub task ids, scopes, sources, session ids, cycle ids, job ids, run ids, worker ids, target names | [`MAX_ID_BYTES`] |
//! | names: kinds, cycle names, field names, parents, actor user / IP / user agent, source and target configuration ids, audit entity types | [`MAX_NAME_BYTES`] |
//! | titles | [`MAX_TITLE_BYTES`] |
//! | one JSON argument from a binding | [`MAX_JSON_BYTES`] |
//! | sources one target mirrors | [`MAX_TARGET_SOURCES`] |
//! | a page of history | [`history::MAX_LIMIT`](crate::history::MAX_LIMIT) entries |
//!
//! Limits a real user may need to raise live in [`Limits`] (defaults in its docs), given to
//! [`SyncEngine::with_limits`](crate::SyncEngine::with_limits) and
//! [`SessionEngine::with_limits`](crate::SessionEngine::with_limits): the number of items in
//! one listing, the size of one task's fields and the number of cycles of one session.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, clip};
use crate::model::{DesiredTask, Listing};

/// Longest id, scope, source or target name, in bytes.
pub const MAX_ID_BYTES: usize = 1024;
/// Longest kind, display name, field name or actor string, in bytes.
pub const MAX_NAME_BYTES: usize = 1024;
/// Longest title, in bytes.
pub const MAX_TITLE_BYTES: usize = 64 * 1024;
/// Longest JSON text one binding argument may be (a listing of a million tasks fits).
pub const MAX_JSON_BYTES: usize = 256 * 1024 * 1024;
/// Most task sources one target may mirror.
pub const MAX_TARGET_SOURCES: usize = 1_000;

/// The limits a real user may need to raise. Unknown keys are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most items one listing may hold (default 1,000,000).
    pub max_listing_items: usize,
    /// Largest size of one task's fields (names and values as JSON), in bytes (default 1 MiB).
    pub max_fields_bytes: usize,
    /// Most cycles one session may have (default 1,000).
    pub max_cycles: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_listing_items: 1_000_000,
            max_fields_bytes: 1024 * 1024,
            max_cycles: 1_000,
        }
    }
}

fn too_long(what: &str, value: &str, max: usize) -> Error {
    Error::invalid_input(format!(
        "{what} is {} bytes long, the limit is {max} bytes: `{}`",
        value.len(),
        clip(value)
    ))
}

/// Refuses a string longer than `max` bytes, naming `what`.
pub fn check_len(what: &str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(too_long(what, value, max));
    }
    Ok(())
}

/// Refuses an empty (or blank) id or one longer than [`MAX_ID_BYTES`].
pub fn check_id(what: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{what} must not be empty")));
    }
    check_len(what, value, MAX_ID_BYTES)
}

/// Refuses a name longer than [`MAX_NAME_BYTES`] (empty names are allowed).
pub fn check_name(what: &str, value: &str) -> Result<()> {
    check_len(what, value, MAX_NAME_BYTES)
}

/// [`check_name`] for an optional name.
pub fn check_optional_name(what: &str, value: Option<&str>) -> Result<()> {
    value.map_or(Ok(()), |v| check_name(what, v))
}

/// Refuses a collection of more than `max` entries, naming `what` and `setting` (the
/// [`Limits`] key that raises it, if any).
pub fn check_count(what: &str, count: usize, max: usize, setting: Option<&str>) -> Result<()> {
    if count > max {
        let raise = setting.map_or(String::new(), |s| format!(" (raise it with `{s}`)"));
        return Err(Error::invalid_input(format!(
            "{what} has {count} entries, the limit is {max}{raise}"
        )));
    }
    Ok(())
}

/// The size of a JSON value as JSON text, give or take separators; stops counting at `stop`.
fn json_size(value: &serde_json::Value, stop: usize) -> usize {
    use serde_json::Value;
    let mut size = 0usize;
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        size = size.saturating_add(match value {
            Value::Null | Value::Bool(_) => 5,
            Value::Number(_) => 24,
            Value::String(s) => s.len() + 2,
            Value::Array(items) => {
                pending.extend(items);
                items.len() + 2
            }
            Value::Object(map) => {
                for (key, item) in map {
                    size = size.saturating_add(key.len() + 4);
                    pending.push(item);
                }
                2
            }
        });
        if size > stop {
            break;
        }
    }
    size
}

fn check_item(item: &DesiredTask, limits: &Limits) -> Result<()> {
    let content = &item.content;
    check_optional_name("parent", content.parent.as_deref())?;
    let mut size = 0usize;
    for (name, value) in &content.fields {
        check_len("field name", name, MAX_NAME_BYTES)?;
        size = size.saturating_add(name.len() + 4);
        size = size.saturating_add(json_size(value, limits.max_fields_bytes));
        if size > limits.max_fields_bytes {
            return Err(Error::invalid_input(format!(
                "fields are more than {} bytes of JSON, the limit (raise it with \
                 `max_fields_bytes`)",
                limits.max_fields_bytes
            )));
        }
    }
    Ok(())
}

/// Refuses a listing over the size limits: too many items, an item whose parent, field names
/// or fields are too big. (Ids, kinds, titles, scope and source are checked with the
/// listing's validation in [`crate::diff`], against the constants of this module.)
pub fn check_listing(listing: &Listing, limits: &Limits) -> Result<()> {
    check_count(
        "the listing",
        listing.items.len(),
        limits.max_listing_items,
        Some("max_listing_items"),
    )?;
    for (i, item) in listing.items.iter().enumerate() {
        check_item(item, limits).map_err(|e| match e {
            Error::InvalidInput(m) => Error::invalid_input(format!(
                "listing item {i} (`{}`): {m}",
                clip(&item.external_id)
            )),
            other => other,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_over_long_id_names_the_field_and_the_limit() {
        let id = "x".repeat(MAX_ID_BYTES + 1);
        let err = check_id("session id", &id).unwrap_err().to_string();
        assert!(
            err.contains("session id is 1025 bytes long, the limit is 1024"),
            "{err}"
        );
        assert!(err.len() < 300, "the message repeats the whole id: {err}");
        assert!(check_id("session id", &"x".repeat(MAX_ID_BYTES)).is_ok());
        assert!(check_id("session id", " ").is_err());
    }

    #[test]
    fn fields_over_the_limit_are_refused_and_the_limit_can_be_raised() {
        let item = DesiredTask::new("a", "A").field("notes", "n".repeat(2 * 1024 * 1024));
        let listing = Listing::complete("files", vec![item]);
        let err = check_listing(&listing, &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("max_fields_bytes"), "{err}");
        let raised = Limits {
            max_fields_bytes: 4 * 1024 * 1024,
            ..Limits::default()
        };
        assert!(check_listing(&listing, &raised).is_ok());
    }

    #[test]
    fn a_listing_over_the_item_limit_says_how_to_raise_it() {
        let items = (0..3)
            .map(|i| DesiredTask::new(i.to_string(), "t"))
            .collect();
        let listing = Listing::complete("files", items);
        let small = Limits {
            max_listing_items: 2,
            ..Limits::default()
        };
        let err = check_listing(&listing, &small).unwrap_err().to_string();
        assert!(err.contains("3 entries, the limit is 2"), "{err}");
        assert!(err.contains("max_listing_items"), "{err}");
    }

    #[test]
    fn deep_fields_are_measured_without_recursion() {
        let mut value = serde_json::Value::Null;
        for _ in 0..10_000 {
            value = serde_json::Value::Array(vec![value]);
        }
        assert!(json_size(&value, usize::MAX) > 10_000);
        // Dropping a deep value recurses in serde_json; unwind it by hand.
        while let serde_json::Value::Array(mut items) = value {
            value = items.pop().unwrap_or_default();
        }
    }
}
