//! Web sessions stored in the database, with their cookie and the anti-forgery check.
//!
//! The cookie carries only a random key; the store keeps a digest of it with the
//! session's data. Keys change at sign-in, so a key planted before sign-in is worthless.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use commons_store::{SessionKey, SessionRecord, UserId, now};
use serde::{Deserialize, Serialize};

use crate::{AppState, Error, csrf};

/// How long a session lasts after its last change.
const SESSION_TTL_SECS: i64 = 12 * 60 * 60;

/// What a session holds.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct SessionData {
    /// The anti-forgery token of this session's forms.
    csrf: String,
    /// The signed-in user.
    user_id: Option<UserId>,
    /// A one-off message for the next page.
    flash: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    key: Option<SessionKey>,
    data: SessionData,
    expires_at: i64,
    /// The data changed and must be written.
    dirty: bool,
    /// The key must change (sign-in).
    rotate: bool,
    /// The session must be deleted (sign-out).
    ended: bool,
}

/// The current request's session, shared between the middleware and the handler.
#[derive(Clone, Debug, Default)]
pub(crate) struct Session(Arc<Mutex<Inner>>);

impl Session {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The anti-forgery token for forms on the page being rendered, made on first use.
    pub(crate) fn csrf_token(&self) -> String {
        let mut inner = self.lock();
        if inner.data.csrf.is_empty() {
            inner.data.csrf = csrf::new_token();
            inner.dirty = true;
        }
        inner.data.csrf.clone()
    }

    /// The signed-in user, if any.
    pub(crate) fn user_id(&self) -> Option<UserId> {
        self.lock().data.user_id
    }

    /// Signs `user` in under a new key and a new anti-forgery token.
    pub(crate) fn sign_in(&self, user: UserId) {
        let mut inner = self.lock();
        inner.data.user_id = Some(user);
        inner.data.csrf = csrf::new_token();
        inner.dirty = true;
        inner.rotate = true;
    }

    /// Ends the session.
    pub(crate) fn end(&self) {
        self.lock().ended = true;
    }

    /// Leaves a message for the next page shown.
    pub(crate) fn flash(&self, message: impl Into<String>) {
        let mut inner = self.lock();
        inner.data.flash = Some(message.into());
        inner.dirty = true;
    }

    /// Takes the message left for this page, if any.
    pub(crate) fn take_flash(&self) -> Option<String> {
        let mut inner = self.lock();
        let flash = inner.data.flash.take();
        if flash.is_some() {
            inner.dirty = true;
        }
        flash
    }

    fn expected_csrf(&self) -> String {
        self.lock().data.csrf.clone()
    }
}

/// The name of the session cookie. Over HTTPS the `__Host-` prefix makes browsers refuse
/// it unless it is `Secure`, host-only and for `/`.
fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-commons_session"
    } else {
        "commons_session"
    }
}

fn key_from_cookies(headers: &HeaderMap, name: &str) -> Option<SessionKey> {
    cookie(headers, name).map(SessionKey::from_cookie)
}

/// The value of the request's first cookie called `name`.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value)
}

fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&cookie).ok()
}

/// Loads the session of each request, refuses forged forms, and writes the session back
/// when it changed.
pub(crate) async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match handle(&state, request, next).await {
        Ok(response) | Err(response) => response,
    }
}

async fn handle(state: &AppState, mut request: Request, next: Next) -> Result<Response, Response> {
    let name = cookie_name(state.secure_cookies);
    let session = load(state, key_from_cookies(request.headers(), name))
        .await
        .map_err(IntoResponse::into_response)?;

    if csrf::required(request.method(), request.uri().path()) {
        request = csrf::check(request, &session.expected_csrf())
            .await
            .map_err(IntoResponse::into_response)?;
    }

    request.extensions_mut().insert(session.clone());
    let mut response = next.run(request).await;

    let cookie = save(state, &session)
        .await
        .map_err(IntoResponse::into_response)?;
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn load(state: &AppState, key: Option<SessionKey>) -> Result<Session, Error> {
    let Some(key) = key else {
        return Ok(Session::default());
    };
    let Some(record) = state.store.load_session(&key).await? else {
        return Ok(Session::default());
    };
    // Unreadable data (from an older release, say) starts the visitor afresh.
    let data: SessionData = serde_json::from_slice(&record.data).unwrap_or_default();
    let inner = Inner {
        key: Some(key),
        data,
        expires_at: record.expires_at,
        ..Inner::default()
    };
    Ok(Session(Arc::new(Mutex::new(inner))))
}

/// Writes a changed session and returns the cookie to set, if one must be.
async fn save(state: &AppState, session: &Session) -> Result<Option<HeaderValue>, Error> {
    let name = cookie_name(state.secure_cookies);
    let secure = state.secure_cookies;
    let (old_key, record, rotate, ended) = {
        let inner = session.lock();
        // Sessions are refreshed once half their life has gone, not on every request.
        let stale = inner.key.is_some() && inner.expires_at - now() < SESSION_TTL_SECS / 2;
        if !inner.dirty && !inner.ended && !stale {
            return Ok(None);
        }
        let record = SessionRecord {
            user_id: inner.data.user_id,
            data: serde_json::to_vec(&inner.data)?,
            expires_at: now() + SESSION_TTL_SECS,
        };
        (inner.key.clone(), record, inner.rotate, inner.ended)
    };

    if ended {
        if let Some(key) = &old_key {
            state.store.delete_session(key).await?;
        }
        return Ok(set_cookie(name, "", 0, secure));
    }
    let key = match old_key {
        Some(old) if rotate => {
            state.store.delete_session(&old).await?;
            SessionKey::generate()
        }
        Some(old) => old,
        None => SessionKey::generate(),
    };
    state.store.save_session(&key, &record).await?;
    Ok(set_cookie(name, key.reveal(), SESSION_TTL_SECS, secure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_http_only_lax_and_secure_over_https() {
        let plain = set_cookie("commons_session", "k", 60, false).unwrap();
        assert_eq!(
            plain.to_str().unwrap(),
            "commons_session=k; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"
        );
        let secure = set_cookie(cookie_name(true), "k", 60, true).unwrap();
        assert!(
            secure
                .to_str()
                .unwrap()
                .starts_with("__Host-commons_session=k;")
        );
        assert!(secure.to_str().unwrap().ends_with("; Secure"));
    }

    #[test]
    fn the_session_key_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; commons_session=xyz; b=2"),
        );
        let key = key_from_cookies(&headers, "commons_session").unwrap();
        assert_eq!(key.reveal(), "xyz");
        assert!(key_from_cookies(&headers, "other").is_none());
    }
}
