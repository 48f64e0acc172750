//! The seam between the portal and hosting: tenants and application instances on
//! Kubernetes, reached through the [`Hosting`] trait so the pages work with a real
//! cluster, with none ([`NotConnected`]), or with a recording double ([`MemoryHosting`]).

mod catalogue;
mod memory;
mod not_connected;

use std::{fmt, future::Future, pin::Pin};

use serde::{Deserialize, Serialize};

pub use catalogue::{BUILT_IN_CATALOGUE, Catalogue};
pub use memory::{HostingCall, MemoryHosting};
pub use not_connected::NotConnected;

/// What a hosting call returns.
pub type HostingFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, HostingError>> + Send + 'a>>;

/// What went wrong in a hosting call.
#[derive(Debug, thiserror::Error)]
pub enum HostingError {
    /// No Kubernetes cluster is configured.
    #[error("hosting is not connected")]
    NotConnected,
    /// The tenant or application instance does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// An application instance of that name already exists in the tenant.
    #[error("an application with that name is already installed")]
    AlreadyExists,
    /// The catalogue has no application of that name.
    #[error("no application {name:?} in the catalogue")]
    UnknownApplication {
        /// The name asked for.
        name: String,
    },
    /// The cluster refused or failed the request.
    #[error("the cluster did not accept the request")]
    RequestFailed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Resource limits of a tenant, from its organisation's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// CPU in millicores.
    pub cpu_millis: i64,
    /// Memory in MiB.
    pub memory_mib: i64,
    /// Storage in GiB.
    pub storage_gib: i64,
    /// Most pods at once.
    pub pods: i64,
    /// Most application instances.
    pub apps: i64,
}

/// The desired state of an organisation's tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSpec {
    /// Tenant name: the organisation's slug.
    pub name: String,
    /// The organisation's name.
    pub display_name: String,
    /// The portal's organisation id.
    pub org_id: i64,
    /// Sort of organisation (`voluntary`, `charity`, `partner`, `commercial`).
    pub kind: String,
    /// Plan slug.
    pub plan: String,
    /// Resource limits.
    pub quota: Quota,
    /// Email addresses of the organisation's owners and admins.
    pub admins: Vec<String>,
    /// Whether workloads are scaled to zero (data kept).
    pub suspended: bool,
}

/// What the cluster reports about a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantStatus {
    /// Its namespace, once made.
    pub namespace: Option<String>,
    /// Whether the tenant is fully set up.
    pub ready: bool,
    /// Whether it is suspended.
    pub suspended: bool,
    /// A readable explanation of the state, if the operator gave one.
    pub message: Option<String>,
}

/// One application of the council catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogueApp {
    /// Name used to install it.
    pub name: String,
    /// Display title.
    pub title: String,
    /// What it does, in a sentence.
    pub description: String,
    /// Version installed by default.
    pub version: String,
    /// What happens to its data when an instance is removed, told before removal.
    pub data_on_remove: String,
}

/// A request to install an application in a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInstanceSpec {
    /// Instance name, unique in the tenant (a DNS label).
    pub name: String,
    /// Catalogue application.
    pub application: String,
    /// Version to run.
    pub version: String,
}

/// An installed application and the status the operator writes back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AppInstance {
    /// Instance name.
    pub name: String,
    /// Catalogue application.
    pub application: String,
    /// Version.
    pub version: String,
    /// Where people reach it, once published.
    pub url: Option<String>,
    /// Lifecycle phase as reported (`Pending`, `Running`, `Suspended`, `Failed`…).
    pub phase: String,
    /// Whether it is scaled to zero.
    pub suspended: bool,
    /// Replicas ready to serve.
    pub ready_replicas: i32,
}

/// Hosting operations the portal needs. Implementations must be idempotent where the
/// method says so, since a page may be submitted twice, and must bound the time of each
/// call: pages wait for them.
pub trait Hosting: Send + Sync + fmt::Debug {
    /// Whether a cluster is behind this implementation.
    fn is_connected(&self) -> bool;

    /// Creates or updates the tenant of an organisation. Idempotent.
    fn ensure_tenant<'a>(&'a self, spec: &'a TenantSpec) -> HostingFuture<'a, ()>;

    /// Suspends or resumes a tenant's workloads; volumes and secrets are kept. Idempotent.
    fn set_tenant_suspended<'a>(
        &'a self,
        tenant: &'a str,
        suspended: bool,
    ) -> HostingFuture<'a, ()>;

    /// The status of a tenant; [`HostingError::NotFound`] when it has none yet.
    fn tenant_status<'a>(&'a self, tenant: &'a str) -> HostingFuture<'a, TenantStatus>;

    /// The applications organisations may install.
    fn catalogue(&self) -> HostingFuture<'_, Vec<CatalogueApp>>;

    /// Installs an application in a tenant.
    fn install_app<'a>(
        &'a self,
        tenant: &'a str,
        spec: &'a AppInstanceSpec,
    ) -> HostingFuture<'a, AppInstance>;

    /// The application instances of a tenant.
    fn app_instances<'a>(&'a self, tenant: &'a str) -> HostingFuture<'a, Vec<AppInstance>>;

    /// One application instance of a tenant.
    fn app_instance<'a>(&'a self, tenant: &'a str, name: &'a str)
    -> HostingFuture<'a, AppInstance>;

    /// Suspends or resumes one application instance, keeping its data. Idempotent.
    fn set_app_suspended<'a>(
        &'a self,
        tenant: &'a str,
        name: &'a str,
        suspended: bool,
    ) -> HostingFuture<'a, ()>;

    /// Removes an application instance and its data.
    fn remove_app<'a>(&'a self, tenant: &'a str, name: &'a str) -> HostingFuture<'a, ()>;
}
