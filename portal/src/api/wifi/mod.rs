//! Council administration of community Wi-Fi as JSON: sites with their captive-portal
//! settings and branding, NAS clients, vouchers, guests and remembered devices. Every
//! route needs a council administrator's token, runs the same code as the pages and
//! writes the same audit entries.

pub(super) mod captive;
pub(super) mod nas;
pub(super) mod people;
pub(super) mod sites;
pub(super) mod vouchers;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use commons_store::SiteId;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .merge(sites::router())
        .merge(captive::router())
        .merge(nas::router())
        .merge(vouchers::router())
        .merge(people::router())
}

/// The site a route is about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct SitePath {
    /// Site id.
    #[param(value_type = i64)]
    site: SiteId,
}

/// An object of a site: a guest account or a remembered device.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct SiteObjectPath {
    /// Site id.
    #[param(value_type = i64)]
    site: SiteId,
    /// Id of the object at the site.
    id: i64,
}

/// A response that carries a secret or password, which no cache may keep.
fn no_store(response: impl IntoResponse) -> Response {
    let mut response = response.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
