//! Handing a person who has signed up back to the access point: a redirect to its login
//! address, a form they submit to it, an authorisation through the UniFi controller, or,
//! with no access point named, the credential shown to type in.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use minijinja::context;
use serde::Serialize;
use url::Url;

use super::{
    cache::SiteView,
    duration_text,
    fields::Typed,
    landing,
    pages::{self, Extras},
    refusal::{Reason, Refusal},
    unifi::{Controller, Guest},
    vendor::{AccessPoint, Grant, HandOff, SiteSecrets, hand_off},
};
use crate::{AppState, Error};

/// The credential a person was given, and what it allows.
pub(super) struct Access {
    /// The user name for the access point's RADIUS request.
    pub(super) username: String,
    /// The password for it.
    pub(super) password: String,
    /// How long the session may last, in seconds.
    pub(super) session_secs: i64,
    /// Whether it works only for the device that signed up.
    pub(super) bound: bool,
    /// Bytes the person may use, when limited.
    pub(super) bytes: Option<i64>,
}

/// The hand-off settings of a site.
pub(super) fn secrets(view: &SiteView) -> SiteSecrets<'_> {
    SiteSecrets {
        uam_secret: view.settings.uam_secret.as_deref(),
        fas_key: view.settings.fas_key.as_deref(),
        handoff_hosts: &view.settings.handoff_hosts,
    }
}

/// One hidden field of the hand-off form.
#[derive(Serialize)]
struct HiddenField<'a> {
    name: &'a str,
    value: &'a str,
    /// `username` and `password` carry ids, which browser tests and people's password
    /// managers look for.
    id: Option<&'a str>,
}

/// Sends the person on with `access`.
///
/// # Errors
///
/// [`Error::RenderFailed`] when a page fails.
pub(super) async fn respond(
    state: &AppState,
    view: &SiteView,
    ap: Option<&AccessPoint>,
    headers: &HeaderMap,
    access: &Access,
) -> Result<Response, Error> {
    let Some(ap) = ap else {
        return credentials(state, view, access, None);
    };
    let grant = Grant {
        username: &access.username,
        password: &access.password,
        session_secs: access.session_secs,
    };
    let outcome = hand_off(ap, &grant, &secrets(view));
    match outcome {
        Ok(HandOff::Redirect(url)) => Ok(no_store(Redirect::to(url.as_str()).into_response())),
        Ok(HandOff::Post { action, fields }) => {
            let fields: Vec<HiddenField<'_>> = fields
                .iter()
                .map(|(name, value)| HiddenField {
                    name,
                    value,
                    id: matches!(name.as_str(), "username" | "password").then_some(name.as_str()),
                })
                .collect();
            let extras = Extras {
                hands_off: true,
                no_store: true,
                ..Extras::default()
            };
            let ctx = context! { action => action.as_str(), fields };
            pages::respond(
                state,
                view,
                "captive_handoff.html",
                StatusCode::OK,
                ctx,
                extras,
            )
        }
        Ok(HandOff::AuthoriseUnifi {
            mac,
            ap: access_point,
            minutes,
            then,
        }) => {
            let unifi = Unifi {
                mac,
                access_point,
                minutes,
                then,
            };
            authorise_unifi(state, view, ap, headers, access, unifi).await
        }
        Err(err) => {
            tracing::warn!(site = %view.site.slug, error = %err, "hand-off to the access point failed");
            Reason::HandOffFailed.count();
            let notice = format!(
                "We could not send you back to the Wi-Fi by ourselves: {err}. You can still \
                 join by typing the sign-in below into the Wi-Fi's own sign-in page."
            );
            credentials(state, view, access, Some(notice))
        }
    }
}

/// A UniFi authorisation the vendor module asked for.
struct Unifi {
    mac: commons_store::MacAddress,
    access_point: Option<commons_store::MacAddress>,
    minutes: u32,
    then: Option<Url>,
}

async fn authorise_unifi(
    state: &AppState,
    view: &SiteView,
    ap: &AccessPoint,
    headers: &HeaderMap,
    access: &Access,
    unifi: Unifi,
) -> Result<Response, Error> {
    let refused = |message: String| {
        let refusal = Refusal::new(Reason::HandOffFailed, StatusCode::BAD_GATEWAY, message);
        landing::render(
            state,
            view,
            Some(ap),
            headers,
            Some(&refusal),
            &Typed::default(),
        )
    };
    let Some(controller) = &view.settings.unifi else {
        tracing::warn!(site = %view.site.slug, "UniFi hand-off without a controller configured");
        return refused(
            "This Wi-Fi's controller is not set up yet, so we cannot let your device on. \
             Please tell the staff here."
                .to_owned(),
        );
    };
    let controller = Controller {
        url: &controller.url,
        site: &controller.site,
        username: &controller.username,
        password: &controller.password,
    };
    let kbps = |limit: Option<i64>| limit.and_then(|kbps| u32::try_from(kbps).ok());
    let guest = Guest {
        mac: unifi.mac,
        ap: unifi.access_point,
        minutes: unifi.minutes,
        up_kbps: kbps(view.site.up_kbps),
        down_kbps: kbps(view.site.down_kbps),
        // The controller counts data in megabytes; a part of one is rounded up.
        megabytes: access
            .bytes
            .and_then(|bytes| u64::try_from(bytes).ok())
            .map(|bytes| bytes.div_ceil(1_000_000)),
    };
    let authorised = state
        .captive
        .unifi
        .authorise_guest(&controller, &guest)
        .await;
    if let Err(err) = authorised {
        tracing::warn!(site = %view.site.slug, error = %err, "UniFi controller refused the guest");
        return refused(
            "The Wi-Fi controller did not let your device on this time. Wait a minute and \
             select Connect again; if it keeps happening, please tell the staff here."
                .to_owned(),
        );
    }
    pages::online_page(state, view, unifi.then.as_ref())
}

/// The page showing the credential to type into the access point's own sign-in page.
fn credentials(
    state: &AppState,
    view: &SiteView,
    access: &Access,
    notice: Option<String>,
) -> Result<Response, Error> {
    let ctx = context! {
        username => &access.username,
        password => &access.password,
        until => duration_text(access.session_secs),
        bound => access.bound,
        notice,
    };
    let extras = Extras {
        no_store: true,
        ..Extras::default()
    };
    pages::respond(
        state,
        view,
        "captive_credentials.html",
        StatusCode::OK,
        ctx,
        extras,
    )
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
