//! The seam through which the portal drives hosting: create and change tenants, create
//! and delete app instances, read their status. A trait, so the portal's tests can use a
//! recording double; [`KubeHosting`] is the implementation against a cluster.

use std::future::Future;

use kube::{
    Api, Client,
    api::{DeleteParams, Patch, PatchParams},
};

use crate::crd::{
    AppInstance, AppInstanceSpec, AppInstanceStatus, Plan, Tenant, TenantSpec, TenantStatus,
    tenant_namespace,
};

/// The field manager of the portal's writes; the operator's own is separate, so neither
/// takes the other's fields.
pub const PORTAL_MANAGER: &str = "commons-portal";

/// What a hosting call can fail at.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API server refused or could not be reached.
    #[error("{action} {name} failed")]
    RequestFailed {
        /// What was attempted, such as `applying tenant`.
        action: &'static str,
        /// The resource's name.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

/// A change to a tenant's spec; fields left `None` are not touched.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TenantChange {
    /// New plan and quota.
    pub plan: Option<Plan>,
    /// Suspend or resume.
    pub suspended: Option<bool>,
    /// Allow or refuse deletion.
    pub prevent_deletion: Option<bool>,
}

/// Hosting operations the portal needs.
///
/// # Guarantees
///
/// Every write is idempotent: repeating a call with the same arguments leaves the
/// cluster as one call did.
pub trait HostingApi: Send + Sync {
    /// Creates the tenant `name` or makes its spec equal to `spec`.
    fn apply_tenant(
        &self,
        name: &str,
        spec: &TenantSpec,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Changes some fields of tenant `name`.
    fn change_tenant(
        &self,
        name: &str,
        change: &TenantChange,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The status of tenant `name`; `None` when there is no such tenant or it has not
    /// been reconciled yet.
    fn tenant_status(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<TenantStatus>, Error>> + Send;

    /// Creates instance `name` in `tenant`'s namespace or makes its spec equal to `spec`.
    fn apply_instance(
        &self,
        tenant: &str,
        name: &str,
        spec: &AppInstanceSpec,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Deletes instance `name` of `tenant`; its data is retained as the operator is
    /// configured to. Deleting a missing instance succeeds.
    fn delete_instance(
        &self,
        tenant: &str,
        name: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The status of instance `name` of `tenant`.
    fn instance_status(
        &self,
        tenant: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<AppInstanceStatus>, Error>> + Send;
}

/// [`HostingApi`] against a Kubernetes API server.
#[derive(Clone)]
pub struct KubeHosting {
    client: Client,
}

impl KubeHosting {
    /// Hosting through `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    fn tenants(&self) -> Api<Tenant> {
        Api::all(self.client.clone())
    }

    fn instances(&self, tenant: &str) -> Api<AppInstance> {
        Api::namespaced(self.client.clone(), &tenant_namespace(tenant))
    }
}

fn failed(action: &'static str, name: &str) -> impl FnOnce(kube::Error) -> Error {
    let name = name.to_owned();
    move |source| Error::RequestFailed {
        action,
        name,
        source,
    }
}

fn apply() -> PatchParams {
    PatchParams::apply(PORTAL_MANAGER)
}

/// A partial change, recorded under the portal's field manager as its applies are.
fn merge() -> PatchParams {
    PatchParams {
        field_manager: Some(PORTAL_MANAGER.to_owned()),
        ..PatchParams::default()
    }
}

impl HostingApi for KubeHosting {
    async fn apply_tenant(&self, name: &str, spec: &TenantSpec) -> Result<(), Error> {
        let tenant = Tenant::new(name, spec.clone());
        self.tenants()
            .patch(name, &apply().force(), &Patch::Apply(&tenant))
            .await
            .map(drop)
            .map_err(failed("applying tenant", name))
    }

    async fn change_tenant(&self, name: &str, change: &TenantChange) -> Result<(), Error> {
        let mut spec = serde_json::Map::new();
        if let Some(plan) = &change.plan {
            spec.insert(
                "plan".into(),
                serde_json::to_value(plan).unwrap_or_default(),
            );
        }
        if let Some(suspended) = change.suspended {
            spec.insert("suspended".into(), suspended.into());
        }
        if let Some(prevent) = change.prevent_deletion {
            spec.insert("preventDeletion".into(), prevent.into());
        }
        let patch = serde_json::json!({ "spec": spec });
        self.tenants()
            .patch(name, &merge(), &Patch::Merge(&patch))
            .await
            .map(drop)
            .map_err(failed("changing tenant", name))
    }

    async fn tenant_status(&self, name: &str) -> Result<Option<TenantStatus>, Error> {
        let tenant = self
            .tenants()
            .get_opt(name)
            .await
            .map_err(failed("reading tenant", name))?;
        Ok(tenant.and_then(|t| t.status))
    }

    async fn apply_instance(
        &self,
        tenant: &str,
        name: &str,
        spec: &AppInstanceSpec,
    ) -> Result<(), Error> {
        let mut instance = AppInstance::new(name, spec.clone());
        instance.metadata.namespace = Some(tenant_namespace(tenant));
        self.instances(tenant)
            .patch(name, &apply().force(), &Patch::Apply(&instance))
            .await
            .map(drop)
            .map_err(failed("applying app instance", name))
    }

    async fn delete_instance(&self, tenant: &str, name: &str) -> Result<(), Error> {
        match self
            .instances(tenant)
            .delete(name, &DeleteParams::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(source) => Err(failed("deleting app instance", name)(source)),
        }
    }

    async fn instance_status(
        &self,
        tenant: &str,
        name: &str,
    ) -> Result<Option<AppInstanceStatus>, Error> {
        let instance = self
            .instances(tenant)
            .get_opt(name)
            .await
            .map_err(failed("reading app instance", name))?;
        Ok(instance.and_then(|i| i.status))
    }
}
