//! The Commons web portal: organisation portal, council administration, captive portal
//! and JSON API, served by axum.

mod error;
pub mod ops;
mod password;
mod setup;
mod templates;

use std::{net::SocketAddr, sync::Arc};

use axum::Router;
use commons_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use error::Error;
pub use setup::looks_like_email;

/// Settings of the portal.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to serve HTTP on.
    pub listen: SocketAddr,
    /// The address people reach the portal at, used in links sent to them.
    pub public_url: Url,
    /// The database.
    pub store: Store,
    /// Renders the process's metrics for `/metrics`.
    pub metrics: PrometheusHandle,
    /// Print a one-time link to create the first council administrator on standard
    /// output once listening, when there is no administrator yet.
    pub announce_first_admin: bool,
}

/// Shared state of every handler.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) templates: Arc<templates::Templates>,
}

/// Builds the portal's router.
pub fn router(config: &Config) -> Router {
    let state = AppState {
        store: config.store.clone(),
        metrics: config.metrics.clone(),
        templates: Arc::new(templates::Templates::new()),
    };
    Router::new()
        .merge(ops::router())
        .merge(setup::router())
        .with_state(state)
        .layer(axum::middleware::from_fn(ops::track_request))
        .layer(ops::trace_layer())
}

/// Serves the portal until `shutdown` is cancelled, then lets in-flight requests finish.
///
/// # Errors
///
/// [`Error::BindFailed`] when the address cannot be listened on, [`Error::ServeFailed`]
/// when the server stops for another reason.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| Error::BindFailed {
            addr: config.listen,
            source,
        })?;
    tracing::info!(addr = %config.listen, url = %config.public_url, "portal listening");
    if config.announce_first_admin {
        setup::announce_first_admin(&config.store, &config.public_url).await?;
    }
    axum::serve(listener, router(&config))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(Error::ServeFailed)
}
