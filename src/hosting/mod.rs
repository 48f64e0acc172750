//! The portal's hosting on a Kubernetes cluster: [`ClusterHosting`] implements
//! `commons_portal::Hosting` with the operator's custom resources.

mod convert;
#[cfg(test)]
mod tests;

use std::{fmt, future::Future, time::Duration};

use commons_operator::{
    crd::{self, Application, tenant_namespace},
    hosting::{self as operator, HostingApi, KubeHosting, PORTAL_MANAGER, TenantChange},
};
use commons_portal::hosting::{
    AppInstance, AppInstanceSpec, CatalogueApp, Hosting, HostingError, HostingFuture, TenantSpec,
    TenantStatus,
};
use kube::{
    Api, Client,
    api::{ListParams, Patch, PatchParams, PostParams},
};

/// How long one hosting call may take before the page gets an error instead.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a hosting call failed at, carried inside [`HostingError::RequestFailed`].
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The API server did not answer in time.
    #[error("{action} timed out after {after:?}")]
    TimedOut {
        /// What was attempted.
        action: &'static str,
        /// The bound that passed.
        after: Duration,
    },
    /// The API server refused the request or could not be reached.
    #[error("{action} failed")]
    RequestFailed {
        /// What was attempted.
        action: &'static str,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// The organisation's kind has no tenant kind.
    #[error("organisation kind {kind:?} has no tenant kind")]
    KindUnknown {
        /// The kind given.
        kind: String,
    },
    /// A count of the plan's quota does not fit the tenant resource.
    #[error("quota {field} of {value} is out of range")]
    QuotaOutOfRange {
        /// Which count.
        field: &'static str,
        /// Its value.
        value: i64,
    },
}

/// Hosting through the Kubernetes API: the portal writes `Tenant` and `AppInstance`
/// resources as field manager `commons-portal` and reads back what the operator reports.
///
/// # Guarantees
///
/// Every call, however many requests it makes, ends within the timeout (10 s unless set
/// otherwise) with a result or [`HostingError::RequestFailed`].
#[derive(Clone)]
pub(crate) struct ClusterHosting {
    client: Client,
    writes: KubeHosting,
    timeout: Duration,
}

impl ClusterHosting {
    /// Hosting on the cluster `client` talks to.
    pub(crate) fn new(client: Client) -> Self {
        Self {
            writes: KubeHosting::new(client.clone()),
            client,
            timeout: CALL_TIMEOUT,
        }
    }

    /// Bounds each call by `timeout` instead.
    #[cfg(test)]
    fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn applications(&self) -> Api<Application> {
        Api::all(self.client.clone())
    }

    fn instances(&self, tenant: &str) -> Api<crd::AppInstance> {
        Api::namespaced(self.client.clone(), &tenant_namespace(tenant))
    }

    /// Runs `call`, giving up after the timeout.
    fn bounded<'a, T: Send + 'a>(
        &self,
        action: &'static str,
        call: impl Future<Output = Result<T, HostingError>> + Send + 'a,
    ) -> HostingFuture<'a, T> {
        let after = self.timeout;
        Box::pin(async move {
            tokio::time::timeout(after, call).await.unwrap_or_else(|_| {
                tracing::warn!(action, ?after, "hosting call timed out");
                Err(HostingError::RequestFailed(Box::new(Error::TimedOut {
                    action,
                    after,
                })))
            })
        })
    }

    async fn install(
        &self,
        tenant: &str,
        spec: &AppInstanceSpec,
    ) -> Result<AppInstance, HostingError> {
        let known = self
            .applications()
            .get_opt(&spec.application)
            .await
            .map_err(failed("reading application"))?;
        if known.is_none() {
            let name = spec.application.clone();
            return Err(HostingError::UnknownApplication { name });
        }

        // A create, not an apply: an apply would quietly take over an instance of the
        // same name, where the portal must say the name is taken.
        let instance = convert::app_instance(tenant, spec);
        let params = PostParams {
            field_manager: Some(PORTAL_MANAGER.to_owned()),
            ..PostParams::default()
        };
        match self.instances(tenant).create(&params, &instance).await {
            Ok(created) => Ok(convert::instance_view(created)),
            Err(kube::Error::Api(status)) if status.code == 409 => Err(HostingError::AlreadyExists),
            // The tenant's namespace does not exist.
            Err(err) => Err(missing_or_failed("creating app instance", "tenant")(err)),
        }
    }

    async fn set_instance_suspended(
        &self,
        tenant: &str,
        name: &str,
        suspended: bool,
    ) -> Result<(), HostingError> {
        // A merge patch, unlike an apply, cannot create a half-specified instance when
        // the name is wrong: it answers 404.
        let patch = serde_json::json!({ "spec": { "suspended": suspended } });
        let params = PatchParams {
            field_manager: Some(PORTAL_MANAGER.to_owned()),
            ..PatchParams::default()
        };
        self.instances(tenant)
            .patch(name, &params, &Patch::Merge(&patch))
            .await
            .map(drop)
            .map_err(missing_or_failed("suspending app instance", "application"))
    }
}

