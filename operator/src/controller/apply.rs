//! Writes shared by the controllers: server-side apply under the operator's one field
//! manager, status patches, and Events for condition changes.

use std::fmt::Debug;

use k8s_openapi::{
    ClusterResourceScope, NamespaceResourceScope, apimachinery::pkg::apis::meta::v1::Condition,
};
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::events::{Event, EventType, Recorder},
};
use serde::{Serialize, de::DeserializeOwned};

use super::Error;
use crate::desired::MANAGER;

fn apply_params() -> PatchParams {
    // Forcing takes fields back from anyone who edited them by hand: the operator's
    // desired state wins.
    PatchParams::apply(MANAGER).force()
}

fn apply_failed<K: Resource<DynamicType = ()>>(object: &K) -> impl FnOnce(kube::Error) -> Error {
    let name = object.name_any();
    move |source| Error::ApplyFailed {
        kind: kind_of::<K>(),
        name,
        source,
    }
}

/// The static kind name of `K`, for error messages and metrics.
pub(super) fn kind_of<K: Resource<DynamicType = ()>>() -> &'static str {
    match K::kind(&()) {
        std::borrow::Cow::Borrowed(kind) => kind,
        std::borrow::Cow::Owned(_) => "Object",
    }
}

/// Server-side applies a namespaced object and returns what the API server holds after.
///
/// # Errors
///
/// [`Error::ApplyFailed`] with the API error.
pub(super) async fn apply<K>(client: &Client, object: &K) -> Result<K, Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>,
    K: Serialize + DeserializeOwned + Clone + Debug,
{
    let namespace = object.namespace().unwrap_or_default();
    let api: Api<K> = Api::namespaced(client.clone(), &namespace);
    api.patch(&object.name_any(), &apply_params(), &Patch::Apply(object))
        .await
        .map_err(apply_failed(object))
}

/// Server-side applies a cluster-scoped object.
///
/// # Errors
///
/// [`Error::ApplyFailed`] with the API error.
pub(super) async fn apply_cluster<K>(client: &Client, object: &K) -> Result<K, Error>
where
    K: Resource<DynamicType = (), Scope = ClusterResourceScope>,
    K: Serialize + DeserializeOwned + Clone + Debug,
{
    let api: Api<K> = Api::all(client.clone());
    api.patch(&object.name_any(), &apply_params(), &Patch::Apply(object))
        .await
        .map_err(apply_failed(object))
}

/// Writes `status` with a merge patch on the status subresource. The write changes only
/// the resource version, which the controllers' generation filter ignores, so it does
/// not cause another reconcile.
///
/// # Errors
///
/// [`Error::StatusFailed`] with the API error.
pub(super) async fn write_status<K, S>(api: &Api<K>, name: &str, status: &S) -> Result<(), Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
    S: Serialize,
{
    let patch = serde_json::json!({ "status": status });
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
        .map_err(|source| Error::StatusFailed {
            name: name.to_owned(),
            source,
        })
}

/// Publishes one Event per condition whose status changed between `before` and `after`.
/// Events are for people; a failure to publish is logged and does not fail the reconcile.
pub(super) async fn announce<K>(
    recorder: &Recorder,
    object: &K,
    before: &[Condition],
    after: &[Condition],
) where
    K: Resource<DynamicType = ()>,
{
    for event in transitions(before, after) {
        if let Err(err) = recorder.publish(&event, &object.object_ref(&())).await {
            tracing::warn!(error = %err, reason = %event.reason, "cannot publish event");
        }
    }
}

/// The Events for conditions that changed status or reason. A condition that first
/// appears false says nothing a person needs, unless it is `Ready`.
pub(super) fn transitions(before: &[Condition], after: &[Condition]) -> Vec<Event> {
    let changed = |new: &&Condition| match before.iter().find(|old| old.type_ == new.type_) {
        Some(old) => old.status != new.status || old.reason != new.reason,
        None => new.status == "True" || new.type_ == "Ready",
    };
    after
        .iter()
        .filter(changed)
        .map(|new| Event {
            type_: if is_problem(new) {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: new.reason.clone(),
            note: Some(new.message.clone()),
            action: "Reconcile".into(),
            secondary: None,
        })
        .collect()
}

/// A `Ready` condition that is false for a reason other than waiting or suspension.
fn is_problem(condition: &Condition) -> bool {
    condition.type_ == "Ready"
        && condition.status == "False"
        && !matches!(condition.reason.as_str(), "Progressing" | "Suspended")
}
