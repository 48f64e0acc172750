//! Counted events for rate limits (failed sign-ins, reset requests), kept in the database
//! so that several portal processes share one count.

use crate::{Error, Store, now, with_pool};

impl Store {
    /// Records one event in `bucket`.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the event cannot be written.
    pub async fn record_rate_event(&self, bucket: &str) -> Result<(), Error> {
        let sql = "INSERT INTO rate_events (bucket, at) VALUES ($1, $2)";
        with_pool!(self, pool => sqlx::query(sql).bind(bucket).bind(now()).execute(pool).await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// How many events `bucket` holds from the last `window_secs` seconds.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn count_rate_events(&self, bucket: &str, window_secs: i64) -> Result<i64, Error> {
        let sql = "SELECT COUNT(*) FROM rate_events WHERE bucket = $1 AND at > $2";
        Ok(with_pool!(self, pool => sqlx::query_scalar(sql)
            .bind(bucket)
            .bind(now().saturating_sub(window_secs))
            .fetch_one(pool)
            .await)?)
    }

    /// Forgets every event of `bucket`, as after a successful sign-in.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn clear_rate_events(&self, bucket: &str) -> Result<(), Error> {
        let sql = "DELETE FROM rate_events WHERE bucket = $1";
        with_pool!(self, pool => sqlx::query(sql).bind(bucket).execute(pool).await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Deletes events older than `max_age_secs` seconds.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn purge_rate_events(&self, max_age_secs: i64) -> Result<u64, Error> {
        let sql = "DELETE FROM rate_events WHERE at <= $1";
        Ok(with_pool!(self, pool => sqlx::query(sql)
            .bind(now().saturating_sub(max_age_secs))
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?)
    }
}
