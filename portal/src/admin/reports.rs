//! Simple reports: sign-ups per day and organisations by state (approved ones are the
//! active tenants).

use axum::{Router, extract::State, response::Response, routing::get};
use minijinja::context;

use crate::{AppState, Error, page::CouncilAdmin};

/// Days covered by the sign-up report.
const DAYS: i64 = 30;

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/admin/reports", get(reports_show))
}

async fn reports_show(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
) -> Result<Response, Error> {
    let signups: Vec<_> = state
        .store
        .signups_per_day(DAYS)
        .await?
        .into_iter()
        .map(|d| context! { day => d.day, count => d.count })
        .collect();
    let by_status = state.store.organisations_by_status().await?;
    let active = by_status
        .iter()
        .find(|(s, _)| s == "approved")
        .map_or(0, |(_, n)| *n);
    let ctx = context! { signups, by_status, active, days => DAYS };
    me.page(&state, "admin_reports.html", ctx)
}
