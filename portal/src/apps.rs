//! An organisation's applications: the catalogue, installing, status, suspending,
//! resuming and removing (after a confirmation that says what happens to the data).

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{OrgId, OrgStatus, Organisation};
use minijinja::context;
use serde::Deserialize;

use crate::{
    AppState, Error,
    audit::{self, Change},
    forms::{self, FieldErrors},
    hosting::{AppInstance, AppInstanceSpec, HostingError},
    lease,
    orgs::{OrgView, org_for, require_manager},
    page::SignedIn,
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/apps", get(apps_list).post(apps_install))
        .route("/orgs/{org}/apps/{name}", get(apps_show))
        .route("/orgs/{org}/apps/{name}/suspend", post(apps_suspend))
        .route("/orgs/{org}/apps/{name}/resume", post(apps_resume))
        .route(
            "/orgs/{org}/apps/{name}/remove",
            get(apps_remove_confirm).post(apps_remove),
        )
}

/// The fields of the install form.
#[derive(Clone, Default, Deserialize, serde::Serialize)]
pub(crate) struct InstallForm {
    #[serde(default)]
    pub(crate) application: String,
    #[serde(default)]
    pub(crate) name: String,
}

async fn list_page(
    state: &AppState,
    me: &SignedIn,
    org_id: OrgId,
    errors: FieldErrors,
    form: InstallForm,
    status: StatusCode,
) -> Result<Response, Error> {
    let (org, role) = org_for(state, &me.user, org_id).await?;
    let catalogue = state.hosting.catalogue().await?;
    let (installed, hosting) = match state.hosting.app_instances(&org.slug).await {
        Ok(apps) => (apps, "connected"),
        Err(HostingError::NotConnected) => (Vec::new(), "not_connected"),
        Err(err) => {
            tracing::warn!(org = %org.id, error = %err, "application list unavailable");
            (Vec::new(), "unavailable")
        }
    };
    let ctx = context! {
        org => OrgView::from(&org), manager => require_manager(role).is_ok(),
        approved => org.status == OrgStatus::Approved,
        catalogue, installed, hosting, errors, form,
    };
    me.page_with(state, status, "apps.html", ctx)
}

async fn apps_list(
    State(state): State<AppState>,
    me: SignedIn,
    Path(org): Path<OrgId>,
) -> Result<Response, Error> {
    list_page(
        &state,
        &me,
        org,
        FieldErrors::new(),
        InstallForm::default(),
        StatusCode::OK,
    )
    .await
}

/// Checks an install request for `org`; returns the request to send to hosting.
pub(crate) async fn prepare_install(
    state: &AppState,
    form: &InstallForm,
) -> Result<AppInstanceSpec, FieldErrors> {
    let mut errors = FieldErrors::new();
    let catalogue = state.hosting.catalogue().await.unwrap_or_default();
    let app = catalogue.iter().find(|a| a.name == form.application);
    if app.is_none() {
        errors.insert(
            "application",
            "Choose an application from the catalogue.".into(),
        );
    }
    let name = if form.name.trim().is_empty() {
        form.application.clone()
    } else {
        form.name.trim().to_owned()
    };
    if !forms::is_dns_label(&name) {
        errors.insert(
            "name",
            "Use up to 40 lower-case letters, digits and hyphens, not starting or ending \
             with a hyphen."
                .into(),
        );
    }
    match app {
        Some(app) if errors.is_empty() => Ok(AppInstanceSpec {
            name,
            application: app.name.clone(),
            version: app.version.clone(),
        }),
        _ => Err(errors),
    }
}

/// Installs `spec` for `org` as `me` when the organisation's state and plan allow it, and
/// records the install in the audit log.
///
/// # Guarantees
///
/// Installs of one organisation run one at a time (across portal processes too), so the
/// count against the plan's limit cannot be passed by two installs at once.
///
/// # Errors
///
/// [`Error::Conflict`] when the organisation is not approved, its plan allows no more
/// applications, or another install keeps it busy; hosting errors as they come.
pub(crate) async fn install(
    state: &AppState,
    me: &commons_store::User,
    org: &Organisation,
    spec: &AppInstanceSpec,
) -> Result<AppInstance, Error> {
    let name = format!("apps:{}", org.id);
    let busy = "another application is being installed for this organisation; try again";
    lease::exclusively(&state.store, &name, busy, async {
        check_allowed(state, org).await?;
        let installed = state.hosting.install_app(&org.slug, spec).await?;
        let after = serde_json::to_value(spec).ok();
        record(state, me, org, "app.install", &installed.name, None, after).await?;
        Ok(installed)
    })
    .await
}

/// Refuses an install the organisation's state or plan does not allow.
async fn check_allowed(state: &AppState, org: &Organisation) -> Result<(), Error> {
    if org.status != OrgStatus::Approved {
        return Err(Error::Conflict(
            "applications can be installed once the council has approved the organisation",
        ));
    }
    let limit = match org.plan_id {
        Some(plan) => state.store.plan(plan).await?.max_apps,
        None => 0,
    };
    let installed = state.hosting.app_instances(&org.slug).await?.len();
    if i64::try_from(installed).unwrap_or(i64::MAX) >= limit {
        return Err(Error::Conflict(
            "the organisation's plan allows no more applications",
        ));
    }
    Ok(())
}

