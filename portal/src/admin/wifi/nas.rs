//! NAS clients of a site: listed without their secrets, added with a generated secret
//! shown once, edited, given a new secret (shown once), deleted.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{
    Cidr, NasClient, NasId, NasSettings, NewNasClient, SharedSecret, SiteId, User,
};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Outcome, change_entry, no_store, refused, site_json, site_path};
use crate::{
    AppState, Error,
    forms::FieldErrors,
    page::{CouncilAdmin, SignedIn},
};

/// The NAS makes whose reply attributes the RADIUS server knows.
// Limitation: this repeats the RADIUS crate's vendor list, because the portal does not
// depend on the RADIUS server crate; a vendor added there must be added here too.
pub(crate) const VENDORS: [&str; 8] = [
    "generic",
    "wispr",
    "coovachilli",
    "mikrotik",
    "ubiquiti",
    "meraki",
    "aruba",
    "ruckus",
];

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/wifi/{site}/nas", get(nas_list).post(nas_create))
        .route(
            "/admin/wifi/{site}/nas/{nas}",
            get(nas_show).post(nas_update),
        )
        .route("/admin/wifi/{site}/nas/{nas}/secret", post(nas_new_secret))
        .route("/admin/wifi/{site}/nas/{nas}/delete", post(nas_delete))
}

/// The fields of the NAS form, as typed; the same for a new client and an edit.
#[derive(Clone, Deserialize, Serialize)]
pub(crate) struct NasForm {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) address: String,
    #[serde(default)]
    pub(crate) vendor: String,
    /// Ticked for a device that cannot send Message-Authenticator.
    pub(crate) legacy: Option<String>,
}

impl Default for NasForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            address: String::new(),
            vendor: "generic".into(),
            legacy: None,
        }
    }
}

impl From<&NasClient> for NasForm {
    fn from(nas: &NasClient) -> Self {
        Self {
            name: nas.name.clone(),
            address: nas.address.to_string(),
            vendor: nas.vendor.clone(),
            legacy: (!nas.require_message_authenticator).then(|| "on".into()),
        }
    }
}

/// A NAS client as JSON, for the pages and the audit log: never its secret.
pub(crate) fn nas_json(nas: &NasClient) -> serde_json::Value {
    serde_json::json!({
        "id": nas.id.0, "site_id": nas.site_id.0, "name": nas.name,
        "address": nas.address.to_string(), "vendor": nas.vendor,
        "require_message_authenticator": nas.require_message_authenticator,
    })
}

/// Settings as JSON, for the audit log.
fn settings_json(site: SiteId, settings: &NasSettings) -> serde_json::Value {
    serde_json::json!({
        "site_id": site.0, "name": settings.name, "address": settings.address.to_string(),
        "vendor": settings.vendor,
        "require_message_authenticator": settings.require_message_authenticator,
    })
}

fn validate(form: &NasForm) -> Result<NasSettings, FieldErrors> {
    let mut errors = FieldErrors::new();
    if form.name.chars().count() > 100 || form.name.chars().any(char::is_control) {
        errors.insert(
            "name",
            "Use at most 100 printable characters for the name.".into(),
        );
    }
    let address = form.address.trim().parse::<Cidr>().map_err(|_| {
        errors.insert(
            "address",
            "Enter an IP address like 192.0.2.10 or a network like 192.0.2.0/24.".into(),
        );
    });
    if !VENDORS.contains(&form.vendor.as_str()) {
        errors.insert(
            "vendor",
            "Choose the make of the access point or controller.".into(),
        );
    }
    match address {
        Ok(address) if errors.is_empty() => Ok(NasSettings {
            name: form.name.trim().to_owned(),
            address,
            vendor: form.vendor.clone(),
            require_message_authenticator: form.legacy.is_none(),
        }),
        _ => Err(errors),
    }
}

/// The problem of a form whose address another client has.
fn address_taken() -> FieldErrors {
    FieldErrors::from([("address", "Another NAS client has this address.".to_owned())])
}

/// Registers a NAS client at `site` from `form` as `me`, with a generated secret and its
/// audit entry (without the secret) in the same transaction.
///
/// # Errors
///
/// The form's problems by field; [`Error::StoreFailed`] with `NotFound` for an unknown
/// site and `AlreadyExists` when another client has the address.
pub(crate) async fn create_nas(
    state: &AppState,
    me: &User,
    site: SiteId,
    form: &NasForm,
) -> Outcome<NasClient> {
    state.store.wifi_site(site).await?;
    let settings = match validate(form) {
        Ok(settings) => settings,
        Err(errors) => return Ok(Err(errors)),
    };

    let after = settings_json(site, &settings);
    let id = settings.address.to_string();
    let entry = change_entry(me, "nas.create", "nas_client", id, None, Some(after));
    let new = NewNasClient {
        site_id: site,
        name: settings.name,
        address: settings.address,
        secret: SharedSecret::generate(),
        vendor: settings.vendor,
        require_message_authenticator: settings.require_message_authenticator,
    };
    let nas = state.store.create_nas_client_audited(&new, &entry).await?;
    tracing::info!(site = %site, nas = %nas.id, "NAS client created");
    Ok(Ok(nas))
}

/// Changes NAS client `id` of `site` to `form` as `me`; its secret stays.
///
/// # Errors
///
/// As [`create_nas`], and `NotFound` when the site has no such client.
pub(crate) async fn update_nas(
    state: &AppState,
    me: &User,
    site: SiteId,
    id: NasId,
    form: &NasForm,
) -> Outcome<NasClient> {
    let before = state.store.site_nas_client(site, id).await?;
    let settings = match validate(form) {
        Ok(settings) => settings,
        Err(errors) => return Ok(Err(errors)),
    };

    let (before, after) = (nas_json(&before), settings_json(site, &settings));
    let entry = change_entry(
        me,
        "nas.update",
        "nas_client",
        id.to_string(),
        Some(before),
        Some(after),
    );
    let nas = state
        .store
        .update_site_nas_client(site, id, &settings, &entry)
        .await?;
    tracing::info!(site = %site, nas = %nas.id, "NAS client changed");
    Ok(Ok(nas))
}

