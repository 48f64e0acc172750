//! Writing the audit log from the pages and the API.

use commons_store::{NewAuditEntry, OrgId, User};

use crate::{AppState, Error};

/// One change to record: what was done to which object, and the object before and after.
pub(crate) struct Change<'a> {
    /// Verb such as `organisation.approve`.
    pub(crate) action: &'a str,
    /// Kind of object, such as `organisation`.
    pub(crate) object_type: &'a str,
    /// Its identifier.
    pub(crate) object_id: String,
    /// Its organisation, if any.
    pub(crate) org_id: Option<OrgId>,
    /// JSON before (secrets removed).
    pub(crate) before: Option<serde_json::Value>,
    /// JSON after (secrets removed).
    pub(crate) after: Option<serde_json::Value>,
}

/// The audit entry for `change` made by `actor`, for store calls that write it in the
/// same transaction as the change.
pub(crate) fn entry(actor: &User, change: Change<'_>) -> NewAuditEntry {
    NewAuditEntry {
        actor_user_id: Some(actor.id),
        actor: actor.email.clone(),
        action: change.action.to_owned(),
        object_type: change.object_type.to_owned(),
        object_id: change.object_id,
        org_id: change.org_id,
        before: change.before,
        after: change.after,
    }
}

/// Appends `change` made by `actor` to the audit log on its own, for changes made
/// outside the database (on the hosting side), after they succeeded.
///
/// # Errors
///
/// [`Error::StoreFailed`] when the entry cannot be written.
pub(crate) async fn record(
    state: &AppState,
    actor: &User,
    change: Change<'_>,
) -> Result<(), Error> {
    state.store.record_audit(&entry(actor, change)).await?;
    Ok(())
}
