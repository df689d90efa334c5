//! Binding plumbing. Field picking: one field of a serde struct, or its field names, without
//! serializing the rest.
//!
//! What it owns: a [`serde::Serializer`] that walks only the top level of a record's serde
//! form. A struct or map hands its fields one by one; the picker keeps the named one (converting
//! only that value to JSON) and skips the others untouched, so `plan.creates` on a 100,000-task
//! plan costs the creates, not the whole plan.
//! Invariant: the result equals `serde_json::to_value(record)[name]`; a top level that is not a
//! struct or map reports [`Pick::Unsupported`] and the caller falls back to the full form.

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;

/// What picking found.
pub(crate) enum Pick {
    /// The field's value (`None`: the record has no such field).
    Field(Option<Value>),
    /// The record's top-level field names, in serde order.
    Names(Vec<String>),
    /// The top level is not a struct or map: use the full serde form instead.
    Unsupported,
}

/// The named field of `value`'s serde form, or (with `name` `None`) its field names.
pub(crate) fn pick<T: Serialize + ?Sized>(value: &T, name: Option<&str>) -> Pick {
    let mut picker = Picker {
        name,
        found: None,
        names: Vec::new(),
        pending_key: None,
    };
    match value.serialize(&mut picker) {
        Ok(()) if name.is_some() => Pick::Field(picker.found),
        Ok(()) => Pick::Names(picker.names),
        Err(_) => Pick::Unsupported,
    }
}

struct Picker<'n> {
    name: Option<&'n str>,
    found: Option<Value>,
    names: Vec<String>,
    /// The key of a map entry whose value comes next.
    pending_key: Option<String>,
}

/// Why picking stopped; never shown to a user (the caller falls back).
#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a struct or map")
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Stop
    }
}

impl Picker<'_> {
    /// Offers one field: keeps it when it is the one asked for.
    fn offer<V: Serialize + ?Sized>(&mut self, key: &str, value: &V) -> Result<(), Stop> {
        match self.name {
            None => self.names.push(key.to_owned()),
            Some(name) if name == key => {
                self.found = Some(serde_json::to_value(value).map_err(|_| Stop)?);
            }
            Some(_) => {}
        }
        Ok(())
    }
}

/// Every top-level shape other than a struct or map is unsupported.
macro_rules! unsupported {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $arg),*) -> Result<(), Stop> { Err(Stop) })*
    };
}

impl ser::Serializer for &mut Picker<'_> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Impossible<(), Stop>;
    type SerializeTuple = Impossible<(), Stop>;
    type SerializeTupleStruct = Impossible<(), Stop>;
    type SerializeTupleVariant = Impossible<(), Stop>;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Stop>;

    unsupported!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<V: Serialize + ?Sized>(self, value: &V) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &V,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<(), Stop> {
        Err(Stop)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Stop> {
        Err(Stop)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Stop> {
        Err(Stop)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Stop> {
        Err(Stop)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Stop> {
        Err(Stop)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self, Stop> {
        Ok(self)
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Stop> {
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Stop> {
        Err(Stop)
    }
}

impl ser::SerializeStruct for &mut Picker<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> Result<(), Stop> {
        self.offer(key, value)
    }

    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

/// Maps come from `#[serde(flatten)]` and maps at the top level; their keys must be strings,
/// as in JSON.
impl ser::SerializeMap for &mut Picker<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<(), Stop> {
        match serde_json::to_value(key) {
            Ok(Value::String(key)) => {
                self.pending_key = Some(key);
                Ok(())
            }
            _ => Err(Stop),
        }
    }

    fn serialize_value<V: Serialize + ?Sized>(&mut self, value: &V) -> Result<(), Stop> {
        let key = self.pending_key.take().ok_or(Stop)?;
        self.offer(&key, value)
    }

    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Pick, pick};
    use serde::Serialize;
    use serde_json::{Value, json};
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Inner {
        depth: u32,
    }

    #[derive(Serialize)]
    struct Record {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        missing: Option<u32>,
        items: Vec<Inner>,
        #[serde(flatten)]
        extra: BTreeMap<String, Value>,
    }

    fn sample() -> Record {
        Record {
            name: "plan".into(),
            missing: None,
            items: vec![Inner { depth: 1 }, Inner { depth: 2 }],
            extra: BTreeMap::from([("overwrite".into(), json!(true))]),
        }
    }

    #[test]
    fn a_field_equals_the_full_forms_field() {
        let record = sample();
        let full = serde_json::to_value(&record).unwrap();
        for name in ["name", "items", "overwrite", "missing", "nope"] {
            match pick(&record, Some(name)) {
                Pick::Field(value) => assert_eq!(value.as_ref(), full.get(name), "{name}"),
                _ => panic!("{name}: a struct is supported"),
            }
        }
    }

    #[test]
    fn names_are_the_full_forms_keys_in_order() {
        let record = sample();
        let full = serde_json::to_value(&record).unwrap();
        let keys: Vec<String> = full.as_object().unwrap().keys().cloned().collect();
        match pick(&record, None) {
            Pick::Names(mut names) => {
                names.sort();
                let mut keys = keys;
                keys.sort();
                assert_eq!(names, keys);
            }
            _ => panic!("a struct is supported"),
        }
    }

    #[test]
    fn a_top_level_that_is_not_a_struct_is_unsupported() {
        assert!(matches!(pick(&vec![1, 2], Some("x")), Pick::Unsupported));
        assert!(matches!(pick(&"text", None), Pick::Unsupported));
    }
}
