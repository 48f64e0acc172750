//! Wi-Fi sites: the list, a new site, and a site's settings.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{SiteFields, SiteId, User, WifiSite};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{
    Outcome,
    branding::branding_json,
    captive::{CaptiveForm, captive_json},
    change_entry, refused, site_json, site_path,
};
use crate::{
    AppState, Error,
    forms::{self, FieldErrors},
    page::{CouncilAdmin, SignedIn},
};

/// Longest session a site may grant: a week.
const MAX_SESSION_SECS: i64 = 7 * 86_400;
/// Fastest bandwidth limit accepted, kbit/s: 10 Gbit/s.
const MAX_KBPS: i64 = 10_000_000;

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/wifi", get(sites_list).post(sites_create))
        .route("/admin/wifi/{site}", get(sites_show))
        .route("/admin/wifi/{site}/edit", post(sites_update))
}

/// The fields of the site form, as typed. Sign-up modes are check boxes.
#[derive(Clone, Deserialize, Serialize)]
pub(crate) struct SiteForm {
    #[serde(default)]
    pub(crate) name: String,
    pub(crate) terms: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) voucher: Option<String>,
    #[serde(default)]
    pub(crate) session_timeout_secs: String,
    #[serde(default)]
    pub(crate) idle_timeout_secs: String,
    #[serde(default)]
    pub(crate) interim_interval_secs: String,
    #[serde(default)]
    pub(crate) down_kbps: String,
    #[serde(default)]
    pub(crate) up_kbps: String,
    #[serde(default)]
    pub(crate) retention_days: String,
}

impl Default for SiteForm {
    /// The settings a new site starts from, the same as the database defaults.
    fn default() -> Self {
        Self {
            name: String::new(),
            terms: Some("on".into()),
            email: None,
            voucher: None,
            session_timeout_secs: "3600".into(),
            idle_timeout_secs: "600".into(),
            interim_interval_secs: "300".into(),
            down_kbps: String::new(),
            up_kbps: String::new(),
            retention_days: "30".into(),
        }
    }
}

impl From<&commons_store::WifiSite> for SiteForm {
    fn from(site: &commons_store::WifiSite) -> Self {
        let has = |mode: &str| -> Option<String> {
            site.signup_modes
                .split(',')
                .any(|m| m == mode)
                .then(|| "on".into())
        };
        let optional = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        Self {
            name: site.name.clone(),
            terms: has("terms"),
            email: has("email"),
            voucher: has("voucher"),
            session_timeout_secs: site.session_timeout_secs.to_string(),
            idle_timeout_secs: site.idle_timeout_secs.to_string(),
            interim_interval_secs: site.interim_interval_secs.to_string(),
            down_kbps: optional(site.down_kbps),
            up_kbps: optional(site.up_kbps),
            retention_days: site.retention_days.to_string(),
        }
    }
}

fn number(errors: &mut FieldErrors, field: &'static str, value: &str, min: i64, max: i64) -> i64 {
    match value.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => n,
        _ => {
            errors.insert(field, format!("Enter a whole number from {min} to {max}."));
            0
        }
    }
}

fn optional_number(errors: &mut FieldErrors, field: &'static str, value: &str) -> Option<i64> {
    if value.trim().is_empty() {
        return None;
    }
    Some(number(errors, field, value, 1, MAX_KBPS))
}

/// Checks a site form and returns the site's settings.
pub(crate) fn validate(form: &SiteForm) -> Result<SiteFields, FieldErrors> {
    let mut errors = FieldErrors::new();
    forms::text(&mut errors, "name", &form.name, "a name", 100);
    if !errors.contains_key("name") && commons_store::site_slug(&form.name).is_empty() {
        errors.insert(
            "name",
            "Use at least one letter or digit in the name.".into(),
        );
    }
    let modes: Vec<&str> = [
        ("terms", &form.terms),
        ("email", &form.email),
        ("voucher", &form.voucher),
    ]
    .into_iter()
    .filter(|(_, on)| on.is_some())
    .map(|(mode, _)| mode)
    .collect();
    if modes.is_empty() {
        errors.insert("terms", "Choose at least one way to sign up.".into());
    }
    let fields = SiteFields {
        name: form.name.trim().to_owned(),
        signup_modes: modes.join(","),
        session_timeout_secs: number(
            &mut errors,
            "session_timeout_secs",
            &form.session_timeout_secs,
            60,
            MAX_SESSION_SECS,
        ),
        idle_timeout_secs: number(
            &mut errors,
            "idle_timeout_secs",
            &form.idle_timeout_secs,
            60,
            86_400,
        ),
        // RFC 2869 section 5.16: an interim interval below 60 seconds is not allowed.
        interim_interval_secs: number(
            &mut errors,
            "interim_interval_secs",
            &form.interim_interval_secs,
            60,
            86_400,
        ),
        down_kbps: optional_number(&mut errors, "down_kbps", &form.down_kbps),
        up_kbps: optional_number(&mut errors, "up_kbps", &form.up_kbps),
        retention_days: number(&mut errors, "retention_days", &form.retention_days, 1, 3650),
    };
    if errors.is_empty() {
        Ok(fields)
    } else {
        Err(errors)
    }
}