async fn apps_install(
    State(state): State<AppState>,
    me: SignedIn,
    Path(org_id): Path<OrgId>,
    Form(form): Form<InstallForm>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    require_manager(role)?;
    let spec = match prepare_install(&state, &form).await {
        Ok(spec) => spec,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return list_page(&state, &me, org.id, errors, form, status).await;
        }
    };
    let installed = match install(&state, &me.user, &org, &spec).await {
        Err(Error::HostingFailed(HostingError::AlreadyExists)) => {
            let errors = FieldErrors::from([(
                "name",
                "An application with this name is already installed.".to_owned(),
            )]);
            return list_page(&state, &me, org.id, errors, form, StatusCode::CONFLICT).await;
        }
        other => other?,
    };
    Ok(me.redirect_with(
        &format!("/orgs/{}/apps/{}", org.id, installed.name),
        format!("{} is being installed.", installed.name),
    ))
}

pub(crate) async fn record(
    state: &AppState,
    me: &commons_store::User,
    org: &Organisation,
    action: &str,
    name: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), Error> {
    let change = Change {
        action,
        object_type: "app_instance",
        object_id: format!("{}/{name}", org.slug),
        org_id: Some(org.id),
        before,
        after,
    };
    audit::record(state, me, change).await
}

async fn apps_show(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org_id, name)): Path<(OrgId, String)>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    let app = state.hosting.app_instance(&org.slug, &name).await?;
    let ctx =
        context! { org => OrgView::from(&org), manager => require_manager(role).is_ok(), app };
    me.page(&state, "app.html", ctx)
}

/// Suspends or resumes application `name` of `org` as `me`, holding `role` there.
///
/// # Errors
///
/// [`Error::NotAllowed`] for a plain member; not found for an unknown application;
/// [`Error::Conflict`] when resuming in an organisation that is not approved.
pub(crate) async fn suspend_or_resume(
    state: &AppState,
    me: &commons_store::User,
    org: &Organisation,
    role: commons_store::MemberRole,
    name: &str,
    suspended: bool,
) -> Result<(), Error> {
    require_manager(role)?;
    let before = state.hosting.app_instance(&org.slug, name).await?;
    if !suspended && org.status != OrgStatus::Approved {
        return Err(Error::Conflict(
            "the organisation is not approved, so its applications stay suspended",
        ));
    }
    state
        .hosting
        .set_app_suspended(&org.slug, name, suspended)
        .await?;
    let action = if suspended {
        "app.suspend"
    } else {
        "app.resume"
    };
    let before_json = serde_json::json!({ "suspended": before.suspended });
    let after_json = serde_json::json!({ "suspended": suspended });
    record(
        state,
        me,
        org,
        action,
        name,
        Some(before_json),
        Some(after_json),
    )
    .await
}

async fn set_suspended(
    state: &AppState,
    me: &SignedIn,
    org_id: OrgId,
    name: &str,
    suspended: bool,
) -> Result<Response, Error> {
    let (org, role) = org_for(state, &me.user, org_id).await?;
    suspend_or_resume(state, &me.user, &org, role, name, suspended).await?;
    let text = if suspended {
        "Suspended; its data is kept."
    } else {
        "Resumed."
    };
    Ok(me.redirect_with(&format!("/orgs/{}/apps/{name}", org.id), text))
}

async fn apps_suspend(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org, name)): Path<(OrgId, String)>,
) -> Result<Response, Error> {
    set_suspended(&state, &me, org, &name, true).await
}

async fn apps_resume(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org, name)): Path<(OrgId, String)>,
) -> Result<Response, Error> {
    set_suspended(&state, &me, org, &name, false).await
}

async fn remove_page(
    state: &AppState,
    me: &SignedIn,
    org_id: OrgId,
    name: &str,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let (org, role) = org_for(state, &me.user, org_id).await?;
    require_manager(role)?;
    let app = state.hosting.app_instance(&org.slug, name).await?;
    let catalogue = state.hosting.catalogue().await?;
    let data_on_remove = catalogue
        .iter()
        .find(|entry| entry.name == app.application)
        .map_or("Its data is deleted and cannot be recovered.", |entry| {
            entry.data_on_remove.as_str()
        });
    let ctx = context! { org => OrgView::from(&org), app, data_on_remove, errors };
    me.page_with(state, status, "app_remove.html", ctx)
}

async fn apps_remove_confirm(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org, name)): Path<(OrgId, String)>,
) -> Result<Response, Error> {
    remove_page(&state, &me, org, &name, FieldErrors::new(), StatusCode::OK).await
}

/// The confirmation field: the application's name typed again.
#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    confirm: String,
}

async fn apps_remove(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org_id, name)): Path<(OrgId, String)>,
    Form(form): Form<RemoveForm>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    require_manager(role)?;
    let before = state.hosting.app_instance(&org.slug, &name).await?;
    if form.confirm.trim() != name {
        let errors = FieldErrors::from([("confirm", format!("Type {name} to confirm."))]);
        return remove_page(
            &state,
            &me,
            org.id,
            &name,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    state.hosting.remove_app(&org.slug, &name).await?;
    record(
        &state,
        &me.user,
        &org,
        "app.remove",
        &name,
        serde_json::to_value(&before).ok(),
        None,
    )
    .await?;
    Ok(me.redirect_with(
        &format!("/orgs/{}/apps", org.id),
        format!("{name} and its data were removed."),
    ))
}
