//! The Commons RADIUS service: authentication on UDP 1812 and accounting on UDP 1813.

pub mod codec;

use std::net::SocketAddr;

use commons_store::Store;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

/// Settings of the RADIUS service.
#[derive(Clone, Debug)]
pub struct Config {
    /// Addresses to receive Access-Request and Status-Server on.
    pub auth_listen: Vec<SocketAddr>,
    /// Addresses to receive Accounting-Request on.
    pub acct_listen: Vec<SocketAddr>,
    /// The database of NAS clients, credentials and logs.
    pub store: Store,
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
}

/// Runs the RADIUS service until `shutdown` is cancelled.
///
/// # Errors
///
/// [`Error::BindFailed`] when a socket cannot be opened.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), Error> {
    let mut sockets = Vec::new();
    for addr in config.auth_listen.iter().chain(&config.acct_listen) {
        let socket = UdpSocket::bind(addr)
            .await
            .map_err(|source| Error::BindFailed {
                addr: *addr,
                source,
            })?;
        tracing::info!(addr = %addr, "radius listening");
        sockets.push(socket);
    }
    // Limitation: requests are not yet answered; the packet handling is being built.
    shutdown.cancelled().await;
    Ok(())
}
