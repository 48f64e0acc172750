//! Sending email: every message goes to the outbox table first.

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
    // Limitation: no SMTP delivery yet; messages stay in the outbox table and, so that a
    // laptop demo can follow its links, the log. With real recipients the body (which
    // holds one-time links) must not be logged, so SMTP must come before production use.
    tracing::info!(id, to, subject, body = %email.body, "email written to the outbox");
    Ok(())
}
