//! Anti-forgery (synchronizer) tokens: every session holds a random token, every form
//! carries it in a hidden `csrf` field, and an unsafe request whose field does not match
//! its session's token is refused before any handler runs.

use axum::{
    body::{Body, Bytes},
    extract::Request,
    http::Method,
};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::Error;

/// The form field that carries the token.
pub(crate) const FIELD: &str = "csrf";

/// The largest form body read while checking the token.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// A fresh random token.
pub(crate) fn new_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a request of `method` to `path` must carry the session's token: every unsafe
/// request except the JSON API (authenticated by bearer tokens, never by cookie), one-time
/// account links (the secret in the path is the capability) and the captive portal's
/// paths, whose every unsafe request is checked against a double-submit cookie instead.
pub(crate) fn required(method: &Method, path: &str) -> bool {
    let unsafe_method = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let exempt = path.starts_with("/api/") || path.starts_with("/setup/");
    unsafe_method && !exempt && !crate::captive::csrf::guards(path)
}

/// The value of the token field of a URL-encoded form body.
pub(crate) fn token_in_form(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(name, _)| name == FIELD)
        .map(|(_, value)| value.into_owned())
}

/// Whether `presented` is the session's token, compared in constant time.
pub(crate) fn matches(expected: &str, presented: Option<&str>) -> bool {
    match presented {
        Some(presented) if !expected.is_empty() => {
            bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    }
}

/// Checks the token of `request` against `expected` and gives the request back, its body
/// restored, when it matches.
///
/// # Errors
///
/// [`Error::CsrfRejected`] when the body is unreadable or too large, or the token is
/// missing or wrong.
pub(crate) async fn check(request: Request, expected: &str) -> Result<Request, Error> {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| Error::CsrfRejected)?;
    if !matches(expected, token_in_form(&bytes).as_deref()) {
        tracing::warn!(
            path = parts.uri.path(),
            "form refused: anti-forgery token missing or wrong"
        );
        return Err(Error::CsrfRejected);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_token_matches() {
        let token = new_token();
        assert!(matches(&token, Some(&token)));
        assert!(!matches(&token, Some("")));
        assert!(!matches(&token, Some(&token[1..])));
        assert!(!matches(&token, None));
        assert!(
            !matches("", Some("")),
            "a session without a token accepts nothing"
        );
    }

    #[test]
    fn the_token_is_read_from_a_urlencoded_form() {
        assert_eq!(
            token_in_form(b"a=1&csrf=ab%2Bc&b=2").as_deref(),
            Some("ab+c")
        );
        assert_eq!(token_in_form(b"a=1"), None);
    }

    #[test]
    fn api_and_account_links_and_safe_methods_are_exempt() {
        assert!(required(&Method::POST, "/sign-in"));
        assert!(required(&Method::DELETE, "/orgs/1"));
        assert!(!required(&Method::GET, "/sign-in"));
        assert!(!required(&Method::POST, "/api/v1/orgs"));
        assert!(!required(&Method::POST, "/setup/abc"));
        assert!(!required(&Method::POST, "/wifi/library/terms"));
        assert!(required(&Method::POST, "/admin/wifi"));
    }
}