impl fmt::Debug for ClusterHosting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterHosting")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Turns a kube error into the portal's terms when a 404 means the request went wrong
/// (the resource type is not installed), not that an object is missing.
fn failed(action: &'static str) -> impl FnOnce(kube::Error) -> HostingError {
    move |source| HostingError::RequestFailed(Box::new(Error::RequestFailed { action, source }))
}

/// The same for a request naming one object, where a 404 means `what` does not exist.
fn missing_or_failed(
    action: &'static str,
    what: &'static str,
) -> impl FnOnce(kube::Error) -> HostingError {
    move |source| match source {
        kube::Error::Api(status) if status.code == 404 => HostingError::NotFound { what },
        source => failed(action)(source),
    }
}

/// The same for an error of the operator's hosting seam.
fn operator_missing_or_failed(what: &'static str) -> impl FnOnce(operator::Error) -> HostingError {
    move |err| match err {
        operator::Error::RequestFailed {
            source: kube::Error::Api(status),
            ..
        } if status.code == 404 => HostingError::NotFound { what },
        err => HostingError::RequestFailed(Box::new(err)),
    }
}

fn request_failed(err: impl std::error::Error + Send + Sync + 'static) -> HostingError {
    HostingError::RequestFailed(Box::new(err))
}

impl Hosting for ClusterHosting {
    fn is_connected(&self) -> bool {
        true
    }

    fn ensure_tenant<'a>(&'a self, spec: &'a TenantSpec) -> HostingFuture<'a, ()> {
        self.bounded("applying tenant", async move {
            let tenant = convert::tenant_spec(spec).map_err(request_failed)?;
            self.writes
                .apply_tenant(&spec.name, &tenant)
                .await
                .map_err(request_failed)
        })
    }

    fn set_tenant_suspended<'a>(
        &'a self,
        tenant: &'a str,
        suspended: bool,
    ) -> HostingFuture<'a, ()> {
        self.bounded("suspending tenant", async move {
            let change = TenantChange {
                suspended: Some(suspended),
                ..TenantChange::default()
            };
            self.writes
                .change_tenant(tenant, &change)
                .await
                .map_err(operator_missing_or_failed("tenant"))
        })
    }

    fn tenant_status<'a>(&'a self, tenant: &'a str) -> HostingFuture<'a, TenantStatus> {
        self.bounded("reading tenant", async move {
            // A tenant the operator has not reconciled yet has no status: to the portal
            // it is not provisioned yet, as it is when there is no tenant at all.
            match self.writes.tenant_status(tenant).await {
                Ok(Some(status)) => Ok(convert::tenant_status(status)),
                Ok(None) => Err(HostingError::NotFound { what: "tenant" }),
                Err(err) => Err(operator_missing_or_failed("tenant")(err)),
            }
        })
    }

    fn catalogue(&self) -> HostingFuture<'_, Vec<CatalogueApp>> {
        self.bounded("listing applications", async move {
            let apps = self
                .applications()
                .list(&ListParams::default())
                .await
                .map_err(failed("listing applications"))?;
            Ok(apps.items.iter().map(convert::catalogue_app).collect())
        })
    }

    fn install_app<'a>(
        &'a self,
        tenant: &'a str,
        spec: &'a AppInstanceSpec,
    ) -> HostingFuture<'a, AppInstance> {
        self.bounded("installing app", self.install(tenant, spec))
    }

    fn app_instances<'a>(&'a self, tenant: &'a str) -> HostingFuture<'a, Vec<AppInstance>> {
        self.bounded("listing app instances", async move {
            let instances = self
                .instances(tenant)
                .list(&ListParams::default())
                .await
                .map_err(failed("listing app instances"))?;
            Ok(instances
                .items
                .into_iter()
                .map(convert::instance_view)
                .collect())
        })
    }

    fn app_instance<'a>(
        &'a self,
        tenant: &'a str,
        name: &'a str,
    ) -> HostingFuture<'a, AppInstance> {
        self.bounded("reading app instance", async move {
            self.instances(tenant)
                .get(name)
                .await
                .map(convert::instance_view)
                .map_err(missing_or_failed("reading app instance", "application"))
        })
    }

    fn set_app_suspended<'a>(
        &'a self,
        tenant: &'a str,
        name: &'a str,
        suspended: bool,
    ) -> HostingFuture<'a, ()> {
        self.bounded(
            "suspending app instance",
            self.set_instance_suspended(tenant, name, suspended),
        )
    }

    fn remove_app<'a>(&'a self, tenant: &'a str, name: &'a str) -> HostingFuture<'a, ()> {
        self.bounded("removing app instance", async move {
            self.writes
                .delete_instance(tenant, name)
                .await
                .map_err(operator_missing_or_failed("application"))
        })
    }
}
