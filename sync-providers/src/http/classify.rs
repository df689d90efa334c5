//! HTTP status to [`ProviderError`] class, shared by every adapter.
//!
//! Invariant: every message built here has passed through the caller's redaction, so a token
//! echoed by a server never reaches an error.

use std::time::{Duration, UNIX_EPOCH};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde_json::Value;
use sync_core::{Millis, ProviderError};

/// The wait a 429 without a usable `Retry-After` gets (one second, the first retry delay).
pub(crate) const DEFAULT_RETRY_AFTER_MS: u64 = 1_000;

/// Longest part of a response body quoted in an error.
const MAX_MESSAGE: usize = 300;

/// The longest wait a `Retry-After` can impose (a day): a server asking for more is read as
/// asking for a day, so one odd header cannot stop a provider for years.
pub(crate) const MAX_RETRY_AFTER_MS: u64 = 86_400_000;

/// `Retry-After` in milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 10.2.3),
/// at most [`MAX_RETRY_AFTER_MS`]. A date in the past means "now" (0); an unreadable value
/// gives `None`.
pub(crate) fn retry_after_ms(headers: &HeaderMap, now: Millis) -> Option<u64> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        seconds.saturating_mul(1_000)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        let at_ms = at
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_millis() as i64;
        at_ms.saturating_sub(now).max(0) as u64
    };
    Some(wait.min(MAX_RETRY_AFTER_MS))
}

/// How long a reply asks the whole adapter to wait, if it does: a 429 (its `Retry-After`, else
/// [`DEFAULT_RETRY_AFTER_MS`]) or a 503 with a usable `Retry-After` (RFC 9110 10.2.3: how long
/// the service expects to be unavailable; Microsoft Graph sends it when it sheds load).
pub(crate) fn pause_ms(status: u16, headers: &HeaderMap, now: Millis) -> Option<u64> {
    match status {
        429 => Some(retry_after_ms(headers, now).unwrap_or(DEFAULT_RETRY_AFTER_MS)),
        503 => retry_after_ms(headers, now),
        _ => None,
    }
}

/// A short, human message from an error body: the usual JSON `message` fields (Graph's
/// `error.message`, ConnectWise's and Azure DevOps' `message`, a plain `error` string), else
/// the text itself, clipped.
pub(crate) fn body_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let from_json = serde_json::from_slice::<Value>(body).ok().and_then(|json| {
        let pick = |pointer: &str| json.pointer(pointer).and_then(Value::as_str);
        pick("/error/message")
            .or_else(|| pick("/message"))
            .or_else(|| pick("/error"))
            .map(str::to_owned)
    });
    clip(from_json.as_deref().unwrap_or(text.trim()))
}

/// `text` cut to [`MAX_MESSAGE`] characters (an ellipsis marks the cut), for quoting input or
/// answers in an error.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The class of a non-success HTTP answer; `pause` is its [`pause_ms`]. A reply that asks for
/// a pause (429, 503 with `Retry-After`) is [`ProviderError::RateLimited`] with that delay, so
/// the queue waits for it. `message` is already redacted.
pub(crate) fn classify_status(
    provider: &str,
    status: u16,
    pause: Option<u64>,
    message: String,
) -> ProviderError {
    let provider = provider.to_owned();
    if let Some(retry_after_ms) = pause {
        return ProviderError::RateLimited {
            provider,
            retry_after_ms,
        };
    }
    match status {
        401 => ProviderError::TokenExpired { provider },
        408 => ProviderError::Timeout {
            provider,
            message: format!("HTTP 408: {message}"),
        },
        429 => ProviderError::RateLimited {
            provider,
            retry_after_ms: DEFAULT_RETRY_AFTER_MS,
        },
        500..=599 => ProviderError::Unavailable {
            provider,
            status,
            message,
        },
        // 400, 403, 404, 405, 409, 410, 412, 422, ...: the same call will fail again.
        _ => ProviderError::Rejected {
            provider,
            status,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn with_retry_after(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(retry_after_ms(&with_retry_after("7"), 0), Some(7_000));
        let now = 1_700_000_000_000;
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(now as u64 + 30_000));
        assert_eq!(retry_after_ms(&with_retry_after(&date), now), Some(30_000));
        let past = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1));
        assert_eq!(retry_after_ms(&with_retry_after(&past), now), Some(0));
        assert_eq!(retry_after_ms(&with_retry_after("soon"), now), None);
        assert_eq!(
            retry_after_ms(&with_retry_after("99999999999999"), now),
            Some(MAX_RETRY_AFTER_MS)
        );
        assert_eq!(retry_after_ms(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_429_and_a_503_with_retry_after_ask_for_a_pause() {
        let now = 1_700_000_000_000;
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(now as u64 + 30_000));
        for value in ["30", date.as_str()] {
            let headers = with_retry_after(value);
            assert_eq!(pause_ms(429, &headers, now), Some(30_000), "{value}");
            assert_eq!(pause_ms(503, &headers, now), Some(30_000), "{value}");
            for status in [500, 502, 504, 400] {
                assert_eq!(pause_ms(status, &headers, now), None, "{status}");
            }
        }
        assert_eq!(
            pause_ms(429, &HeaderMap::new(), now),
            Some(DEFAULT_RETRY_AFTER_MS)
        );
        assert_eq!(pause_ms(503, &HeaderMap::new(), now), None);
        assert_eq!(pause_ms(503, &with_retry_after("later"), now), None);
        let paused = pause_ms(503, &with_retry_after("7"), now);
        assert_eq!(
            classify_status("p", 503, paused, "busy".into()),
            ProviderError::RateLimited {
                provider: "p".into(),
                retry_after_ms: 7_000
            }
        );
    }

    #[test]
    fn statuses_fall_into_classes() {
        let class = |status| classify_status("p", status, None, "m".into());
        assert!(matches!(class(401), ProviderError::TokenExpired { .. }));
        assert!(matches!(class(408), ProviderError::Timeout { .. }));
        assert_eq!(
            classify_status("p", 429, Some(5), "m".into()),
            ProviderError::RateLimited {
                provider: "p".into(),
                retry_after_ms: 5
            }
        );
        for status in [500, 502, 503, 504] {
            assert!(matches!(class(status), ProviderError::Unavailable { .. }));
        }
        for status in [400, 403, 404, 409, 412, 422] {
            assert!(!class(status).is_retryable(), "{status}");
        }
    }

    #[test]
    fn messages_come_from_json_or_text() {
        assert_eq!(body_message(br#"{"error":{"message":"gone"}}"#), "gone");
        assert_eq!(body_message(br#"{"code":"X","message":"bad"}"#), "bad");
        assert_eq!(body_message(br#"{"error":"locked"}"#), "locked");
        assert_eq!(body_message(b" plain "), "plain");
        assert_eq!(body_message(&[b'a'; 400]).chars().count(), MAX_MESSAGE + 1);
    }
}
