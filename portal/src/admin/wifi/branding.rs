//! The branding of a site's captive page: display name, colours, terms, privacy notice
//! and logo. Every save publishes a new version, so each consent names the texts a
//! person saw; earlier versions stay and are listed.

use axum::{
    Router,
    extract::{Multipart, Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use commons_store::{BrandingUpdate, LogoChange, SiteBranding, SiteId, User};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Outcome, change_entry, fields_of_store_error, site_json, site_path};
use crate::{
    AppState, Error,
    forms::FieldErrors,
    page::{CouncilAdmin, SignedIn},
};

/// The store's names for the fields it checks, and the form's.
const STORE_FIELDS: [(&str, &str); 7] = [
    ("display name", "display_name"),
    ("primary colour", "colour_primary"),
    ("background colour", "colour_background"),
    ("colours", "colour_primary"),
    ("terms", "terms"),
    ("privacy notice", "privacy"),
    ("logo", "logo"),
];

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/wifi/{site}/branding",
            get(branding_show).post(branding_publish),
        )
        .route(
            "/admin/wifi/{site}/branding/{version}/logo",
            get(branding_logo),
        )
}

/// The fields of the branding form, as typed, and the logo uploaded with it.
#[derive(Clone, Default, Deserialize, Serialize)]
pub(crate) struct BrandingForm {
    #[serde(default)]
    pub(crate) display_name: String,
    #[serde(default)]
    pub(crate) colour_primary: String,
    #[serde(default)]
    pub(crate) colour_background: String,
    #[serde(default)]
    pub(crate) terms: String,
    #[serde(default)]
    pub(crate) privacy: String,
    /// Ticked to publish without a logo.
    pub(crate) remove_logo: Option<String>,
    /// A new logo: its media type and bytes.
    #[serde(skip)]
    pub(crate) logo: Option<(String, Vec<u8>)>,
}

impl From<&SiteBranding> for BrandingForm {
    fn from(branding: &SiteBranding) -> Self {
        Self {
            display_name: branding.display_name.clone(),
            colour_primary: branding.colour_primary.clone(),
            colour_background: branding.colour_background.clone(),
            terms: branding.terms.clone(),
            privacy: branding.privacy.clone(),
            remove_logo: None,
            logo: None,
        }
    }
}

/// A branding version as JSON, for the pages and the audit log: the texts by length only.
pub(crate) fn branding_json(branding: &SiteBranding) -> serde_json::Value {
    serde_json::json!({
        "version": branding.version, "display_name": branding.display_name,
        "colour_primary": branding.colour_primary,
        "colour_background": branding.colour_background,
        "terms_chars": branding.terms.chars().count(),
        "privacy_chars": branding.privacy.chars().count(),
        "logo_type": branding.logo_mime, "created_at": branding.created_at,
    })
}

/// An edit as JSON, for the audit log.
fn update_json(update: &BrandingUpdate) -> serde_json::Value {
    let logo = match &update.logo {
        LogoChange::Keep => "kept".to_owned(),
        LogoChange::Remove => "removed".to_owned(),
        LogoChange::Replace { mime, bytes } => format!("{mime}, {} bytes", bytes.len()),
    };
    serde_json::json!({
        "display_name": update.display_name, "colour_primary": update.colour_primary,
        "colour_background": update.colour_background,
        "terms_chars": update.terms.chars().count(),
        "privacy_chars": update.privacy.chars().count(), "logo": logo,
    })
}

