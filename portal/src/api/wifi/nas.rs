//! NAS clients of a site as JSON: listed without secrets, made and given new secrets
//! (each shown once, in that answer only), changed and removed.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post, put},
};
use commons_store::{NasClient, NasId, SiteId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{SitePath, no_store};
use crate::{
    AppState,
    admin::wifi::nas::{NasForm, create_nas, delete_nas, renew_nas_secret, update_nas},
    api::{
        ApiError, ApiUser, Body, council, invalid,
        responses::{Conflict, Forbidden, NotFound, Unprocessable},
    },
};

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/wifi/sites/{site}/nas",
            get(wifi_nas_list).post(wifi_nas_create),
        )
        .route(
            "/api/v1/admin/wifi/sites/{site}/nas/{nas}",
            put(wifi_nas_update).delete(wifi_nas_delete),
        )
        .route(
            "/api/v1/admin/wifi/sites/{site}/nas/{nas}/secret",
            post(wifi_nas_secret),
        )
}

/// One NAS client of a site.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct NasPath {
    /// Site id.
    #[param(value_type = i64)]
    site: SiteId,
    /// NAS client id.
    #[param(value_type = i64)]
    nas: NasId,
}

/// A NAS client's settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NasBody {
    /// Name for people and metrics; the address when absent or empty.
    #[serde(default)]
    name: Option<String>,
    /// IP address or network its requests come from, like `192.0.2.0/24`.
    address: String,
    /// Its make: generic, wispr, coovachilli, mikrotik, ubiquiti, meraki, aruba or
    /// ruckus; generic when absent.
    #[serde(default)]
    vendor: Option<String>,
    /// Whether its requests must carry Message-Authenticator; true when absent. Only an
    /// old device that cannot send it should have false.
    #[serde(default)]
    require_message_authenticator: Option<bool>,
}

impl From<NasBody> for NasForm {
    fn from(body: NasBody) -> Self {
        Self {
            name: body.name.unwrap_or_default(),
            address: body.address,
            vendor: body.vendor.unwrap_or_else(|| "generic".into()),
            legacy: (body.require_message_authenticator == Some(false)).then(|| "on".into()),
        }
    }
}

/// A NAS client, without its secret.
#[derive(Serialize, ToSchema)]
pub(crate) struct NasView {
    id: i64,
    site_id: i64,
    name: String,
    address: String,
    vendor: String,
    require_message_authenticator: bool,
}

impl From<&NasClient> for NasView {
    fn from(nas: &NasClient) -> Self {
        Self {
            id: nas.id.0,
            site_id: nas.site_id.0,
            name: nas.name.clone(),
            address: nas.address.to_string(),
            vendor: nas.vendor.clone(),
            require_message_authenticator: nas.require_message_authenticator,
        }
    }
}

/// A NAS client with its new shared secret, which is never shown again.
#[derive(Serialize, ToSchema)]
pub(crate) struct NasWithSecret {
    nas: NasView,
    /// 32 random letters and digits; copy it into the access point now.
    secret: String,
}

impl From<&NasClient> for NasWithSecret {
    fn from(nas: &NasClient) -> Self {
        Self {
            nas: NasView::from(nas),
            secret: nas.secret.expose().to_owned(),
        }
    }
}

/// The NAS clients of a site, oldest first, without their secrets.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/nas", params(SitePath),
    responses((status = 200, body = Vec<NasView>, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_nas_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<Vec<NasView>>, ApiError> {
    council(me)?;
    state.store.wifi_site(path.site).await?;
    let clients = state.store.site_nas_clients(path.site).await?;
    Ok(Json(clients.iter().map(NasView::from).collect()))
}

/// Registers a NAS client with a generated secret, shown in this answer only.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites/{site}/nas", params(SitePath),
    request_body = NasBody,
    responses((status = 201, body = NasWithSecret, description = "Created; not cached"),
        Forbidden, NotFound, Conflict, Unprocessable))]
pub(crate) async fn wifi_nas_create(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
    Body(body): Body<NasBody>,
) -> Result<Response, ApiError> {
    let me = council(me)?;
    let form = NasForm::from(body);
    let nas = create_nas(&state, &me, path.site, &form)
        .await?
        .map_err(|errors| invalid(&errors))?;
    Ok(no_store((
        StatusCode::CREATED,
        Json(NasWithSecret::from(&nas)),
    )))
}

/// Replaces a NAS client's settings; its secret stays.
#[utoipa::path(put, path = "/api/v1/admin/wifi/sites/{site}/nas/{nas}", params(NasPath),
    request_body = NasBody,
    responses((status = 200, body = NasView, description = "Done"), Forbidden, NotFound,
        Conflict, Unprocessable))]
pub(crate) async fn wifi_nas_update(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<NasPath>,
    Body(body): Body<NasBody>,
) -> Result<Json<NasView>, ApiError> {
    let me = council(me)?;
    let form = NasForm::from(body);
    let nas = update_nas(&state, &me, path.site, path.nas, &form)
        .await?
        .map_err(|errors| invalid(&errors))?;
    Ok(Json(NasView::from(&nas)))
}

/// Replaces a NAS client's secret with a generated one, shown in this answer only; the
/// old secret stops working at once.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites/{site}/nas/{nas}/secret",
    params(NasPath),
    responses((status = 200, body = NasWithSecret, description = "Done; not cached"), Forbidden,
        NotFound))]
pub(crate) async fn wifi_nas_secret(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<NasPath>,
) -> Result<Response, ApiError> {
    let me = council(me)?;
    let nas = renew_nas_secret(&state, &me, path.site, path.nas).await?;
    Ok(no_store(Json(NasWithSecret::from(&nas))))
}

/// Removes a NAS client; its access point can no longer reach the RADIUS server.
#[utoipa::path(delete, path = "/api/v1/admin/wifi/sites/{site}/nas/{nas}", params(NasPath),
    responses((status = 204, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_nas_delete(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<NasPath>,
) -> Result<StatusCode, ApiError> {
    let me = council(me)?;
    delete_nas(&state, &me, path.site, path.nas).await?;
    Ok(StatusCode::NO_CONTENT)
}
