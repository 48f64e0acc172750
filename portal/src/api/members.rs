//! Members and invitations of an organisation, as JSON.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, put},
};
use commons_store::{MemberRole, OrgId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiError, ApiUser, Body, invalid,
    responses::{Conflict, Forbidden, NotFound, Unprocessable},
};
use crate::{
    AppState, Error,
    invitations::{InviteForm, invite, revoke, validate_invite},
    members::{remove, set_role},
    orgs::{org_for, require_manager},
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs/{org}/members", get(members_list))
        .route(
            "/api/v1/orgs/{org}/members/{user}",
            put(members_set_role).delete(members_remove),
        )
        .route(
            "/api/v1/orgs/{org}/invitations",
            get(invitations_list)
                .post(invitations_create)
                .delete(invitations_revoke),
        )
}

/// A person in an organisation.
#[derive(Serialize, ToSchema)]
pub(crate) struct Member {
    user_id: i64,
    email: String,
    display_name: String,
    /// `owner`, `admin` or `member`.
    role: String,
}

/// The members of an organisation the caller belongs to.
#[utoipa::path(get, path = "/api/v1/orgs/{org}/members",
    params(("org" = i64, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<Member>, description = "Done"), NotFound))]
pub(crate) async fn members_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
) -> Result<Json<Vec<Member>>, ApiError> {
    let (org, _) = org_for(&state, &me, id).await?;
    let members = state.store.members(org.id).await?;
    Ok(Json(
        members
            .into_iter()
            .map(|m| Member {
                user_id: m.user_id.0,
                email: m.email,
                display_name: m.display_name,
                role: m.role.as_str().to_owned(),
            })
            .collect(),
    ))
}

/// A role to give.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleChange {
    /// `owner`, `admin` or `member`.
    role: String,
}

/// Changes a member's role (owners only; an organisation keeps at least one owner).
#[utoipa::path(put, path = "/api/v1/orgs/{org}/members/{user}", request_body = RoleChange,
    params(("org" = i64, Path, description = "Organisation id"),
        ("user" = i64, Path, description = "User id")),
    responses((status = 204, description = "Done"), Forbidden, NotFound, Conflict, Unprocessable))]
pub(crate) async fn members_set_role(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, user)): Path<(OrgId, UserId)>,
    Body(body): Body<RoleChange>,
) -> Result<StatusCode, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    let new_role: MemberRole = body.role.parse().map_err(Error::Invalid)?;
    set_role(&state, &me, &org, role, user, new_role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member, or the caller leaves when it is their own id.
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/members/{user}",
    params(("org" = i64, Path, description = "Organisation id"),
        ("user" = i64, Path, description = "User id")),
    responses((status = 204, description = "Done"), Forbidden, NotFound, Conflict))]
pub(crate) async fn members_remove(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path((id, user)): Path<(OrgId, UserId)>,
) -> Result<StatusCode, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    remove(&state, &me, &org, role, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An invitation not yet accepted.
#[derive(Serialize, ToSchema)]
pub(crate) struct Invitation {
    email: String,
    role: String,
    /// Unix seconds.
    expires_at: i64,
}

/// The open invitations of an organisation (owners and admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org}/invitations",
    params(("org" = i64, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<Invitation>, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn invitations_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
) -> Result<Json<Vec<Invitation>>, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    require_manager(role)?;
    let invitations = state.store.pending_invitations(org.id).await?;
    Ok(Json(
        invitations
            .into_iter()
            .map(|i| Invitation {
                email: i.email,
                role: i.role.as_str().to_owned(),
                expires_at: i.expires_at,
            })
            .collect(),
    ))
}

/// Someone to invite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewInvitation {
    email: String,
    /// `owner` (owners only), `admin` or `member`.
    role: String,
}

/// Emails an invitation to join (owners and admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org}/invitations", request_body = NewInvitation,
    params(("org" = i64, Path, description = "Organisation id")),
    responses((status = 202, description = "Accepted; the email is on its way"), Forbidden,
        NotFound, Unprocessable))]
pub(crate) async fn invitations_create(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
    Body(body): Body<NewInvitation>,
) -> Result<StatusCode, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    require_manager(role)?;
    let form = InviteForm {
        email: body.email,
        role: body.role,
    };
    let new_role = validate_invite(&form, role).map_err(|errors| invalid(&errors))?;
    invite(
        &state,
        &me,
        &org,
        &form.email.trim().to_lowercase(),
        new_role,
    )
    .await?;
    Ok(StatusCode::ACCEPTED)
}

/// Whose invitations to withdraw.
#[derive(Deserialize)]
pub(crate) struct RevokeQuery {
    #[serde(default)]
    email: String,
}

/// Withdraws the open invitations sent to an address (owners and admins).
#[utoipa::path(delete, path = "/api/v1/orgs/{org}/invitations",
    params(("org" = i64, Path, description = "Organisation id"),
        ("email" = String, Query, description = "The invited address")),
    responses((status = 204, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn invitations_revoke(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
    axum::extract::Query(query): axum::extract::Query<RevokeQuery>,
) -> Result<StatusCode, ApiError> {
    let (org, role) = org_for(&state, &me, id).await?;
    require_manager(role)?;
    revoke(&state, &me, &org, &query.email).await?;
    Ok(StatusCode::NO_CONTENT)
}
