//! The HTTP machinery every adapter shares: one `HttpCore` per adapter owns the client, the
//! credential, the host's [`TokenRefresher`], the adapter's [`RateLimiter`] and the
//! classification of failures into [`ProviderError`] classes.
//!
//! Invariants:
//! - The credential is read only to build the `Authorization` header; every error message
//!   (the host refresher's own included) passes through `HttpCore::redact`: the token, its
//!   password part and its base64 form are replaced by `***`, for the current credential and
//!   the ones renewals replaced, so a server (or a proxy, or a vault) that echoes one cannot
//!   leak it.
//! - Every request first takes a token from the limiter. A 429, or a 503 with `Retry-After`,
//!   pauses the whole adapter until its `Retry-After` (seconds or an HTTP-date) has passed and
//!   is [`ProviderError::RateLimited`] with that delay, which the queue's worker waits out;
//!   calls during the pause fail fast with [`ProviderError::RateLimited`] and send nothing.
//! - A 401 calls the refresher (when there is one) and repeats the request once with the new
//!   token; a second 401, or none to call, is [`ProviderError::TokenExpired`].

// With only some provider features on, some shared helpers have no caller.
#![cfg_attr(
    not(all(
        feature = "mstodo",
        feature = "connectwise",
        feature = "processplan",
        feature = "azure-devops",
        feature = "caldav"
    )),
    allow(dead_code)
)]

pub(crate) mod classify;
pub mod encode;

use std::fmt;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, WWW_AUTHENTICATE};
use reqwest::{Client, Method};
use sync_core::retry::{RateLimiter, RateLimiterConfig};
use sync_core::{Clock, Millis, ProviderError, Secret, SystemClock, TokenRefresher};

#[cfg(feature = "connectwise")]
pub(crate) use classify::clip;
use classify::{body_message, classify_status, pause_ms};

/// The header carrying a job's idempotency key on APIs that accept one.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// How a credential goes into the `Authorization` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthScheme {
    /// `Bearer <token>` (OAuth access tokens: Graph, Azure DevOps with Entra ID).
    Bearer,
    /// `Basic base64(<secret>)`, the secret being `user:password` (ConnectWise
    /// `company+public:private`, an Azure DevOps PAT as `:pat`, CalDAV accounts).
    Basic,
}

/// A credential, how to send it, and who renews it.
#[derive(Clone)]
pub struct Credentials {
    /// The token or `user:password`.
    pub secret: Secret,
    /// How it is sent.
    pub scheme: AuthScheme,
    /// The host callback that renews it after a 401; `None` makes a 401 final.
    pub refresher: Option<Arc<dyn TokenRefresher>>,
}

impl Credentials {
    /// A bearer token.
    pub fn bearer(token: Secret) -> Self {
        Credentials {
            secret: token,
            scheme: AuthScheme::Bearer,
            refresher: None,
        }
    }

    /// Basic credentials from a user name and a password.
    pub fn basic(user: &str, password: Secret) -> Self {
        Credentials {
            secret: Secret::new(format!("{user}:{}", password.expose())),
            scheme: AuthScheme::Basic,
            refresher: None,
        }
    }

    /// Sets the host callback that renews the credential.
    pub fn with_refresher(mut self, refresher: Arc<dyn TokenRefresher>) -> Self {
        self.refresher = Some(refresher);
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret", &self.secret)
            .field("scheme", &self.scheme)
            .field(
                "refresher",
                &self.refresher.as_ref().map(|_| "host callback"),
            )
            .finish()
    }
}

/// Transport settings of an adapter.
#[derive(Clone)]
pub struct HttpOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// The adapter's own call rate (a 429 pauses it whatever this says).
    pub rate_limit: RateLimiterConfig,
    /// The longest an adapter waits locally for a limiter token; past that the call fails with
    /// [`ProviderError::RateLimited`] so that the queue defers it instead.
    pub max_wait: Duration,
    /// The clock the limiter and `Retry-After` dates are read on.
    pub clock: Arc<dyn Clock>,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            timeout: Duration::from_secs(30),
            rate_limit: RateLimiterConfig::default(),
            max_wait: Duration::from_secs(1),
            clock: Arc::new(SystemClock),
        }
    }
}

impl fmt::Debug for HttpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpOptions")
            .field("timeout", &self.timeout)
            .field("rate_limit", &self.rate_limit)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

