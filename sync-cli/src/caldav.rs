//! The `caldav` provider: `--provider NAME=caldav:URL` delivers NAME's jobs to the VTODOs of
//! one calendar collection on a CalDAV server (and lists them for a pull), through the
//! `sync_providers` CalDAV adapter built by `sync_providers::build`.
//!
//! Addressing: a job's external id is the name of a resource in the collection; `.ics` is
//! appended when it is missing (`story-2` is `URL/story-2.ics`). So a target that mirrors the
//! folder source (`--target calendar=cal_dav@files`) updates the VTODO stored as
//! `<file's external id>.ics`. The adapter's own ids (`calendar/name.ics`, what a pull from this
//! collection stores) are taken as they are; other ids with a `/` are refused (they would leave
//! the collection).
//!
//! The account is `--caldav-user` (or `TASKSYNC_<NAME>_USER`) with the password from
//! `TASKSYNC_<NAME>_PASSWORD` or `TASKSYNC_CALDAV_PASSWORD`; the password lives only in the
//! adapter's `Secret` (never printed: the adapter redacts it from every error). A 401 is final
//! here: the worker's refresh fails and the job goes to the dead letters.

use std::sync::Arc;

use async_trait::async_trait;
use sync_core::{Listing, ProviderClient, ProviderError, PushReceipt, Secret, StatusPush};
use sync_providers::{AdapterKind, ProviderConfig};

use crate::commands::CliError;

/// The environment variable holding the CalDAV password.
pub(crate) const PASSWORD_ENV: &str = "TASKSYNC_CALDAV_PASSWORD";

/// The CalDAV adapter on one collection, under the target's name.
pub(crate) struct Collection {
    name: String,
    calendar: String,
    inner: Arc<dyn ProviderClient>,
}

impl std::fmt::Debug for Collection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collection")
            .field("name", &self.name)
            .field("calendar", &self.calendar)
            .finish_non_exhaustive()
    }
}

impl Collection {
    /// `url` is the collection (`http://host/user/tasks/`); `user` and `password` its account.
    pub(crate) fn new(
        name: &str,
        url: &str,
        user: Option<&str>,
        password: Option<Secret>,
    ) -> Result<Self, CliError> {
        let usage = |why: &str| CliError::Usage(format!("--provider {name}=caldav:{url}: {why}"));
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(usage("the URL must start with http:// or https://"));
        }
        let trimmed = url.trim_end_matches('/');
        let (home, calendar) = trimmed
            .rsplit_once('/')
            .filter(|(home, calendar)| !calendar.is_empty() && home.len() > "https:/".len())
            .ok_or_else(|| {
                usage("expected a calendar collection URL, e.g. http://host/user/tasks/")
            })?;
        let user = user.ok_or_else(|| usage("--caldav-user is required"))?;
        let password = password.ok_or_else(|| usage(&format!("set {PASSWORD_ENV}")))?;
        let mut config = ProviderConfig::new(AdapterKind::Caldav, format!("{home}/"));
        config.user = Some(user.to_owned());
        config.password = Some(password);
        let inner = sync_providers::build(&config, None).map_err(|e| usage(&e.to_string()))?;
        Ok(Collection {
            name: name.to_owned(),
            calendar: calendar.to_owned(),
            inner,
        })
    }

    /// The adapter's `calendar/resource.ics` for a job's external id.
    fn resource(&self, external_id: &str) -> Result<String, ProviderError> {
        let own = external_id
            .strip_prefix(self.calendar.as_str())
            .and_then(|rest| rest.strip_prefix('/'));
        if let Some(name) = own.filter(|n| !n.is_empty() && !n.contains('/')) {
            return Ok(format!("{}/{name}", self.calendar));
        }
        if external_id.is_empty() || external_id.contains('/') {
            return Err(ProviderError::Rejected {
                provider: self.name.clone(),
                status: 400,
                message: format!("external id `{external_id}` is not a resource name"),
            });
        }
        let file = if external_id.ends_with(".ics") {
            external_id.to_owned()
        } else {
            format!("{external_id}.ics")
        };
        Ok(format!("{}/{file}", self.calendar))
    }
}

#[async_trait]
impl ProviderClient for Collection {
    fn name(&self) -> String {
        // The worker routes a job to the provider named like its target.
        self.name.clone()
    }

