//! The controllers: reconcile loops for tenants, app instances and retained volumes, their
//! shared context, and the one error policy that decides requeues.

mod apply;
mod instance;
mod retention;
mod tenant;
#[cfg(test)]
mod tests;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::{Stream, StreamExt};
use jiff::Timestamp;
use k8s_openapi::api::{
    apps::v1::Deployment,
    core::v1::{PersistentVolumeClaim, Secret},
};
use kube::{
    Api, Client, Resource, ResourceExt,
    runtime::{
        Controller, PredicateConfig, WatchStreamExt,
        controller::Action,
        events::{Recorder, Reporter},
        predicates,
        reflector::{self, ObjectRef, Store},
        watcher,
    },
};
use tokio_util::sync::CancellationToken;

use crate::{
    crd::{AppInstance, Application, Tenant, tenant_of_namespace},
    desired::{MANAGED_BY, MANAGER, Settings},
};

pub use instance::{FINALIZER, reconcile as reconcile_instance};
pub use retention::{DELETE_AFTER_ANNOTATION, RETAINED_LABEL};
pub use tenant::reconcile as reconcile_tenant;

/// What a reconcile can fail at. Each variant names the step.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Server-side apply of a desired object failed.
    #[error("applying {kind} {name} failed")]
    ApplyFailed {
        /// Kind of the object.
        kind: &'static str,
        /// Name of the object.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Reading, creating or completing the credentials Secret failed.
    #[error("credentials secret {name} could not be ensured")]
    CredentialsFailed {
        /// Name of the Secret.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Deleting an object that is no longer wanted failed.
    #[error("deleting {kind} {name} failed")]
    DeleteFailed {
        /// Kind of the object.
        kind: &'static str,
        /// Name of the object.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Adding or removing the finalizer failed.
    #[error("updating the finalizer of {name} failed")]
    FinalizerFailed {
        /// Name of the resource.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Marking, reclaiming or deleting a retained volume or secret failed.
    #[error("retention of {name} failed")]
    RetentionFailed {
        /// Name of the retained object.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
    /// Writing the status failed.
    #[error("writing the status of {name} failed")]
    StatusFailed {
        /// Name of the resource.
        name: String,
        /// The API error.
        #[source]
        source: kube::Error,
    },
}

impl Error {
    /// The variant's name, the `error` label of the error counter.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::ApplyFailed { .. } => "ApplyFailed",
            Self::CredentialsFailed { .. } => "CredentialsFailed",
            Self::DeleteFailed { .. } => "DeleteFailed",
            Self::FinalizerFailed { .. } => "FinalizerFailed",
            Self::RetentionFailed { .. } => "RetentionFailed",
            Self::StatusFailed { .. } => "StatusFailed",
        }
    }

    fn api_error(&self) -> &kube::Error {
        match self {
            Self::ApplyFailed { source, .. }
            | Self::CredentialsFailed { source, .. }
            | Self::DeleteFailed { source, .. }
            | Self::FinalizerFailed { source, .. }
            | Self::RetentionFailed { source, .. }
            | Self::StatusFailed { source, .. } => source,
        }
    }

    /// Whether the API refused the write because the object changed under us (409), in
    /// which case a prompt retry on fresh data is right.
    pub fn is_conflict(&self) -> bool {
        matches!(self.api_error(), kube::Error::Api(status) if status.code == 409)
    }
}

/// How long a healthy object waits before it is checked again, in case a change was missed.
pub(crate) const RESYNC: Duration = Duration::from_secs(60 * 60);
/// First delay after a failure; it doubles with each further failure of the same object.
const BACKOFF_START: Duration = Duration::from_secs(2);
/// Longest delay after repeated failures.
const BACKOFF_MAX: Duration = Duration::from_secs(5 * 60);
/// Delay before retrying after a write conflict.
const CONFLICT_RETRY: Duration = Duration::from_millis(500);

/// What every reconcile needs: the client, the settings and the caches of the resources
/// it reads but does not own.
pub struct Context {
    pub(crate) client: Client,
    pub(crate) settings: Settings,
    pub(crate) retention: Duration,
    pub(crate) recorder: Recorder,
    pub(crate) applications: Store<Application>,
    pub(crate) tenants: Store<Tenant>,
    pub(crate) clock: fn() -> Timestamp,
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    /// A context over `client`, reading applications and tenants from the given caches.
    pub fn new(
        client: Client,
        settings: Settings,
        retention: Duration,
        applications: Store<Application>,
        tenants: Store<Tenant>,
    ) -> Self {
        let reporter = Reporter {
            controller: MANAGER.into(),
            instance: None,
        };
        Self {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            settings,
            retention,
            applications,
            tenants,
            clock: Timestamp::now,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The same context with a fixed clock, for tests and benchmarks.
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    fn application(&self, name: &str) -> Option<Arc<Application>> {
        self.applications.get(&ObjectRef::new(name))
    }

    fn tenant_suspended(&self, namespace: &str) -> bool {
        tenant_of_namespace(namespace)
            .and_then(|name| self.tenants.get(&ObjectRef::new(name)))
            .is_some_and(|tenant| tenant.spec.suspended)
    }

    /// Forgets the failures of `key` after a successful reconcile.
    // Limitation: an object deleted while failing keeps its small entry until restart;
    // pruning needs a delete hook the controller runtime does not give.
    fn succeeded(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }

    /// Counts a failure of `key` and gives the delay before the next attempt.
    fn failed(&self, key: &str, err: &Error) -> Duration {
        if err.is_conflict() {
            return CONFLICT_RETRY;
        }
        let count = self.failures.lock().map_or(1, |mut failures| {
            let count = failures.entry(key.to_owned()).or_insert(0);
            *count = count.saturating_add(1);
            *count
        });
        backoff(count)
    }
}

/// The delay after the `failures`-th failure in a row: doubling from two seconds, at most
/// five minutes.
pub(crate) fn backoff(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
    BACKOFF_START.saturating_mul(factor).min(BACKOFF_MAX)
}

fn object_key<K>(object: &K) -> String
where
    K: Resource,
    K::DynamicType: Default,
{
    format!(
        "{}/{}/{}",
        K::kind(&Default::default()),
        object.namespace().unwrap_or_default(),
        object.name_any()
    )
}

/// The error policy of every controller: logs, counts by variant, and picks the requeue.
fn error_policy<K>(object: Arc<K>, err: &Error, ctx: Arc<Context>) -> Action
where
    K: Resource,
    K::DynamicType: Default,
{
    let kind = K::kind(&Default::default()).into_owned();
    metrics::counter!(
        "commons_operator_reconcile_errors_total",
        "kind" => kind.clone(),
        "error" => err.metric_label()
    )
    .increment(1);
    let delay = ctx.failed(&object_key(object.as_ref()), err);
    tracing::warn!(kind, name = %object.name_any(), error = %err, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// Runs `reconcile` with timing, counting and the success bookkeeping of the backoff.
async fn observed<K, F>(object: &K, ctx: &Context, reconcile: F) -> Result<Action, Error>
where
    K: Resource,
    K::DynamicType: Default,
    F: Future<Output = Result<Action, Error>>,
{
    let kind = K::kind(&Default::default()).into_owned();
    let started = std::time::Instant::now();
    let result = reconcile.await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::histogram!("commons_operator_reconcile_duration_seconds", "kind" => kind.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("commons_operator_reconciles_total", "kind" => kind, "outcome" => outcome)
        .increment(1);
    if result.is_ok() {
        ctx.succeeded(&object_key(object));
    }
    result
}

/// Objects whose `metadata.generation` changed: spec edits and deletions pass, while the
/// operator's own status writes (which change only the resource version) do not.
pub fn spec_changes<K, S>(objects: S) -> impl Stream<Item = Result<K, watcher::Error>>
where
    K: Resource + 'static,
    S: Stream<Item = Result<K, watcher::Error>>,
{
    objects.predicate_filter(predicates::generation, PredicateConfig::default())
}

/// Settings of the controllers.
#[derive(Clone, Debug)]
pub struct Options {
    /// What desired objects depend on.
    pub settings: Settings,
    /// How long volumes and credentials of a deleted instance are kept.
    pub retention: Duration,
    /// Reconciles in flight at once, per controller.
    pub concurrency: u16,
}

/// Runs the tenant, instance and retention controllers until `shutdown` is cancelled.
///
/// # Guarantees
///
/// Each controller reconciles at most `concurrency` objects at once and never the same
/// object twice at once; in-flight reconciles finish before this returns.
pub async fn run(client: Client, options: Options, shutdown: CancellationToken) {
    let config = kube::runtime::controller::Config::default().concurrency(options.concurrency);
    let all = watcher::Config::default;

    let (tenants, tenant_writer) = reflector::store();
    let tenant_events = reflector::reflector(
        tenant_writer,
        watcher(Api::<Tenant>::all(client.clone()), all()),
    )
    .default_backoff()
    .applied_objects();
    let (applications, app_writer) = reflector::store();
    let app_events = reflector::reflector(
        app_writer,
        watcher(Api::<Application>::all(client.clone()), all()),
    )
    .default_backoff()
    .applied_objects();
    let (instances, instance_writer) = reflector::store();
    let instance_events = reflector::reflector(
        instance_writer,
        watcher(Api::<AppInstance>::all(client.clone()), all()),
    )
    .default_backoff()
    .applied_objects();
    let ctx = Arc::new(Context::new(
        client.clone(),
        options.settings,
        options.retention,
        applications,
        tenants.clone(),
    ));

    // Limitation: a hand edit of a tenant's quota, policies or role is put back only at the
    // hourly resync, not at once; watching those kinds needs a tenant lookup by label
    // (their owner is cluster-scoped, which `owns` cannot map), left for later.
    let tenant_controller = Controller::for_stream(spec_changes(tenant_events), tenants)
        .with_config(config.clone())
        .graceful_shutdown_on(shutdown.clone().cancelled_owned())
        .run(tenant::reconcile, error_policy, ctx.clone())
        .for_each(|_| std::future::ready(()));

    let by_application = instances.clone();
    let by_tenant = instances.clone();
    let managed = watcher::Config::default().labels(&format!("{MANAGED_BY}={MANAGER}"));
    let instance_controller = Controller::for_stream(spec_changes(instance_events), instances)
        .owns(Api::<Deployment>::all(client.clone()), managed)
        .watches_stream(app_events, move |app| {
            instances_of_application(&by_application, &app)
        })
        .watches(Api::<Tenant>::all(client.clone()), all(), move |tenant| {
            instances_of_tenant(&by_tenant, &tenant)
        })
        .with_config(config.clone())
        .graceful_shutdown_on(shutdown.clone().cancelled_owned())
        .run(instance::reconcile, error_policy, ctx.clone())
        .for_each(|_| std::future::ready(()));

    let retained = watcher::Config::default().labels(&format!("{RETAINED_LABEL}=true"));
    let claim_sweeper = Controller::new(
        Api::<PersistentVolumeClaim>::all(client.clone()),
        retained.clone(),
    )
    .with_config(config.clone())
    .graceful_shutdown_on(shutdown.clone().cancelled_owned())
    .run(retention::reconcile, error_policy, ctx.clone())
    .for_each(|_| std::future::ready(()));
    let secret_sweeper = Controller::new(Api::<Secret>::all(client), retained)
        .with_config(config)
        .graceful_shutdown_on(shutdown.cancelled_owned())
        .run(retention::reconcile, error_policy, ctx)
        .for_each(|_| std::future::ready(()));

    tokio::join!(
        tenant_controller,
        instance_controller,
        claim_sweeper,
        secret_sweeper
    );
}

/// The instances that run `application`.
fn instances_of_application(
    instances: &Store<AppInstance>,
    application: &Application,
) -> Vec<ObjectRef<AppInstance>> {
    let name = application.name_any();
    instances
        .state()
        .into_iter()
        .filter(|instance| instance.spec.application == name)
        .map(|instance| ObjectRef::from_obj(instance.as_ref()))
        .collect()
}

/// The instances in `tenant`'s namespace, which its suspension affects.
fn instances_of_tenant(
    instances: &Store<AppInstance>,
    tenant: &Tenant,
) -> Vec<ObjectRef<AppInstance>> {
    let namespace = tenant.namespace_name();
    instances
        .state()
        .into_iter()
        .filter(|instance| instance.namespace().as_deref() == Some(namespace.as_str()))
        .map(|instance| ObjectRef::from_obj(instance.as_ref()))
        .collect()
}
