//! Guests and remembered devices of a site: listed with as little personal data as the
//! work needs, guests added (the password shown once) and removed, and devices blocked,
//! unblocked or forgotten.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{Device, GuestAccount, MacAddress, NewGuest, SiteId, User};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Outcome, change_entry, no_store, refused, site_json, site_path};
use crate::{
    AppState, Error,
    forms::{self, FieldErrors},
    page::{CouncilAdmin, SignedIn},
};

/// Longest a guest account added by hand may last: a year, in hours.
const MAX_HOURS: i64 = 8760;

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/wifi/{site}/people", get(people_list))
        .route("/admin/wifi/{site}/guests", post(guests_create))
        .route("/admin/wifi/{site}/guests/{id}/delete", post(guests_delete))
        .route("/admin/wifi/{site}/devices/{id}/block", post(devices_block))
        .route(
            "/admin/wifi/{site}/devices/{id}/delete",
            post(devices_delete),
        )
}

/// Whether to block (`true`) or unblock a device.
#[derive(Deserialize)]
struct BlockForm {
    blocked: bool,
}

/// The fields of the guest form, as typed. An empty password is generated, an empty
/// expiry never comes, an empty device means any device.
#[derive(Clone, Default, Deserialize, Serialize)]
pub(crate) struct GuestForm {
    #[serde(default)]
    pub(crate) username: String,
    #[serde(default, skip_serializing)]
    pub(crate) password: String,
    #[serde(default)]
    pub(crate) expires_hours: String,
    #[serde(default)]
    pub(crate) mac: String,
}

/// A guest account as the pages, the API and the audit log show it: never its password.
pub(crate) fn guest_json(guest: &GuestAccount) -> serde_json::Value {
    serde_json::json!({
        "id": guest.id, "site_id": guest.site_id.0, "username": guest.username,
        "mac": guest.mac, "expires_at": guest.expires_at,
    })
}

/// A remembered device as the pages, the API and the audit log show it.
pub(crate) fn device_json(device: &Device) -> serde_json::Value {
    serde_json::json!({
        "id": device.id, "site_id": device.site_id.0, "mac": device.mac,
        "blocked": device.blocked, "expires_at": device.expires_at,
    })
}

