//! Rendering captive pages in a site's branding, and the pages that only show things:
//! terms, privacy notice, about the Wi-Fi, "you are online", the logo.

use axum::{
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use commons_store::{LOGO_TYPES, SiteBranding};
use minijinja::context;
use serde::Serialize;

use super::{
    cache::SiteView, csrf, fields::landing_query, refusal::Refusal, theme, vendor::AccessPoint,
};
use crate::{AppState, Error};

/// The policy of pages whose forms hand the person back to an access point: the portal's
/// own, except that forms may end anywhere on the web.
///
/// Browsers apply `form-action` to every redirect that follows a form submission, and a
/// hand-off is such a chain: a 303 to the access point's login address, then the access
/// point's own redirect to the page the person first asked for, which can be any site.
/// Nothing else is loosened: no script runs and nothing loads from elsewhere.
const HAND_OFF_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
     form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'";

/// The site as the layout shows it.
#[derive(Serialize)]
struct SiteContext<'a> {
    slug: &'a str,
    name: &'a str,
    logo: Option<String>,
}

/// What a captive response carries besides its page.
#[derive(Default)]
pub(super) struct Extras {
    /// The anti-forgery cookie to set, for a visitor who has none.
    pub(super) cookie: Option<HeaderValue>,
    /// The page's forms hand the person to an access point, so their submission may be
    /// redirected away from the portal.
    pub(super) hands_off: bool,
    /// The page holds a form token or a credential, so no cache may keep it.
    pub(super) no_store: bool,
    /// The query string that brings the person back to the landing page as they came.
    pub(super) back_query: String,
}

/// Renders captive template `name` in `view`'s branding.
///
/// # Errors
///
/// [`Error::RenderFailed`] when the template fails.
pub(super) fn respond(
    state: &AppState,
    view: &SiteView,
    name: &str,
    status: StatusCode,
    ctx: minijinja::Value,
    extras: Extras,
) -> Result<Response, Error> {
    let branding = &view.branding;
    let site = SiteContext {
        slug: &view.site.slug,
        name: &branding.display_name,
        logo: branding
            .logo_mime
            .as_ref()
            .map(|_| format!("/wifi/{}/logo/{}", view.site.slug, branding.version)),
    };
    let back_query = if extras.back_query.is_empty() {
        String::new()
    } else {
        format!("?{}", extras.back_query)
    };
    let full = context! { site, theme => &view.theme, back_query, ..ctx };
    let page = state.templates.render(name, full)?;
    let mut response = (status, Html(page)).into_response();
    let headers = response.headers_mut();
    if let Some(cookie) = extras.cookie {
        headers.append(header::SET_COOKIE, cookie);
    }
    if extras.no_store {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if extras.hands_off {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(HAND_OFF_POLICY),
        );
    }
    Ok(response)
}

/// A page with sign-up forms for a person sent by `ap`: each form carries the
/// anti-forgery token, the branding version shown and the access point's parameters, and
/// a refused form comes back with its refusal at the top.
pub(super) struct FormPage<'a> {
    /// The site.
    pub(super) view: &'a SiteView,
    /// The access point that sent the person, if any.
    pub(super) ap: Option<&'a AccessPoint>,
    /// The request's headers, for the anti-forgery cookie.
    pub(super) headers: &'a HeaderMap,
    /// Why the last form was refused.
    pub(super) refusal: Option<&'a Refusal>,
}

impl FormPage<'_> {
    /// Renders `template` with `ctx` and what every form needs; counts the refusal.
    ///
    /// # Errors
    ///
    /// [`Error::RenderFailed`] when the template fails.
    pub(super) fn render(
        &self,
        state: &AppState,
        template: &str,
        ctx: minijinja::Value,
    ) -> Result<Response, Error> {
        let (csrf, cookie) = csrf::token(self.headers, state.secure_cookies);
        let carried = self.ap.map(AccessPoint::carried_fields).unwrap_or_default();
        let status = self
            .refusal
            .map_or(StatusCode::OK, |refusal| refusal.status);
        if let Some(refusal) = self.refusal {
            refusal.count();
        }
        let refusal = self
            .refusal
            .map(|refusal| context! { message => &refusal.message, field => refusal.field });
        let full = context! {
            csrf,
            carried => &carried,
            branding_version => self.view.branding.version,
            refusal,
            ..ctx
        };
        let extras = Extras {
            cookie,
            hands_off: self.ap.is_some(),
            no_store: true,
            back_query: landing_query(&carried),
        };
        respond(state, self.view, template, status, full, extras)
    }
}

/// The 404 page for a site name nobody uses.
pub(super) fn no_such_site(state: &AppState) -> Response {
    let page = state.templates.render(
        "captive_message.html",
        context! {
            title => "There is no Wi-Fi here",
            site => context! { name => "Wi-Fi" },
            theme => theme::Theme::plain(),
            paragraphs => [
                "This address does not belong to any of the council's Wi-Fi sites. Check it \
                 for typing mistakes.",
                "If your device opened this page by itself, disconnect from the Wi-Fi and \
                 connect again.",
            ],
        },
    );
    match page {
        Ok(page) => (StatusCode::NOT_FOUND, Html(page)).into_response(),
        Err(err) => err.into_response(),
    }
}

