//! Council decisions on organisations: approve (which starts hosting on a plan), reject
//! with a reason, suspend with a reason, resume.

use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{MemberRole, OrgId, OrgStatus, Organisation, PlanId, User};
use minijinja::context;
use serde::Deserialize;

use crate::{
    AppState, Error,
    audit::{self, Change},
    forms::FieldErrors,
    hosting::{HostingError, Quota, TenantSpec},
    orgs::{OrgView, tenant_view},
    page::CouncilAdmin,
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(admin_home))
        .route("/admin/orgs", get(admin_orgs_list))
        .route("/admin/orgs/{org}", get(admin_orgs_show))
        .route("/admin/orgs/{org}/decide", post(admin_orgs_decide))
}

async fn admin_home(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
) -> Result<Response, Error> {
    let pending = state
        .store
        .organisations(Some(OrgStatus::Pending))
        .await?
        .len();
    me.page(&state, "admin_home.html", context! { pending })
}

/// The filter of the organisation list.
#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
}

async fn admin_orgs_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Query(query): Query<ListQuery>,
) -> Result<Response, Error> {
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok());
    let orgs: Vec<_> = state
        .store
        .organisations(status)
        .await?
        .iter()
        .map(OrgView::from)
        .collect();
    let statuses: Vec<_> = OrgStatus::ALL.iter().map(|s| s.as_str()).collect();
    let ctx = context! { orgs, statuses, selected => status.map(OrgStatus::as_str) };
    me.page(&state, "admin_orgs.html", ctx)
}

/// A council decision on an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Decision {
    /// Start hosting on a plan.
    Approve,
    /// Refuse, with a reason.
    Reject,
    /// Stop hosting, with a reason; data is kept.
    Suspend,
    /// Start a suspended organisation again.
    Resume,
}

impl Decision {
    fn target(self) -> OrgStatus {
        match self {
            Self::Approve | Self::Resume => OrgStatus::Approved,
            Self::Reject => OrgStatus::Rejected,
            Self::Suspend => OrgStatus::Suspended,
        }
    }

    fn allowed_from(self, status: OrgStatus) -> bool {
        matches!(
            (self, status),
            (Self::Approve, OrgStatus::Pending | OrgStatus::Rejected)
                | (Self::Reject, OrgStatus::Pending)
                | (Self::Suspend, OrgStatus::Approved)
                | (Self::Resume, OrgStatus::Suspended)
        )
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
        }
    }
}

/// The fields of the decision form.
#[derive(Deserialize)]
pub(crate) struct DecideForm {
    pub(crate) decision: Decision,
    #[serde(default)]
    pub(crate) reason: String,
    #[serde(default)]
    pub(crate) plan_id: Option<PlanId>,
}

async fn show_page(
    state: &AppState,
    me: &crate::page::SignedIn,
    id: OrgId,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let org = state.store.organisation(id).await?;
    let members: Vec<_> = state
        .store
        .members(id)
        .await?
        .into_iter()
        .map(|m| context! { email => m.email, name => m.display_name, role => m.role.as_str() })
        .collect();
    let verified = owner_verified(state, &org).await?;
    let plans: Vec<_> = state
        .store
        .plans()
        .await?
        .into_iter()
        .map(|p| context! { id => p.id.0, name => p.name })
        .collect();
    let tenant = tenant_view(state, &org).await?;
    let ctx = context! { org => OrgView::from(&org), members, verified, plans, tenant, errors };
    me.page_with(state, status, "admin_org.html", ctx)
}

async fn admin_orgs_show(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(id): Path<OrgId>,
) -> Result<Response, Error> {
    show_page(&state, &me, id, FieldErrors::new(), StatusCode::OK).await
}

