//! Just enough iCalendar (RFC 5545) to read a VTODO and change its status properties.
//!
//! Why not a crate: rewriting a resource must keep every property we do not own byte for byte
//! (X- properties, parameters, alarms, folding), which a parse-into-a-model-and-serialize crate
//! does not promise. So this works on content lines: unfold to find properties, and write back
//! the original physical lines of everything it does not change.
//!
//! Invariant: only `STATUS`, `COMPLETED`, `PERCENT-COMPLETE`, `LAST-MODIFIED` and `DTSTAMP`
//! directly in the first VTODO are replaced, added or removed; any other line is output
//! unchanged.

use serde_json::Value;

/// One logical content line and the physical text it came from.
struct Line<'a> {
    logical: String,
    raw: Vec<&'a str>,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out: Vec<Line<'_>> = Vec::new();
    for physical in text.split('\n') {
        let physical = physical.strip_suffix('\r').unwrap_or(physical);
        match (physical.strip_prefix([' ', '\t']), out.last_mut()) {
            (Some(rest), Some(last)) => {
                last.logical.push_str(rest);
                last.raw.push(physical);
            }
            _ if physical.is_empty() => {}
            _ => out.push(Line {
                logical: physical.to_owned(),
                raw: vec![physical],
            }),
        }
    }
    out
}

/// `(NAME, value)` of a content line: the name before the first `;` or `:`, the value after
/// the first `:` outside a quoted parameter.
fn split(line: &str) -> (String, &str) {
    let mut quoted = false;
    let mut colon = line.len();
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => {
                colon = i;
                break;
            }
            _ => {}
        }
    }
    let head = &line[..colon];
    let name = head.split(';').next().unwrap_or("").to_ascii_uppercase();
    (name, line.get(colon + 1..).unwrap_or(""))
}

/// The properties of a VTODO the adapter reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Todo {
    pub(crate) uid: Option<String>,
    pub(crate) summary: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) completed: Option<String>,
    pub(crate) percent: Option<String>,
    pub(crate) parent_uid: Option<String>,
}

