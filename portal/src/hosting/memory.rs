//! An in-memory stand-in for a cluster that records every change asked of it: for tests,
//! and for demos and browser tests of a running `commons` without Kubernetes.

use std::{
    collections::BTreeMap,
    io::Write,
    path::PathBuf,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use serde::Serialize;

use super::{
    AppInstance, AppInstanceSpec, CatalogueApp, Hosting, HostingError, HostingFuture, TenantSpec,
    TenantStatus, catalogue::Catalogue,
};

/// A change asked of the hosting, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum HostingCall {
    /// A tenant was created or updated.
    EnsureTenant {
        /// The desired tenant.
        spec: TenantSpec,
    },
    /// A tenant was suspended or resumed.
    SetTenantSuspended {
        /// Tenant name.
        tenant: String,
        /// New state.
        suspended: bool,
    },
    /// An application instance was created.
    InstallApp {
        /// Tenant name.
        tenant: String,
        /// The instance asked for.
        spec: AppInstanceSpec,
    },
    /// An application instance was suspended or resumed.
    SetAppSuspended {
        /// Tenant name.
        tenant: String,
        /// Instance name.
        name: String,
        /// New state.
        suspended: bool,
    },
    /// An application instance was removed.
    RemoveApp {
        /// Tenant name.
        tenant: String,
        /// Instance name.
        name: String,
    },
}

#[derive(Debug, Default)]
struct State {
    tenants: BTreeMap<String, TenantSpec>,
    apps: BTreeMap<(String, String), AppInstance>,
    calls: Vec<HostingCall>,
}

/// Hosting held in memory, answering as a healthy cluster would once reconciled.
#[derive(Debug)]
pub struct MemoryHosting {
    catalogue: Catalogue,
    state: Mutex<State>,
    journal: Option<PathBuf>,
    install_delay: Duration,
}

impl MemoryHosting {
    /// Hosting in memory with the built-in catalogue.
    pub fn new() -> Self {
        Self {
            catalogue: Catalogue::built_in(),
            state: Mutex::default(),
            journal: None,
            install_delay: Duration::ZERO,
        }
    }

    /// Makes each install wait `delay` before it takes effect, as a cluster's round trip
    /// does, so that tests can overlap installs.
    pub fn with_install_delay(mut self, delay: Duration) -> Self {
        self.install_delay = delay;
        self
    }

    /// Also appends each recorded call as one JSON line to `path`.
    pub fn with_journal(mut self, path: PathBuf) -> Self {
        self.journal = Some(path);
        self
    }

    /// Every change asked so far, oldest first.
    pub fn calls(&self) -> Vec<HostingCall> {
        self.lock().calls.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data; carry on with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn record(&self, state: &mut State, call: HostingCall) {
        if let Some(path) = &self.journal {
            let line = serde_json::to_string(&call).unwrap_or_default();
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut file| writeln!(file, "{line}"));
            if let Err(err) = written {
                tracing::warn!(path = %path.display(), error = %err, "cannot write hosting journal");
            }
        }
        state.calls.push(call);
    }

    fn install_now(
        &self,
        tenant: &str,
        spec: &AppInstanceSpec,
    ) -> Result<AppInstance, HostingError> {
        let mut state = self.lock();
        if !state.tenants.contains_key(tenant) {
            return Err(HostingError::NotFound { what: "tenant" });
        }
        if self.catalogue.find(&spec.application).is_none() {
            let name = spec.application.clone();
            return Err(HostingError::UnknownApplication { name });
        }
        let key = (tenant.to_owned(), spec.name.clone());
        if state.apps.contains_key(&key) {
            return Err(HostingError::AlreadyExists);
        }
        let instance = AppInstance {
            name: spec.name.clone(),
            application: spec.application.clone(),
            version: spec.version.clone(),
            url: Some(Self::app_url(tenant, &spec.name)),
            phase: "Running".into(),
            suspended: false,
            ready_replicas: 1,
        };
        state.apps.insert(key, instance.clone());
        let call = HostingCall::InstallApp {
            tenant: tenant.to_owned(),
            spec: spec.clone(),
        };
        self.record(&mut state, call);
        Ok(instance)
    }

    fn app_url(tenant: &str, name: &str) -> String {
        format!("https://{name}-{tenant}.apps.commons.invalid/")
    }
}

