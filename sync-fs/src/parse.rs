//! Parsing one Markdown file into tasks: front matter, bullet metadata, headings, checkboxes.
//!
//! Invariants:
//! - Pure and deterministic: the same `(id, text)` always yields the same tasks in the same
//!   order (the file task first, then checkboxes in document order).
//! - Ids are stable: the file task's id is the front matter `id` or the given id; a checkbox's
//!   id is `<file id>#<slug of its text>`, numbered `-2`, `-3`, ... on repeats, so editing one
//!   line never renames the others (unless it changes which of two equal lines comes first).
//! - External ids are unique within the returned vector.
//! - Output is linear in the input: reading stops after the first id longer than the core
//!   accepts ([`MAX_ID_BYTES`]; the core then refuses the listing, naming that task), since
//!   every later child would repeat it.
//! - Nothing inside fenced code blocks (```` ``` ```` / `~~~`) is read as a heading, checkbox
//!   or metadata.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;

use sync_core::diff::MAX_ID_BYTES;
use sync_core::{DesiredTask, Status};

/// Parses a status word: the snake_case names of [`Status`] plus the words phase documents
/// use, case-insensitively (`Pending`, `In Progress`, `in-progress`, `Done`, `Complete`,
/// `Completed`, `Draft`, `Cancelled`, `Canceled`, `Blocked`). `None` when not recognised.
pub fn parse_status(word: &str) -> Option<Status> {
    let lower = word.trim().to_lowercase();
    if let Ok(status) = Status::from_str(&lower) {
        return Some(status);
    }
    let normal: String = lower
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    match normal.as_str() {
        "done" | "complete" | "completed" => Some(Status::Completed),
        "canceled" | "cancelled" => Some(Status::Cancelled),
        other => Status::from_str(other).ok(),
    }
}

/// The slug of a checkbox text: lowercased, runs of non-alphanumerics collapsed to one `-`,
/// no leading or trailing `-`; `item` when nothing is left.
pub fn slugify(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        slug.push_str("item");
    }
    slug
}

/// Parses one Markdown file's text into its tasks: the file task first, then one `item` task
/// per checkbox in document order. `id` is the file's default external id (its path relative
/// to the folder root, without `.md`); its last `/`-segment is the fallback title.
///
/// `modified_at` is left `None`; the folder reader fills in the file's mtime. An unknown status
/// word gives `draft` (the word is kept in the `status` field) and unclosed front matter is
/// read as body; the folder reader instead leaves such a file out and reports it.
pub fn parse_markdown(id: &str, text: &str) -> Vec<DesiredTask> {
    parse_file(id, text).0
}

/// What a file says that its tasks cannot show, and that the folder reports for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FileWarning {
    /// The `status` value is not a status word.
    UnknownStatus(String),
    /// The first line opens front matter (`---`) that no later line closes.
    UnclosedFrontMatter,
}

/// [`parse_markdown`], plus the warnings the folder reports for the file.
pub(crate) fn parse_file(id: &str, text: &str) -> (Vec<DesiredTask>, Vec<FileWarning>) {
    let mut warnings = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (front, body) = split_front_matter(text);
    if front.is_none() && text.lines().next().is_some_and(|l| l.trim_end() == "---") {
        warnings.push(FileWarning::UnclosedFrontMatter);
    }

    // Bullet metadata first, then front matter on top: front matter wins.
    let mut meta = scan_bullet_metadata(body);
    if let Some(front) = front {
        for (key, value) in parse_front_matter(front) {
            meta.insert(key, value);
        }
    }

    let file_id = meta
        .remove("id")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| id.to_owned());
    let title = meta
        .remove("title")
        .filter(|v| !v.is_empty())
        .or_else(|| first_heading(body))
        .unwrap_or_else(|| id.rsplit('/').next().unwrap_or(id).to_owned());
    let mut task = DesiredTask::new(file_id.clone(), title);
    if let Some(kind) = meta.remove("kind").filter(|v| !v.is_empty()) {
        task = task.kind(kind);
    }
    let status = match meta.remove("status").filter(|v| !v.is_empty()) {
        Some(word) => match parse_status(&word) {
            Some(status) => status,
            None => {
                warnings.push(FileWarning::UnknownStatus(word.clone()));
                task = task.field("status", word);
                Status::Draft
            }
        },
        None => Status::Draft,
    };
    task = task.status(status);
    if let Some(parent) = meta.remove("parent").filter(|v| !v.is_empty()) {
        task = task.parent(parent);
    }
    for (key, value) in meta {
        task = task.field(key, field_value(&value));
    }

    let mut tasks = vec![task];
    // An id over the core's limit gets the whole listing refused (naming that task) anyway;
    // reading no further keeps such a file from costing the long id's length per line.
    if file_id.len() <= MAX_ID_BYTES {
        tasks.extend(parse_checkboxes(&file_id, body));
    }
    (tasks, warnings)
}

/// Splits leading front matter (between `---` lines) from the body. Without a closing `---`
/// there is no front matter.
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let Some(first_end) = text.find('\n') else {
        return (None, text);
    };
    if text[..first_end].trim_end() != "---" {
        return (None, text);
    }
    let rest = &text[first_end + 1..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

/// `key: value` lines at column 0; comments, blank, indented and list lines are ignored.
fn parse_front_matter(front: &str) -> Vec<(String, String)> {
    front
        .lines()
        .filter(|line| !line.starts_with([' ', '\t', '#', '-']))
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            let key = key.trim();
            if key.is_empty() {
                return None;
            }
            Some((normalize_key(key), unquote(value.trim()).to_owned()))
        })
        .collect()
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            return &value[1..value.len() - 1];
        }
    }
    value
}

