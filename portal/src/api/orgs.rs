//! `/api/v1/me` and the caller's organisations.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use commons_store::{NewOrganisation, OrgId, OrgKind};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiError, ApiUser, Body, invalid,
    responses::{NotFound, Unauthorized, Unprocessable},
};
use crate::{
    AppState, Error,
    forms::{self, FieldErrors},
    orgs::{OrgView, org_for},
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me_show))
        .route("/api/v1/orgs", get(orgs_list).post(orgs_create))
        .route("/api/v1/orgs/{org}", get(orgs_show))
}

/// The caller.
#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    id: i64,
    email: String,
    display_name: String,
    council_admin: bool,
    email_verified: bool,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me",
    responses((status = 200, body = Me, description = "Done"), Unauthorized))]
pub(crate) async fn me_show(ApiUser(me): ApiUser) -> Json<Me> {
    Json(Me {
        id: me.id.0,
        email: me.email,
        display_name: me.display_name,
        council_admin: me.council_admin,
        email_verified: me.email_verified_at.is_some(),
    })
}

/// An organisation with the caller's role in it.
#[derive(Serialize, ToSchema)]
pub(crate) struct Membership {
    organisation: OrgView,
    /// `owner`, `admin` or `member`.
    role: String,
}

/// The organisations the caller belongs to.
#[utoipa::path(get, path = "/api/v1/orgs",
    responses((status = 200, body = Vec<Membership>, description = "Done"), Unauthorized))]
pub(crate) async fn orgs_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<Vec<Membership>>, ApiError> {
    let orgs = state.store.organisations_of(me.id).await?;
    Ok(Json(
        orgs.iter()
            .map(|(org, role)| Membership {
                organisation: OrgView::from(org),
                role: role.as_str().to_owned(),
            })
            .collect(),
    ))
}

/// A new organisation, with the caller as its first owner.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOrg {
    /// Display name.
    name: String,
    /// `voluntary`, `charity`, `partner` or `commercial`.
    kind: String,
    /// The registered charity number; required for charities.
    #[serde(default)]
    charity_number: Option<String>,
}

fn validate(body: &NewOrg) -> Result<OrgKind, FieldErrors> {
    let mut errors = FieldErrors::new();
    forms::text(
        &mut errors,
        "name",
        &body.name,
        "the organisation's name",
        100,
    );
    let kind = body
        .kind
        .parse::<OrgKind>()
        .ok()
        .filter(|k| *k != OrgKind::Council);
    let number = body.charity_number.as_deref().unwrap_or("").trim();
    if kind.is_none() {
        errors.insert(
            "kind",
            "Use voluntary, charity, partner or commercial.".into(),
        );
    }
    let number_ok =
        (5..=12).contains(&number.len()) && number.chars().all(|c| c.is_ascii_alphanumeric());
    if kind == Some(OrgKind::Charity) && !number_ok {
        errors.insert(
            "charity_number",
            "Give the registered charity number.".into(),
        );
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok(kind),
        _ => Err(errors),
    }
}

/// Registers an organisation, pending council approval, with the caller as owner.
#[utoipa::path(post, path = "/api/v1/orgs", request_body = NewOrg,
    responses((status = 201, body = OrgView, description = "Created"), Unprocessable,
        Unauthorized))]
pub(crate) async fn orgs_create(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(body): Body<NewOrg>,
) -> Result<(StatusCode, Json<OrgView>), ApiError> {
    let kind = validate(&body).map_err(|errors| invalid(&errors))?;
    let base = forms::slugify(&body.name);
    let charity_number = body
        .charity_number
        .as_deref()
        .map(str::trim)
        .map(str::to_owned);
    for attempt in 1..=50 {
        let new = NewOrganisation {
            slug: if attempt == 1 {
                base.clone()
            } else {
                format!("{base}-{attempt}")
            },
            name: body.name.trim().to_owned(),
            kind,
            charity_number: charity_number.clone().filter(|_| kind == OrgKind::Charity),
        };
        match state.store.create_organisation(&new, me.id).await {
            Err(commons_store::Error::AlreadyExists { .. }) => {}
            other => return Ok((StatusCode::CREATED, Json(OrgView::from(&other?)))),
        }
    }
    Err(Error::Conflict("no free short name for this organisation name").into())
}

/// One organisation the caller belongs to.
#[utoipa::path(get, path = "/api/v1/orgs/{org}",
    params(("org" = i64, Path, description = "Organisation id")),
    responses((status = 200, body = OrgView, description = "Done"), NotFound))]
pub(crate) async fn orgs_show(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
) -> Result<Json<OrgView>, ApiError> {
    let (org, _) = org_for(&state, &me, id).await?;
    Ok(Json(OrgView::from(&org)))
}