impl Default for MemoryHosting {
    fn default() -> Self {
        Self::new()
    }
}

fn ready<'a, T: Send + 'a>(value: Result<T, HostingError>) -> HostingFuture<'a, T> {
    Box::pin(async move { value })
}

impl Hosting for MemoryHosting {
    fn is_connected(&self) -> bool {
        true
    }

    fn ensure_tenant<'a>(&'a self, spec: &'a TenantSpec) -> HostingFuture<'a, ()> {
        let mut state = self.lock();
        state.tenants.insert(spec.name.clone(), spec.clone());
        self.record(&mut state, HostingCall::EnsureTenant { spec: spec.clone() });
        ready(Ok(()))
    }

    fn set_tenant_suspended<'a>(
        &'a self,
        tenant: &'a str,
        suspended: bool,
    ) -> HostingFuture<'a, ()> {
        let mut state = self.lock();
        let Some(spec) = state.tenants.get_mut(tenant) else {
            return ready(Err(HostingError::NotFound { what: "tenant" }));
        };
        spec.suspended = suspended;
        let call = HostingCall::SetTenantSuspended {
            tenant: tenant.to_owned(),
            suspended,
        };
        self.record(&mut state, call);
        ready(Ok(()))
    }

    fn tenant_status<'a>(&'a self, tenant: &'a str) -> HostingFuture<'a, TenantStatus> {
        let state = self.lock();
        let status = state
            .tenants
            .get(tenant)
            .map(|spec| TenantStatus {
                namespace: Some(format!("tenant-{tenant}")),
                ready: !spec.suspended,
                suspended: spec.suspended,
                message: None,
            })
            .ok_or(HostingError::NotFound { what: "tenant" });
        ready(status)
    }

    fn catalogue(&self) -> HostingFuture<'_, Vec<CatalogueApp>> {
        ready(Ok(self.catalogue.apps.clone()))
    }

    fn install_app<'a>(
        &'a self,
        tenant: &'a str,
        spec: &'a AppInstanceSpec,
    ) -> HostingFuture<'a, AppInstance> {
        Box::pin(async move {
            if !self.install_delay.is_zero() {
                tokio::time::sleep(self.install_delay).await;
            }
            self.install_now(tenant, spec)
        })
    }

    fn app_instances<'a>(&'a self, tenant: &'a str) -> HostingFuture<'a, Vec<AppInstance>> {
        let state = self.lock();
        let apps = state
            .apps
            .iter()
            .filter(|((owner, _), _)| owner == tenant)
            .map(|(_, app)| app.clone())
            .collect();
        ready(Ok(apps))
    }

    fn app_instance<'a>(
        &'a self,
        tenant: &'a str,
        name: &'a str,
    ) -> HostingFuture<'a, AppInstance> {
        let state = self.lock();
        let app = state
            .apps
            .get(&(tenant.to_owned(), name.to_owned()))
            .cloned()
            .ok_or(HostingError::NotFound {
                what: "application",
            });
        ready(app)
    }

    fn set_app_suspended<'a>(
        &'a self,
        tenant: &'a str,
        name: &'a str,
        suspended: bool,
    ) -> HostingFuture<'a, ()> {
        let mut state = self.lock();
        let Some(app) = state.apps.get_mut(&(tenant.to_owned(), name.to_owned())) else {
            return ready(Err(HostingError::NotFound {
                what: "application",
            }));
        };
        app.suspended = suspended;
        app.phase = if suspended { "Suspended" } else { "Running" }.into();
        app.ready_replicas = i32::from(!suspended);
        let call = HostingCall::SetAppSuspended {
            tenant: tenant.to_owned(),
            name: name.to_owned(),
            suspended,
        };
        self.record(&mut state, call);
        ready(Ok(()))
    }

    fn remove_app<'a>(&'a self, tenant: &'a str, name: &'a str) -> HostingFuture<'a, ()> {
        let mut state = self.lock();
        if state
            .apps
            .remove(&(tenant.to_owned(), name.to_owned()))
            .is_none()
        {
            return ready(Err(HostingError::NotFound {
                what: "application",
            }));
        }
        let call = HostingCall::RemoveApp {
            tenant: tenant.to_owned(),
            name: name.to_owned(),
        };
        self.record(&mut state, call);
        ready(Ok(()))
    }
}
