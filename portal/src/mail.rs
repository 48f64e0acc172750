//! Sending email: every message goes to the outbox table first, and from there to the
//! mail server when one is configured.

use commons_store::NewEmail;

use crate::{AppState, Error};

/// Queues a message to `to`.
///
/// # Errors
///
/// [`Error::StoreFailed`] when the outbox cannot be written.
pub(crate) async fn send(
    state: &AppState,
    to: &str,
    subject: &str,
    body: String,
) -> Result<(), Error> {
    let email = NewEmail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        body,
    };
    let id = state.store.enqueue_email(&email).await?;
    if state.smtp_configured {
        tracing::debug!(id, "email queued for delivery");
    } else {
        // Without a mail server the log is the only mailbox a laptop demo has, so the
        // body (with its one-time link) is shown; with SMTP it never is.
        tracing::info!(id, to, subject, body = %email.body, "email kept in the outbox: no SMTP configured");
    }
    Ok(())
}