fn validate(form: &GuestForm) -> Result<NewGuest, FieldErrors> {
    let mut errors = FieldErrors::new();
    forms::text(&mut errors, "username", &form.username, "a user name", 64);
    if !errors.contains_key("username") && form.username.trim().contains(char::is_whitespace) {
        errors.insert("username", "Use a user name without spaces.".into());
    }
    let chars = form.password.chars().count();
    // RFC 2865 section 5.2: User-Password carries at most 128 octets.
    let unusable = chars < 8 || form.password.len() > 128;
    if !form.password.is_empty() && (unusable || form.password.chars().any(char::is_control)) {
        errors.insert(
            "password",
            "Use 8 to 128 printable characters, or leave it empty to have one made.".into(),
        );
    }
    let hours = form.expires_hours.trim();
    let expires_at = match hours.parse::<i64>() {
        _ if hours.is_empty() => None,
        Ok(hours) if (1..=MAX_HOURS).contains(&hours) => {
            Some(commons_store::now().saturating_add(hours * 3600))
        }
        _ => {
            let text = format!("Enter a whole number of hours from 1 to {MAX_HOURS}, or none.");
            errors.insert("expires_hours", text);
            None
        }
    };
    let mac = form.mac.trim();
    let device = MacAddress::parse(mac);
    if !mac.is_empty() && device.is_none() {
        errors.insert(
            "mac",
            "Enter a MAC address like aa:bb:cc:dd:ee:ff, or leave it empty.".into(),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let password = if form.password.is_empty() {
        commons_store::generate_guest_password()
    } else {
        form.password.clone()
    };
    Ok(NewGuest {
        username: form.username.trim().to_owned(),
        password,
        expires_at,
        device,
    })
}

/// Adds a guest account at `site` from `form` as `me`, with its audit entry (without the
/// password) in the same transaction, and returns it with its password.
///
/// # Errors
///
/// The form's problems by field; [`Error::StoreFailed`] with `NotFound` for an unknown
/// site and `AlreadyExists` when the site has the user name.
pub(crate) async fn add_guest(
    state: &AppState,
    me: &User,
    site: SiteId,
    form: &GuestForm,
) -> Outcome<(GuestAccount, String)> {
    state.store.wifi_site(site).await?;
    let new = match validate(form) {
        Ok(new) => new,
        Err(errors) => return Ok(Err(errors)),
    };

    let audit = |guest: &GuestAccount| {
        let (id, after) = (guest.id.to_string(), Some(guest_json(guest)));
        change_entry(me, "guest.create", "guest_account", id, None, after)
    };
    let guest = state.store.add_guest_audited(site, &new, audit).await?;
    Ok(Ok((guest, new.password)))
}

/// Removes guest account `id` of `site` as `me`.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `NotFound` when the site has no such guest account.
pub(crate) async fn delete_guest(
    state: &AppState,
    me: &User,
    site: SiteId,
    id: i64,
) -> Result<(), Error> {
    let guests = state.store.site_guests(site).await?;
    let guest =
        guests
            .iter()
            .find(|guest| guest.id == id)
            .ok_or(commons_store::Error::NotFound {
                what: "guest account",
            })?;
    let before = Some(guest_json(guest));
    let entry = change_entry(
        me,
        "guest.delete",
        "guest_account",
        id.to_string(),
        before,
        None,
    );
    Ok(state.store.delete_site_guest(site, id, &entry).await?)
}

/// Blocks or unblocks device `id` of `site` as `me`, and returns it as it is now.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `NotFound` when the site has no such device.
pub(crate) async fn block_device(
    state: &AppState,
    me: &User,
    site: SiteId,
    id: i64,
    blocked: bool,
) -> Result<Device, Error> {
    let before = state.store.site_device(site, id).await?;
    let after = Device {
        blocked,
        ..before.clone()
    };
    let action = if blocked {
        "device.block"
    } else {
        "device.unblock"
    };
    let (before_json, after_json) = (device_json(&before), device_json(&after));
    let entry = change_entry(
        me,
        action,
        "device",
        id.to_string(),
        Some(before_json),
        Some(after_json),
    );
    state
        .store
        .block_site_device(site, id, blocked, &entry)
        .await?;
    Ok(after)
}

/// Forgets device `id` of `site` as `me`.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `NotFound` when the site has no such device.
pub(crate) async fn forget_device(
    state: &AppState,
    me: &User,
    site: SiteId,
    id: i64,
) -> Result<(), Error> {
    let before = Some(device_json(&state.store.site_device(site, id).await?));
    let entry = change_entry(me, "device.delete", "device", id.to_string(), before, None);
    Ok(state.store.delete_site_device(site, id, &entry).await?)
}

fn username_taken() -> FieldErrors {
    let text = "The site has a guest account with this user name.".to_owned();
    FieldErrors::from([("username", text)])
}

fn people_path(site: SiteId) -> String {
    format!("{}/people", site_path(site))
}

/// The people page of `site`; `created` is a guest just added, with the password shown
/// this once.
async fn list_page(
    state: &AppState,
    me: &SignedIn,
    site: SiteId,
    (form, errors): (GuestForm, FieldErrors),
    created: Option<(&GuestAccount, &str)>,
    status: StatusCode,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(site).await?;
    // User name, device and expiry only: never passwords or email addresses.
    let guests: Vec<_> = state
        .store
        .site_guests(site.id)
        .await?
        .iter()
        .map(guest_json)
        .collect();
    let devices: Vec<_> = state
        .store
        .site_devices(site.id)
        .await?
        .iter()
        .map(device_json)
        .collect();
    let created =
        created.map(|(guest, password)| context! { guest => guest_json(guest), password });
    let ctx = context! { site => site_json(&site), guests, devices, form, errors, created };
    // The page may carry a password.
    Ok(no_store(me.page_with(
        state,
        status,
        "admin_wifi_people.html",
        ctx,
    )?))
}

async fn people_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
) -> Result<Response, Error> {
    let form = (GuestForm::default(), FieldErrors::new());
    list_page(&state, &me, site, form, None, StatusCode::OK).await
}

async fn guests_create(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
    Form(form): Form<GuestForm>,
) -> Result<Response, Error> {
    match refused(
        add_guest(&state, &me.user, site, &form).await,
        username_taken,
    )? {
        Ok((guest, password)) => {
            let created = Some((&guest, password.as_str()));
            let form = (GuestForm::default(), FieldErrors::new());
            list_page(&state, &me, site, form, created, StatusCode::CREATED).await
        }
        Err((errors, status)) => list_page(&state, &me, site, (form, errors), None, status).await,
    }
}

async fn guests_delete(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, i64)>,
) -> Result<Response, Error> {
    delete_guest(&state, &me.user, site, id).await?;
    Ok(me.redirect_with(&people_path(site), "Guest account removed."))
}

async fn devices_block(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, i64)>,
    Form(form): Form<BlockForm>,
) -> Result<Response, Error> {
    block_device(&state, &me.user, site, id, form.blocked).await?;
    let message = if form.blocked {
        "Device blocked."
    } else {
        "Device unblocked."
    };
    Ok(me.redirect_with(&people_path(site), message))
}

async fn devices_delete(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, id)): Path<(SiteId, i64)>,
) -> Result<Response, Error> {
    forget_device(&state, &me.user, site, id).await?;
    Ok(me.redirect_with(&people_path(site), "Device forgotten."))
}
