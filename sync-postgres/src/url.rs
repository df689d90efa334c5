//! Connection strings without their secrets: what a URL may show in errors, logs and `Debug`.
//!
//! Invariant: no text this crate produces (an error, a log line, a `Debug` form) holds the
//! password of the connection string it was given. [`redact`] rewrites a URL
//! (`postgres://user:secret@host/db`) or a key-value string (`host=h password=secret`) with the
//! password replaced by `***`, and [`Secret::scrub`] removes the password from any message, in
//! case a driver's message quoted the connection string. Both work on text, so a string that
//! does not even parse is redacted too.

/// What stands in for a password.
pub(crate) const MASK: &str = "***";

/// `url` with its password replaced by [`MASK`] (URL and key-value forms).
pub(crate) fn redact(url: &str) -> String {
    match password_span(url) {
        Some((start, end)) => format!("{}{MASK}{}", &url[..start], &url[end..]),
        None => url.to_owned(),
    }
}

/// Where the password is in `url`: a byte range, if it has one.
fn password_span(url: &str) -> Option<(usize, usize)> {
    if let Some(scheme_end) = url.find("://") {
        let rest_start = scheme_end + 3;
        let rest = &url[rest_start..];
        // The authority ends at the first '/', '?' or '#'; the userinfo at its last '@'.
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let at = authority.rfind('@')?;
        let userinfo = &authority[..at];
        let colon = userinfo.find(':')?;
        let start = rest_start + colon + 1;
        let end = rest_start + at;
        return (end > start).then_some((start, end));
    }
    key_value_password(url)
}

/// The value of `password=` in a key-value connection string (quoted or not).
fn key_value_password(s: &str) -> Option<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(found) = s[i..].find("password") {
        let key_start = i + found;
        let mut j = key_start + "password".len();
        let boundary = key_start == 0 || bytes[key_start - 1].is_ascii_whitespace();
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if !boundary || j >= bytes.len() || bytes[j] != b'=' {
            i = key_start + 1;
            continue;
        }
        j += 1;
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'\'' {
            let start = j + 1;
            let mut k = start;
            while k < bytes.len() && bytes[k] != b'\'' {
                k += if bytes[k] == b'\\' { 2 } else { 1 };
            }
            return Some((start, k.min(bytes.len())));
        }
        let start = j;
        let end = s[start..]
            .find(|c: char| c.is_ascii_whitespace())
            .map_or(s.len(), |e| start + e);
        return (end > start).then_some((start, end));
    }
    None
}

/// The password of a connection string, kept only to scrub it from messages.
#[derive(Clone, Default)]
pub(crate) struct Secret(Vec<String>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MASK)
    }
}

impl Secret {
    /// The password of `url` as written, and as the parser decodes it (percent-decoded).
    pub(crate) fn of(url: &str, parsed: Option<&[u8]>) -> Secret {
        let mut forms = Vec::new();
        if let Some((start, end)) = password_span(url) {
            forms.push(url[start..end].to_owned());
        }
        if let Some(decoded) = parsed.and_then(|p| std::str::from_utf8(p).ok()) {
            forms.push(decoded.to_owned());
        }
        forms.retain(|f| !f.is_empty());
        Secret(forms)
    }

    /// `message` with every form of the password replaced by [`MASK`].
    pub(crate) fn scrub(&self, message: String) -> String {
        let mut message = message;
        for form in &self.0 {
            if message.contains(form.as_str()) {
                message = message.replace(form.as_str(), MASK);
            }
        }
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_password() {
        let cases = [
            (
                "postgres://ana:s3cret@db.example:5432/hub",
                "postgres://ana:***@db.example:5432/hub",
            ),
            (
                "postgresql://ana:p%40ss@h/db?sslmode=disable",
                "postgresql://ana:***@h/db?sslmode=disable",
            ),
            ("postgres://ana@h/db", "postgres://ana@h/db"),
            ("postgres://h/db", "postgres://h/db"),
            ("postgres://ana:@h/db", "postgres://ana:@h/db"),
            ("postgres://a:b:c@h", "postgres://a:***@h"),
            (
                "host=h user=ana password=s3cret dbname=hub",
                "host=h user=ana password=*** dbname=hub",
            ),
            (
                "host=h password = 'with spaces' dbname=hub",
                "host=h password = '***' dbname=hub",
            ),
            ("password=x", "password=***"),
            ("host=h mypassword=x", "host=h mypassword=x"),
        ];
        for (url, want) in cases {
            assert_eq!(redact(url), want, "{url}");
        }
    }

    #[test]
    fn scrubbing_removes_every_form() {
        let url = "postgres://ana:p%40ss@h/db";
        let secret = Secret::of(url, Some(b"p@ss"));
        let message = "bad: postgres://ana:p%40ss@h/db and p@ss".to_owned();
        let scrubbed = secret.scrub(message);
        assert!(
            !scrubbed.contains("p%40ss") && !scrubbed.contains("p@ss"),
            "{scrubbed}"
        );
        assert_eq!(format!("{secret:?}"), MASK);
    }
}