/// Publishes `form` as the next branding version of `site`, as `me`, with its audit
/// entry in the same transaction.
///
/// # Errors
///
/// The problems the store finds, by field: a colour not written `#rrggbb`, too little
/// contrast, an empty or over-long text, a logo of another type or over 64 KiB;
/// [`Error::StoreFailed`] with `NotFound` for an unknown site.
pub(crate) async fn publish_branding(
    state: &AppState,
    me: &User,
    site: SiteId,
    form: &BrandingForm,
) -> Outcome<SiteBranding> {
    let current = state.store.current_branding(site).await?;
    let mut errors = FieldErrors::new();
    // The store checks lengths and formats; characters no text may hold are caught here.
    let texts = [
        ("display_name", &form.display_name, false),
        ("terms", &form.terms, true),
        ("privacy", &form.privacy, true),
    ];
    for (field, text, multiline) in texts {
        let line_break = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
        if text.chars().any(|c| c.is_control() && !line_break(c)) {
            errors.insert(field, "Use only printable characters.".into());
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let logo = match (&form.logo, form.remove_logo.is_some()) {
        (Some(_), true) => {
            let text = "Either choose a new logo or remove the logo, not both.".to_owned();
            return Ok(Err(FieldErrors::from([("logo", text)])));
        }
        (Some((mime, bytes)), false) => LogoChange::Replace {
            mime: mime.clone(),
            bytes: bytes.clone(),
        },
        (None, true) => LogoChange::Remove,
        (None, false) => LogoChange::Keep,
    };
    let update = BrandingUpdate {
        display_name: form.display_name.clone(),
        colour_primary: form.colour_primary.clone(),
        colour_background: form.colour_background.clone(),
        terms: form.terms.clone(),
        privacy: form.privacy.clone(),
        logo,
    };

    let (before, after) = (branding_json(&current), update_json(&update));
    let entry = change_entry(
        me,
        "branding.publish",
        "wifi_site",
        site.to_string(),
        Some(before),
        Some(after),
    );
    let by = Some(me.id);
    match state
        .store
        .publish_branding_audited(site, &update, by, &entry)
        .await
    {
        Ok(published) => Ok(Ok(published)),
        Err(err) => fields_of_store_error(err, &STORE_FIELDS).map(Err),
    }
}

/// Reads the multipart branding form; fields it does not know are skipped.
async fn read_form(mut multipart: Multipart) -> Result<BrandingForm, Error> {
    let unreadable = |_| Error::Invalid("the form could not be read; send it again".into());
    let mut form = BrandingForm::default();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "logo" {
            let mime = field.content_type().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(unreadable)?;
            // A file input left empty still sends a part, with no bytes.
            if !bytes.is_empty() {
                form.logo = Some((mime, bytes.to_vec()));
            }
            continue;
        }
        let text = field.text().await.map_err(unreadable)?;
        match name.as_str() {
            "display_name" => form.display_name = text,
            "colour_primary" => form.colour_primary = text,
            "colour_background" => form.colour_background = text,
            "terms" => form.terms = text,
            "privacy" => form.privacy = text,
            "remove_logo" => form.remove_logo = Some(text),
            _ => {}
        }
    }
    Ok(form)
}

/// The branding page of `site`: the form (as typed, or the current version) and every
/// published version.
async fn show_page(
    state: &AppState,
    me: &SignedIn,
    site: SiteId,
    (form, errors): (Option<BrandingForm>, FieldErrors),
    status: StatusCode,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(site).await?;
    let current = state.store.current_branding(site.id).await?;
    let history: Vec<_> = state
        .store
        .branding_history(site.id)
        .await?
        .iter()
        .map(branding_json)
        .collect();
    let form = form.unwrap_or_else(|| BrandingForm::from(&current));
    let ctx = context! {
        site => site_json(&site), current => branding_json(&current), history, form, errors,
        max_text_chars => commons_store::MAX_TEXT_CHARS,
    };
    me.page_with(state, status, "admin_wifi_branding.html", ctx)
}

async fn branding_show(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
) -> Result<Response, Error> {
    show_page(
        &state,
        &me,
        site,
        (None, FieldErrors::new()),
        StatusCode::OK,
    )
    .await
}

async fn branding_publish(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
    multipart: Multipart,
) -> Result<Response, Error> {
    let form = read_form(multipart).await?;
    match publish_branding(&state, &me.user, site, &form).await? {
        Ok(published) => {
            let text = format!("Branding version {} published.", published.version);
            Ok(me.redirect_with(&format!("{}/branding", site_path(site)), text))
        }
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            show_page(&state, &me, site, (Some(form), errors), status).await
        }
    }
}

async fn branding_logo(
    State(state): State<AppState>,
    CouncilAdmin(_): CouncilAdmin,
    Path((site, version)): Path<(SiteId, i64)>,
) -> Result<Response, Error> {
    let (mime, bytes) = state
        .store
        .branding_logo(site, version)
        .await?
        .ok_or(commons_store::Error::NotFound { what: "logo" })?;
    // Only the types the store accepts are served, so the header is always an image type.
    let content_type = HeaderValue::from_str(&mime)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}
