//! The authentication log: one row per decision, kept for each site's retention
//! period and then purged.

use crate::{BeginWrite, Error, NasId, SiteId, Store, trusted, with_pool};

/// How an authentication ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthResult {
    /// Access granted.
    Accept,
    /// Access refused.
    Reject,
}

impl AuthResult {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Reject => "reject",
        }
    }
}

/// A decision to record.
#[derive(Clone, Debug)]
pub struct NewAuthLogEntry {
    /// When, Unix seconds.
    pub at: i64,
    /// The NAS that asked.
    pub nas_id: Option<NasId>,
    /// Its site.
    pub site_id: Option<SiteId>,
    /// The user name offered.
    pub username: String,
    /// The device, canonical MAC spelling, when known.
    pub mac: Option<String>,
    /// The outcome.
    pub result: AuthResult,
    /// Why, in a word or two (`bad_credentials`, `voucher`, `expired`, …).
    pub reason: String,
}

/// A recorded decision.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthLogEntry {
    /// Row id.
    pub id: i64,
    /// When, Unix seconds.
    pub at: i64,
    /// The NAS that asked.
    pub nas_id: Option<NasId>,
    /// Its site.
    pub site_id: Option<SiteId>,
    /// The user name offered.
    pub username: String,
    /// The device.
    pub mac: Option<String>,
    /// `accept` or `reject`.
    pub result: String,
    /// Why.
    pub reason: String,
}

/// Rows per INSERT statement: 7 parameters each stays far below both backends' limit.
const ROWS_PER_INSERT: usize = 64;

/// `INSERT INTO auth_log … VALUES ($1, …, $7), ($8, …)` for `rows` rows.
fn insert_rows(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO auth_log (at, nas_id, site_id, username, mac, result, reason) VALUES ",
    );
    for row in 0..rows {
        let first = row * 7 + 1;
        let params: Vec<String> = (first..first + 7).map(|n| format!("${n}")).collect();
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
    }
    sql
}

/// Binds one entry's seven values, in the column order of [`insert_rows`].
fn bind_entry<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    entry: &'q NewAuthLogEntry,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<NasId>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<SiteId>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'static str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    query
        .bind(entry.at)
        .bind(entry.nas_id)
        .bind(entry.site_id)
        .bind(&entry.username)
        .bind(&entry.mac)
        .bind(entry.result.as_str())
        .bind(&entry.reason)
}

/// Retention of entries whose site is unknown or gone, days.
const DEFAULT_RETENTION_DAYS: i64 = 30;

/// How long the outbox keeps a message after it was queued, days. Messages name no
/// site, so one bound serves all: the default retention, long enough for a delivery
/// to be retried and looked into.
const OUTBOX_RETENTION_DAYS: i64 = 30;

/// `DELETE FROM <table>` of the rows (meeting `extra`, which ends in `AND`) whose
/// `moment` lies more than their site's retention before `$1`, or `$2` days where the
/// site is unknown.
fn older_than_retention(table: &str, moment: &str, extra: &str) -> String {
    format!(
        "DELETE FROM {table} WHERE {extra}{moment} < $1 - 86400 * COALESCE( \
         (SELECT s.retention_days FROM wifi_sites s WHERE s.id = {table}.site_id), $2)"
    )
}

impl Store {
    /// Appends decisions to the log.
    ///
    /// # Guarantees
    ///
    /// All or nothing: one transaction per call.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the entries cannot be written.
    pub async fn record_auth(&self, entries: &[NewAuthLogEntry]) -> Result<(), Error> {
        // Full chunks share one many-row statement and the rest one single-row
        // statement, so each connection caches two prepared statements, not one per
        // batch size.
        let many = insert_rows(ROWS_PER_INSERT);
        let one = insert_rows(1);
        let chunks = entries.chunks_exact(ROWS_PER_INSERT);
        let rest = chunks.remainder();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for chunk in chunks.clone() {
                let mut query = sqlx::query(trusted(&many));
                for entry in chunk {
                    query = bind_entry(query, entry);
                }
                query.execute(&mut *tx).await?;
            }
            for entry in rest {
                bind_entry(sqlx::query(trusted(&one)), entry).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The newest `limit` log entries, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn recent_auth_log(&self, limit: i64) -> Result<Vec<AuthLogEntry>, Error> {
        let sql = "SELECT id, at, nas_id, site_id, username, mac, result, reason \
                   FROM auth_log ORDER BY id DESC LIMIT $1";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(limit).fetch_all(pool).await)?)
    }

    /// Deletes Wi-Fi personal data older than its site's retention (30 days where the
    /// site is unknown), as seen at `at`: auth log entries; accounting sessions ended
    /// (or last heard of) before then; consents given and email codes sent before then;
    /// guest accounts and remembered devices that expired before then. Also deletes
    /// emails queued more than 30 days before `at`, sent or not, since they hold the
    /// address and often a code. Returns how many rows went.
    ///
    /// Blocked devices are kept whatever their expiry, so that a block an administrator
    /// made stays in force.
    ///
    /// # Guarantees
    ///
    /// Idempotent.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn purge_auth_log(&self, at: i64) -> Result<u64, Error> {
        let statements = [
            older_than_retention("auth_log", "at", ""),
            older_than_retention(
                "accounting_sessions",
                "COALESCE(stopped_at, updated_at)",
                "",
            ),
            older_than_retention("guest_consents", "at", ""),
            older_than_retention("wifi_email_codes", "created_at", ""),
            older_than_retention(
                "guest_accounts",
                "expires_at",
                "expires_at IS NOT NULL AND ",
            ),
            older_than_retention("devices", "expires_at", "blocked = FALSE AND "),
        ];
        let mut purged = 0;
        for statement in statements {
            purged += with_pool!(self, pool => sqlx::query(trusted(statement))
                .bind(at)
                .bind(DEFAULT_RETENTION_DAYS)
                .execute(pool)
                .await
                .map(|done| done.rows_affected()))?;
        }
        let outbox = "DELETE FROM outbox WHERE created_at < $1 - 86400 * $2";
        purged += with_pool!(self, pool => sqlx::query(outbox)
            .bind(at)
            .bind(OUTBOX_RETENTION_DAYS)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(purged)
    }

    /// Sets how many days a site's log is kept.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for fewer than one day; [`Error::NotFound`] for no such site.
    pub async fn set_site_retention(&self, site: SiteId, days: i64) -> Result<(), Error> {
        if days < 1 {
            return Err(Error::Invalid {
                what: "retention",
                reason: "it must be at least one day".into(),
            });
        }
        let sql = "UPDATE wifi_sites SET retention_days = $1 WHERE id = $2";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(days)
            .bind(site)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound { what: "site" });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::insert_rows;

    #[test]
    fn multi_row_inserts_number_their_parameters_in_order() {
        let sql = insert_rows(2);
        assert!(
            sql.ends_with("VALUES ($1, $2, $3, $4, $5, $6, $7), ($8, $9, $10, $11, $12, $13, $14)")
        );
    }
}
