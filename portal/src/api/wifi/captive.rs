//! A site's captive portal as JSON: its settings (secrets write-only, reported only as set
//! or not) and its branding, published as numbered versions.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use base64::Engine;
use commons_store::{CaptiveSettings, SiteBranding};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::SitePath;
use crate::{
    AppState,
    admin::wifi::{
        branding::{BrandingForm, publish_branding},
        captive::{CaptiveForm, update_captive},
    },
    api::{
        ApiError, ApiUser, Body, council, invalid,
        responses::{Forbidden, NotFound, Unprocessable},
    },
    forms::FieldErrors,
};

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    let site = "/api/v1/admin/wifi/sites/{site}";
    Router::new()
        .route(
            &format!("{site}/captive"),
            get(wifi_captive_show).put(wifi_captive_update),
        )
        .route(
            &format!("{site}/branding"),
            get(wifi_branding_show).post(wifi_branding_publish),
        )
        .route(
            &format!("{site}/branding/versions"),
            get(wifi_branding_versions),
        )
}

/// A UniFi controller, without its password.
#[derive(Serialize, ToSchema)]
pub(crate) struct UnifiView {
    /// Its base URL.
    url: String,
    /// The controller's name for the site.
    site: String,
    /// The account Commons signs in with.
    username: String,
    /// Always true: a controller is stored only with a password.
    password_set: bool,
}

/// A site's captive-portal settings; secrets are never shown.
#[derive(Serialize, ToSchema)]
pub(crate) struct CaptiveView {
    /// Access granted by accepting the terms, seconds.
    terms_session_secs: i64,
    /// Days a device is remembered when its person agrees; 0: never.
    remember_days: i64,
    /// Whether a CoovaChilli UAM secret is set.
    uam_secret_set: bool,
    /// Whether an openNDS FAS key is set.
    fas_key_set: bool,
    unifi: Option<UnifiView>,
    /// Extra hosts a hand-off may go to.
    handoff_hosts: Vec<String>,
}

impl From<&CaptiveSettings> for CaptiveView {
    fn from(settings: &CaptiveSettings) -> Self {
        Self {
            terms_session_secs: settings.terms_session_secs,
            remember_days: settings.remember_days,
            uam_secret_set: settings.uam_secret.is_some(),
            fas_key_set: settings.fas_key.is_some(),
            unifi: settings.unifi.as_ref().map(|unifi| UnifiView {
                url: unifi.url.clone(),
                site: unifi.site.clone(),
                username: unifi.username.clone(),
                password_set: true,
            }),
            handoff_hosts: settings.handoff_hosts.clone(),
        }
    }
}

/// A UniFi controller to use.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnifiBody {
    /// Its base URL, like `https://unifi.council.example:8443/`.
    url: String,
    /// The controller's name for the site, such as `default`.
    site: String,
    /// The account Commons signs in with.
    username: String,
    /// The account's password; the one set is kept when absent.
    #[serde(default)]
    password: Option<String>,
}

/// A site's captive-portal settings. A secret that is absent or null is kept, an empty
/// one is removed, any other replaces it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaptiveBody {
    /// Access granted by accepting the terms, seconds: 60 to 604800.
    terms_session_secs: i64,
    /// Days a device is remembered when its person agrees: 0 (never) to 365.
    remember_days: i64,
    /// CoovaChilli's UAM secret.
    #[serde(default)]
    uam_secret: Option<String>,
    /// openNDS's FAS key.
    #[serde(default)]
    fas_key: Option<String>,
    /// The UniFi controller; none when absent or null.
    #[serde(default)]
    unifi: Option<UnifiBody>,
    /// Extra host names a hand-off may go to.
    #[serde(default)]
    handoff_hosts: Vec<String>,
}

impl From<CaptiveBody> for CaptiveForm {
    fn from(body: CaptiveBody) -> Self {
        let cleared = |secret: &Option<String>| {
            (secret.as_deref().map(str::trim) == Some("")).then(|| "on".into())
        };
        let (unifi_url, unifi_site, unifi_username, unifi_password) = match body.unifi {
            Some(u) => (u.url, u.site, u.username, u.password.unwrap_or_default()),
            None => Default::default(),
        };
        Self {
            terms_session_secs: body.terms_session_secs.to_string(),
            remember_days: body.remember_days.to_string(),
            clear_uam_secret: cleared(&body.uam_secret),
            clear_fas_key: cleared(&body.fas_key),
            uam_secret: body.uam_secret.unwrap_or_default(),
            fas_key: body.fas_key.unwrap_or_default(),
            unifi_url,
            unifi_site,
            unifi_username,
            unifi_password,
            handoff_hosts: body.handoff_hosts.join(","),
        }
    }
}

