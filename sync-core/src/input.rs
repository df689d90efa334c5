//! Caller input: the options and data a binding hands in, parsed strictly.
//!
//! What it owns: the one rule for the keys a caller sends, and the conversion of JSON (text
//! or an already built value) into the core's types with clear, clipped messages.
//!
//! - An unknown key is refused, naming the key, where it was and the known keys
//!   ("unknown key `force_delete` in policy; known keys: writable, protected, ..."): a typo
//!   must never be silently ignored.
//! - The known keys of each input type are its serde fields: every options type of the core
//!   (`Policy`, `Listing` and its items, `WorkerConfig`, `Backoff`, `BreakerConfig`,
//!   `RateLimiterConfig`, `TargetSpec`, `RunContext`, `Actor`, the history and job queries,
//!   `Cycle`, `TransitionRules`, [`Limits`]) is `#[serde(deny_unknown_fields)]`, so the list exists once,
//!   in the type. [`known_keys`] reads it back, and [`check_keys`] applies the same rule to an
//!   options object a binding defines itself (a JS constructor's `{ clock, events }`).
//! - Parsing never panics, repeats at most a few hundred characters of the input, and refuses
//!   JSON text over [`MAX_JSON_BYTES`] before reading it.

use std::cell::Cell;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use crate::error::{Error, Result, StoreError};
use crate::limits::{Limits, MAX_JSON_BYTES};

/// How much of a parser message (which may quote the input) an error repeats.
const MESSAGE_CHARS: usize = 300;

fn clip_to(s: &str, chars: usize) -> String {
    match s.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
        None => s.to_owned(),
    }
}

/// The error for an unknown key: "unknown key `key` in `what`; known keys: a, b, c".
pub fn unknown_key(what: &str, key: &str, known: &[&str]) -> Error {
    let known = if known.is_empty() {
        "none".to_owned()
    } else {
        known.join(", ")
    };
    Error::invalid_input(format!(
        "unknown key `{}` in {what}; known keys: {known}",
        clip_to(key, crate::error::CLIP)
    ))
}

/// Refuses the first of `keys` that is not in `known` (see [`unknown_key`]).
pub fn check_keys<'a>(
    what: &str,
    keys: impl IntoIterator<Item = &'a str>,
    known: &[&str],
) -> Result<()> {
    match keys.into_iter().find(|key| !known.contains(key)) {
        Some(key) => Err(unknown_key(what, key, known)),
        None => Ok(()),
    }
}

/// Converts a JSON value a caller sent into `T`; a wrong shape, type or key is
/// [`Error::InvalidInput`] naming `what`.
pub fn from_value<T: DeserializeOwned>(what: &str, value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value).map_err(|err| describe(what, &err))
}

/// Reads a record a host store returned (its JSON form) strictly: a key `T` does not have, a
/// wrong shape or a wrong type is the store's bad data, [`StoreError::Backend`] naming `what`
/// (not the caller's input). What the shape cannot tell (a session's times out of order, say)
/// the operation's own consistency check refuses next.
pub fn from_store<T: DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> std::result::Result<T, StoreError> {
    let bad = |err: Error| match err {
        Error::InvalidInput(message) => StoreError::Backend(message),
        other => StoreError::Backend(other.to_string()),
    };
    if let Some(fields) = value.as_object() {
        check_keys(what, fields.keys().map(String::as_str), known_keys::<T>()).map_err(bad)?;
    }
    from_value(what, value).map_err(bad)
}

/// Parses JSON text a caller sent into `T`; invalid JSON, a wrong shape, type or key, or text
/// over [`MAX_JSON_BYTES`] is [`Error::InvalidInput`] naming `what`.
pub fn from_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    if text.len() > MAX_JSON_BYTES {
        return Err(Error::invalid_input(format!(
            "{what} is {} bytes of JSON, the limit is {MAX_JSON_BYTES} bytes",
            text.len()
        )));
    }
    serde_json::from_str(text).map_err(|err| describe(what, &err))
}

/// The keys `T` accepts: its serde field names (aliases included). Empty for a type that is
/// not a struct.
pub fn known_keys<T: DeserializeOwned>() -> &'static [&'static str] {
    let seen = Cell::new(None);
    let _ = T::deserialize(FieldNames(&seen));
    seen.get().unwrap_or(&[])
}

