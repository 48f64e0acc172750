//! The audit log page: who changed what, when, and the object before and after.

use axum::{Router, extract::State, response::Response, routing::get};
use minijinja::context;

use crate::{AppState, Error, page::CouncilAdmin};

/// How many entries the page shows.
const SHOWN: i64 = 200;

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit_list))
}

async fn audit_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
) -> Result<Response, Error> {
    let entries: Vec<_> = state
        .store
        .recent_audit(SHOWN)
        .await?
        .into_iter()
        .map(|e| {
            context! {
                id => e.id, at => e.at, actor => e.actor, action => e.action,
                object => format!("{} {}", e.object_type, e.object_id),
                before => e.before_json, after => e.after_json,
            }
        })
        .collect();
    me.page(
        &state,
        "admin_audit.html",
        context! { entries, shown => SHOWN },
    )
}
