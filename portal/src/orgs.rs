//! An organisation as its members see it: the list of their organisations and each one's
//! overview (approval, email confirmation, plan, hosting status).

use axum::{
    Router,
    extract::{Path, State},
    response::Response,
    routing::{get, post},
};
use commons_store::{MemberRole, OrgId, Organisation, User};
use minijinja::context;
use serde::Serialize;

use crate::{AppState, Error, hosting::HostingError, page::SignedIn, signup};

/// Confirmation emails one person may ask for again per hour.
const MAX_RESENDS_PER_HOUR: i64 = 3;

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs", get(orgs_list))
        .route("/orgs/{org}", get(orgs_show))
        .route("/orgs/{org}/verify-email", post(orgs_resend_verification))
}

/// Organisation `id` as `user` may see it, with their role: not found unless a member.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `NotFound` (404) for a non-member, exactly as for an
/// organisation that does not exist.
pub(crate) async fn org_for(
    state: &AppState,
    user: &User,
    id: OrgId,
) -> Result<(Organisation, MemberRole), Error> {
    Ok(state.store.organisation_for_member(id, user.id).await?)
}

/// Refuses unless `role` is owner or admin.
pub(crate) fn require_manager(role: MemberRole) -> Result<(), Error> {
    match role {
        MemberRole::Owner | MemberRole::Admin => Ok(()),
        MemberRole::Member => Err(Error::NotAllowed),
    }
}

/// An organisation as templates and the API show it.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct OrgView {
    pub(crate) id: i64,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) kind: &'static str,
    pub(crate) charity_number: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) status_reason: Option<String>,
    pub(crate) plan_id: Option<i64>,
    pub(crate) created_at: i64,
}

impl From<&Organisation> for OrgView {
    fn from(org: &Organisation) -> Self {
        Self {
            id: org.id.0,
            slug: org.slug.clone(),
            name: org.name.clone(),
            kind: org.kind.as_str(),
            charity_number: org.charity_number.clone(),
            status: org.status.as_str(),
            status_reason: org.status_reason.clone(),
            plan_id: org.plan_id.map(|p| p.0),
            created_at: org.created_at,
        }
    }
}

impl OrgView {
    /// The organisation as JSON, for the audit log.
    pub(crate) fn json(org: &Organisation) -> serde_json::Value {
        serde_json::to_value(Self::from(org)).unwrap_or_default()
    }
}

async fn orgs_list(State(state): State<AppState>, me: SignedIn) -> Result<Response, Error> {
    let orgs: Vec<_> = state
        .store
        .organisations_of(me.user.id)
        .await?
        .iter()
        .map(|(org, role)| context! { org => OrgView::from(org), role => role.as_str() })
        .collect();
    me.page(&state, "orgs.html", context! { orgs })
}

/// What the hosting side says about a tenant, for a page.
pub(crate) async fn tenant_view(
    state: &AppState,
    org: &Organisation,
) -> Result<minijinja::Value, Error> {
    Ok(match state.hosting.tenant_status(&org.slug).await {
        Ok(status) => context! { state => "reported", status },
        Err(HostingError::NotConnected) => context! { state => "not_connected" },
        Err(HostingError::NotFound { .. }) => context! { state => "not_provisioned" },
        Err(err) => {
            tracing::warn!(org = %org.id, error = %err, "tenant status unavailable");
            context! { state => "unavailable" }
        }
    })
}

async fn orgs_show(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<OrgId>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, id).await?;
    let plan = match org.plan_id {
        Some(plan) => Some(state.store.plan(plan).await?.name),
        None => None,
    };
    let tenant = tenant_view(&state, &org).await?;
    let ctx = context! {
        org => OrgView::from(&org),
        role => role.as_str(),
        manager => require_manager(role).is_ok(),
        plan,
        tenant,
        email_verified => me.user.email_verified_at.is_some(),
    };
    me.page(&state, "org.html", ctx)
}

async fn orgs_resend_verification(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<OrgId>,
) -> Result<Response, Error> {
    let (org, _) = org_for(&state, &me.user, id).await?;
    if me.user.email_verified_at.is_none() {
        let bucket = format!("verify:{}", me.user.id);
        if state.store.count_rate_events(&bucket, 60 * 60).await? >= MAX_RESENDS_PER_HOUR {
            return Err(Error::RateLimited);
        }
        state.store.record_rate_event(&bucket).await?;
        signup::send_verification(&state, me.user.id, &me.user.email).await?;
    }
    Ok(me.redirect_with(
        &format!("/orgs/{}", org.id),
        format!("We have sent a new confirmation link to {}.", me.user.email),
    ))
}