/// A site's captive-portal settings.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/captive", params(SitePath),
    responses((status = 200, body = CaptiveView, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_captive_show(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<CaptiveView>, ApiError> {
    council(me)?;
    let settings = state.store.captive_settings(path.site).await?;
    Ok(Json(CaptiveView::from(&settings)))
}

/// Replaces a site's captive-portal settings.
#[utoipa::path(put, path = "/api/v1/admin/wifi/sites/{site}/captive", params(SitePath),
    request_body = CaptiveBody,
    responses((status = 200, body = CaptiveView, description = "Done"), Forbidden, NotFound,
        Unprocessable))]
pub(crate) async fn wifi_captive_update(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
    Body(body): Body<CaptiveBody>,
) -> Result<Json<CaptiveView>, ApiError> {
    let me = council(me)?;
    let form = CaptiveForm::from(body);
    let saved = update_captive(&state, &me, path.site, &form)
        .await?
        .map_err(|errors| invalid(&errors))?;
    Ok(Json(CaptiveView::from(&saved)))
}

/// One version of a site's branding; version 0 is the built-in default.
#[derive(Serialize, ToSchema)]
pub(crate) struct BrandingView {
    version: i64,
    display_name: String,
    /// `#rrggbb`.
    colour_primary: String,
    /// `#rrggbb`.
    colour_background: String,
    terms: String,
    privacy: String,
    /// The logo's media type, when the version has one.
    logo_type: Option<String>,
    /// Unix seconds.
    created_at: i64,
}

impl From<SiteBranding> for BrandingView {
    fn from(branding: SiteBranding) -> Self {
        Self {
            version: branding.version,
            display_name: branding.display_name,
            colour_primary: branding.colour_primary,
            colour_background: branding.colour_background,
            terms: branding.terms,
            privacy: branding.privacy,
            logo_type: branding.logo_mime,
            created_at: branding.created_at,
        }
    }
}

/// A logo to publish.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogoBody {
    /// `image/png`, `image/jpeg` or `image/webp`.
    media_type: String,
    /// The image, base64-encoded (RFC 4648 section 4); at most 64 KiB decoded.
    base64: String,
}

/// A new version of a site's branding.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BrandingBody {
    /// Up to 100 characters.
    display_name: String,
    /// Colour of buttons and links, `#rrggbb`, with a contrast of at least 4.5:1 on the
    /// background.
    colour_primary: String,
    /// `#rrggbb`.
    colour_background: String,
    /// Terms of use, plain text, up to 20000 characters.
    terms: String,
    /// Privacy notice, plain text, up to 20000 characters.
    privacy: String,
    /// A new logo; the current one is kept when absent.
    #[serde(default)]
    logo: Option<LogoBody>,
    /// Publish without a logo.
    #[serde(default)]
    remove_logo: bool,
}

impl TryFrom<BrandingBody> for BrandingForm {
    type Error = FieldErrors;

    fn try_from(body: BrandingBody) -> Result<Self, FieldErrors> {
        let logo = match body.logo {
            Some(logo) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(logo.base64.trim())
                    .map_err(|_| {
                        let text = "The logo is not base64; encode the image with the \
                                    standard alphabet and padding.";
                        FieldErrors::from([("logo", text.to_owned())])
                    })?;
                Some((logo.media_type, bytes))
            }
            None => None,
        };
        Ok(Self {
            display_name: body.display_name,
            colour_primary: body.colour_primary,
            colour_background: body.colour_background,
            terms: body.terms,
            privacy: body.privacy,
            remove_logo: body.remove_logo.then(|| "on".into()),
            logo,
        })
    }
}

/// The branding a site's captive page shows now.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/branding", params(SitePath),
    responses((status = 200, body = BrandingView, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_branding_show(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<BrandingView>, ApiError> {
    council(me)?;
    let branding = state.store.current_branding(path.site).await?;
    Ok(Json(BrandingView::from(branding)))
}

/// Publishes a new version of a site's branding.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites/{site}/branding", params(SitePath),
    request_body = BrandingBody,
    responses((status = 201, body = BrandingView, description = "Published"), Forbidden,
        NotFound, Unprocessable))]
pub(crate) async fn wifi_branding_publish(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
    Body(body): Body<BrandingBody>,
) -> Result<(StatusCode, Json<BrandingView>), ApiError> {
    let me = council(me)?;
    let form = BrandingForm::try_from(body).map_err(|errors| invalid(&errors))?;
    let published = publish_branding(&state, &me, path.site, &form)
        .await?
        .map_err(|errors| invalid(&errors))?;
    Ok((StatusCode::CREATED, Json(BrandingView::from(published))))
}

/// Every published version of a site's branding, newest first.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/branding/versions",
    params(SitePath),
    responses((status = 200, body = Vec<BrandingView>, description = "Done"), Forbidden,
        NotFound))]
pub(crate) async fn wifi_branding_versions(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<Vec<BrandingView>>, ApiError> {
    council(me)?;
    state.store.wifi_site(path.site).await?;
    let history = state.store.branding_history(path.site).await?;
    Ok(Json(history.into_iter().map(BrandingView::from).collect()))
}
