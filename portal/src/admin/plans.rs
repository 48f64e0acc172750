//! Hosting plans: their quotas and prices.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{Plan, PlanFields, PlanId, User};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::{
    AppState, Error,
    audit::{self, Change},
    forms::{self, FieldErrors},
    page::{CouncilAdmin, SignedIn},
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/plans", get(plans_list).post(plans_create))
        .route("/admin/plans/{plan}", get(plans_show))
        .route("/admin/plans/{plan}/edit", post(plans_update))
}

/// The fields of the plan form, as typed.
#[derive(Clone, Default, Deserialize, Serialize)]
pub(crate) struct PlanForm {
    #[serde(default)]
    pub(crate) slug: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) price_pence: String,
    #[serde(default)]
    pub(crate) cpu_millis: String,
    #[serde(default)]
    pub(crate) memory_mib: String,
    #[serde(default)]
    pub(crate) storage_gib: String,
    #[serde(default)]
    pub(crate) max_pods: String,
    #[serde(default)]
    pub(crate) max_apps: String,
}

impl From<&Plan> for PlanForm {
    fn from(plan: &Plan) -> Self {
        Self {
            slug: plan.slug.clone(),
            name: plan.name.clone(),
            price_pence: plan.price_pence.to_string(),
            cpu_millis: plan.cpu_millis.to_string(),
            memory_mib: plan.memory_mib.to_string(),
            storage_gib: plan.storage_gib.to_string(),
            max_pods: plan.max_pods.to_string(),
            max_apps: plan.max_apps.to_string(),
        }
    }
}

fn number(errors: &mut FieldErrors, field: &'static str, value: &str, min: i64) -> i64 {
    match value.trim().parse::<i64>() {
        Ok(n) if n >= min && n <= 1_000_000_000 => n,
        _ => {
            errors.insert(
                field,
                format!("Enter a whole number from {min} to 1000000000."),
            );
            0
        }
    }
}

/// Checks a plan form and returns the plan's fields.
pub(crate) fn validate_plan(form: &PlanForm) -> Result<PlanFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    if !forms::is_dns_label(form.slug.trim()) {
        errors.insert("slug", "Use lower-case letters, digits and hyphens.".into());
    }
    forms::text(&mut errors, "name", &form.name, "a name", 100);
    let fields = PlanFields {
        slug: form.slug.trim().to_owned(),
        name: form.name.trim().to_owned(),
        price_pence: number(&mut errors, "price_pence", &form.price_pence, 0),
        cpu_millis: number(&mut errors, "cpu_millis", &form.cpu_millis, 1),
        memory_mib: number(&mut errors, "memory_mib", &form.memory_mib, 1),
        storage_gib: number(&mut errors, "storage_gib", &form.storage_gib, 1),
        max_pods: number(&mut errors, "max_pods", &form.max_pods, 1),
        max_apps: number(&mut errors, "max_apps", &form.max_apps, 1),
    };
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

/// A plan as JSON, for the pages and the audit log.
pub(crate) fn plan_json(plan: &Plan) -> serde_json::Value {
    let fields = PlanFields {
        slug: plan.slug.clone(),
        name: plan.name.clone(),
        price_pence: plan.price_pence,
        cpu_millis: plan.cpu_millis,
        memory_mib: plan.memory_mib,
        storage_gib: plan.storage_gib,
        max_pods: plan.max_pods,
        max_apps: plan.max_apps,
    };
    fields_json(Some(plan.id), &fields)
}

/// A plan's fields as JSON, with its id once it has one.
fn fields_json(id: Option<PlanId>, fields: &PlanFields) -> serde_json::Value {
    serde_json::json!({
        "id": id.map(|id| id.0), "slug": fields.slug, "name": fields.name,
        "price_pence": fields.price_pence, "cpu_millis": fields.cpu_millis,
        "memory_mib": fields.memory_mib, "storage_gib": fields.storage_gib,
        "max_pods": fields.max_pods, "max_apps": fields.max_apps,
    })
}

