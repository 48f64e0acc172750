//! Simple reports: sign-ups per day, organisations by state (approved ones are the
//! active tenants) and Wi-Fi sign-ups per site per day.

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
    let wifi_signups: Vec<_> = state
        .store
        .wifi_signups_per_day(DAYS)
        .await?
        .into_iter()
        .map(|d| context! { site => d.site, day => d.day, count => d.count })
        .collect();
    let ctx = context! { signups, by_status, active, wifi_signups, days => DAYS };
    me.page(&state, "admin_reports.html", ctx)
}
