//! Anti-forgery for captive forms without a database session: a double-submit cookie.
//!
//! The landing page sets a random token in the `commons_captive` cookie (`__Host-` over
//! HTTPS, so no sibling host can plant one) and puts the same token in each form's
//! `csrf` field. Another site can make a browser send the cookie but can neither read it
//! nor set it, so it cannot fill in the field. Every unsafe request to a captive path,
//! matched by a route or not, is checked by [`layer`] before any handler runs.

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::Response,
};

use super::refusal::{Reason, Refusal};
use crate::{AppState, csrf, session};

/// The largest captive form body read.
pub(super) const MAX_FORM_BYTES: usize = 64 * 1024;

/// How long the cookie lasts: long enough to read the terms and fetch an emailed code.
const COOKIE_MAX_AGE_SECS: u32 = 24 * 60 * 60;

/// The cookie's name.
fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-commons_captive"
    } else {
        "commons_captive"
    }
}

/// Whether `token` has the shape of a token this module made (48 lower-case hex digits).
fn well_formed(token: &str) -> bool {
    token.len() == 48
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The token in the request's cookie, when it has one of ours.
pub(crate) fn from_cookie(headers: &HeaderMap, secure: bool) -> Option<String> {
    session::cookie(headers, cookie_name(secure))
        .filter(|token| well_formed(token))
        .map(str::to_owned)
}

/// The token for a page's forms: the visitor's own when they have one, else a new one
/// with the `Set-Cookie` header that gives it to them.
pub(crate) fn token(headers: &HeaderMap, secure: bool) -> (String, Option<HeaderValue>) {
    if let Some(token) = from_cookie(headers, secure) {
        return (token, None);
    }
    let token = csrf::new_token();
    let flags = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{}={token}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{flags}",
        cookie_name(secure)
    );
    let cookie = HeaderValue::from_str(&cookie).ok();
    (token, cookie)
}

/// The paths this check guards: every unsafe request to them is checked here, and so
/// the session's anti-forgery check leaves them alone.
pub(crate) fn guards(path: &str) -> bool {
    path.starts_with("/wifi/") || path.starts_with("/guest/s/")
}

/// Refuses every unsafe request to a captive path whose `csrf` field is not its cookie's
/// token, answering 403 with the landing page again, and every body over
/// [`MAX_FORM_BYTES`], answering 413 with it; others pass with their body restored.
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || !guards(request.uri().path()) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            tracing::warn!(
                path = parts.uri.path(),
                "captive form refused: body over 64 KiB"
            );
            let refusal = Refusal::new(
                Reason::TooLarge,
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "The form sent was too large, so nothing was read or saved. Fill in the form \
                 below once more.",
            );
            return super::landing::refused_before_handler(&state, &parts, &[], refusal).await;
        }
    };
    let expected = from_cookie(&parts.headers, state.secure_cookies).unwrap_or_default();
    if !csrf::matches(&expected, csrf::token_in_form(&bytes).as_deref()) {
        tracing::warn!(
            path = parts.uri.path(),
            "captive form refused: anti-forgery cookie or field missing or wrong"
        );
        let refusal = Refusal::new(
            Reason::Forged,
            axum::http::StatusCode::FORBIDDEN,
            "Your browser did not send back this page's cookie, so we could not be sure the \
             form came from this page. Nothing was saved. Fill in the form below once more; \
             if this keeps happening, allow cookies for this page.",
        );
        return super::landing::refused_before_handler(&state, &parts, &bytes, refusal).await;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

#[cfg(test)]
mod tests {
    use axum::http::header;

    use super::*;

    #[test]
    fn a_visitor_keeps_their_token_and_a_newcomer_gets_one() {
        let (token, cookie) = token(&HeaderMap::new(), false);
        assert!(well_formed(&token));
        let cookie = cookie.unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with(&format!("commons_captive={token};")));
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));

        let mut headers = HeaderMap::new();
        let sent = format!("other=1; commons_captive={token}");
        headers.insert(header::COOKIE, HeaderValue::from_str(&sent).unwrap());
        assert_eq!(super::token(&headers, false), (token, None));
    }

    #[test]
    fn every_captive_path_is_guarded_and_nothing_else() {
        for path in [
            "/wifi/library/terms",
            "/wifi/library/anything",
            "/guest/s/default/",
        ] {
            assert!(guards(path), "{path}");
        }
        for path in ["/admin/wifi", "/wifi", "/sign-in", "/api/v1/orgs"] {
            assert!(!guards(path), "{path}");
        }
    }

    #[test]
    fn over_https_the_cookie_is_host_only_and_secure() {
        let (token, cookie) = token(&HeaderMap::new(), true);
        let cookie = cookie.unwrap();
        let cookie = cookie.to_str().unwrap();
        assert!(cookie.starts_with(&format!("__Host-commons_captive={token};")));
        assert!(cookie.ends_with("; Secure"));
    }

    #[test]
    fn a_planted_cookie_of_the_wrong_shape_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("commons_captive=short"),
        );
        assert_eq!(from_cookie(&headers, false), None);
        let (token, cookie) = token(&headers, false);
        assert_ne!(token, "short");
        assert!(cookie.is_some());
    }
}