/// Every options type of the core with the name messages use for it, so an unknown key deep
/// in an options object names the part it was found in.
fn inputs() -> [(&'static str, &'static [&'static str]); 17] {
    use crate::history::{Actor, AuditQuery, ItemQuery, RunContext, RunQuery};
    use crate::retry::{
        Backoff, BreakerConfig, JobQuery, RateLimiterConfig, TargetSpec, WorkerConfig,
    };
    [
        ("policy", known_keys::<crate::Policy>()),
        ("listing", known_keys::<crate::Listing>()),
        ("listing item", known_keys::<crate::DesiredTask>()),
        ("worker config", known_keys::<WorkerConfig>()),
        ("backoff", known_keys::<Backoff>()),
        ("breaker", known_keys::<BreakerConfig>()),
        ("rate limiter", known_keys::<RateLimiterConfig>()),
        ("run context", known_keys::<RunContext>()),
        ("actor", known_keys::<Actor>()),
        ("run query", known_keys::<RunQuery>()),
        ("item query", known_keys::<ItemQuery>()),
        ("audit query", known_keys::<AuditQuery>()),
        ("job query", known_keys::<JobQuery>()),
        ("cycle", known_keys::<crate::Cycle>()),
        (
            "transition rules",
            known_keys::<crate::transition::TransitionRules>(),
        ),
        ("limits", known_keys::<Limits>()),
        ("target", known_keys::<TargetSpec>()),
    ]
}

/// Where an unknown key was: `what`, or the nested part whose keys `known` are ("backoff
/// (worker config)"); `what` alone when it already names that part ("breaker config").
fn place(what: &str, known: &[&str]) -> String {
    let inputs = inputs();
    match inputs.iter().find(|(_, keys)| *keys == known) {
        Some((name, _)) if !what.contains(name) => format!("{name} ({what})"),
        _ => what.to_owned(),
    }
}

/// Splits serde's "unknown field `k`, expected one of `a`, `b`" (or the variant form) into the
/// key and the expected names. The names are identifiers: the last "`, expected " ends the key
/// even when the key itself contains one.
fn unknown<'a>(message: &'a str, noun: &str) -> Option<(&'a str, Vec<&'a str>)> {
    let rest = message.strip_prefix(&format!("unknown {noun} `"))?;
    if let Some(key) = rest.strip_suffix(&format!("`, there are no {noun}s")) {
        return Some((key, Vec::new()));
    }
    let at = rest.rfind("`, expected ")?;
    let expected = &rest[at + "`, expected ".len()..];
    let names = expected.split('`').skip(1).step_by(2).collect();
    Some((&rest[..at], names))
}

fn describe(what: &str, err: &serde_json::Error) -> Error {
    let full = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    let message = match err.line() {
        0 => full.as_str(),
        _ => full.strip_suffix(&position).unwrap_or(&full),
    };
    if let Some((key, known)) = unknown(message, "field") {
        return unknown_key(&place(what, &known), key, &known);
    }
    if let Some((value, expected)) = unknown(message, "variant") {
        return Error::invalid_input(format!(
            "{what}: unknown value `{}`; expected one of: {}",
            clip_to(value, crate::error::CLIP),
            expected.join(", ")
        ));
    }
    match err.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            Error::invalid_input(format!(
                "{what} is not valid JSON: {}",
                clip_to(&full, MESSAGE_CHARS)
            ))
        }
        _ => Error::invalid_input(format!("{what}: {}", clip_to(message, MESSAGE_CHARS))),
    }
}

/// A deserializer that only records the field names a struct asks for.
struct FieldNames<'a>(&'a Cell<Option<&'static [&'static str]>>);

/// What [`FieldNames`] answers every request with.
#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        self.0.set(Some(fields));
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::retry::WorkerConfig;
    use crate::{Listing, Policy, Status};

    #[test]
    fn a_typo_in_a_policy_names_the_key_and_the_known_ones() {
        let err = from_value::<Policy>("policy", serde_json::json!({"force_delete": true}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown key `force_delete` in policy; known keys: writable, protected"),
            "{err}"
        );
        assert!(err.contains("force_deletes"), "{err}");
    }

    #[test]
    fn an_unknown_key_deep_in_an_object_names_the_part_it_is_in() {
        let text = r#"{"backoff": {"max_attempt": 3}}"#;
        let err = from_json::<WorkerConfig>("worker config", text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown key `max_attempt` in backoff (worker config); known keys: "),
            "{err}"
        );
        assert!(err.contains("max_attempts"), "{err}");
        assert!(!err.contains("line 1"), "{err}");
    }

    #[test]
    fn listing_items_refuse_unknown_keys_despite_their_flat_form() {
        let value = serde_json::json!({"source": "s", "complete": true,
            "items": [{"external_id": "a", "kind": "task", "title": "A", "titel": "B"}]});
        let err = from_value::<Listing>("listing", value)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown key `titel` in listing item (listing)"),
            "{err}"
        );
        for key in [
            "external_id",
            "kind",
            "title",
            "status",
            "fields",
            "modified_at",
        ] {
            assert!(err.contains(key), "{key} missing from {err}");
        }
    }

    #[test]
    fn a_known_list_is_the_types_own_fields() {
        assert_eq!(
            known_keys::<crate::Cycle>(),
            &["id", "name"],
            "the cycle's keys"
        );
        assert!(known_keys::<Status>().is_empty());
        assert_eq!(inputs().len(), 17);
        for (name, keys) in inputs() {
            assert!(!keys.is_empty(), "{name} lists no keys");
        }
    }

    #[test]
    fn unknown_values_and_bad_json_are_clear_and_clipped() {
        let huge = "x".repeat(1_000_000);
        let value = serde_json::json!({"writable": [huge]});
        let err = from_value::<Policy>("policy", value)
            .unwrap_err()
            .to_string();
        assert!(err.contains("policy: unknown value `xxx"), "{err}");
        assert!(err.contains("expected one of: draft, pending"), "{err}");
        assert!(err.len() < 600, "{} bytes", err.len());
        let err = from_json::<Policy>("policy", "{nope")
            .unwrap_err()
            .to_string();
        assert!(err.contains("policy is not valid JSON"), "{err}");
        let err = from_json::<Policy>("policy", r#"{"overwrite": "yes"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("policy: invalid type"), "{err}");
    }

    #[test]
    fn a_key_containing_the_separator_is_still_named() {
        let text = r#"{"a`, expected `b": 1}"#;
        let err = from_json::<crate::Cycle>("cycle", text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown key `a`, expected `b` in cycle"),
            "{err}"
        );
    }

    #[test]
    fn check_keys_applies_the_rule_to_a_bindings_own_options() {
        let known = ["clock", "events"];
        assert!(check_keys("engine options", ["clock"], &known).is_ok());
        let err = check_keys("engine options", ["clock", "evnts"], &known)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown key `evnts` in engine options; known keys: clock, events"),
            "{err}"
        );
    }
}