fn taken() -> FieldErrors {
    FieldErrors::from([("name", "A site with this name exists.".to_owned())])
}

async fn list_page(
    state: &AppState,
    me: &SignedIn,
    form: SiteForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let sites: Vec<_> = state
        .store
        .wifi_sites()
        .await?
        .iter()
        .map(site_json)
        .collect();
    me.page_with(
        state,
        status,
        "admin_wifi_sites.html",
        context! { sites, form, errors },
    )
}

async fn sites_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
) -> Result<Response, Error> {
    list_page(
        &state,
        &me,
        SiteForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Creates a site from `form` as `me`, with its audit entry in the same transaction.
///
/// # Errors
///
/// The form's problems by field; [`Error::StoreFailed`] with `AlreadyExists` when a site
/// has the same short name.
pub(crate) async fn create_site(state: &AppState, me: &User, form: &SiteForm) -> Outcome<WifiSite> {
    let fields = match validate(form) {
        Ok(fields) => fields,
        Err(errors) => return Ok(Err(errors)),
    };

    let slug = commons_store::site_slug(&fields.name);
    let after = serde_json::json!({ "slug": slug, "fields": fields_json(&fields) });
    let entry = change_entry(me, "wifi_site.create", "wifi_site", slug, None, Some(after));
    Ok(Ok(state.store.create_site_with(&fields, &entry).await?))
}

async fn sites_create(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Form(form): Form<SiteForm>,
) -> Result<Response, Error> {
    let site = match refused(create_site(&state, &me.user, &form).await, taken)? {
        Ok(site) => site,
        Err((errors, status)) => return list_page(&state, &me, form, errors, status).await,
    };
    Ok(me.redirect_with(&site_path(site.id), format!("Site {} created.", site.name)))
}

/// A site's settings as JSON, for the audit log.
fn fields_json(fields: &SiteFields) -> serde_json::Value {
    serde_json::json!({
        "name": fields.name, "signup_modes": fields.signup_modes,
        "session_timeout_secs": fields.session_timeout_secs,
        "idle_timeout_secs": fields.idle_timeout_secs,
        "interim_interval_secs": fields.interim_interval_secs,
        "down_kbps": fields.down_kbps, "up_kbps": fields.up_kbps,
        "retention_days": fields.retention_days,
    })
}

/// The forms of the site page as they are to be shown: each as typed with its problems,
/// or `None` for the saved settings.
#[derive(Default)]
pub(super) struct SiteForms {
    /// The site's settings.
    pub(super) site: Option<(SiteForm, FieldErrors)>,
    /// Its captive-portal settings.
    pub(super) captive: Option<(CaptiveForm, FieldErrors)>,
}

/// The page of site `id` with its settings, captive-portal settings and a summary of its
/// branding.
pub(super) async fn show_page(
    state: &AppState,
    me: &SignedIn,
    id: SiteId,
    forms: SiteForms,
    status: StatusCode,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(id).await?;
    let captive = state.store.captive_settings(id).await?;
    let branding = state.store.current_branding(id).await?;
    let (form, errors) = forms
        .site
        .unwrap_or_else(|| (SiteForm::from(&site), FieldErrors::new()));
    let (captive_form, captive_errors) = forms
        .captive
        .unwrap_or_else(|| (CaptiveForm::from(&captive), FieldErrors::new()));
    let ctx = context! {
        site => site_json(&site), form, errors, captive => captive_json(&captive),
        captive_form, captive_errors, branding => branding_json(&branding),
    };
    me.page_with(state, status, "admin_wifi_site.html", ctx)
}

async fn sites_show(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(id): Path<SiteId>,
) -> Result<Response, Error> {
    show_page(&state, &me, id, SiteForms::default(), StatusCode::OK).await
}

/// Changes the settings of site `id` to `form` as `me`, with its audit entry in the same
/// transaction.
///
/// # Errors
///
/// The form's problems by field; [`Error::StoreFailed`] with `NotFound` for an unknown
/// site.
pub(crate) async fn update_site(
    state: &AppState,
    me: &User,
    id: SiteId,
    form: &SiteForm,
) -> Outcome<WifiSite> {
    let before = state.store.wifi_site(id).await?;
    let fields = match validate(form) {
        Ok(fields) => fields,
        Err(errors) => return Ok(Err(errors)),
    };

    let (before, after) = (site_json(&before), fields_json(&fields));
    let entry = change_entry(
        me,
        "wifi_site.update",
        "wifi_site",
        id.to_string(),
        Some(before),
        Some(after),
    );
    Ok(Ok(state.store.update_site(id, &fields, &entry).await?))
}

async fn sites_update(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(id): Path<SiteId>,
    Form(form): Form<SiteForm>,
) -> Result<Response, Error> {
    if let Err(errors) = update_site(&state, &me.user, id, &form).await? {
        let forms = SiteForms {
            site: Some((form, errors)),
            ..SiteForms::default()
        };
        return show_page(&state, &me, id, forms, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    Ok(me.redirect_with(&site_path(id), "Site saved."))
}