fn normalize_key(key: &str) -> String {
    key.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

/// A field's JSON value: integers and finite decimals as numbers, everything else a string.
fn field_value(value: &str) -> serde_json::Value {
    if let Ok(n) = value.parse::<i64>() {
        return n.into();
    }
    let numeric = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if numeric {
        if let Ok(f) = value.parse::<f64>() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return serde_json::Value::Number(n);
            }
        }
    }
    serde_json::Value::String(value.to_owned())
}

/// The body's lines outside fenced code blocks.
fn prose_lines(body: &str) -> impl Iterator<Item = &str> {
    let mut fence: Option<&'static str> = None;
    body.lines().filter(move |line| {
        let trimmed = line.trim_start();
        for marker in ["```", "~~~"] {
            if trimmed.starts_with(marker) {
                match fence {
                    None => fence = Some(marker),
                    Some(open) if open == marker => fence = None,
                    Some(_) => {}
                }
                return false;
            }
        }
        fence.is_none()
    })
}

/// Strips a `- ` or `* ` list marker after any indentation.
fn list_item(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    trimmed
        .strip_prefix("- ")
        .or_else(|| trimmed.strip_prefix("* "))
}

/// `- **Key**: value` and `- **Key:** value` lines; the first occurrence of a key wins.
fn scan_bullet_metadata(body: &str) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    for line in prose_lines(body) {
        let Some(item) = list_item(line) else {
            continue;
        };
        let Some(rest) = item.trim_start().strip_prefix("**") else {
            continue;
        };
        let Some(close) = rest.find("**") else {
            continue;
        };
        let (key, after) = (&rest[..close], &rest[close + 2..]);
        let value = if let Some(key_only) = key.strip_suffix(':') {
            Some((key_only, after))
        } else {
            after.strip_prefix(':').map(|value| (key, value))
        };
        let Some((key, value)) = value else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            continue;
        }
        meta.entry(normalize_key(key))
            .or_insert_with(|| value.to_owned());
    }
    meta
}

/// The text of the first `# ` heading.
fn first_heading(body: &str) -> Option<String> {
    prose_lines(body)
        .filter_map(|line| line.strip_prefix("# "))
        .map(str::trim)
        .find(|title| !title.is_empty())
        .map(str::to_owned)
}

/// A checkbox line: its indentation width, whether it is checked, and its text.
fn checkbox(line: &str) -> Option<(usize, bool, &str)> {
    let indent: usize = line
        .chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum();
    let item = list_item(line)?.trim_start();
    let (checked, text) = if let Some(text) = item.strip_prefix("[ ]") {
        (false, text)
    } else if let Some(text) = item
        .strip_prefix("[x]")
        .or_else(|| item.strip_prefix("[X]"))
    {
        (true, text)
    } else {
        return None;
    };
    if !(text.is_empty() || text.starts_with([' ', '\t'])) {
        return None;
    }
    Some((indent, checked, text.trim()))
}

/// One `item` task per checkbox; nesting by indentation. A heading or an unindented line that
/// is not a list item ends the current list, so the next checkbox starts at the top again.
fn parse_checkboxes(file_id: &str, body: &str) -> Vec<DesiredTask> {
    let mut tasks = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    // Per slug, the next repeat number to try: every lower one is taken, so repeats of one
    // line cost one lookup each, not one per earlier repeat.
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut stack: Vec<(usize, String)> = Vec::new();
    for line in prose_lines(body) {
        let Some((indent, checked, text)) = checkbox(line) else {
            let unindented = !line.starts_with([' ', '\t']) && !line.trim().is_empty();
            if line.trim_start().starts_with('#') || (unindented && list_item(line).is_none()) {
                stack.clear();
            }
            continue;
        };
        while stack.last().is_some_and(|(top, _)| *top >= indent) {
            stack.pop();
        }
        let parent = stack
            .last()
            .map_or_else(|| file_id.to_owned(), |(_, id)| id.clone());
        let base = format!("{file_id}#{}", slugify(text));
        let mut external_id = base.clone();
        if used.contains(&external_id) {
            let n = next.entry(base.clone()).or_insert(2);
            loop {
                external_id = format!("{base}-{n}");
                *n += 1;
                if !used.contains(&external_id) {
                    break;
                }
            }
        }
        used.insert(external_id.clone());
        let status = if checked {
            Status::Completed
        } else {
            Status::Draft
        };
        let too_long = external_id.len() > MAX_ID_BYTES;
        tasks.push(
            DesiredTask::new(external_id.clone(), text)
                .kind("item")
                .status(status)
                .parent(parent),
        );
        if too_long {
            break;
        }
        stack.push((indent, external_id));
    }
    tasks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("Add proper error handling & logging!"),
            "add-proper-error-handling-logging"
        );
        assert_eq!(slugify("  --  "), "item");
        assert_eq!(slugify("Ünïcode OK"), "ünïcode-ok");
    }

    #[test]
    fn front_matter_split() {
        let (front, body) = split_front_matter("---\nid: x\n---\n# T\n");
        assert_eq!(front, Some("id: x\n"));
        assert_eq!(body, "# T\n");
        let (front, body) = split_front_matter("---\nid: x\n# never closed\n");
        assert_eq!(front, None);
        assert_eq!(body, "---\nid: x\n# never closed\n");
    }

    #[test]
    fn field_values() {
        assert_eq!(field_value("2"), serde_json::json!(2));
        assert_eq!(field_value("1.5"), serde_json::json!(1.5));
        assert_eq!(field_value("2 hours"), serde_json::json!("2 hours"));
        assert_eq!(field_value("0%"), serde_json::json!("0%"));
        assert_eq!(field_value("-"), serde_json::json!("-"));
    }
}
