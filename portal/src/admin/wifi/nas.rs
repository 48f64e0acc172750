//! NAS clients of a site: listed without their secrets, added with a generated secret
//! shown once, deleted.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::Response,
    routing::{get, post},
};
use commons_store::{Cidr, NasClient, NasId, NewNasClient, SharedSecret, SiteId};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{change_entry, site_json, site_path};
use crate::{
    AppState, Error,
    forms::FieldErrors,
    page::{CouncilAdmin, SignedIn},
};

/// The NAS makes whose reply attributes the RADIUS server knows.
// Limitation: this repeats the RADIUS crate's vendor list, because the portal does not
// depend on the RADIUS server crate; a vendor added there must be added here too.
const VENDORS: [&str; 8] = [
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
        .route("/admin/wifi/{site}/nas/{nas}/delete", post(nas_delete))
}

/// The fields of the NAS form, as typed.
#[derive(Clone, Default, Deserialize, Serialize)]
struct NasForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    vendor: String,
    legacy: Option<String>,
}

/// A NAS client as JSON, for the pages and the audit log: never its secret.
fn nas_json(nas: &NasClient) -> serde_json::Value {
    serde_json::json!({
        "id": nas.id.0, "site_id": nas.site_id.0, "name": nas.name,
        "address": nas.address.to_string(), "vendor": nas.vendor,
        "require_message_authenticator": nas.require_message_authenticator,
    })
}

fn validate(site: SiteId, form: &NasForm) -> Result<NewNasClient, FieldErrors> {
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
        Ok(address) if errors.is_empty() => Ok(NewNasClient {
            site_id: site,
            name: form.name.trim().to_owned(),
            address,
            secret: SharedSecret::generate(),
            vendor: form.vendor.clone(),
            require_message_authenticator: form.legacy.is_none(),
        }),
        _ => Err(errors),
    }
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
    let mut page = me.page_with(state, status, "admin_wifi_nas.html", ctx)?;
    // The page may carry a secret: no cache may keep it.
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(page)
}

async fn nas_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
) -> Result<Response, Error> {
    let form = NasForm {
        vendor: "generic".into(),
        ..NasForm::default()
    };
    list_page(
        &state,
        &me,
        site,
        (form, FieldErrors::new()),
        None,
        StatusCode::OK,
    )
    .await
}

async fn nas_create(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
    Form(form): Form<NasForm>,
) -> Result<Response, Error> {
    state.store.wifi_site(site).await?;
    let new = match validate(site, &form) {
        Ok(new) => new,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return list_page(&state, &me, site, (form, errors), None, status).await;
        }
    };

    let after = serde_json::json!({
        "site_id": site.0, "name": new.name, "address": new.address.to_string(),
        "vendor": new.vendor, "require_message_authenticator": new.require_message_authenticator,
    });
    let entry = change_entry(
        &me.user,
        "nas.create",
        "nas_client",
        new.address.to_string(),
        None,
        Some(after),
    );
    let nas = match state.store.create_nas_client_audited(&new, &entry).await {
        Err(commons_store::Error::AlreadyExists { .. }) => {
            let errors =
                FieldErrors::from([("address", "Another NAS client has this address.".to_owned())]);
            return list_page(
                &state,
                &me,
                site,
                (form, errors),
                None,
                StatusCode::CONFLICT,
            )
            .await;
        }
        other => other?,
    };
    tracing::info!(site = %site, nas = %nas.id, "NAS client created");

    // Shown on this response only; the list never shows secrets again.
    let form = NasForm {
        vendor: "generic".into(),
        ..NasForm::default()
    };
    list_page(
        &state,
        &me,
        site,
        (form, FieldErrors::new()),
        Some(&nas),
        StatusCode::CREATED,
    )
    .await
}

async fn nas_delete(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, NasId)>,
) -> Result<Response, Error> {
    let clients = state.store.site_nas_clients(site).await?;
    let nas = clients
        .iter()
        .find(|nas| nas.id == id)
        .ok_or(commons_store::Error::NotFound { what: "NAS client" })?;

    let entry = change_entry(
        &me.user,
        "nas.delete",
        "nas_client",
        id.to_string(),
        Some(nas_json(nas)),
        None,
    );
    state.store.delete_site_nas_client(site, id, &entry).await?;
    Ok(me.redirect_with(
        &format!("{}/nas", site_path(site)),
        format!("NAS client {} removed.", nas.name),
    ))
}
