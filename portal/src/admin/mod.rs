//! Council administration: organisations, plans, Wi-Fi, the audit log and reports. Every
//! page needs a council administrator; every change is written to the audit log.

mod audit_log;
mod orgs;
mod plans;
mod reports;
pub(crate) mod wifi;

use axum::Router;

use crate::AppState;

pub(crate) use orgs::{DecideForm, Decision, decide, resync_plan_tenants};
pub(crate) use plans::{PlanForm, create, update, validate_plan};

/// The routes of the council administration.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(orgs::router())
        .merge(plans::router())
        .merge(audit_log::router())
        .merge(reports::router())
        .merge(wifi::router())
}