    async fn list(&self, _scope: String) -> Result<Listing, ProviderError> {
        self.inner.list(self.calendar.clone()).await
    }

    async fn push(&self, mut change: StatusPush) -> Result<PushReceipt, ProviderError> {
        change.external_id = self.resource(&change.external_id)?;
        self.inner.push(change).await
    }

    async fn refresh_token(&self) -> Result<(), ProviderError> {
        self.inner.refresh_token().await
    }
}

// The credential sweep every adapter passes, and the loopback calendar it runs against.
#[cfg(test)]
#[path = "../../sync-providers/tests/common/caldav_fake.rs"]
mod caldav_fake;
#[cfg(test)]
#[path = "../../sync-providers/tests/common/secrets.rs"]
mod secrets;

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::transition::ProviderKind;
    use sync_core::{DesiredTask, Status};
    use sync_providers::Credentials;

    fn collection(url: &str) -> Result<Collection, CliError> {
        Collection::new("cal", url, Some("u"), Some(Secret::new("pw-123456")))
    }

    #[test]
    fn a_collection_url_is_split_into_home_and_calendar() {
        let c = collection("http://127.0.0.1:5232/demo/tasks/").unwrap();
        assert_eq!(c.calendar, "tasks");
        assert_eq!(c.resource("story-2").unwrap(), "tasks/story-2.ics");
        assert_eq!(c.resource("a.ics").unwrap(), "tasks/a.ics");
        assert!(c.resource("../x").is_err());
        assert_eq!(c.resource("tasks/a.ics").unwrap(), "tasks/a.ics");
        assert!(c.resource("tasks/../x/y").is_err());
        assert_eq!(c.name(), "cal");
    }

    #[test]
    fn bad_urls_and_missing_credentials_are_usage_errors() {
        for url in ["ftp://h/u/t", "http://", "http://h/"] {
            assert!(matches!(collection(url), Err(CliError::Usage(_))), "{url}");
        }
        let missing = Collection::new("cal", "http://h/u/t/", Some("u"), None).unwrap_err();
        assert!(missing.to_string().contains(PASSWORD_ENV), "{missing}");
        assert!(Collection::new("cal", "http://h/u/t/", None, Some(Secret::new("p"))).is_err());
    }

    /// The worker's CalDAV provider through the core's queue with failures (a revoked password
    /// is final: the CLI has no refresher): no form of the password shows in the logs at
    /// TRACE, the errors, the jobs, the history, the metrics or a `Debug`.
    #[test]
    fn no_password_shows_anywhere_after_a_run_with_failures() {
        const USER: &str = "ana";
        let todos = [
            ("a", "NEEDS-ACTION"),
            ("b", "NEEDS-ACTION"),
            ("c", "NEEDS-ACTION"),
            ("d", "NEEDS-ACTION"),
        ];
        let fake = super::caldav_fake::CalDavFake::start(USER, "tasks", &todos);
        let url = fake.collection();
        let folder =
            ["a", "b", "c", "d"].map(|id| DesiredTask::new(id, id).status(Status::Pending));
        // The CLI builds its adapter from --caldav-user and the password in the environment.
        let make = |credentials: Credentials, _| {
            let (_, password) = credentials.secret.expose().split_once(':').unwrap();
            Collection::new("calendar", &url, Some(USER), Some(Secret::new(password))).unwrap()
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(super::secrets::sweep(super::secrets::Sweep {
            make: &make,
            credentials: &|secret| Credentials::basic(USER, Secret::new(secret)),
            server: &fake,
            secrets: ["pw-SWEEP-6a1f0c93d2", "pw-RENEWED-b27e5d4c80"],
            renews: false,
            scope: "tasks",
            mapping: ProviderKind::CalDav,
            mirrored: Some(Listing::complete("files", folder.into())),
            moves: [
                ("a", Status::Completed),
                ("b", Status::Completed),
                ("c", Status::InProgress),
                ("d", Status::Completed),
            ],
            configs: Vec::new(),
        }));
        assert!(fake.resource("a.ics").unwrap().contains("STATUS:COMPLETED"));
        assert!(fake.resource("d.ics").unwrap().contains("STATUS:COMPLETED"));
    }
}