/// Gives NAS client `id` of `site` a new generated secret as `me`, and returns the client
/// with it; the audit entry records that it changed, never the secret.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `NotFound` when the site has no such client.
pub(crate) async fn renew_nas_secret(
    state: &AppState,
    me: &User,
    site: SiteId,
    id: NasId,
) -> Result<NasClient, Error> {
    let before = state.store.site_nas_client(site, id).await?;
    let after = serde_json::json!({ "secret": "replaced" });
    let entry = change_entry(
        me,
        "nas.secret",
        "nas_client",
        id.to_string(),
        Some(nas_json(&before)),
        Some(after),
    );
    let secret = SharedSecret::generate();
    let nas = state
        .store
        .set_site_nas_secret(site, id, &secret, &entry)
        .await?;
    tracing::info!(site = %site, nas = %nas.id, "NAS client secret replaced");
    Ok(nas)
}

/// Removes NAS client `id` of `site` as `me` and returns what it was.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `NotFound` when the site has no such client.
pub(crate) async fn delete_nas(
    state: &AppState,
    me: &User,
    site: SiteId,
    id: NasId,
) -> Result<NasClient, Error> {
    let nas = state.store.site_nas_client(site, id).await?;
    let before = Some(nas_json(&nas));
    let entry = change_entry(me, "nas.delete", "nas_client", id.to_string(), before, None);
    state.store.delete_site_nas_client(site, id, &entry).await?;
    Ok(nas)
}

/// The NAS page of `site`; `created` is a client just made, whose secret is shown this
/// once.
async fn list_page(
    state: &AppState,
    me: &SignedIn,
    site: SiteId,
    (form, errors): (NasForm, FieldErrors),
    created: Option<&NasClient>,
    status: StatusCode,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(site).await?;
    let clients: Vec<_> = state
        .store
        .site_nas_clients(site.id)
        .await?
        .iter()
        .map(nas_json)
        .collect();
    let created =
        created.map(|nas| context! { nas => nas_json(nas), secret => nas.secret.expose() });
    let ctx = context! {
        site => site_json(&site), clients, created, form, errors, vendors => VENDORS,
    };
    Ok(no_store(me.page_with(
        state,
        status,
        "admin_wifi_nas.html",
        ctx,
    )?))
}

async fn nas_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
) -> Result<Response, Error> {
    let form = (NasForm::default(), FieldErrors::new());
    list_page(&state, &me, site, form, None, StatusCode::OK).await
}

async fn nas_create(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
    Form(form): Form<NasForm>,
) -> Result<Response, Error> {
    match refused(
        create_nas(&state, &me.user, site, &form).await,
        address_taken,
    )? {
        Ok(nas) => {
            // Shown on this response only; the list never shows secrets again.
            let form = (NasForm::default(), FieldErrors::new());
            list_page(&state, &me, site, form, Some(&nas), StatusCode::CREATED).await
        }
        Err((errors, status)) => list_page(&state, &me, site, (form, errors), None, status).await,
    }
}

/// The edit page of NAS client `id`; `secret` is a new secret shown this once.
async fn edit_page(
    state: &AppState,
    me: &SignedIn,
    (site, id): (SiteId, NasId),
    (form, errors): (Option<NasForm>, FieldErrors),
    secret: Option<&SharedSecret>,
    status: StatusCode,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(site).await?;
    let nas = state.store.site_nas_client(site.id, id).await?;
    let form = form.unwrap_or_else(|| NasForm::from(&nas));
    let ctx = context! {
        site => site_json(&site), nas => nas_json(&nas), form, errors, vendors => VENDORS,
        secret => secret.map(SharedSecret::expose),
    };
    Ok(no_store(me.page_with(
        state,
        status,
        "admin_wifi_nas_edit.html",
        ctx,
    )?))
}

async fn nas_show(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(ids): Path<(SiteId, NasId)>,
) -> Result<Response, Error> {
    let form = (None, FieldErrors::new());
    edit_page(&state, &me, ids, form, None, StatusCode::OK).await
}

async fn nas_update(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, NasId)>,
    Form(form): Form<NasForm>,
) -> Result<Response, Error> {
    let outcome = update_nas(&state, &me.user, site, id, &form).await;
    let (errors, status) = match refused(outcome, address_taken)? {
        Ok(nas) => {
            let path = format!("{}/nas", site_path(site));
            return Ok(me.redirect_with(&path, format!("NAS client {} saved.", nas.name)));
        }
        Err(refusal) => refusal,
    };
    let form = (Some(form), errors);
    edit_page(&state, &me, (site, id), form, None, status).await
}

async fn nas_new_secret(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, NasId)>,
) -> Result<Response, Error> {
    let nas = renew_nas_secret(&state, &me.user, site, id).await?;
    // Shown on this response only, like the secret of a new client.
    let form = (None, FieldErrors::new());
    edit_page(
        &state,
        &me,
        (site, id),
        form,
        Some(&nas.secret),
        StatusCode::OK,
    )
    .await
}

async fn nas_delete(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, NasId)>,
) -> Result<Response, Error> {
    let nas = delete_nas(&state, &me.user, site, id).await?;
    Ok(me.redirect_with(
        &format!("{}/nas", site_path(site)),
        format!("NAS client {} removed.", nas.name),
    ))
}
