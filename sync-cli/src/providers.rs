//! Provider definitions, shared by `worker`, `preview`/`execute --from-provider` and `pull`:
//! `--provider NAME=KIND:URL` (repeatable) and `--providers-file FILE`. Every built-in provider
//! is made by `sync_providers::build` from a `ProviderConfig`; this module only gathers the
//! configuration and names the provider.
//!
//! - `NAME=journal:PATH`: an SQLite journal file (dry runs, load tests).
//! - `NAME=caldav:URL`: the VTODOs of one calendar collection (see `caldav.rs`).
//! - `NAME=mstodo|connectwise|processplan|azure-devops:URL`: the adapter on base URL `URL`.
//!
//! Credentials never come from the command line: from the environment
//! (`TASKSYNC_<NAME>_TOKEN`, or `TASKSYNC_<NAME>_USER` and `TASKSYNC_<NAME>_PASSWORD`;
//! `TASKSYNC_<NAME>_CLIENT_ID` for ConnectWise; NAME upper-cased, every other character than a
//! letter or digit as `_`) or from the providers file, a JSON object of NAME to the fields of a
//! `ProviderConfig` plus `token_command` (unknown keys refused; the file must not be readable
//! by group or others). A credential the file leaves out is taken from the environment.
//!
//! Token renewal: `token_command` (or `TASKSYNC_<NAME>_TOKEN_COMMAND`) is run with `sh -c`
//! after a 401; its standard output, trimmed, is the new token. Its output is never shown;
//! its failure is the provider's `rejected` error naming the command's exit status.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use clap::Args;
use serde_json::{Map, Value};
use sync_core::{
    Listing, ProviderClient, ProviderError, PushReceipt, Secret, StatusPush, TokenRefresher,
};
use sync_providers::{AdapterKind, ProviderConfig};

use crate::commands::CliError;
use crate::journal::{Delay, Journal};

/// Where the providers are defined.
#[derive(Debug, Args)]
pub(crate) struct ProviderArgs {
    /// A provider: `NAME=KIND:URL` with KIND journal (URL: a file path), caldav (URL: a
    /// calendar collection), mstodo, connectwise, processplan or azure-devops (URL: the API's
    /// base URL). Credentials come from TASKSYNC_<NAME>_TOKEN, or TASKSYNC_<NAME>_USER and
    /// TASKSYNC_<NAME>_PASSWORD (CalDAV: --caldav-user and TASKSYNC_CALDAV_PASSWORD too),
    /// never from the command line; renewal after a 401 from TASKSYNC_<NAME>_TOKEN_COMMAND.
    #[arg(long = "provider", value_name = "NAME=KIND:URL")]
    pub(crate) specs: Vec<String>,
    /// A JSON file of providers: `{"NAME": {"kind", "base_url", "token" | "user" + "password",
    /// "client_id", "token_command", ...}}` (only its owner may read it).
    #[arg(long, value_name = "FILE")]
    pub(crate) providers_file: Option<PathBuf>,
    /// The CalDAV account of `caldav:` providers (the password is read from the environment
    /// variable TASKSYNC_CALDAV_PASSWORD or TASKSYNC_<NAME>_PASSWORD, never from the command line).
    #[arg(long)]
    pub(crate) caldav_user: Option<String>,
    /// Journal providers wait a random time in this range (ms) before each delivery, like a
    /// remote system would: for dry runs and load tests (`MIN-MAX`, e.g. `5-40`).
    #[arg(long, value_name = "MIN-MAX", value_parser = Delay::parse)]
    pub(crate) journal_delay_ms: Option<Delay>,
}

/// One provider's definition.
enum Definition {
    Journal(PathBuf),
    /// A calendar collection URL, its user and password.
    Collection(String, Option<String>, Option<Secret>),
    Builtin(Box<ProviderConfig>, Option<String>),
}

/// The environment variable `TASKSYNC_<NAME>_<WHAT>`.
pub(crate) fn env_name(name: &str, what: &str) -> String {
    let upper: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    format!("TASKSYNC_{upper}_{what}")
}

/// `TASKSYNC_<NAME>_<WHAT>` when set and not empty; a user may be empty (an Azure DevOps
/// personal access token has user `""`).
fn env(name: &str, what: &str) -> Option<String> {
    std::env::var(env_name(name, what))
        .ok()
        .filter(|v| what == "USER" || !v.is_empty())
}