/// Reads the first VTODO of a calendar object; `None` when it has none.
pub(crate) fn read(text: &str) -> Option<Todo> {
    let mut todo = None::<Todo>;
    let mut depth = 0usize;
    for line in lines(text) {
        let (name, value) = split(&line.logical);
        match (name.as_str(), value.to_ascii_uppercase().as_str()) {
            ("BEGIN", "VTODO") if todo.is_none() => {
                todo = Some(Todo::default());
                depth = 1;
            }
            ("BEGIN", _) if depth > 0 => depth += 1,
            ("END", _) if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return todo;
                }
            }
            _ if depth == 1 => {
                let t = todo.as_mut()?;
                let value = Some(unescape(value));
                match name.as_str() {
                    "UID" => t.uid = value,
                    "SUMMARY" => t.summary = value,
                    "STATUS" => t.status = value,
                    "COMPLETED" => t.completed = value,
                    "PERCENT-COMPLETE" => t.percent = value,
                    // RELTYPE defaults to PARENT; a CHILD or SIBLING link is not a parent.
                    "RELATED-TO"
                        if !line.logical.to_ascii_uppercase().contains("RELTYPE=")
                            || line.logical.to_ascii_uppercase().contains("RELTYPE=PARENT") =>
                    {
                        t.parent_uid = value;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    None
}

/// Reads a TEXT value's escapes (RFC 5545 3.3.11) in one left-to-right pass, so an escaped
/// backslash followed by `n` stays a backslash and an `n`; an unknown escape is kept as it is.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(e @ (',' | ';' | '\\')) => out.push(e),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Folds a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The properties a status change owns.
const OWNED: [&str; 3] = ["STATUS", "COMPLETED", "PERCENT-COMPLETE"];

/// Rewrites the first VTODO of `text` with the mapping's payload (`{"STATUS": ..,
/// "COMPLETED": .. | null, "PERCENT-COMPLETE": .. | null}`; a null removes the property, a key
/// left out leaves it alone) and sets `LAST-MODIFIED` and `DTSTAMP` to `stamp`: a stored
/// calendar object has no `METHOD` (RFC 4791 4.1), so its `DTSTAMP` is the time of its last
/// revision (RFC 5545 3.8.7.2). Errors name what is wrong.
pub(crate) fn apply(text: &str, payload: &Value, stamp: &str) -> Result<String, String> {
    let object = payload
        .as_object()
        .ok_or("CalDAV payload must be a JSON object")?;
    let mut wanted: Vec<(String, Option<String>)> = Vec::new();
    for (key, value) in object {
        let key = key.to_ascii_uppercase();
        if !OWNED.contains(&key.as_str()) {
            return Err(format!(
                "CalDAV payload field `{key}` is not one of {OWNED:?}"
            ));
        }
        let value = match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            other => {
                return Err(format!(
                    "CalDAV payload field `{key}` has a bad value {other}"
                ));
            }
        };
        if value.as_deref().is_some_and(|v| v.contains(['\r', '\n'])) {
            return Err(format!(
                "CalDAV payload field `{key}` contains a line break"
            ));
        }
        wanted.push((key, value));
    }
    wanted.push(("LAST-MODIFIED".into(), Some(stamp.to_owned())));
    wanted.push(("DTSTAMP".into(), Some(stamp.to_owned())));

    let mut out = String::with_capacity(text.len() + 128);
    let (mut depth, mut done, mut seen_todo) = (0usize, false, false);
    for line in lines(text) {
        let (name, value) = split(&line.logical);
        let upper = value.to_ascii_uppercase();
        if name == "BEGIN" && upper == "VTODO" && !seen_todo {
            seen_todo = true;
            depth = 1;
        } else if depth > 0 && name == "BEGIN" {
            depth += 1;
        } else if depth > 0 && name == "END" {
            depth -= 1;
            if depth == 0 && !done {
                for (key, value) in &wanted {
                    if let Some(value) = value {
                        fold(&format!("{key}:{value}"), &mut out);
                    }
                }
                done = true;
            }
        } else if depth == 1 && wanted.iter().any(|(key, _)| *key == name) {
            // Dropped here; the wanted value is written once before END:VTODO.
            continue;
        }
        for raw in &line.raw {
            out.push_str(raw);
            out.push_str("\r\n");
        }
    }
    if !done {
        return Err("calendar object has no VTODO".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_escapes_are_read_in_one_pass() {
        // An escaped backslash before `n` is a backslash and an `n`, not a line break.
        assert_eq!(unescape(r"C:\\new"), r"C:\new");
        assert_eq!(unescape(r"a\nb\, c\; d\\"), "a\nb, c; d\\");
        assert_eq!(unescape(r"odd\x end\"), r"odd\x end\");
    }

    const TODO: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\n\
UID:a-1\r\nSUMMARY:Write the\r\n  report\r\nX-CUSTOM;X-P=\"a:b\":keep me\r\nSTATUS:NEEDS-ACTION\r\n\
PERCENT-COMPLETE:0\r\nRELATED-TO:parent-1\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nSTATUS:X\r\n\
END:VALARM\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";

    #[test]
    fn reads_a_vtodo_with_folded_lines() {
        let todo = read(TODO).unwrap();
        assert_eq!(todo.uid.as_deref(), Some("a-1"));
        assert_eq!(todo.summary.as_deref(), Some("Write the report"));
        assert_eq!(todo.status.as_deref(), Some("NEEDS-ACTION"));
        assert_eq!(todo.parent_uid.as_deref(), Some("parent-1"));
        assert_eq!(read("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), None);
    }

    #[test]
    fn completing_keeps_unknown_properties_and_alarms() {
        let payload = json!({"STATUS": "COMPLETED", "COMPLETED": "20260101T100000Z", "PERCENT-COMPLETE": 100});
        let out = apply(TODO, &payload, "20260101T100000Z").unwrap();
        let todo = read(&out).unwrap();
        assert_eq!(todo.status.as_deref(), Some("COMPLETED"));
        assert_eq!(todo.completed.as_deref(), Some("20260101T100000Z"));
        assert_eq!(todo.percent.as_deref(), Some("100"));
        for kept in [
            "SUMMARY:Write the\r\n  report\r\n",
            "X-CUSTOM;X-P=\"a:b\":keep me\r\n",
            "STATUS:X\r\n",
            "RELATED-TO:parent-1\r\n",
        ] {
            assert!(out.contains(kept), "lost {kept:?} in {out}");
        }
        assert_eq!(
            out.matches("STATUS:").count(),
            2,
            "one VTODO status, one alarm status"
        );
        assert!(out.contains("LAST-MODIFIED:20260101T100000Z\r\n"));
    }

    #[test]
    fn a_rewrite_stamps_dtstamp_and_last_modified_once() {
        let stamped = TODO.replace(
            "UID:a-1\r\n",
            "UID:a-1\r\nDTSTAMP:20200101T000000Z\r\nLAST-MODIFIED:20200101T000000Z\r\n",
        );
        for original in [TODO, stamped.as_str()] {
            let out = apply(
                original,
                &json!({"STATUS": "IN-PROCESS"}),
                "20260131T010833Z",
            )
            .unwrap();
            assert_eq!(out.matches("DTSTAMP:").count(), 1, "{out}");
            assert!(out.contains("\r\nDTSTAMP:20260131T010833Z\r\n"), "{out}");
            assert_eq!(out.matches("LAST-MODIFIED:").count(), 1, "{out}");
            assert!(!out.contains("20200101T000000Z"), "{out}");
            // The alarm inside the VTODO keeps its own lines.
            assert!(out.contains("BEGIN:VALARM\r\nACTION:DISPLAY\r\nSTATUS:X\r\nEND:VALARM\r\n"));
        }
    }

    #[test]
    fn reopening_removes_completed() {
        let done = apply(
            TODO,
            &json!({"STATUS": "COMPLETED", "COMPLETED": "20260101T100000Z"}),
            "x",
        )
        .unwrap();
        let reopened = apply(
            &done,
            &json!({"STATUS": "NEEDS-ACTION", "COMPLETED": null, "PERCENT-COMPLETE": 0}),
            "y",
        )
        .unwrap();
        let todo = read(&reopened).unwrap();
        assert_eq!(todo.completed, None);
        assert_eq!(todo.status.as_deref(), Some("NEEDS-ACTION"));
        assert_eq!(todo.percent.as_deref(), Some("0"));
    }

    #[test]
    fn bad_payloads_are_refused() {
        assert!(apply(TODO, &json!([1]), "x").is_err());
        assert!(apply(TODO, &json!({"SUMMARY": "x"}), "x").is_err());
        assert!(apply(TODO, &json!({"STATUS": "A\r\nX-EVIL:1"}), "x").is_err());
        assert!(apply("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", &json!({}), "x").is_err());
    }

    #[test]
    fn long_lines_fold_at_75_octets() {
        let mut out = String::new();
        fold(&format!("SUMMARY:{}", "é".repeat(60)), &mut out);
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(
            lines(&out)[0].logical,
            format!("SUMMARY:{}", "é".repeat(60))
        );
    }
}