/// One request an adapter wants sent.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) body: Option<(Vec<u8>, &'static str)>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Call {
    pub(crate) fn new(method: Method, url: impl Into<String>) -> Self {
        Call {
            method,
            url: url.into(),
            body: None,
            headers: Vec::new(),
        }
    }

    pub(crate) fn get(url: impl Into<String>) -> Self {
        Call::new(Method::GET, url)
    }

    /// A JSON body with its content type (`application/json`, `application/json-patch+json`).
    pub(crate) fn json(mut self, body: &serde_json::Value, content_type: &'static str) -> Self {
        self.body = Some((body.to_string().into_bytes(), content_type));
        self
    }

    pub(crate) fn body(mut self, body: Vec<u8>, content_type: &'static str) -> Self {
        self.body = Some((body, content_type));
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn idempotency_key(self, key: &str) -> Self {
        self.header(IDEMPOTENCY_HEADER, key)
    }
}

/// A response that got past authentication and rate limiting.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn json(&self, core: &HttpCore) -> Result<serde_json::Value, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|err| ProviderError::Unavailable {
            provider: core.name.clone(),
            status: self.status,
            message: core.redact(&format!("response is not JSON: {err}")),
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Credentials replaced by renewals that are still redacted (a reply to a request sent with
/// one may arrive after the renewal).
const RETIRED_KEPT: usize = 4;

/// An adapter's connection: client, credential, refresher, limiter.
pub(crate) struct HttpCore {
    pub(crate) name: String,
    client: Client,
    scheme: AuthScheme,
    secret: RwLock<Secret>,
    /// The last [`RETIRED_KEPT`] credentials renewals replaced, newest last.
    retired: Mutex<Vec<Secret>>,
    refresher: Option<Arc<dyn TokenRefresher>>,
    limiter: Mutex<RateLimiter>,
    clock: Arc<dyn Clock>,
    max_wait_ms: Millis,
}

impl fmt::Debug for HttpCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpCore")
            .field("name", &self.name)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl HttpCore {
    pub(crate) fn new(
        name: &str,
        credentials: Credentials,
        options: HttpOptions,
    ) -> Result<Self, ProviderError> {
        let client = Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .build()
            .map_err(|err| ProviderError::Rejected {
                provider: name.to_owned(),
                status: 0,
                message: format!("cannot build the HTTP client: {err}"),
            })?;
        options
            .rate_limit
            .validate()
            .map_err(|err| ProviderError::Rejected {
                provider: name.to_owned(),
                status: 0,
                message: err.to_string(),
            })?;
        let now = options.clock.now_ms();
        Ok(HttpCore {
            name: name.to_owned(),
            client,
            scheme: credentials.scheme,
            secret: RwLock::new(credentials.secret),
            retired: Mutex::new(Vec::new()),
            refresher: credentials.refresher,
            limiter: Mutex::new(RateLimiter::new(options.rate_limit, now)),
            clock: options.clock,
            max_wait_ms: options.max_wait.as_millis() as Millis,
        })
    }

    /// Now, on the adapter's clock.
    pub(crate) fn now_ms(&self) -> Millis {
        self.clock.now_ms()
    }

    fn secret(&self) -> Secret {
        // A poisoned lock still holds a whole Secret (it is replaced, never mutated).
        self.secret
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// `text` with every form of the credential, and of the ones renewals replaced, replaced
    /// by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut secrets = self
            .retired
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        secrets.push(self.secret());
        let mut forms = Vec::with_capacity(secrets.len() * 3);
        for secret in &secrets {
            let raw = secret.expose();
            forms.extend([raw.to_owned(), encode::base64(raw.as_bytes())]);
            if self.scheme == AuthScheme::Basic {
                if let Some((_, password)) = raw.split_once(':') {
                    forms.push(password.to_owned());
                }
            }
        }
        // Longest first, so that a form containing another is replaced whole.
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        let mut out = text.to_owned();
        // Very short fragments would blank ordinary words; real credentials are longer.
        for form in forms.iter().filter(|f| f.len() >= 4) {
            out = out.replace(form.as_str(), "***");
        }
        out
    }

    /// `err` with every message redacted (an error the host's refresher built).
    fn redact_error(&self, err: ProviderError) -> ProviderError {
        match err {
            ProviderError::Timeout { provider, message } => ProviderError::Timeout {
                provider,
                message: self.redact(&message),
            },
            ProviderError::Unavailable {
                provider,
                status,
                message,
            } => ProviderError::Unavailable {
                provider,
                status,
                message: self.redact(&message),
            },
            ProviderError::Rejected {
                provider,
                status,
                message,
            } => ProviderError::Rejected {
                provider,
                status,
                message: self.redact(&message),
            },
            other => other,
        }
    }

    fn authorization(&self) -> String {
        let secret = self.secret();
        match self.scheme {
            AuthScheme::Bearer => format!("Bearer {}", secret.expose()),
            AuthScheme::Basic => format!("Basic {}", encode::base64(secret.expose().as_bytes())),
        }
    }

    /// Obtains a fresh credential from the host callback.
    pub(crate) async fn refresh(&self) -> Result<(), ProviderError> {
        let Some(refresher) = &self.refresher else {
            return Err(ProviderError::TokenExpired {
                provider: self.name.clone(),
            });
        };
        let fresh = refresher
            .refresh(self.name.clone())
            .await
            .map_err(|err| self.redact_error(err))?;
        let fresh = match self.scheme {
            // A refreshed Basic credential keeps the user when the host returns a password.
            AuthScheme::Basic if !fresh.expose().contains(':') => {
                let current = self.secret();
                let user = current.expose().split_once(':').map_or("", |(u, _)| u);
                Secret::new(format!("{user}:{}", fresh.expose()))
            }
            _ => fresh,
        };
        let replaced = std::mem::replace(
            &mut *self.secret.write().unwrap_or_else(|e| e.into_inner()),
            fresh,
        );
        let mut retired = self.retired.lock().unwrap_or_else(|e| e.into_inner());
        retired.push(replaced);
        if retired.len() > RETIRED_KEPT {
            retired.remove(0);
        }
        drop(retired);
        tracing::info!(provider = %self.name, "access token refreshed");
        Ok(())
    }

    /// Takes a limiter token, waiting up to `max_wait`; a longer wait (or a 429 pause) fails.
    async fn acquire(&self) -> Result<(), ProviderError> {
        loop {
            let now = self.clock.now_ms();
            let at = match self
                .limiter
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .try_acquire(now)
            {
                Ok(()) => return Ok(()),
                Err(at) => at,
            };
            let wait = at.saturating_sub(now).max(1);
            if wait > self.max_wait_ms {
                tracing::debug!(provider = %self.name, wait_ms = wait, "rate limited locally");
                return Err(ProviderError::RateLimited {
                    provider: self.name.clone(),
                    retry_after_ms: wait as u64,
                });
            }
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
        }
    }

    fn pause(&self, retry_after_ms: u64) {
        let now = self.clock.now_ms();
        self.limiter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pause(now, retry_after_ms);
    }

    async fn send_once(&self, call: &Call) -> Result<Reply, ProviderError> {
        self.acquire().await?;
        let mut request = self
            .client
            .request(call.method.clone(), &call.url)
            .header(AUTHORIZATION, self.authorization());
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        if let Some((body, content_type)) = &call.body {
            request = request
                .header(CONTENT_TYPE, *content_type)
                .body(body.clone());
        }
        let timeout = |err: reqwest::Error| ProviderError::Timeout {
            provider: self.name.clone(),
            // reqwest's message names the URL, never headers; redacted all the same.
            message: self.redact(&err.to_string()),
        };
        let response = request.send().await.map_err(timeout)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(timeout)?.to_vec();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    /// Sends `call`, renewing the credential once on a 401 and pausing on a 429. Every other
    /// status comes back as a [`Reply`] for the adapter to read.
    pub(crate) async fn send_raw(&self, call: &Call) -> Result<Reply, ProviderError> {
        let mut reply = self.send_once(call).await?;
        if reply.status == 401 && self.refresher.is_some() {
            let challenge = reply.header(WWW_AUTHENTICATE.as_str()).unwrap_or("");
            tracing::info!(provider = %self.name, challenge = %self.redact(challenge), "401: refreshing the token");
            self.refresh().await?;
            reply = self.send_once(call).await?;
        }
        if let Some(wait) = pause_ms(reply.status, &reply.headers, self.clock.now_ms()) {
            self.pause(wait);
            tracing::warn!(provider = %self.name, status = reply.status, retry_after_ms = wait, "provider asked to wait: paused");
        }
        Ok(reply)
    }

    /// Sends `call` and turns any non-2xx answer into its class.
    pub(crate) async fn send(&self, call: &Call) -> Result<Reply, ProviderError> {
        let reply = self.send_raw(call).await?;
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(self.error(&reply))
        }
    }

    /// The class of a failed reply.
    pub(crate) fn error(&self, reply: &Reply) -> ProviderError {
        let pause = pause_ms(reply.status, &reply.headers, self.clock.now_ms());
        let message = self.redact(&body_message(&reply.body));
        let error = classify_status(&self.name, reply.status, pause, message);
        tracing::warn!(provider = %self.name, status = reply.status, error = %error, "provider call failed");
        error
    }

    /// A `Rejected` error for bad input or an unusable response, with redaction.
    pub(crate) fn rejected(&self, message: impl AsRef<str>) -> ProviderError {
        ProviderError::Rejected {
            provider: self.name.clone(),
            status: 0,
            message: self.redact(message.as_ref()),
        }
    }
}

/// Joins a base URL and a relative path with exactly one slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}
