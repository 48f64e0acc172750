//! The Commons web portal: organisation portal, council administration, captive portal
//! and JSON API, served by axum.

mod account;
mod admin;
mod api;
mod apps;
mod audit;
mod captive;
mod client_ip;
mod csrf;
mod error;
mod forms;
mod headers;
pub mod hosting;
mod invitations;
mod lease;
mod mail;
mod members;
pub mod ops;
mod orgs;
mod page;
mod password;
mod password_reset;
mod session;
mod setup;
mod sign_in;
mod signup;
mod smtp;
mod templates;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use commons_store::{Cidr, Store};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use captive::CaptiveLimits;
pub use error::Error;
pub use forms::{email_problem, looks_like_email};
pub use hosting::Hosting;
pub use smtp::Smtp;

/// How often expired sessions and old rate-limit events are deleted.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(15 * 60);

/// Settings of the portal.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to serve HTTP on.
    pub listen: SocketAddr,
    /// The address people reach the portal at, used in links sent to them. Cookies are
    /// marked `Secure` when it is `https`.
    pub public_url: Url,
    /// The database.
    pub store: Store,
    /// Renders the process's metrics for `/metrics`.
    pub metrics: PrometheusHandle,
    /// Print a one-time link to create the first council administrator on standard
    /// output once listening, when there is no administrator yet.
    pub announce_first_admin: bool,
    /// Tenants and applications: a cluster, [`hosting::NotConnected`] without one, or
    /// [`hosting::MemoryHosting`] for demos and tests.
    pub hosting: Arc<dyn Hosting>,
    /// The mail server that delivers the outbox; without one, emails stay in the outbox
    /// table and the log.
    pub smtp: Option<Smtp>,
    /// Proxies whose `X-Forwarded-For` is believed: requests from these networks are
    /// taken to come from the address the proxy forwarded.
    pub trusted_proxies: Vec<Cidr>,
    /// Rate limits of the captive portal's forms.
    pub captive: CaptiveLimits,
}

/// Shared state of every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) templates: Arc<templates::Templates>,
    pub(crate) hosting: Arc<dyn Hosting>,
    pub(crate) public_url: Url,
    pub(crate) secure_cookies: bool,
    pub(crate) smtp_configured: bool,
    pub(crate) trusted_proxies: Arc<[Cidr]>,
    pub(crate) captive: Arc<captive::Captive>,
}

impl AppState {
    /// A link to `path` (no leading slash) on the portal's public address.
    pub(crate) fn link(&self, path: &str) -> Result<Url, Error> {
        Ok(self.public_url.join(path)?)
    }
}

/// Builds the portal's router. Captive pages read the client's address from axum's
/// `ConnectInfo<SocketAddr>`, so serve it with `into_make_service_with_connect_info`.
pub fn router(config: &Config) -> Router {
    app(state(config))
}

fn state(config: &Config) -> AppState {
    AppState {
        store: config.store.clone(),
        metrics: config.metrics.clone(),
        templates: Arc::new(templates::Templates::new()),
        hosting: config.hosting.clone(),
        public_url: config.public_url.clone(),
        secure_cookies: config.public_url.scheme() == "https",
        smtp_configured: config.smtp.is_some(),
        trusted_proxies: config.trusted_proxies.clone().into(),
        captive: Arc::new(captive::Captive::new(&config.captive)),
    }
}

fn app(state: AppState) -> Router {
    Router::new()
        .merge(ops::router())
        .merge(setup::router())
        .merge(sign_in::router())
        .merge(password_reset::router())
        .merge(signup::router())
        .merge(orgs::router())
        .merge(members::router())
        .merge(invitations::router())
        .merge(apps::router())
        .merge(account::router())
        .merge(admin::router())
        .merge(api::router())
        .merge(captive::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            captive::csrf::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            headers::layer,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(ops::track_request))
        .layer(ops::trace_layer())
}

/// Serves the portal until `shutdown` is cancelled, then lets in-flight requests finish.
///
/// # Errors
///
/// [`Error::MailSetupFailed`] for unusable SMTP settings, [`Error::BindFailed`] when the
/// address cannot be listened on, [`Error::ServeFailed`] when the server stops for
/// another reason.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), Error> {
    let mailer = config.smtp.as_ref().map(smtp::Mailer::new).transpose()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| Error::BindFailed {
            addr: config.listen,
            source,
        })?;
    tracing::info!(
        addr = %config.listen,
        url = %config.public_url,
        hosting = if config.hosting.is_connected() { "connected" } else { "not connected" },
        "portal listening"
    );
    if config.announce_first_admin {
        setup::announce_first_admin(&config.store, &config.public_url).await?;
    }
    tokio::spawn(housekeeping(config.store.clone(), shutdown.clone()));
    if let Some(mailer) = mailer {
        tokio::spawn(mailer.run(config.store.clone(), shutdown.clone()));
    }
    let state = state(&config);
    tokio::spawn(captive::tidy(state.captive.clone(), shutdown.clone()));
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(Error::ServeFailed)
}

/// Deletes expired sessions and rate-limit events older than a day, until `shutdown`.
async fn housekeeping(store: Store, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(HOUSEKEEPING_EVERY);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let sessions = store.purge_expired_sessions().await;
        let events = store.purge_rate_events(24 * 60 * 60).await;
        match (sessions, events) {
            (Ok(sessions), Ok(events)) => {
                tracing::debug!(sessions, events, "expired sessions and rate events purged");
            }
            (Err(err), _) | (_, Err(err)) => tracing::warn!(error = %err, "housekeeping failed"),
        }
    }
}
