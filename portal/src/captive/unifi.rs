//! Authorising a guest device through a UniFi controller's API, on the classic Network
//! application (`/api/login`, `/api/s/{site}/...`) and on UniFi OS consoles
//! (`/api/auth/login`, `/proxy/network/api/s/{site}/...`).

use std::{
    collections::HashMap,
    fmt,
    sync::{Mutex, PoisonError},
    time::Duration,
};

use commons_store::MacAddress;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::{
    Method, Request, StatusCode,
    body::Bytes,
    header::{CONTENT_TYPE, COOKIE, HeaderMap},
};
use hyper_rustls::{ConfigBuilderExt as _, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::{Value, json};
use url::Url;

use api::{authorise_command, controller_url, cookies, header, join, origin, reason, site_name};
pub(crate) use error::{Step, UnifiError};

/// How long a TCP connection to the controller may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest controller answer read; the ones this client needs are a few hundred bytes.
const MAX_ANSWER: usize = 64 * 1024;

/// The header both flavours read the anti-forgery token from, once logged in.
const CSRF_HEADER: &str = "x-csrf-token";

/// The header UniFi OS sends a replacement anti-forgery token in.
const UPDATED_CSRF_HEADER: &str = "x-updated-csrf-token";

/// A site's UniFi controller and the account the portal uses on it.
#[derive(Clone, Copy)]
pub(crate) struct Controller<'a> {
    /// The controller's address, e.g. `https://unifi.example.org:8443`.
    pub(crate) url: &'a str,
    /// The controller's name for the site, e.g. `default`.
    pub(crate) site: &'a str,
    /// The account's user name.
    pub(crate) username: &'a str,
    /// The account's password.
    pub(crate) password: &'a str,
}

impl fmt::Debug for Controller<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Controller")
            .field("url", &self.url)
            .field("site", &self.site)
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

/// The device to let on and the limits it gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Guest {
    /// The person's device.
    pub(crate) mac: MacAddress,
    /// The access point it is connected to, which speeds the authorisation up.
    pub(crate) ap: Option<MacAddress>,
    /// How long the authorisation lasts.
    pub(crate) minutes: u32,
    /// Upload limit in kbit/s.
    pub(crate) up_kbps: Option<u32>,
    /// Download limit in kbit/s.
    pub(crate) down_kbps: Option<u32>,
    /// Data limit in megabytes.
    pub(crate) megabytes: Option<u64>,
}

/// A client for UniFi controllers that keeps one logged-in session per controller account.
pub(crate) struct UnifiClient {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
    sessions: Mutex<HashMap<String, Session>>,
}

/// The two kinds of controller, which differ in their paths and their login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavour {
    /// The Network application on its own (port 8443), logged in at `/api/login`.
    Classic,
    /// A UniFi OS console, logged in at `/api/auth/login`, the Network API behind
    /// `/proxy/network`.
    UnifiOs,
}

/// What became of a command sent with a session.
enum Sent {
    /// The controller carried it out; the anti-forgery token to use next.
    Accepted { csrf: Option<String> },
    /// The controller no longer accepts the session.
    SessionExpired,
}

/// A logged-in session on one controller.
#[derive(Clone, Debug)]
struct Session {
    flavour: Flavour,
    cookie: String,
    csrf: Option<String>,
}

