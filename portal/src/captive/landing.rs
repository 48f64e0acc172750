//! A site's landing page: where the access point sends a person, with its parameters.
//! It shows one form per way of signing up, or sends a remembered device straight on.

use std::{net::IpAddr, time::Duration};

use axum::{
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, StatusCode, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use commons_store::now;
use minijinja::context;

use super::{
    cache::SiteView,
    duration_text,
    fields::{Fields, Typed},
    handoff::{self, Access},
    pages::{self, FormPage},
    refusal::{Reason, Refusal},
    vendor::{AccessPoint, HandOffError},
};
use crate::{AppState, Error, client_ip::ClientIp};

/// Someone arriving at a landing page: where from, and what the access point sent along.
pub(super) struct Arrival {
    path: String,
    query: Option<String>,
    ip: IpAddr,
    headers: HeaderMap,
}

impl FromRequestParts<AppState> for Arrival {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state).await?;
        Ok(Self {
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            ip,
            headers: parts.headers.clone(),
        })
    }
}

/// `GET /wifi/{site}`.
pub(super) async fn show(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    arrival: Arrival,
) -> Result<Response, Error> {
    let view = pages::site(&state, &slug).await?;
    arrive(&state, view.as_deref(), &arrival).await
}

/// `GET /guest/s/{unifi_site}/`: the path a UniFi controller sends guests to, with the
/// controller's own name for the site.
pub(super) async fn show_unifi(
    State(state): State<AppState>,
    Path(unifi_site): Path<String>,
    arrival: Arrival,
) -> Result<Response, Error> {
    let sites = &state.captive.sites;
    let view = sites.by_unifi(&state.store, &unifi_site).await?;
    arrive(&state, view.as_deref(), &arrival).await
}

async fn arrive(
    state: &AppState,
    view: Option<&SiteView>,
    arrival: &Arrival,
) -> Result<Response, Error> {
    let Some(view) = view else {
        return Ok(pages::no_such_site(state));
    };
    let (query, headers, ip) = (arrival.query.as_deref(), &arrival.headers, arrival.ip);
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let ap = match AccessPoint::from_query(&params) {
        Ok(ap) => ap,
        Err(err) => return bad_parameters(state, view, headers, &err),
    };
    let Some(ap) = ap else {
        return render(state, view, None, headers, None, &Typed::default());
    };

    // CoovaChilli signs the whole address it sent the person to, as configured on it.
    let landing_url = format!(
        "{}?{}",
        state.link(arrival.path.trim_start_matches('/'))?,
        query.unwrap_or("")
    );
    if let Err(err) = ap.verify_landing(&landing_url, &handoff::secrets(view)) {
        return bad_parameters(state, view, headers, &err);
    }
    if ap.already_online() {
        return Ok(Redirect::to(&format!("/wifi/{}/online", view.site.slug)).into_response());
    }
    if let Some(response) = returning(state, view, &ap, ip, headers).await? {
        return Ok(response);
    }
    render(state, view, Some(&ap), headers, None, &Typed::default())
}

/// The landing page again, without the access point, saying its parameters were unusable.
fn bad_parameters(
    state: &AppState,
    view: &SiteView,
    headers: &HeaderMap,
    err: &HandOffError,
) -> Result<Response, Error> {
    tracing::warn!(site = %view.site.slug, error = %err, "unusable access point parameters");
    let refusal = Refusal::new(
        Reason::BadParameters,
        StatusCode::BAD_REQUEST,
        format!(
            "The Wi-Fi sent this page details it cannot use: {err}. Disconnect from the Wi-Fi \
             and connect again. You can also sign up below and type the user name and password \
             you get into the Wi-Fi's own sign-in page."
        ),
    );
    render(
        state,
        view,
        None,
        headers,
        Some(&refusal),
        &Typed::default(),
    )
}

/// Sends a device the site remembers straight on with a fresh credential. `None` when the
/// device is not remembered, or has been sent on too often lately (then it signs up as
/// anyone else does).
async fn returning(
    state: &AppState,
    view: &SiteView,
    ap: &AccessPoint,
    ip: IpAddr,
    headers: &HeaderMap,
) -> Result<Option<Response>, Error> {
    let Some(mac) = ap.device().filter(|_| view.remembers()) else {
        return Ok(None);
    };
    let Some(device) = state.store.remembered_device(view.site.id, mac).await? else {
        return Ok(None);
    };
    if state.captive.limits.sign_up(Some(mac), ip).is_err() {
        return Ok(None);
    }

    let secs = view
        .site
        .session_timeout_secs
        .min(device.expires_at - now())
        .max(1);
    let ttl = Duration::from_secs(secs.unsigned_abs());
    let credential = state
        .store
        .issue_guest_credential(view.site.id, mac, ttl)
        .await?;
    metrics::counter!("captive_returning_devices_total", "site" => view.site.slug.clone())
        .increment(1);
    let access = Access {
        username: credential.username,
        password: credential.password,
        session_secs: secs,
        bound: true,
        bytes: None,
    };
    handoff::respond(state, view, Some(ap), headers, &access)
        .await
        .map(Some)
}

/// Renders the landing page for `ap`, with `refusal` at the top when a form was refused
/// and what the person typed kept.
///
/// # Errors
///
/// [`Error::RenderFailed`] when the template fails.
pub(super) fn render(
    state: &AppState,
    view: &SiteView,
    ap: Option<&AccessPoint>,
    headers: &HeaderMap,
    refusal: Option<&Refusal>,
    typed: &Typed,
) -> Result<Response, Error> {
    let remember_days = (view.remembers() && ap.and_then(AccessPoint::device).is_some())
        .then_some(view.settings.remember_days);
    let modes: Vec<&str> = view.modes.iter().map(|mode| mode.as_str()).collect();
    let ctx = context! {
        modes,
        remember_days,
        terms_time => duration_text(view.settings.terms_session_secs),
        typed,
    };
    let page = FormPage {
        view,
        ap,
        headers,
        refusal,
    };
    page.render(state, "captive_landing.html", ctx)
}

/// The landing page for a form refused before its handler ran (a forged or stale form),
/// with what was typed kept; nothing is written.
pub(super) async fn refused_before_handler(
    state: &AppState,
    parts: &Parts,
    body: &[u8],
    refusal: Refusal,
) -> Response {
    let path = parts.uri.path();
    let slug = path
        .strip_prefix("/wifi/")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("");
    let view = match pages::site(state, slug).await {
        Ok(Some(view)) => view,
        Ok(None) => {
            refusal.count();
            return match refusal.reason {
                Reason::Forged => Error::CsrfRejected.into_response(),
                _ => refusal.status.into_response(),
            };
        }
        Err(err) => return err.into_response(),
    };
    let fields = Fields::parse(body);
    let ap = AccessPoint::from_form(&fields.0).ok().flatten();
    let form = path.rsplit('/').next().unwrap_or("");
    let typed = Typed::from_fields(&fields, form);
    render(
        state,
        &view,
        ap.as_ref(),
        &parts.headers,
        Some(&refusal),
        &typed,
    )
    .unwrap_or_else(IntoResponse::into_response)
}
