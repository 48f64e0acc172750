//! The Commons Kubernetes operator: reconciles `Tenant`, `Application` and `AppInstance`
//! custom resources.
//!
//! Layers: [`crd`] holds the resource types; [`desired`] computes, without I/O, the
//! objects and status each resource should have; [`controller`] applies them; [`leader`]
//! makes sure one replica at a time does; [`hosting`] is the seam the portal drives the
//! same resources through; [`render`] prints the desired objects without a cluster.

pub mod controller;
pub mod crd;
pub mod desired;
pub mod hosting;
pub mod leader;
pub mod render;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use desired::Settings;

/// Settings of the operator.
#[derive(Clone, Debug)]
pub struct Config {
    /// What the desired objects depend on: ingress class, issuer, namespaces, ranges.
    pub settings: Settings,
    /// How long a deleted instance's volumes and credentials are kept.
    pub retention: Duration,
    /// Reconciles in flight at once, per controller.
    pub concurrency: u16,
    /// Leader election; `None` runs the controllers without it (one replica only). The
    /// lease namespace must exist, or the operator stops at start-up.
    pub lease: Option<leader::LeaseSettings>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            retention: Duration::from_secs(30 * 24 * 60 * 60),
            concurrency: 4,
            lease: Some(leader::LeaseSettings::default()),
        }
    }
}

/// What stopped the operator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No Kubernetes client could be built from the environment.
    #[error("cannot reach a Kubernetes cluster")]
    ClientFailed(#[source] kube::Error),
    /// Leader election could not start or failed.
    #[error("leader election failed")]
    LeaseFailed(#[source] kube_lease_manager::LeaseManagerError),
}

/// Whether a Kubernetes configuration is present: in-cluster service account variables,
/// `KUBECONFIG`, or `~/.kube/config`.
pub async fn cluster_configured() -> bool {
    kube::Config::infer().await.is_ok()
}

/// Runs the controllers until `shutdown` is cancelled: while this replica holds the
/// lease, or always when leader election is off.
///
/// # Errors
///
/// [`Error::ClientFailed`] when no cluster can be reached, [`Error::LeaseFailed`] when
/// the lease cannot be managed.
pub async fn run(config: Config, shutdown: CancellationToken) -> Result<(), Error> {
    let client = kube::Client::try_default()
        .await
        .map_err(Error::ClientFailed)?;
    let options = controller::Options {
        settings: config.settings,
        retention: config.retention,
        concurrency: config.concurrency,
    };
    tracing::info!(concurrency = options.concurrency, "operator starting");
    match config.lease {
        Some(lease) => leader::run_while_leading(client, lease, options, shutdown).await,
        None => {
            controller::run(client, options, shutdown).await;
            Ok(())
        }
    }
}