/// A controller's answer to one request.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl UnifiClient {
    /// A client whose every request to a controller gives up after `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT.min(timeout)));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls_config())
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Self {
            http: Client::builder(TokioExecutor::new()).build(connector),
            timeout,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Authorises `guest` on the controller's site, logging in first unless a session from an
    /// earlier call is still accepted.
    ///
    /// # Errors
    ///
    /// [`UnifiError`] naming the step that failed: an unusable address or site name, a
    /// controller that cannot be reached or does not answer in time, a refused login or
    /// authorisation, an answer that is not the controller API's.
    ///
    /// # Guarantees
    ///
    /// Authorising the same device again extends its authorisation on the controller, so a
    /// retry after an error is safe. A session the controller no longer accepts is replaced
    /// by one fresh login, once.
    pub(crate) async fn authorise_guest(
        &self,
        controller: &Controller<'_>,
        guest: &Guest,
    ) -> Result<(), UnifiError> {
        let base = controller_url(controller.url)?;
        let site = site_name(controller.site)?;
        let key = format!("{base} {}", controller.username);
        let command = authorise_command(guest).to_string();

        if let Some(session) = self.cached(&key) {
            match self.send_command(&base, site, &session, &command).await? {
                Sent::Accepted { csrf } => {
                    self.remember(&key, Session { csrf, ..session });
                    return Ok(());
                }
                Sent::SessionExpired => {
                    tracing::debug!(controller = %origin(&base), "UniFi session expired");
                }
            }
        }

        let session = self.log_in(&base, controller).await?;
        match self.send_command(&base, site, &session, &command).await? {
            Sent::Accepted { csrf } => {
                self.remember(&key, Session { csrf, ..session });
                Ok(())
            }
            Sent::SessionExpired => Err(UnifiError::Rejected {
                status: StatusCode::UNAUTHORIZED.as_u16(),
                message: "the controller did not accept the session it had just opened".to_owned(),
            }),
        }
    }

    fn cached(&self, key: &str) -> Option<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.get(key).cloned()
    }

    fn remember(&self, key: &str, session: Session) {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.insert(key.to_owned(), session);
    }

    /// Finds out the controller's flavour and logs in with the site's account.
    async fn log_in(&self, base: &Url, controller: &Controller<'_>) -> Result<Session, UnifiError> {
        let flavour = self.flavour(base).await?;
        let path = match flavour {
            Flavour::Classic => "api/login",
            Flavour::UnifiOs => "api/auth/login",
        };
        let credentials = json!({"username": controller.username, "password": controller.password});
        let url = join(base, path)?;
        let answer = self
            .send(
                Step::LogIn,
                Method::POST,
                &url,
                None,
                Some(credentials.to_string()),
            )
            .await?;
        if !answer.status.is_success() {
            return Err(UnifiError::LoginRejected {
                username: controller.username.to_owned(),
                status: answer.status.as_u16(),
                message: reason(&answer.body),
            });
        }
        session_from(flavour, &answer.headers)
    }

    /// A UniFi OS console serves its start page; the classic application redirects to
    /// `/manage`.
    async fn flavour(&self, base: &Url) -> Result<Flavour, UnifiError> {
        let probe = self
            .send(Step::Probe, Method::GET, base, None, None)
            .await?;
        if probe.status.is_success() {
            Ok(Flavour::UnifiOs)
        } else if probe.status.is_redirection() {
            Ok(Flavour::Classic)
        } else {
            Err(UnifiError::BadAnswer {
                step: Step::Probe,
                reason: format!("HTTP {} for the start page", probe.status.as_u16()),
            })
        }
    }

    /// Sends the authorisation with the session.
    async fn send_command(
        &self,
        base: &Url,
        site: &str,
        session: &Session,
        command: &str,
    ) -> Result<Sent, UnifiError> {
        let path = match session.flavour {
            Flavour::Classic => format!("api/s/{site}/cmd/stamgr"),
            Flavour::UnifiOs => format!("proxy/network/api/s/{site}/cmd/stamgr"),
        };
        let url = join(base, &path)?;
        let answer = self
            .send(
                Step::Authorise,
                Method::POST,
                &url,
                Some(session),
                Some(command.to_owned()),
            )
            .await?;
        if answer.status == StatusCode::UNAUTHORIZED {
            return Ok(Sent::SessionExpired);
        }

        let outcome: Option<Value> = serde_json::from_slice(&answer.body).ok();
        let accepted = outcome
            .as_ref()
            .and_then(|body| body.pointer("/meta/rc"))
            .and_then(Value::as_str)
            == Some("ok");
        if answer.status.is_success() && accepted {
            let csrf =
                header(&answer.headers, UPDATED_CSRF_HEADER).or_else(|| session.csrf.clone());
            return Ok(Sent::Accepted { csrf });
        }
        if answer.status.is_success() && outcome.is_none() {
            return Err(UnifiError::BadAnswer {
                step: Step::Authorise,
                reason: "the answer is not JSON".to_owned(),
            });
        }
        Err(UnifiError::Rejected {
            status: answer.status.as_u16(),
            message: reason(&answer.body),
        })
    }

    /// One request, its answer read whole within the timeout.
    async fn send(
        &self,
        step: Step,
        method: Method,
        url: &Url,
        session: Option<&Session>,
        json: Option<String>,
    ) -> Result<Answer, UnifiError> {
        let unreachable =
            |source: Box<dyn std::error::Error + Send + Sync>| UnifiError::Unreachable {
                url: origin(url),
                step,
                source,
            };
        let request = request(method, url, session, json)?;

        let exchange = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|error| unreachable(error.into()))?;
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(unreachable)?
                .to_bytes();
            Ok(Answer {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or_else(|_| {
                Err(UnifiError::TimedOut {
                    url: origin(url),
                    step,
                    timeout: self.timeout,
                })
            })
    }
}

/// A request with the session's cookie and anti-forgery token, and a JSON body if any.
fn request(
    method: Method,
    url: &Url,
    session: Option<&Session>,
    json: Option<String>,
) -> Result<Request<Full<Bytes>>, UnifiError> {
    let mut request = Request::builder().method(method).uri(url.as_str());
    if json.is_some() {
        request = request.header(CONTENT_TYPE, "application/json");
    }
    if let Some(session) = session {
        request = request.header(COOKIE, &session.cookie);
        if let Some(csrf) = &session.csrf {
            request = request.header(CSRF_HEADER, csrf);
        }
    }
    request
        .body(Full::new(Bytes::from(json.unwrap_or_default())))
        .map_err(|_| UnifiError::InvalidController {
            url: origin(url),
            reason: "does not form a request",
        })
}

/// The session a successful login opened: its cookies and anti-forgery token.
fn session_from(flavour: Flavour, headers: &HeaderMap) -> Result<Session, UnifiError> {
    let cookies = cookies(headers);
    if cookies.is_empty() {
        return Err(UnifiError::BadAnswer {
            step: Step::LogIn,
            reason: "the login set no session cookie".to_owned(),
        });
    }
    // UniFi OS sends the token as a header; the classic application also as a cookie.
    let csrf = header(headers, CSRF_HEADER).or_else(|| {
        cookies
            .iter()
            .find_map(|(name, value)| (name == "csrf_token").then(|| value.clone()))
    });
    let cookie = cookies
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    Ok(Session {
        flavour,
        cookie,
        csrf,
    })
}

/// TLS trusting the system's certificate authorities; none when the system has none, so that
/// only `http` to this machine works then.
fn tls_config() -> rustls::ClientConfig {
    // ring is the one crypto provider the workspace compiles in, so rustls finds it.
    rustls::ClientConfig::builder()
        .with_native_roots()
        .unwrap_or_else(|error| {
            tracing::warn!(error = %error, "no trusted certificate authorities for UniFi");
            let none = rustls::RootCertStore::empty();
            rustls::ClientConfig::builder().with_root_certificates(none)
        })
        .with_no_client_auth()
}

// Limitation: controllers on their factory self-signed certificate are refused, because the
// client trusts the system's certificate authorities only; such a controller needs a
// certificate from a trusted authority (or one added to the system store) before the portal
// can authorise guests on it.

mod api;
mod error;

#[cfg(test)]
mod tests;
