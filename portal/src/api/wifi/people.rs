//! Guests and remembered devices of a site as JSON: guest accounts listed (never their
//! passwords), added (the password shown once) and removed; devices listed, blocked,
//! unblocked and forgotten.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{delete, get, post},
};
use commons_store::{Device, GuestAccount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{SiteObjectPath, SitePath, no_store};
use crate::{
    AppState,
    admin::wifi::people::{GuestForm, add_guest, block_device, delete_guest, forget_device},
    api::{
        ApiError, ApiUser, Body, council, invalid,
        responses::{Conflict, Forbidden, NotFound, Unprocessable},
    },
};

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    let site = "/api/v1/admin/wifi/sites/{site}";
    Router::new()
        .route(
            &format!("{site}/guests"),
            get(wifi_guests_list).post(wifi_guests_create),
        )
        .route(&format!("{site}/guests/{{id}}"), delete(wifi_guests_delete))
        .route(&format!("{site}/devices"), get(wifi_devices_list))
        .route(
            &format!("{site}/devices/{{id}}"),
            delete(wifi_devices_delete),
        )
        .route(
            &format!("{site}/devices/{{id}}/block"),
            post(wifi_devices_block),
        )
        .route(
            &format!("{site}/devices/{{id}}/unblock"),
            post(wifi_devices_unblock),
        )
}

/// A guest account to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GuestBody {
    /// Up to 64 characters, no spaces; unique at the site.
    username: String,
    /// 8 to 128 characters; one is made when absent.
    #[serde(default)]
    password: Option<String>,
    /// Hours until it stops working: 1 to 8760; never when absent.
    #[serde(default)]
    expires_hours: Option<i64>,
    /// The only device it works for, like `aa:bb:cc:dd:ee:ff`; any when absent.
    #[serde(default)]
    mac: Option<String>,
}

impl From<GuestBody> for GuestForm {
    fn from(body: GuestBody) -> Self {
        Self {
            username: body.username,
            password: body.password.unwrap_or_default(),
            expires_hours: body
                .expires_hours
                .map(|h| h.to_string())
                .unwrap_or_default(),
            mac: body.mac.unwrap_or_default(),
        }
    }
}

/// A guest account, without its password.
#[derive(Serialize, ToSchema)]
pub(crate) struct GuestView {
    id: i64,
    username: String,
    /// The only device it works for, if bound to one.
    mac: Option<String>,
    /// When it stops working, Unix seconds; never when null.
    expires_at: Option<i64>,
}

impl From<&GuestAccount> for GuestView {
    fn from(guest: &GuestAccount) -> Self {
        Self {
            id: guest.id,
            username: guest.username.clone(),
            mac: guest.mac.clone(),
            expires_at: guest.expires_at,
        }
    }
}

/// A new guest account with its password, which is never shown again.
#[derive(Serialize, ToSchema)]
pub(crate) struct GuestWithPassword {
    guest: GuestView,
    password: String,
}

/// A remembered device.
#[derive(Serialize, ToSchema)]
pub(crate) struct DeviceView {
    id: i64,
    mac: String,
    /// Blocked devices are refused whatever they offer.
    blocked: bool,
    /// When the site forgets it, Unix seconds.
    expires_at: i64,
}

impl From<&Device> for DeviceView {
    fn from(device: &Device) -> Self {
        Self {
            id: device.id,
            mac: device.mac.clone(),
            blocked: device.blocked,
            expires_at: device.expires_at,
        }
    }
}

/// The guest accounts of a site, newest first, without passwords.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/guests", params(SitePath),
    responses((status = 200, body = Vec<GuestView>, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_guests_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<Vec<GuestView>>, ApiError> {
    council(me)?;
    state.store.wifi_site(path.site).await?;
    let guests = state.store.site_guests(path.site).await?;
    Ok(Json(guests.iter().map(GuestView::from).collect()))
}

/// Adds a guest account; its password is shown in this answer only.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites/{site}/guests", params(SitePath),
    request_body = GuestBody,
    responses((status = 201, body = GuestWithPassword, description = "Created; not cached"),
        Forbidden, NotFound, Conflict, Unprocessable))]
pub(crate) async fn wifi_guests_create(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
    Body(body): Body<GuestBody>,
) -> Result<Response, ApiError> {
    let me = council(me)?;
    let form = GuestForm::from(body);
    let (guest, password) = add_guest(&state, &me, path.site, &form)
        .await?
        .map_err(|errors| invalid(&errors))?;
    let answer = GuestWithPassword {
        guest: GuestView::from(&guest),
        password,
    };
    Ok(no_store((StatusCode::CREATED, Json(answer))))
}

/// Removes a guest account.
#[utoipa::path(delete, path = "/api/v1/admin/wifi/sites/{site}/guests/{id}",
    params(SiteObjectPath),
    responses((status = 204, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_guests_delete(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SiteObjectPath>,
) -> Result<StatusCode, ApiError> {
    let me = council(me)?;
    delete_guest(&state, &me, path.site, path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The remembered devices of a site, newest first.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/devices", params(SitePath),
    responses((status = 200, body = Vec<DeviceView>, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_devices_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    council(me)?;
    state.store.wifi_site(path.site).await?;
    let devices = state.store.site_devices(path.site).await?;
    Ok(Json(devices.iter().map(DeviceView::from).collect()))
}

async fn set_blocked(
    state: &AppState,
    me: commons_store::User,
    path: &SiteObjectPath,
    blocked: bool,
) -> Result<Json<DeviceView>, ApiError> {
    let me = council(me)?;
    let device = block_device(state, &me, path.site, path.id, blocked).await?;
    Ok(Json(DeviceView::from(&device)))
}

/// Blocks a remembered device: it is refused whatever credential it offers.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites/{site}/devices/{id}/block",
    params(SiteObjectPath),
    responses((status = 200, body = DeviceView, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_devices_block(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SiteObjectPath>,
) -> Result<Json<DeviceView>, ApiError> {
    set_blocked(&state, me, &path, true).await
}

/// Unblocks a remembered device.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites/{site}/devices/{id}/unblock",
    params(SiteObjectPath),
    responses((status = 200, body = DeviceView, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_devices_unblock(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SiteObjectPath>,
) -> Result<Json<DeviceView>, ApiError> {
    set_blocked(&state, me, &path, false).await
}

/// Forgets a remembered device: it must sign up again.
#[utoipa::path(delete, path = "/api/v1/admin/wifi/sites/{site}/devices/{id}",
    params(SiteObjectPath),
    responses((status = 204, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_devices_delete(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SiteObjectPath>,
) -> Result<StatusCode, ApiError> {
    let me = council(me)?;
    forget_device(&state, &me, path.site, path.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
