//! The catalogue and an organisation's applications, as JSON.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
};
use commons_store::OrgId;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{
    ApiError, ApiUser, Body, invalid,
    responses::{Conflict, Forbidden, NotConnected, NotFound, Unauthorized, Unprocessable},
};
use crate::{
    AppState, Error,
    apps::{InstallForm, install, prepare_install, record, suspend_or_resume},
    hosting::{AppInstance, CatalogueApp},
    orgs::{org_for, require_manager},
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalogue", get(catalogue_list))
        .route("/api/v1/orgs/{org}/apps", get(apps_list).post(apps_install))
        .route(
            "/api/v1/orgs/{org}/apps/{name}",
            get(apps_show).delete(apps_remove),
        )
        .route("/api/v1/orgs/{org}/apps/{name}/suspend", post(apps_suspend))
        .route("/api/v1/orgs/{org}/apps/{name}/resume", post(apps_resume))
}

/// The applications organisations may install.
#[utoipa::path(get, path = "/api/v1/catalogue",
    responses((status = 200, body = Vec<CatalogueApp>, description = "Done"), Unauthorized))]
pub(crate) async fn catalogue_list(
    State(state): State<AppState>,
    ApiUser(_): ApiUser,
) -> Result<Json<Vec<CatalogueApp>>, ApiError> {
    Ok(Json(state.hosting.catalogue().await?))
}

/// The applications installed for an organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/apps",
    params(("org" = i64, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<AppInstance>, description = "Done"), NotFound,
        NotConnected))]
pub(crate) async fn apps_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
) -> Result<Json<Vec<AppInstance>>, ApiError> {
    let (org, _) = org_for(&state, &me, id).await?;
    Ok(Json(state.hosting.app_instances(&org.slug).await?))
}

/// An application to install.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Install {
    /// Catalogue name.
    application: String,
    /// Instance name (a DNS label); the application's name when absent.
    #[serde(default)]
    name: Option<String>,
}

/// Installs an application (owners and admins of an approved organisation).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/apps", request_body = Install,
    params(("org" = i64, Path, description = "Organisation id")),
    responses((status = 201, body = AppInstance, description = "Created"), Forbidden, NotFound,
        Conflict, Unprocessable, NotConnected))]
pub(crate) async fn apps_install(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
    Body(body): Body<Install>,
) -> Result<(StatusCode, Json<AppInstance>), ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    require_manager(role)?;
    let form = InstallForm {
        application: body.application,
        name: body.name.unwrap_or_default(),
    };
    let spec = prepare_install(&state, &form)
        .await
        .map_err(|errors| invalid(&errors))?;
    let installed = install(&state, &me, &org, &spec).await?;
    Ok((StatusCode::CREATED, Json(installed)))
}

/// One application of an organisation, with the status the operator reports.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/apps/{name}",
    params(("org" = i64, Path, description = "Organisation id"),
        ("name" = String, Path, description = "Instance name")),
    responses((status = 200, body = AppInstance, description = "Done"), NotFound,
        NotConnected))]
pub(crate) async fn apps_show(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, name)): Path<(OrgId, String)>,
) -> Result<Json<AppInstance>, ApiError> {
    let (org, _) = org_for(&state, &me, id).await?;
    Ok(Json(state.hosting.app_instance(&org.slug, &name).await?))
}

/// Suspends an application; its data is kept.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/apps/{name}/suspend",
    params(("org" = i64, Path, description = "Organisation id"),
        ("name" = String, Path, description = "Instance name")),
    responses((status = 204, description = "Done"), Forbidden, NotFound, NotConnected))]
pub(crate) async fn apps_suspend(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, name)): Path<(OrgId, String)>,
) -> Result<StatusCode, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    suspend_or_resume(&state, &me, &org, role, &name, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Resumes a suspended application.
#[utoipa::path(post, path = "/api/v1/orgs/{org}/apps/{name}/resume",
    params(("org" = i64, Path, description = "Organisation id"),
        ("name" = String, Path, description = "Instance name")),
    responses((status = 204, description = "Done"), Forbidden, NotFound, Conflict, NotConnected))]
pub(crate) async fn apps_resume(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, name)): Path<(OrgId, String)>,
) -> Result<StatusCode, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    suspend_or_resume(&state, &me, &org, role, &name, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The confirmation a removal needs.
#[derive(Deserialize)]
pub(crate) struct RemoveQuery {
    #[serde(default)]
    confirm: String,
}

/// Removes an application and deletes its data; `confirm` must repeat its name.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/apps/{name}",
    params(("org" = i64, Path, description = "Organisation id"),
        ("name" = String, Path, description = "Instance name"),
        ("confirm" = String, Query,
            description = "The instance name again: its data is deleted")),
    responses((status = 204, description = "Done"), Forbidden, NotFound, Unprocessable,
        NotConnected))]
pub(crate) async fn apps_remove(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, name)): Path<(OrgId, String)>,
    Query(query): Query<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    require_manager(role)?;
    let before = state.hosting.app_instance(&org.slug, &name).await?;
    if query.confirm != name {
        return Err(Error::Invalid(format!(
            "confirm: repeat the name {name} to delete its data"
        ))
        .into());
    }
    state.hosting.remove_app(&org.slug, &name).await?;
    record(
        &state,
        &me,
        &org,
        "app.remove",
        &name,
        serde_json::to_value(&before).ok(),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
