//! Wi-Fi sites as JSON: listed, made, read and changed.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use commons_store::WifiSite;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::SitePath;
use crate::{
    AppState,
    admin::wifi::sites::{SiteForm, create_site, update_site, validate},
    api::{
        ApiError, ApiUser, Body, council, invalid,
        responses::{Conflict, Forbidden, NotFound, Unprocessable},
    },
    forms::FieldErrors,
};

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/wifi/sites",
            get(wifi_sites_list).post(wifi_sites_create),
        )
        .route(
            "/api/v1/admin/wifi/sites/{site}",
            get(wifi_sites_show).put(wifi_sites_update),
        )
}

/// A site's settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SiteBody {
    /// Shown to guests; the short name is made from it when the site is made.
    name: String,
    /// How guests may sign up, at least one of `terms`, `email`, `voucher`.
    signup_modes: Vec<String>,
    /// Longest session, seconds: 60 to 604800; 3600 when absent.
    #[serde(default)]
    session_timeout_secs: Option<i64>,
    /// Idle time that ends a session, seconds: 60 to 86400; 600 when absent.
    #[serde(default)]
    idle_timeout_secs: Option<i64>,
    /// How often access points report usage, seconds: 60 to 86400; 300 when absent.
    #[serde(default)]
    interim_interval_secs: Option<i64>,
    /// Download limit, kbit/s; none when absent.
    #[serde(default)]
    down_kbps: Option<i64>,
    /// Upload limit, kbit/s; none when absent.
    #[serde(default)]
    up_kbps: Option<i64>,
    /// Days the sign-in log is kept: 1 to 3650; 30 when absent.
    #[serde(default)]
    retention_days: Option<i64>,
}

impl SiteBody {
    /// The page's form with these settings, absent numbers taking a new site's defaults,
    /// once every field (the sign-up modes included) is acceptable.
    fn form(&self) -> Result<SiteForm, ApiError> {
        const MODES: [&str; 3] = ["terms", "email", "voucher"];
        let on = |mode: &str| {
            self.signup_modes
                .iter()
                .any(|m| m == mode)
                .then(|| "on".into())
        };
        let defaults = SiteForm::default();
        let or = |value: Option<i64>, default: String| value.map_or(default, |n| n.to_string());
        let form = SiteForm {
            name: self.name.clone(),
            terms: on("terms"),
            email: on("email"),
            voucher: on("voucher"),
            session_timeout_secs: or(self.session_timeout_secs, defaults.session_timeout_secs),
            idle_timeout_secs: or(self.idle_timeout_secs, defaults.idle_timeout_secs),
            interim_interval_secs: or(self.interim_interval_secs, defaults.interim_interval_secs),
            down_kbps: or(self.down_kbps, String::new()),
            up_kbps: or(self.up_kbps, String::new()),
            retention_days: or(self.retention_days, defaults.retention_days),
        };
        let mut errors = validate(&form).err().unwrap_or_default();
        if let Some(mode) = self
            .signup_modes
            .iter()
            .find(|m| !MODES.contains(&m.as_str()))
        {
            let text = format!("{mode:?} is not a way to sign up; use terms, email or voucher.");
            errors.insert("terms", text);
        }
        if errors.is_empty() {
            Ok(form)
        } else {
            Err(api_errors(errors))
        }
    }
}

/// The field errors of the page's form in the API's terms: the sign-up check boxes are
/// one list here.
fn api_errors(errors: FieldErrors) -> ApiError {
    let renamed: FieldErrors = errors
        .into_iter()
        .map(|(field, text)| match field {
            "terms" => ("signup_modes", text),
            other => (other, text),
        })
        .collect();
    invalid(&renamed)
}

/// A site.
#[derive(Serialize, ToSchema)]
pub(crate) struct SiteView {
    id: i64,
    /// Short name, used in addresses.
    slug: String,
    name: String,
    signup_modes: Vec<String>,
    session_timeout_secs: i64,
    idle_timeout_secs: i64,
    interim_interval_secs: i64,
    down_kbps: Option<i64>,
    up_kbps: Option<i64>,
    retention_days: i64,
}

impl From<&WifiSite> for SiteView {
    fn from(site: &WifiSite) -> Self {
        Self {
            id: site.id.0,
            slug: site.slug.clone(),
            name: site.name.clone(),
            signup_modes: site.modes().iter().map(|m| m.as_str().to_owned()).collect(),
            session_timeout_secs: site.session_timeout_secs,
            idle_timeout_secs: site.idle_timeout_secs,
            interim_interval_secs: site.interim_interval_secs,
            down_kbps: site.down_kbps,
            up_kbps: site.up_kbps,
            retention_days: site.retention_days,
        }
    }
}

/// Every Wi-Fi site, by name.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites",
    responses((status = 200, body = Vec<SiteView>, description = "Done"), Forbidden))]
pub(crate) async fn wifi_sites_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
) -> Result<Json<Vec<SiteView>>, ApiError> {
    council(me)?;
    let sites = state.store.wifi_sites().await?;
    Ok(Json(sites.iter().map(SiteView::from).collect()))
}

/// Makes a site.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites", request_body = SiteBody,
    responses((status = 201, body = SiteView, description = "Created"), Forbidden, Conflict,
        Unprocessable))]
pub(crate) async fn wifi_sites_create(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Body(body): Body<SiteBody>,
) -> Result<(StatusCode, Json<SiteView>), ApiError> {
    let me = council(me)?;
    let form = body.form()?;
    let site = create_site(&state, &me, &form).await?.map_err(api_errors)?;
    Ok((StatusCode::CREATED, Json(SiteView::from(&site))))
}

/// One site.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}", params(SitePath),
    responses((status = 200, body = SiteView, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_sites_show(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<SiteView>, ApiError> {
    council(me)?;
    Ok(Json(SiteView::from(
        &state.store.wifi_site(path.site).await?,
    )))
}

/// Replaces a site's settings (its short name stays); absent numbers take a new site's
/// defaults.
#[utoipa::path(put, path = "/api/v1/admin/wifi/sites/{site}", params(SitePath),
    request_body = SiteBody,
    responses((status = 200, body = SiteView, description = "Done"), Forbidden, NotFound,
        Unprocessable))]
pub(crate) async fn wifi_sites_update(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
    Body(body): Body<SiteBody>,
) -> Result<Json<SiteView>, ApiError> {
    let me = council(me)?;
    let form = body.form()?;
    let site = update_site(&state, &me, path.site, &form)
        .await?
        .map_err(api_errors)?;
    Ok(Json(SiteView::from(&site)))
}
