//! Hosting when no cluster is configured: the catalogue is the built-in file, and every
//! change answers [`HostingError::NotConnected`] so pages can say so.

use super::{
    AppInstance, AppInstanceSpec, CatalogueApp, Hosting, HostingError, HostingFuture, TenantSpec,
    TenantStatus, catalogue::Catalogue,
};

/// Hosting without a cluster.
#[derive(Debug)]
pub struct NotConnected {
    catalogue: Catalogue,
}

impl NotConnected {
    /// Hosting without a cluster, offering the built-in catalogue.
    pub fn new() -> Self {
        Self {
            catalogue: Catalogue::built_in(),
        }
    }
}

impl Default for NotConnected {
    fn default() -> Self {
        Self::new()
    }
}

fn not_connected<'a, T: Send + 'a>() -> HostingFuture<'a, T> {
    Box::pin(async { Err(HostingError::NotConnected) })
}

impl Hosting for NotConnected {
    fn is_connected(&self) -> bool {
        false
    }

    fn ensure_tenant<'a>(&'a self, _: &'a TenantSpec) -> HostingFuture<'a, ()> {
        not_connected()
    }

    fn set_tenant_suspended<'a>(&'a self, _: &'a str, _: bool) -> HostingFuture<'a, ()> {
        not_connected()
    }

    fn tenant_status<'a>(&'a self, _: &'a str) -> HostingFuture<'a, TenantStatus> {
        not_connected()
    }

    fn catalogue(&self) -> HostingFuture<'_, Vec<CatalogueApp>> {
        let apps = self.catalogue.apps.clone();
        Box::pin(async move { Ok(apps) })
    }

    fn install_app<'a>(
        &'a self,
        _: &'a str,
        _: &'a AppInstanceSpec,
    ) -> HostingFuture<'a, AppInstance> {
        not_connected()
    }

    fn app_instances<'a>(&'a self, _: &'a str) -> HostingFuture<'a, Vec<AppInstance>> {
        not_connected()
    }

    fn app_instance<'a>(&'a self, _: &'a str, _: &'a str) -> HostingFuture<'a, AppInstance> {
        not_connected()
    }

    fn set_app_suspended<'a>(&'a self, _: &'a str, _: &'a str, _: bool) -> HostingFuture<'a, ()> {
        not_connected()
    }

    fn remove_app<'a>(&'a self, _: &'a str, _: &'a str) -> HostingFuture<'a, ()> {
        not_connected()
    }
}
