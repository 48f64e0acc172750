//! The Commons Kubernetes operator: reconciles `Tenant`, `Application` and `AppInstance`
//! custom resources.

use tokio_util::sync::CancellationToken;

/// Settings of the operator.
#[derive(Clone, Debug, Default)]
pub struct Config {}

/// What stopped the operator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No Kubernetes client could be built from the environment.
    #[error("cannot reach a Kubernetes cluster")]
    ClientFailed(#[source] kube::Error),
}

/// Whether a Kubernetes configuration is present: in-cluster service account variables,
/// `KUBECONFIG`, or `~/.kube/config`.
pub async fn cluster_configured() -> bool {
    kube::Config::infer().await.is_ok()
}

/// Runs the controllers until `shutdown` is cancelled.
///
/// # Errors
///
/// [`Error::ClientFailed`] when no cluster can be reached.
pub async fn run(_config: Config, shutdown: CancellationToken) -> Result<(), Error> {
    let _client = kube::Client::try_default()
        .await
        .map_err(Error::ClientFailed)?;
    // Limitation: the controllers are being built; the operator only connects for now.
    shutdown.cancelled().await;
    Ok(())
}
