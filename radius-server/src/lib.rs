//! The Commons RADIUS service: authentication on UDP 1812 and accounting on UDP 1813.
//!
//! The [`codec`] is pure; [`server`] owns the sockets, the NAS client table, the
//! duplicate cache and the metrics; [`auth`] decides each Access-Request against a
//! [`Backend`], which the store implements.

pub mod accounting;
pub mod auth;
pub mod backend;
pub mod clients;
pub mod codec;
pub mod dedup;
mod logbook;
pub mod policy;
pub mod server;

use std::{net::SocketAddr, time::Duration};

use commons_store::Store;
use tokio_util::sync::CancellationToken;

pub use backend::Backend;
pub use policy::Vendor;

/// Settings of the RADIUS service.
#[derive(Clone, Debug)]
pub struct Config {
    /// Addresses to receive Access-Request and Status-Server on.
    pub auth_listen: Vec<SocketAddr>,
    /// Addresses to receive Accounting-Request on.
    pub acct_listen: Vec<SocketAddr>,
    /// The database of NAS clients, credentials and logs.
    pub store: Store,
    /// Timings, with sensible defaults.
    pub tuning: Tuning,
}

/// Timings of the service.
#[derive(Clone, Debug)]
pub struct Tuning {
    /// How often the NAS client table is reloaded from the store.
    pub refresh_interval: Duration,
    /// How long a request is remembered for duplicate detection (RFC 5080 §2.2.2).
    pub duplicate_window: Duration,
    /// Most requests remembered at once.
    pub duplicate_capacity: usize,
    /// How often the authentication log is purged of entries past retention.
    pub purge_interval: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(2),
            duplicate_window: Duration::from_secs(30),
            duplicate_capacity: 50_000,
            purge_interval: Duration::from_secs(3600),
        }
    }
}

/// What stopped the RADIUS service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A listening socket could not be opened.
    #[error("cannot listen for RADIUS on UDP {addr}")]
    BindFailed {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's answer.
        #[source]
        source: std::io::Error,
    },
    /// The NAS clients could not be loaded at start-up.
    #[error("cannot load the NAS clients")]
    LoadClientsFailed(#[source] commons_store::Error),
}

/// Runs the RADIUS service until `shutdown` is cancelled.
///
/// # Errors
///
/// [`Error::BindFailed`] when a socket cannot be opened, [`Error::LoadClientsFailed`]
/// when the store cannot be read at start-up.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), Error> {
    let sockets = server::Sockets::bind(&config.auth_listen, &config.acct_listen).await?;
    server::serve(config.store, sockets, config.tuning, shutdown).await
}
