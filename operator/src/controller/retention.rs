//! Retention of a deleted instance's volumes and credentials: marked when the instance
//! goes, given back if it returns, deleted when the retention period has passed.

use std::{fmt::Debug, sync::Arc, time::Duration};

use jiff::Timestamp;
use k8s_openapi::NamespaceResourceScope;
use kube::{
    Api, Client, Resource, ResourceExt,
    api::{DeleteParams, Patch, PatchParams, Preconditions},
    runtime::controller::Action,
};
use serde::de::DeserializeOwned;

use super::{Context, Error, observed};
use crate::{crd::AppInstance, desired::INSTANCE_LABEL};

/// Label on a retained volume or Secret; the sweeper watches only objects that carry it.
pub const RETAINED_LABEL: &str = "commons.dev/retained";
/// Annotation holding the RFC 3339 time after which a retained object is deleted.
pub const DELETE_AFTER_ANNOTATION: &str = "commons.dev/delete-after";
/// Longest wait before a retained object is looked at again.
const RECHECK: Duration = Duration::from_secs(24 * 60 * 60);

/// Marks `name` as retained until `until`. A missing object is not an error: there is
/// nothing to keep.
///
/// # Errors
///
/// [`Error::RetentionFailed`] for any other API error.
pub(super) async fn retain<K>(api: &Api<K>, name: &str, until: Timestamp) -> Result<(), Error>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let patch = serde_json::json!({
        "metadata": {
            "labels": { RETAINED_LABEL: "true" },
            "annotations": { DELETE_AFTER_ANNOTATION: until.to_string() },
        }
    });
    match api
        .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(Error::RetentionFailed {
            name: name.to_owned(),
            source,
        }),
    }
}

/// Takes the retention marks off `object` if it has them: its instance is back.
///
/// # Errors
///
/// [`Error::RetentionFailed`] with the API error.
pub(super) async fn reclaim<K>(client: &Client, object: &K) -> Result<(), Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    if !object.labels().contains_key(RETAINED_LABEL) {
        return Ok(());
    }
    let api: Api<K> = Api::namespaced(client.clone(), &object.namespace().unwrap_or_default());
    let patch = serde_json::json!({
        "metadata": {
            "labels": { RETAINED_LABEL: null },
            "annotations": { DELETE_AFTER_ANNOTATION: null },
        }
    });
    tracing::info!(name = %object.name_any(), "instance is back; retained data reclaimed");
    api.patch(
        &object.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .map(drop)
    .map_err(|source| Error::RetentionFailed {
        name: object.name_any(),
        source,
    })
}

/// Deletes a retained object once its time is up, or gives it back to an instance of
/// the same name that was created again meanwhile.
///
/// # Guarantees
///
/// The delete carries the uid and resource version that were read: an object that was
/// reclaimed or replaced meanwhile is refused with 409 rather than deleted.
///
/// # Errors
///
/// [`Error::RetentionFailed`] with the API error.
#[tracing::instrument(name = "reconcile", skip_all, fields(kind = %K::kind(&()), name = %object.name_any()))]
pub(super) async fn reconcile<K>(object: Arc<K>, ctx: Arc<Context>) -> Result<Action, Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    observed(object.as_ref(), &ctx, sweep(object.as_ref(), &ctx)).await
}

async fn sweep<K>(object: &K, ctx: &Context) -> Result<Action, Error>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let Some(until) = delete_after(object) else {
        tracing::warn!("retained object without a valid delete-after time; left alone");
        return Ok(Action::await_change());
    };
    let namespace = object.namespace().unwrap_or_default();
    let failed = |source| Error::RetentionFailed {
        name: object.name_any(),
        source,
    };

    if let Some(instance) = object.labels().get(INSTANCE_LABEL) {
        let instances: Api<AppInstance> = Api::namespaced(ctx.client.clone(), &namespace);
        let current = instances.get_opt(instance).await.map_err(failed)?;
        if current.is_some_and(|i| i.metadata.deletion_timestamp.is_none()) {
            reclaim(&ctx.client, object).await?;
            return Ok(Action::await_change());
        }
    }

    let now = (ctx.clock)();
    if now < until {
        let wait = now.duration_until(until).unsigned_abs().min(RECHECK);
        return Ok(Action::requeue(wait));
    }
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let guard = DeleteParams {
        preconditions: Some(Preconditions {
            uid: object.uid(),
            resource_version: object.resource_version(),
        }),
        ..DeleteParams::default()
    };
    match api.delete(&object.name_any(), &guard).await {
        Ok(_) => tracing::info!("retention period over; deleted"),
        Err(kube::Error::Api(status)) if status.code == 404 => {}
        Err(source) => return Err(failed(source)),
    }
    Ok(Action::await_change())
}

/// The time after which `object` may be deleted, from its annotation.
pub(crate) fn delete_after<K: Resource>(object: &K) -> Option<Timestamp> {
    object
        .annotations()
        .get(DELETE_AFTER_ANNOTATION)?
        .parse()
        .ok()
}
