//! Leader election with a `Lease`: only the replica holding it runs the controllers.

use std::time::Duration;

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tokio_util::sync::CancellationToken;

use crate::{Error, controller};

/// Where the lease lives and how long it lasts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseSettings {
    /// Namespace of the `Lease` (the operator's own).
    pub namespace: String,
    /// Name of the `Lease`.
    pub name: String,
    /// How long a holder that stopped renewing keeps the lease.
    pub duration: Duration,
    /// How long before expiry the holder renews.
    pub grace: Duration,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        Self {
            namespace: "commons".into(),
            name: "commons-operator".into(),
            duration: Duration::from_secs(15),
            grace: Duration::from_secs(5),
        }
    }
}

/// Runs the controllers whenever this replica holds the lease, and stops them as soon as
/// it loses it, until `shutdown`.
///
/// # Guarantees
///
/// Controllers of this replica run only while it holds the lease; when it is lost they
/// are cancelled and their in-flight reconciles finish before they could start again.
/// On shutdown the lease is released so another replica takes over at once.
///
/// # Errors
///
/// [`Error::LeaseFailed`] when the lease cannot be created or renewed.
pub async fn run_while_leading(
    client: Client,
    lease: LeaseSettings,
    options: controller::Options,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let manager = LeaseManagerBuilder::new(client.clone(), lease.name.clone())
        .with_namespace(lease.namespace.clone())
        .with_duration(lease.duration.as_secs())
        .with_grace(lease.grace.as_secs())
        .with_field_manager("commons-operator-lease")
        .build()
        .await
        .map_err(Error::LeaseFailed)?;
    let (mut leading, task) = manager.watch().await;
    metrics::gauge!("commons_operator_leader").set(0.0);

    while !shutdown.is_cancelled() {
        tokio::select! {
            () = shutdown.cancelled() => break,
            changed = leading.wait_for(|leader| *leader) => if changed.is_err() { break },
        }
        tracing::info!(lease = %lease.name, "leading; controllers starting");
        metrics::gauge!("commons_operator_leader").set(1.0);
        let term = shutdown.child_token();
        let controllers = tokio::spawn(controller::run(
            client.clone(),
            options.clone(),
            term.clone(),
        ));
        tokio::select! {
            () = shutdown.cancelled() => {}
            _ = leading.wait_for(|leader| !*leader) => {
                tracing::warn!(lease = %lease.name, "lease lost; controllers stopping");
            }
        }
        term.cancel();
        if let Err(err) = controllers.await {
            tracing::error!(error = %err, "controllers task failed");
        }
        metrics::gauge!("commons_operator_leader").set(0.0);
    }

    // Dropping the receiver ends the manager's task, which releases the lease.
    drop(leading);
    match task.await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(Error::LeaseFailed(err)),
        Err(err) => {
            tracing::error!(error = %err, "lease task failed");
            Ok(())
        }
    }
}
