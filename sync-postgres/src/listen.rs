//! Wake hints from other instances: a dedicated connection `LISTEN`s on [`CHANNEL`] and raises
//! the store's [`WakeHint`] on every notification. `apply` sends the notification (with
//! `pg_notify`, inside its transaction, so it is delivered only if the set commits) whenever
//! it writes a pending job.
//!
//! A hint is only a hint: the queue never depends on one arriving. So the listener raises the
//! hint each time it (re)connects (notices sent while it was away are lost), pings the server
//! every [`PING`] to notice a dead connection, and reconnects with a backoff from
//! [`BACKOFF_MIN`] to [`BACKOFF_MAX`]. It runs on the store's runtime and ends with it.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use sync_core::store::WakeHint;
use tokio_postgres::AsyncMessage;

use crate::url::Secret;

/// The notification channel of job hints.
pub(crate) const CHANNEL: &str = "tasksync_jobs";
/// How often an idle listener checks that its connection is alive.
const PING: Duration = Duration::from_secs(15);
/// The first wait before a reconnect.
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// The longest wait between reconnects.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Starts the listener on `runtime`.
pub(crate) fn spawn(
    runtime: &tokio::runtime::Handle,
    config: tokio_postgres::Config,
    wake: Arc<WakeHint>,
    secret: Secret,
) {
    runtime.spawn(async move {
        let mut backoff = BACKOFF_MIN;
        loop {
            match listen_once(&config, &wake).await {
                // It was connected: the next failure starts from the shortest wait again.
                Ok(()) => backoff = BACKOFF_MIN,
                Err(e) => {
                    let message = secret.scrub(e.to_string());
                    tracing::warn!(error = %message, "postgres job listener: reconnecting");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    });
}

/// One connection's life: connect, `LISTEN`, raise on every notice, until the connection
/// fails. `Ok` once it was listening (a later failure ends it with `Ok` too).
async fn listen_once(
    config: &tokio_postgres::Config,
    wake: &Arc<WakeHint>,
) -> Result<(), tokio_postgres::Error> {
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await?;
    let raise = wake.clone();
    let mut messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
    let driver = tokio::spawn(async move {
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => raise.raise(),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    let abort = driver.abort_handle();
    let listening = client.batch_execute(&format!("LISTEN {CHANNEL}")).await;
    if let Err(e) = listening {
        abort.abort();
        return Err(e);
    }
    // Notices sent while this instance was not listening are lost: look again.
    wake.raise();
    tracing::debug!("postgres job listener: listening");
    let mut driver = driver;
    loop {
        match tokio::time::timeout(PING, &mut driver).await {
            Ok(ended) => {
                if let Ok(Err(e)) = ended {
                    tracing::warn!(error = %e, "postgres job listener: connection lost");
                }
                return Ok(());
            }
            Err(_idle) => {
                let ping = tokio::time::timeout(PING, client.batch_execute("")).await;
                if !matches!(ping, Ok(Ok(()))) {
                    abort.abort();
                    return Ok(());
                }
            }
        }
    }
}
