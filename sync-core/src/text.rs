//! Text helpers every layer uses: clipping user input for messages. Imports nothing.

/// How many characters of user input an error message repeats.
pub const CLIP: usize = 80;

/// Clips user input for an error message (huge strings stay out of logs and exceptions).
pub(crate) fn clip(s: &str) -> String {
    match s.char_indices().nth(CLIP) {
        Some((cut, _)) => format!("{}… ({} bytes)", &s[..cut], s.len()),
        None => s.to_owned(),
    }
}
