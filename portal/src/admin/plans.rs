//! Hosting plans: their quotas and prices.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{Plan, PlanFields, PlanId};
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

/// A plan as JSON, for the audit log and the API.
pub(crate) fn plan_json(plan: &Plan) -> serde_json::Value {
    serde_json::json!({
        "id": plan.id.0, "slug": plan.slug, "name": plan.name, "price_pence": plan.price_pence,
        "cpu_millis": plan.cpu_millis, "memory_mib": plan.memory_mib,
        "storage_gib": plan.storage_gib, "max_pods": plan.max_pods, "max_apps": plan.max_apps,
    })
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
    let plan = match state.store.create_plan(&fields).await {
        Err(commons_store::Error::AlreadyExists { .. }) => {
            let errors =
                FieldErrors::from([("slug", "A plan with this short name exists.".to_owned())]);
            return list_page(&state, &me, form, errors, StatusCode::CONFLICT).await;
        }
        other => other?,
    };
    let change = Change {
        action: "plan.create",
        object_type: "plan",
        object_id: plan.id.to_string(),
        org_id: None,
        before: None,
        after: Some(plan_json(&plan)),
    };
    audit::record(&state, &me.user, change).await?;
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
    let after = match state.store.update_plan(id, &fields).await {
        Err(commons_store::Error::AlreadyExists { .. }) => {
            let errors =
                FieldErrors::from([("slug", "A plan with this short name exists.".to_owned())]);
            return show_page(&state, &me, id, Some(form), errors, StatusCode::CONFLICT).await;
        }
        other => other?,
    };
    let change = Change {
        action: "plan.update",
        object_type: "plan",
        object_id: id.to_string(),
        org_id: None,
        before: Some(plan_json(&before)),
        after: Some(plan_json(&after)),
    };
    audit::record(&state, &me.user, change).await?;
    // Limitation: tenants already on this plan keep their old quota until their
    // organisation's next decision (suspend, resume) rewrites the tenant.
    Ok(me.redirect_with(&format!("/admin/plans/{id}"), "Plan saved."))
}
