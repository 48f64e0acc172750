//! The audit log: every change an administrator makes, with who, what, when, before and after.

use crate::{Error, OrgId, Store, UserId, with_pool};

/// A change to record.
#[derive(Clone, Debug)]
pub struct NewAuditEntry {
    /// The signed-in user who made it, if any (the CLI has none).
    pub actor_user_id: Option<UserId>,
    /// Human-readable actor: an email address, or `cli` for the command line.
    pub actor: String,
    /// What was done, such as `nas.create`.
    pub action: String,
    /// Kind of object changed, such as `nas_client`.
    pub object_type: String,
    /// Its identifier.
    pub object_id: String,
    /// The organisation it belongs to, if any.
    pub org_id: Option<OrgId>,
    /// JSON of the object before the change, secrets removed.
    pub before: Option<serde_json::Value>,
    /// JSON of the object after the change, secrets removed.
    pub after: Option<serde_json::Value>,
}

/// A recorded change.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    /// Row id, increasing with time.
    pub id: i64,
    /// When, in Unix seconds.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// Kind of object changed.
    pub object_type: String,
    /// Its identifier.
    pub object_id: String,
    /// JSON before the change.
    pub before_json: Option<String>,
    /// JSON after the change.
    pub after_json: Option<String>,
}

/// Appends `$entry` (a [`NewAuditEntry`]) to the audit log through `$executor`, inside a
/// `with_pool!` body, so that a change and its entry commit in one transaction.
macro_rules! insert_audit {
    ($executor:expr, $entry:expr) => {{
        let entry: &$crate::NewAuditEntry = $entry;
        sqlx::query(
            "INSERT INTO audit_log (at, actor_user_id, actor, action, object_type, \
             object_id, org_id, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind($crate::now())
        .bind(entry.actor_user_id)
        .bind(&entry.actor)
        .bind(&entry.action)
        .bind(&entry.object_type)
        .bind(&entry.object_id)
        .bind(entry.org_id)
        .bind(entry.before.as_ref().map(ToString::to_string))
        .bind(entry.after.as_ref().map(ToString::to_string))
        .execute($executor)
        .await
    }};
}
pub(crate) use insert_audit;

impl Store {
    /// Appends an entry to the audit log.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the entry cannot be written.
    pub async fn record_audit(&self, entry: &NewAuditEntry) -> Result<(), Error> {
        with_pool!(self, pool => insert_audit!(pool, entry).map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, Error> {
        let sql = "SELECT id, at, actor, action, object_type, object_id, before_json, after_json \
                   FROM audit_log ORDER BY id DESC LIMIT $1";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(limit).fetch_all(pool).await)?)
    }
}
