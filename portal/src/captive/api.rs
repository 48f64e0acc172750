//! What devices ask without a person: the Captive Portal API of RFC 8908 and the
//! connectivity probes of Android and Apple devices.

use axum::{
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use serde::Serialize;

use super::pages;
use crate::{AppState, Error, client_ip::ClientIp};

/// The media type of the API's answers (RFC 8908 section 5).
const CAPTIVE_JSON: &str = "application/captive+json";

/// The body Apple's devices expect from their probe when the network lets them out.
const APPLE_SUCCESS: &str = "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>";

/// The API's JSON object (RFC 8908 section 5); absent keys are left out.
#[derive(Debug, Serialize)]
struct CaptiveState {
    captive: bool,
    #[serde(rename = "user-portal-url")]
    user_portal_url: String,
    #[serde(rename = "venue-info-url")]
    venue_info_url: String,
    #[serde(rename = "seconds-remaining", skip_serializing_if = "Option::is_none")]
    seconds_remaining: Option<i64>,
    #[serde(rename = "bytes-remaining", skip_serializing_if = "Option::is_none")]
    bytes_remaining: Option<i64>,
    #[serde(rename = "can-extend-session", skip_serializing_if = "Option::is_none")]
    can_extend_session: Option<bool>,
}

/// `GET /wifi/{site}/api`: whether the asking device is still captive at this site,
/// judged by an open accounting session from its address, and how long it has left.
pub(super) async fn captive_json(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
) -> Result<Response, Error> {
    let Some(view) = pages::site(&state, &slug).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let session = state.store.active_session_by_ip(view.site.id, ip).await?;
    let body = CaptiveState {
        captive: session.is_none(),
        user_portal_url: state.link(&format!("wifi/{slug}"))?.into(),
        venue_info_url: state.link(&format!("wifi/{slug}/about"))?.into(),
        seconds_remaining: session
            .as_ref()
            .and_then(|s| s.seconds_remaining)
            .map(|secs| secs.max(0)),
        bytes_remaining: session
            .as_ref()
            .and_then(|s| s.bytes_remaining)
            .map(|bytes| bytes.max(0)),
        // Signing up again on the portal starts a new session once this one ends.
        can_extend_session: session.as_ref().map(|_| !view.modes.is_empty()),
    };
    let json = serde_json::to_vec(&body)?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(CAPTIVE_JSON)),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        ),
    ];
    Ok((headers, json).into_response())
}

/// `GET /generate_204`: Android's probe; 204 means "not captive".
pub(super) async fn generate_204() -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::CACHE_CONTROL, "no-store")],
    )
        .into_response()
}

/// `GET /hotspot-detect.html`: Apple's probe; the Success page means "not captive".
pub(super) async fn hotspot_detect() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(APPLE_SUCCESS)).into_response()
}