/// Adds a plan as `me`, with its audit entry in the same transaction.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `AlreadyExists` when the short name is taken.
pub(crate) async fn create(
    state: &AppState,
    me: &User,
    fields: &PlanFields,
) -> Result<Plan, Error> {
    let change = Change {
        action: "plan.create",
        object_type: "plan",
        object_id: fields.slug.clone(),
        org_id: None,
        before: None,
        after: Some(fields_json(None, fields)),
    };
    Ok(state
        .store
        .create_plan(fields, &audit::entry(me, change))
        .await?)
}

/// Changes plan `before` as `me`, with its audit entry in the same transaction.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `AlreadyExists` when the new short name is taken.
pub(crate) async fn update(
    state: &AppState,
    me: &User,
    before: &Plan,
    fields: &PlanFields,
) -> Result<Plan, Error> {
    let change = Change {
        action: "plan.update",
        object_type: "plan",
        object_id: before.id.to_string(),
        org_id: None,
        before: Some(plan_json(before)),
        after: Some(fields_json(Some(before.id), fields)),
    };
    let entry = audit::entry(me, change);
    Ok(state.store.update_plan(before.id, fields, &entry).await?)
}

async fn list_page(
    state: &AppState,
    me: &SignedIn,
    form: PlanForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let plans: Vec<_> = state.store.plans().await?.iter().map(plan_json).collect();
    me.page_with(
        state,
        status,
        "admin_plans.html",
        context! { plans, form, errors },
    )
}

async fn plans_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
) -> Result<Response, Error> {
    list_page(
        &state,
        &me,
        PlanForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn plans_create(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Form(form): Form<PlanForm>,
) -> Result<Response, Error> {
    let fields = match validate_plan(&form) {
        Ok(fields) => fields,
        Err(errors) => {
            return list_page(&state, &me, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let plan = match create(&state, &me.user, &fields).await {
        Err(Error::StoreFailed(commons_store::Error::AlreadyExists { .. })) => {
            let errors =
                FieldErrors::from([("slug", "A plan with this short name exists.".to_owned())]);
            return list_page(&state, &me, form, errors, StatusCode::CONFLICT).await;
        }
        other => other?,
    };
    Ok(me.redirect_with("/admin/plans", format!("Plan {} created.", plan.name)))
}

async fn show_page(
    state: &AppState,
    me: &SignedIn,
    id: PlanId,
    form: Option<PlanForm>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let plan = state.store.plan(id).await?;
    let form = form.unwrap_or_else(|| PlanForm::from(&plan));
    let ctx = context! { plan => plan_json(&plan), form, errors };
    me.page_with(state, status, "admin_plan.html", ctx)
}

async fn plans_show(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(id): Path<PlanId>,
) -> Result<Response, Error> {
    show_page(&state, &me, id, None, FieldErrors::new(), StatusCode::OK).await
}

async fn plans_update(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(id): Path<PlanId>,
    Form(form): Form<PlanForm>,
) -> Result<Response, Error> {
    let before = state.store.plan(id).await?;
    let fields = match validate_plan(&form) {
        Ok(fields) => fields,
        Err(errors) => {
            return show_page(
                &state,
                &me,
                id,
                Some(form),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match update(&state, &me.user, &before, &fields).await {
        Err(Error::StoreFailed(commons_store::Error::AlreadyExists { .. })) => {
            let errors =
                FieldErrors::from([("slug", "A plan with this short name exists.".to_owned())]);
            return show_page(&state, &me, id, Some(form), errors, StatusCode::CONFLICT).await;
        }
        other => other?,
    };
    let hosting = super::resync_plan_tenants(&state, id).await?;
    Ok(me.redirect_with(
        &format!("/admin/plans/{id}"),
        format!("Plan saved. {hosting}"),
    ))
}