/// Whether an owner of `org` has confirmed their email address.
async fn owner_verified(state: &AppState, org: &Organisation) -> Result<bool, Error> {
    for member in state.store.members(org.id).await? {
        if member.role == MemberRole::Owner
            && state
                .store
                .user(member.user_id)
                .await?
                .email_verified_at
                .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The outcome of a decision, for the page or the API to report.
pub(crate) struct Decided {
    /// The organisation after the decision.
    pub(crate) org: Organisation,
    /// What happened on the hosting side, in a sentence.
    pub(crate) hosting: &'static str,
}

/// Checks and applies a council decision, records it in the audit log and tells the
/// hosting side.
///
/// # Errors
///
/// [`Error::Invalid`] with the field errors' text for a bad form, [`Error::Conflict`]
/// for a decision the current state does not allow.
pub(crate) async fn decide(
    state: &AppState,
    admin: &User,
    id: OrgId,
    form: &DecideForm,
) -> Result<Result<Decided, FieldErrors>, Error> {
    let before = state.store.organisation(id).await?;
    let decision = form.decision;
    let reason = form.reason.trim();
    let mut errors = FieldErrors::new();
    if matches!(decision, Decision::Reject | Decision::Suspend) && reason.is_empty() {
        errors.insert(
            "reason",
            "Give the reason; the organisation will see it.".into(),
        );
    }
    if reason.chars().count() > 500 {
        errors.insert("reason", "Use at most 500 characters.".into());
    }
    if !decision.allowed_from(before.status) {
        errors.insert(
            "decision",
            format!(
                "A {} organisation cannot be given that decision.",
                before.status
            ),
        );
    }
    if decision == Decision::Approve && !owner_verified(state, &before).await? {
        errors.insert(
            "decision",
            "Wait until the owner has confirmed their email address.".into(),
        );
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }

    let plan = if decision == Decision::Approve {
        let plan = match form.plan_id {
            Some(plan) => plan,
            None => state
                .store
                .plans()
                .await?
                .first()
                .map(|p| p.id)
                .ok_or(Error::Conflict("no plan exists"))?,
        };
        Some(state.store.plan(plan).await?.id)
    } else {
        None
    };
    let reason = Some(reason).filter(|r| !r.is_empty());
    let expected = Organisation {
        status: decision.target(),
        status_reason: reason.map(str::to_owned),
        plan_id: plan.or(before.plan_id),
        ..before.clone()
    };
    let change = Change {
        action: &format!("organisation.{}", decision.as_str()),
        object_type: "organisation",
        object_id: id.to_string(),
        org_id: Some(id),
        before: Some(OrgView::json(&before)),
        after: Some(OrgView::json(&expected)),
    };
    let entry = audit::entry(admin, change);
    let after = state
        .store
        .decide_organisation(id, decision.target(), reason, plan, &entry)
        .await?;
    tracing::info!(org = %id, decision = decision.as_str(), "council decision");

    let hosting = apply_to_hosting(state, &after, decision).await;
    Ok(Ok(Decided {
        org: after,
        hosting,
    }))
}

/// The tenant an approved organisation should have.
async fn tenant_spec(state: &AppState, org: &Organisation) -> Result<TenantSpec, Error> {
    let plan = match org.plan_id {
        Some(plan) => state.store.plan(plan).await?,
        None => return Err(Error::Conflict("the organisation has no plan")),
    };
    let admins = state
        .store
        .members(org.id)
        .await?
        .into_iter()
        .filter(|m| m.role != MemberRole::Member)
        .map(|m| m.email)
        .collect();
    Ok(TenantSpec {
        name: org.slug.clone(),
        display_name: org.name.clone(),
        org_id: org.id.0,
        kind: org.kind.as_str().to_owned(),
        plan: plan.slug,
        quota: Quota {
            cpu_millis: plan.cpu_millis,
            memory_mib: plan.memory_mib,
            storage_gib: plan.storage_gib,
            pods: plan.max_pods,
            apps: plan.max_apps,
        },
        admins,
        suspended: org.status == OrgStatus::Suspended,
    })
}

/// Rewrites the tenants of every approved or suspended organisation on `plan`, so they
/// get its new quota; returns what happened, in a sentence.
pub(crate) async fn resync_plan_tenants(state: &AppState, plan: PlanId) -> Result<String, Error> {
    let mut updated = 0;
    let mut failed = 0;
    for org in state.store.organisations(None).await? {
        let hosted = matches!(org.status, OrgStatus::Approved | OrgStatus::Suspended);
        if org.plan_id != Some(plan) || !hosted {
            continue;
        }
        match state
            .hosting
            .ensure_tenant(&tenant_spec(state, &org).await?)
            .await
        {
            Ok(()) => updated += 1,
            Err(HostingError::NotConnected) => {
                return Ok("Hosting is not connected, so no tenant was changed.".to_owned());
            }
            Err(err) => {
                tracing::warn!(org = %org.id, error = %err, "tenant quota not updated");
                failed += 1;
            }
        }
    }
    Ok(match failed {
        0 => format!("Tenants given the new quota: {updated}."),
        _ => format!("Tenants given the new quota: {updated}; not updated: {failed}."),
    })
}

/// Tells the hosting side about a decision; the decision stands whatever it answers.
async fn apply_to_hosting(
    state: &AppState,
    org: &Organisation,
    decision: Decision,
) -> &'static str {
    if decision == Decision::Reject {
        return "No hosting change.";
    }
    let suspended = decision == Decision::Suspend;
    let mut outcome = Err(HostingError::NotFound { what: "tenant" });
    if decision != Decision::Approve {
        outcome = state
            .hosting
            .set_tenant_suspended(&org.slug, suspended)
            .await;
    }
    if let Err(HostingError::NotFound { .. }) = outcome {
        // Creating the whole tenant is idempotent; it also repairs a tenant that a failed
        // earlier call left missing.
        outcome = match tenant_spec(state, org).await {
            Ok(spec) => state.hosting.ensure_tenant(&spec).await,
            Err(err) => {
                tracing::warn!(org = %org.id, error = %err, "tenant not described");
                return "The tenant could not be described; check the organisation's plan.";
            }
        };
    }
    match outcome {
        Ok(()) => "The hosting tenant was updated.",
        Err(HostingError::NotConnected) => "Hosting is not connected, so no tenant was changed.",
        Err(err) => {
            // Limitation: a failed tenant update is reported, not retried; making the same
            // decision's follow-up (suspend, resume) or approving again repeats it.
            tracing::warn!(org = %org.id, error = %err, "tenant update failed");
            "The decision is saved, but the hosting cluster did not accept the tenant change."
        }
    }
}

async fn admin_orgs_decide(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(id): Path<OrgId>,
    Form(form): Form<DecideForm>,
) -> Result<Response, Error> {
    match decide(&state, &me.user, id, &form).await? {
        Ok(done) => {
            let text = format!(
                "{}: now {}. {}",
                done.org.name, done.org.status, done.hosting
            );
            Ok(me.redirect_with(&format!("/admin/orgs/{id}"), text))
        }
        Err(errors) => show_page(&state, &me, id, errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}