/// Every provider the arguments define, by name, in a stable order.
pub(crate) struct Providers {
    defined: BTreeMap<String, Definition>,
    journal_delay: Option<Delay>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers")
            .field("names", &self.defined.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Providers {
    /// Reads the `--provider` specs and the providers file; nothing is contacted yet.
    pub(crate) fn read(args: &ProviderArgs) -> Result<Self, CliError> {
        let mut defined = BTreeMap::new();
        if let Some(path) = &args.providers_file {
            for (name, definition) in read_file(path)? {
                defined.insert(name, definition);
            }
        }
        for spec in &args.specs {
            let (name, definition) = parse_spec(spec, args)?;
            if defined.insert(name.clone(), definition).is_some() {
                return Err(CliError::Usage(format!(
                    "--provider `{spec}`: provider `{name}` is defined twice"
                )));
            }
        }
        Ok(Providers {
            defined,
            journal_delay: args.journal_delay_ms,
        })
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.defined.is_empty()
    }

    /// Every provider, built.
    pub(crate) fn build_all(&self) -> Result<Vec<Arc<dyn ProviderClient>>, CliError> {
        self.defined
            .iter()
            .map(|(name, definition)| self.make(name, definition))
            .collect()
    }

    /// The provider named `name` (or the only one defined when `name` is `None`), built.
    pub(crate) fn build_one(
        &self,
        name: Option<&str>,
    ) -> Result<Arc<dyn ProviderClient>, CliError> {
        let names = || self.defined.keys().cloned().collect::<Vec<_>>().join(", ");
        let (name, definition) = match name {
            Some(name) => self.defined.get_key_value(name).ok_or_else(|| {
                CliError::Usage(format!(
                    "--from-provider `{name}`: no such provider (defined: {})",
                    if self.is_empty() {
                        "none".into()
                    } else {
                        names()
                    }
                ))
            })?,
            None if self.defined.len() == 1 => self.defined.iter().next().expect("one"),
            None if self.is_empty() => {
                return Err(CliError::Usage(
                    "define a provider with --provider NAME=KIND:URL or --providers-file FILE"
                        .into(),
                ));
            }
            None => {
                return Err(CliError::Usage(format!(
                    "several providers are defined ({}): choose one with --from-provider NAME",
                    names()
                )));
            }
        };
        self.make(name, definition)
    }

    fn make(
        &self,
        name: &str,
        definition: &Definition,
    ) -> Result<Arc<dyn ProviderClient>, CliError> {
        Ok(match definition {
            Definition::Journal(path) => {
                let journal = Journal::new(name.into(), path.clone());
                Arc::new(match self.journal_delay {
                    Some(delay) => journal.with_delay(delay),
                    None => journal,
                })
            }
            Definition::Collection(url, user, password) => Arc::new(
                crate::caldav::Collection::new(name, url, user.as_deref(), password.clone())?,
            ),
            Definition::Builtin(config, command) => {
                let refresher = command.as_ref().map(|command| {
                    Arc::new(CommandRefresher {
                        name: name.to_owned(),
                        command: command.clone(),
                    }) as Arc<dyn TokenRefresher>
                });
                let inner = sync_providers::build(config, refresher).map_err(|e| {
                    CliError::Usage(format!("provider `{name}`: {e}{}", hint(name)))
                })?;
                Arc::new(Named {
                    name: name.to_owned(),
                    inner,
                })
            }
        })
    }
}

fn hint(name: &str) -> String {
    format!(
        " (credentials: {} or {} and {}, or --providers-file)",
        env_name(name, "TOKEN"),
        env_name(name, "USER"),
        env_name(name, "PASSWORD")
    )
}

fn parse_spec(spec: &str, args: &ProviderArgs) -> Result<(String, Definition), CliError> {
    let usage = || {
        CliError::Usage(format!(
            "--provider `{spec}`: expected NAME=KIND:URL with KIND one of journal, caldav, {}",
            AdapterKind::ALL[..4].join(", ")
        ))
    };
    let (name, rest) = spec.split_once('=').ok_or_else(usage)?;
    let (kind, url) = rest.split_once(':').ok_or_else(usage)?;
    if name.is_empty() || url.is_empty() {
        return Err(usage());
    }
    let definition = match kind {
        "journal" => Definition::Journal(PathBuf::from(url)),
        "caldav" => {
            let user = args.caldav_user.clone().or_else(|| env(name, "USER"));
            let password = env(name, "PASSWORD")
                .or_else(|| {
                    std::env::var(crate::caldav::PASSWORD_ENV)
                        .ok()
                        .filter(|p| !p.is_empty())
                })
                .map(Secret::new);
            Definition::Collection(url.to_owned(), user, password)
        }
        _ => {
            let kind = AdapterKind::parse(kind).map_err(|_| usage())?;
            let mut config = ProviderConfig::new(kind, url);
            config.token = env(name, "TOKEN").map(Secret::new);
            config.user = env(name, "USER");
            config.password = env(name, "PASSWORD").map(Secret::new);
            config.client_id = env(name, "CLIENT_ID");
            Definition::Builtin(Box::new(config), env(name, "TOKEN_COMMAND"))
        }
    };
    Ok((name.to_owned(), definition))
}

/// Refuses a providers file that group or others may read (it holds credentials).
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path)
        .map_err(|e| CliError::Usage(format!("--providers-file {}: {e}", path.display())))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(CliError::Usage(format!(
            "--providers-file {}: readable by others; it holds credentials: chmod 600 it",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), CliError> {
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<(String, Definition)>, CliError> {
    check_private(path)?;
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--providers-file {shown}: {e}")))?;
    let parsed: Map<String, Value> = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "--providers-file {shown}: not a JSON object of NAME to provider (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let mut out = Vec::new();
    for (name, entry) in parsed {
        let bad = |why: String| CliError::Usage(format!("--providers-file {shown}: {name}: {why}"));
        if name.is_empty() || name.len() > 200 {
            return Err(bad("a provider name must be 1 to 200 characters".into()));
        }
        let Value::Object(mut fields) = entry else {
            return Err(bad("must be an object of provider fields".into()));
        };
        let command = match fields.remove("token_command") {
            None => env(&name, "TOKEN_COMMAND"),
            Some(Value::String(c)) if !c.trim().is_empty() => Some(c),
            Some(_) => return Err(bad("token_command: must be a non-empty string".into())),
        };
        let credential = ["token", "user", "password"];
        if !credential.iter().any(|k| fields.contains_key(*k)) {
            for (key, what) in [
                ("token", "TOKEN"),
                ("user", "USER"),
                ("password", "PASSWORD"),
            ] {
                if let Some(value) = env(&name, what) {
                    fields.insert(key.into(), Value::String(value));
                }
            }
        }
        if !fields.contains_key("client_id")
            && fields.get("kind") == Some(&Value::from("connectwise"))
        {
            if let Some(id) = env(&name, "CLIENT_ID") {
                fields.insert("client_id".into(), Value::String(id));
            }
        }
        let config = ProviderConfig::from_json(&Value::Object(fields).to_string())
            .map_err(|e| bad(e.to_string()))?;
        out.push((name, Definition::Builtin(Box::new(config), command)));
    }
    Ok(out)
}

/// A built-in adapter under the provider's name (the worker routes a job to the provider
/// named like its target).
struct Named {
    name: String,
    inner: Arc<dyn ProviderClient>,
}

impl fmt::Debug for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.name)
            .field("adapter", &self.inner.name())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ProviderClient for Named {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn list(&self, scope: String) -> Result<Listing, ProviderError> {
        self.inner.list(scope).await
    }

    async fn push(&self, change: StatusPush) -> Result<PushReceipt, ProviderError> {
        self.inner.push(change).await
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        self.inner.refresh_token().await
    }
}

/// Renews a token by running the configured command; its trimmed stdout is the token.
pub(crate) struct CommandRefresher {
    name: String,
    command: String,
}

impl fmt::Debug for CommandRefresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandRefresher")
            .field("provider", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenRefresher for CommandRefresher {
    async fn refresh(&self, provider: String) -> Result<Secret, ProviderError> {
        let command = self.command.clone();
        let name = self.name.clone();
        let failed = |why: String| ProviderError::Rejected {
            provider: provider.clone(),
            status: 0,
            message: format!("the token command of `{}` {why}", self.name),
        };
        let ran = tokio::task::spawn_blocking(move || {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .env("TASKSYNC_PROVIDER", &name)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
        })
        .await
        .map_err(|e| failed(format!("did not finish: {e}")))?
        .map_err(|e| failed(format!("could not start: {e}")))?;
        if !ran.status.success() {
            return Err(failed(format!("failed ({})", ran.status)));
        }
        let token = String::from_utf8(ran.stdout)
            .map_err(|_| failed("printed a token that is not UTF-8".into()))?;
        let token = token.trim();
        if token.is_empty() {
            return Err(failed("printed no token".into()));
        }
        Ok(Secret::new(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_upper_case_with_underscores() {
        assert_eq!(env_name("todo", "TOKEN"), "TASKSYNC_TODO_TOKEN");
        assert_eq!(env_name("my-cw.2", "USER"), "TASKSYNC_MY_CW_2_USER");
    }

    #[test]
    fn a_token_command_prints_the_token_and_its_failure_shows_no_output() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let ok = CommandRefresher {
            name: "todo".into(),
            command: "echo \"  tok-$TASKSYNC_PROVIDER  \"".into(),
        };
        let token = runtime.block_on(ok.refresh("mstodo".into())).unwrap();
        assert_eq!(token.expose(), "tok-todo");
        assert!(!format!("{ok:?}").contains("echo"));
        let failing = CommandRefresher {
            name: "todo".into(),
            command: "echo tok-LEAKED-1; echo tok-LEAKED-2 >&2; exit 3".into(),
        };
        let err = runtime
            .block_on(failing.refresh("mstodo".into()))
            .unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("token command of `todo` failed"), "{shown}");
        assert!(!shown.contains("LEAKED"), "{shown}");
        assert!(matches!(err, ProviderError::Rejected { .. }));
    }
}
