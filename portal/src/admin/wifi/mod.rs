//! Council administration of community Wi-Fi: sites with their captive-portal settings
//! and branding, their NAS clients, vouchers, guests and remembered devices. Every change
//! writes its audit entry, secrets removed, in the same transaction.

pub(crate) mod branding;
pub(crate) mod captive;
pub(crate) mod nas;
pub(crate) mod people;
pub(crate) mod sites;
pub(crate) mod vouchers;

use axum::{
    Router,
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use commons_store::{SiteId, User, WifiSite};

use crate::{
    AppState, Error,
    audit::{self, Change},
    error::capitalise,
    forms::FieldErrors,
};

/// What a change shared by a page and the API comes to: done, refused with the problems
/// of its fields (which the page shows next to them and the API answers 422 with), or
/// failed.
pub(crate) type Outcome<T> = Result<Result<T, FieldErrors>, Error>;

/// A change a page asked for that was not made: the problems to show next to the fields
/// and the status to answer with.
type Refusal = (FieldErrors, StatusCode);

/// How a page answers an [`Outcome`]: the field problems with 422, a clash with an
/// existing object (`AlreadyExists`) as the problems `taken` gives with 409; any other
/// error stays an error.
fn refused<T>(
    outcome: Outcome<T>,
    taken: fn() -> FieldErrors,
) -> Result<Result<T, Refusal>, Error> {
    match outcome {
        Ok(Ok(done)) => Ok(Ok(done)),
        Ok(Err(errors)) => Ok(Err((errors, StatusCode::UNPROCESSABLE_ENTITY))),
        Err(Error::StoreFailed(commons_store::Error::AlreadyExists { .. })) => {
            Ok(Err((taken(), StatusCode::CONFLICT)))
        }
        Err(err) => Err(err),
    }
}

/// The routes of the Wi-Fi administration.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(sites::router())
        .merge(captive::router())
        .merge(branding::router())
        .merge(nas::router())
        .merge(vouchers::router())
        .merge(people::router())
}

/// The audit entry of a change to `object_type` `object_id` at `site`.
fn change_entry(
    me: &User,
    action: &'static str,
    object_type: &'static str,
    object_id: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> commons_store::NewAuditEntry {
    let change = Change {
        action,
        object_type,
        object_id,
        org_id: None,
        before,
        after,
    };
    audit::entry(me, change)
}

/// A site as JSON, for the pages and the audit log.
fn site_json(site: &WifiSite) -> serde_json::Value {
    serde_json::json!({
        "id": site.id.0, "slug": site.slug, "name": site.name,
        "signup_modes": site.signup_modes,
        "session_timeout_secs": site.session_timeout_secs,
        "idle_timeout_secs": site.idle_timeout_secs,
        "interim_interval_secs": site.interim_interval_secs,
        "down_kbps": site.down_kbps, "up_kbps": site.up_kbps,
        "retention_days": site.retention_days,
    })
}

/// The page of site `id`, the base of its sub-pages.
fn site_path(id: SiteId) -> String {
    format!("/admin/wifi/{id}")
}

/// Marks a page that may carry a secret or password so that no cache keeps it.
fn no_store(mut page: Response) -> Response {
    page.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    page
}

/// The problems of a form that the store found: an [`commons_store::Error::Invalid`]
/// naming one of `fields` (the store's name, then the form's) becomes the message next to
/// that field; any other error stays an error.
fn fields_of_store_error(
    err: commons_store::Error,
    fields: &[(&str, &'static str)],
) -> Result<FieldErrors, Error> {
    if let commons_store::Error::Invalid { what, .. } = &err
        && let Some((_, field)) = fields.iter().find(|(name, _)| name == what)
    {
        return Ok(FieldErrors::from([(*field, capitalise(&err.to_string()))]));
    }
    Err(err.into())
}
