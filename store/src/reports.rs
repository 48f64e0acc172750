//! Simple counts for the council's reports.

use crate::{Error, Store, now, with_pool};

/// Seconds in a day: report buckets are UTC days.
const DAY: i64 = 86_400;

/// A count for one UTC day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyCount {
    /// The day's first second, in Unix seconds.
    pub day: i64,
    /// How many.
    pub count: i64,
}

impl Store {
    /// Organisation sign-ups per UTC day over the last `days` days, days without any left out.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn signups_per_day(&self, days: i64) -> Result<Vec<DailyCount>, Error> {
        let sql = "SELECT created_at / 86400 AS day, COUNT(*) FROM organisations \
                   WHERE created_at >= $1 GROUP BY created_at / 86400 ORDER BY day";
        let since = (now() / DAY - days.saturating_sub(1)) * DAY;
        let rows: Vec<(i64, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(since)
            .fetch_all(pool)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|(day, count)| DailyCount {
                day: day * DAY,
                count,
            })
            .collect())
    }

    /// How many organisations are in each approval state, by state name.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn organisations_by_status(&self) -> Result<Vec<(String, i64)>, Error> {
        let sql = "SELECT status, COUNT(*) FROM organisations GROUP BY status ORDER BY status";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await)?)
    }
}
