//! Council administration as JSON: organisations and decisions, plans, the audit log.
//! Every route needs a council administrator's token.

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post, put},
};
use commons_store::{OrgId, PlanId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiError, ApiUser, Body, council, invalid,
    responses::{Conflict, Forbidden, NotFound, Unprocessable},
};
use crate::{
    AppState, Error,
    admin::{
        DecideForm, Decision, PlanForm, create, decide, resync_plan_tenants, update, validate_plan,
    },
    orgs::OrgView,
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/orgs", get(admin_orgs_list))
        .route("/api/v1/admin/orgs/{org}/decision", post(admin_orgs_decide))
        .route(
            "/api/v1/admin/plans",
            get(admin_plans_list).post(admin_plans_create),
        )
        .route("/api/v1/admin/plans/{plan}", put(admin_plans_update))
        .route("/api/v1/admin/audit", get(admin_audit_list))
        .route("/api/v1/admin/reports", get(admin_reports_show))
}

/// The organisation filter.
#[derive(Deserialize)]
pub(crate) struct OrgsQuery {
    status: Option<String>,
}

/// Every organisation, or those in one state, newest first.
#[utoipa::path(get, path = "/api/v1/admin/orgs",
    params(("status" = Option<String>, Query,
        description = "pending, approved, rejected or suspended")),
    responses((status = 200, body = Vec<OrgView>, description = "Done"), Forbidden))]
pub(crate) async fn admin_orgs_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Query(query): Query<OrgsQuery>,
) -> Result<Json<Vec<OrgView>>, ApiError> {
    council(me)?;
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(status) => Some(status.parse().map_err(Error::Invalid)?),
        None => None,
    };
    let orgs = state.store.organisations(status).await?;
    Ok(Json(orgs.iter().map(OrgView::from).collect()))
}

/// A council decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DecisionRequest {
    decision: Decision,
    /// Required to reject or suspend; shown to the organisation.
    #[serde(default)]
    reason: Option<String>,
    /// Plan to approve on; the cheapest when absent.
    #[serde(default)]
    plan_id: Option<i64>,
}

/// The organisation after a decision, and what happened on the hosting side.
#[derive(Serialize, ToSchema)]
pub(crate) struct DecisionOutcome {
    organisation: OrgView,
    hosting: String,
}

/// Approves, rejects, suspends or resumes an organisation.
#[utoipa::path(post, path = "/api/v1/admin/orgs/{org}/decision", request_body = DecisionRequest,
    params(("org" = i64, Path, description = "Organisation id")),
    responses((status = 200, body = DecisionOutcome, description = "Done"), Forbidden, NotFound,
        Unprocessable))]
pub(crate) async fn admin_orgs_decide(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<OrgId>,
    Body(body): Body<DecisionRequest>,
) -> Result<Json<DecisionOutcome>, ApiError> {
    let me = council(me)?;
    let form = DecideForm {
        decision: body.decision,
        reason: body.reason.unwrap_or_default(),
        plan_id: body.plan_id.map(PlanId),
    };
    let decided = decide(&state, &me, id, &form)
        .await?
        .map_err(|errors| invalid(&errors))?;
    Ok(Json(DecisionOutcome {
        organisation: OrgView::from(&decided.org),
        hosting: decided.hosting.to_owned(),
    }))
}

/// A plan's fields.
#[derive(Serialize, Deserialize, ToSchema)]
pub(crate) struct PlanBody {
    slug: String,
    name: String,
    price_pence: i64,
    cpu_millis: i64,
    memory_mib: i64,
    storage_gib: i64,
    max_pods: i64,
    max_apps: i64,
}

impl From<&PlanBody> for PlanForm {
    fn from(body: &PlanBody) -> Self {
        Self {
            slug: body.slug.clone(),
            name: body.name.clone(),
            price_pence: body.price_pence.to_string(),
            cpu_millis: body.cpu_millis.to_string(),
            memory_mib: body.memory_mib.to_string(),
            storage_gib: body.storage_gib.to_string(),
            max_pods: body.max_pods.to_string(),
            max_apps: body.max_apps.to_string(),
        }
    }
}

/// A plan, as stored.
#[derive(Serialize, ToSchema)]
pub(crate) struct PlanView {
    id: i64,
    #[serde(flatten)]
    fields: PlanBody,
}