/// Loads the site of a `/wifi/{site}/…` page.
pub(super) async fn site(
    state: &AppState,
    slug: &str,
) -> Result<Option<std::sync::Arc<SiteView>>, Error> {
    state.captive.sites.by_slug(&state.store, slug).await
}

/// `GET /wifi/{site}/terms`: the terms of use of the current branding.
pub(super) async fn terms(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    full_text(&state, &slug, query, "Terms of use", |branding| {
        &branding.terms
    })
    .await
}

/// `GET /wifi/{site}/privacy`: the privacy notice of the current branding.
pub(super) async fn privacy(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    full_text(&state, &slug, query, "Privacy notice", |branding| {
        &branding.privacy
    })
    .await
}

/// The page of one of the current branding's texts, with a way back to the landing page
/// as the person came (`query`).
async fn full_text(
    state: &AppState,
    slug: &str,
    query: Option<String>,
    title: &str,
    text: fn(&SiteBranding) -> &str,
) -> Result<Response, Error> {
    let Some(view) = site(state, slug).await? else {
        return Ok(no_such_site(state));
    };
    let branding = &view.branding;
    let ctx = context! {
        title,
        paragraphs => theme::paragraphs(text(branding)),
        empty => "The council has not written this yet. Ask the staff here.",
        version => (branding.version > 0).then_some(branding.version),
        published => branding.created_at,
    };
    let extras = Extras {
        back_query: query.unwrap_or_default(),
        ..Extras::default()
    };
    let status = StatusCode::OK;
    respond(state, &view, "captive_text.html", status, ctx, extras)
}

/// `GET /wifi/{site}/about`: what the Wi-Fi offers (the RFC 8908 venue information).
pub(super) async fn about(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let Some(view) = site(&state, &slug).await? else {
        return Ok(no_such_site(&state));
    };
    let terms = super::duration_text(view.settings.terms_session_secs);
    let full = super::duration_text(view.site.session_timeout_secs);
    let ways: Vec<String> = view
        .modes
        .iter()
        .map(|mode| match mode {
            commons_store::SignUpMode::Terms => {
                format!("by accepting the terms of use, for up to {terms} at a time")
            }
            commons_store::SignUpMode::Email => {
                format!("with a code sent to your email address, for up to {full} at a time")
            }
            commons_store::SignUpMode::Voucher => format!(
                "with a printed voucher, for up to {full} at a time or as long as the \
                 voucher has left, whichever is shorter"
            ),
        })
        .collect();
    let mut paragraphs = vec![format!(
        "{} offers Wi-Fi run by the council.",
        view.branding.display_name
    )];
    if !ways.is_empty() {
        paragraphs.push(format!("You can join {}.", ways.join("; or ")));
    }
    paragraphs.push("When your time is up, join again.".to_owned());
    let ctx = context! {
        title => format!("About the Wi-Fi at {}", view.branding.display_name),
        paragraphs,
        link => context! { href => format!("/wifi/{slug}"), text => "Join the Wi-Fi" },
    };
    respond(
        &state,
        &view,
        "captive_message.html",
        StatusCode::OK,
        ctx,
        Extras::default(),
    )
}

/// `GET /wifi/{site}/online`: where a person lands once the access point lets them on.
pub(super) async fn online(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, Error> {
    let Some(view) = site(&state, &slug).await? else {
        return Ok(no_such_site(&state));
    };
    online_page(&state, &view, None)
}

/// The "You are online" page, with a plain link to the page the person first asked for
/// when the access point named it. The portal never sends people to that address by
/// itself: it came from the access point's redirect, which anyone can craft, and an
/// automatic redirect would make the portal send people anywhere.
///
/// # Errors
///
/// [`Error::RenderFailed`] when the page fails.
pub(super) fn online_page(
    state: &AppState,
    view: &SiteView,
    original: Option<&url::Url>,
) -> Result<Response, Error> {
    let link = original.map(|url| {
        context! { href => url.as_str(), text => format!("Continue to {url}") }
    });
    let ctx = context! {
        title => "You are online",
        paragraphs => ["You can now use the internet. You can close this page."],
        link,
    };
    let extras = Extras {
        no_store: true,
        ..Extras::default()
    };
    respond(
        state,
        view,
        "captive_message.html",
        StatusCode::OK,
        ctx,
        extras,
    )
}

/// `GET /wifi/{site}/logo/{version}`: a branding version's logo. Versions never change,
/// so browsers may keep it for a year.
pub(super) async fn logo(
    State(state): State<AppState>,
    Path((slug, version)): Path<(String, i64)>,
) -> Result<Response, Error> {
    let Some(view) = site(&state, &slug).await? else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let logo = state.store.branding_logo(view.site.id, version).await?;
    let Some((mime, bytes)) = logo.filter(|(mime, _)| LOGO_TYPES.contains(&mime.as_str())) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("image/png")),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok((headers, bytes).into_response())
}
