//! The email outbox: every message the portal sends is written here before delivery.

use crate::{Error, Store, now, with_pool};

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEmail {
    /// The recipient's address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxEmail {
    /// Row id, increasing with time.
    pub id: i64,
    /// The recipient's address.
    pub to_addr: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When it was queued, in Unix seconds.
    pub created_at: i64,
    /// When it was handed to the mail server, if it was.
    pub sent_at: Option<i64>,
    /// Failed delivery attempts so far.
    pub attempts: i64,
}

const OUTBOX_COLUMNS: &str = "id, to_addr, subject, body, created_at, sent_at, attempts";

impl Store {
    /// Queues a message and returns its id.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the message cannot be written.
    pub async fn enqueue_email(&self, email: &NewEmail) -> Result<i64, Error> {
        let sql = "INSERT INTO outbox (to_addr, subject, body, created_at) \
                   VALUES ($1, $2, $3, $4) RETURNING id";
        Ok(with_pool!(self, pool => sqlx::query_scalar(sql)
            .bind(&email.to)
            .bind(&email.subject)
            .bind(&email.body)
            .bind(now())
            .fetch_one(pool)
            .await)?)
    }

    /// The newest `limit` messages, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn recent_emails(&self, limit: i64) -> Result<Vec<OutboxEmail>, Error> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
        Ok(with_pool!(self, pool => sqlx::query_as(crate::trusted(sql))
            .bind(limit)
            .fetch_all(pool)
            .await)?)
    }

    /// Up to `limit` messages not yet delivered and tried fewer than `max_attempts`
    /// times, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn unsent_emails(
        &self,
        limit: i64,
        max_attempts: i64,
    ) -> Result<Vec<OutboxEmail>, Error> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE sent_at IS NULL AND attempts < $1 \
             ORDER BY id LIMIT $2"
        );
        let emails = with_pool!(self, pool => sqlx::query_as(crate::trusted(sql))
            .bind(max_attempts)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        Ok(emails)
    }

    /// Records a failed delivery of message `id` and why.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn record_email_failure(&self, id: i64, error: &str) -> Result<(), Error> {
        let sql = "UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2";
        with_pool!(self, pool => sqlx::query(sql).bind(error).bind(id).execute(pool).await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Records that message `id` was handed to the mail server.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn mark_email_sent(&self, id: i64) -> Result<(), Error> {
        let sql = "UPDATE outbox SET sent_at = $1 WHERE id = $2";
        with_pool!(self, pool => sqlx::query(sql).bind(now()).bind(id).execute(pool).await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }
}