fn plan_view(plan: &commons_store::Plan) -> PlanView {
    PlanView {
        id: plan.id.0,
        fields: PlanBody {
            slug: plan.slug.clone(),
            name: plan.name.clone(),
            price_pence: plan.price_pence,
            cpu_millis: plan.cpu_millis,
            memory_mib: plan.memory_mib,
            storage_gib: plan.storage_gib,
            max_pods: plan.max_pods,
            max_apps: plan.max_apps,
        },
    }
}

/// Every plan, cheapest first.
#[utoipa::path(get, path = "/api/v1/admin/plans",
    responses((status = 200, body = Vec<PlanView>, description = "Done"), Forbidden))]
pub(crate) async fn admin_plans_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<Vec<PlanView>>, ApiError> {
    council(me)?;
    Ok(Json(
        state.store.plans().await?.iter().map(plan_view).collect(),
    ))
}

/// Adds a plan.
#[utoipa::path(post, path = "/api/v1/admin/plans", request_body = PlanBody,
    responses((status = 201, body = PlanView, description = "Created"), Forbidden, Conflict,
        Unprocessable))]
pub(crate) async fn admin_plans_create(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(body): Body<PlanBody>,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    let me = council(me)?;
    let fields = validate_plan(&PlanForm::from(&body)).map_err(|errors| invalid(&errors))?;
    let plan = create(&state, &me, &fields).await?;
    Ok((StatusCode::CREATED, Json(plan_view(&plan))))
}

/// Changes a plan.
#[utoipa::path(put, path = "/api/v1/admin/plans/{plan}", request_body = PlanBody,
    params(("plan" = i64, Path, description = "Plan id")),
    responses((status = 200, body = PlanView, description = "Done"), Forbidden, NotFound, Conflict,
        Unprocessable))]
pub(crate) async fn admin_plans_update(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(id): Path<PlanId>,
    Body(body): Body<PlanBody>,
) -> Result<Json<PlanView>, ApiError> {
    let me = council(me)?;
    let before = state.store.plan(id).await?;
    let fields = validate_plan(&PlanForm::from(&body)).map_err(|errors| invalid(&errors))?;
    let after = update(&state, &me, &before, &fields).await?;
    resync_plan_tenants(&state, after.id).await?;
    Ok(Json(plan_view(&after)))
}

/// How much of the audit log to return.
#[derive(Deserialize)]
pub(crate) struct AuditQuery {
    limit: Option<i64>,
}

/// One recorded change.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditEntry {
    id: i64,
    /// Unix seconds.
    at: i64,
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
    /// JSON of the object before the change.
    before: Option<String>,
    /// JSON of the object after the change.
    after: Option<String>,
}

/// The newest audit entries, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit",
    params(("limit" = Option<i64>, Query, description = "How many, 1 to 1000 (default 100)")),
    responses((status = 200, body = Vec<AuditEntry>, description = "Done"), Forbidden))]
pub(crate) async fn admin_audit_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    council(me)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let entries = state.store.recent_audit(limit).await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| AuditEntry {
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                object_type: e.object_type,
                object_id: e.object_id,
                before: e.before_json,
                after: e.after_json,
            })
            .collect(),
    ))
}

/// Sign-ups on one UTC day.
#[derive(Serialize, ToSchema)]
pub(crate) struct DailySignups {
    /// The day's first second, Unix seconds.
    day: i64,
    count: i64,
}

/// Organisations by state.
#[derive(Serialize, ToSchema)]
pub(crate) struct StatusCount {
    status: String,
    count: i64,
}

/// The council's simple reports.
#[derive(Serialize, ToSchema)]
pub(crate) struct Reports {
    /// Approved organisations: the tenants hosting runs.
    active_tenants: i64,
    organisations_by_status: Vec<StatusCount>,
    /// The last 30 days; days without sign-ups are left out.
    signups_per_day: Vec<DailySignups>,
}

/// Organisations by state, active tenants and sign-ups per day over 30 days.
#[utoipa::path(get, path = "/api/v1/admin/reports",
    responses((status = 200, body = Reports, description = "Done"), Forbidden))]
pub(crate) async fn admin_reports_show(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<Reports>, ApiError> {
    council(me)?;
    let by_status = state.store.organisations_by_status().await?;
    let active_tenants = by_status
        .iter()
        .find(|(s, _)| s == "approved")
        .map_or(0, |(_, n)| *n);
    let signups = state.store.signups_per_day(30).await?;
    Ok(Json(Reports {
        active_tenants,
        organisations_by_status: by_status
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
        signups_per_day: signups
            .into_iter()
            .map(|d| DailySignups {
                day: d.day,
                count: d.count,
            })
            .collect(),
    }))
}
