//! Guests and remembered devices of a site: listed with as little personal data as the
//! work needs, removed, and devices blocked or unblocked.

use axum::{
    Form, Router,
    extract::{Path, State},
    response::Response,
    routing::{get, post},
};
use commons_store::SiteId;
use minijinja::context;
use serde::Deserialize;

use super::{change_entry, site_json, site_path};
use crate::{AppState, Error, page::CouncilAdmin};

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/wifi/{site}/people", get(people_list))
        .route("/admin/wifi/{site}/guests/{id}/delete", post(guests_delete))
        .route("/admin/wifi/{site}/devices/{id}/block", post(devices_block))
        .route(
            "/admin/wifi/{site}/devices/{id}/delete",
            post(devices_delete),
        )
}

/// Whether to block (`true`) or unblock a device.
#[derive(Deserialize)]
struct BlockForm {
    blocked: bool,
}

fn people_path(site: SiteId) -> String {
    format!("{}/people", site_path(site))
}

async fn people_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(site).await?;
    // User name, device and expiry only: never passwords or email addresses.
    let guests: Vec<_> = state
        .store
        .site_guests(site.id)
        .await?
        .into_iter()
        .map(|g| context! { id => g.id, username => g.username, mac => g.mac, expires_at => g.expires_at })
        .collect();
    let devices: Vec<_> = state
        .store
        .site_devices(site.id)
        .await?
        .into_iter()
        .map(|d| context! { id => d.id, mac => d.mac, blocked => d.blocked, expires_at => d.expires_at })
        .collect();
    let ctx = context! { site => site_json(&site), guests, devices };
    me.page(&state, "admin_wifi_people.html", ctx)
}

async fn guests_delete(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, i64)>,
) -> Result<Response, Error> {
    let before = serde_json::json!({ "id": id, "site_id": site.0 });
    let entry = change_entry(
        &me.user,
        "guest.delete",
        "guest_account",
        id.to_string(),
        Some(before),
        None,
    );
    state.store.delete_site_guest(site, id, &entry).await?;
    Ok(me.redirect_with(&people_path(site), "Guest account removed."))
}

async fn devices_block(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, i64)>,
    Form(form): Form<BlockForm>,
) -> Result<Response, Error> {
    let before = serde_json::json!({ "id": id, "site_id": site.0, "blocked": !form.blocked });
    let after = serde_json::json!({ "id": id, "site_id": site.0, "blocked": form.blocked });
    let action = if form.blocked {
        "device.block"
    } else {
        "device.unblock"
    };
    let entry = change_entry(
        &me.user,
        action,
        "device",
        id.to_string(),
        Some(before),
        Some(after),
    );
    state
        .store
        .block_site_device(site, id, form.blocked, &entry)
        .await?;
    let message = if form.blocked {
        "Device blocked."
    } else {
        "Device unblocked."
    };
    Ok(me.redirect_with(&people_path(site), message))
}

async fn devices_delete(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, i64)>,
) -> Result<Response, Error> {
    let before = serde_json::json!({ "id": id, "site_id": site.0 });
    let entry = change_entry(
        &me.user,
        "device.delete",
        "device",
        id.to_string(),
        Some(before),
        None,
    );
    state.store.delete_site_device(site, id, &entry).await?;
    Ok(me.redirect_with(&people_path(site), "Device forgotten."))
}
