//! Reconciles an `AppInstance`: credentials once, volumes, workload, Service and Ingress;
//! on deletion, hands its volumes and credentials to the retention sweeper.

use std::{collections::BTreeMap, sync::Arc};

use k8s_openapi::api::{
    core::v1::{PersistentVolumeClaim, Secret},
    networking::v1::Ingress,
};
use kube::{
    Api, ResourceExt,
    api::{DeleteParams, ListParams, Patch, PatchParams, PostParams},
    runtime::controller::Action,
};
use rand::{Rng, distr::Alphanumeric};

use super::{Context, Error, RESYNC, apply, observed, retention};
use crate::{
    crd::{AppInstance, GeneratedSecret},
    desired::{
        self, APPLICATION_LABEL, AppObjects, INSTANCE_LABEL, InstanceOutcome, MANAGED_BY, MANAGER,
        credentials_secret_name, instance_status,
    },
};

/// Finalizer that holds a deleted instance until its volumes and credentials are marked
/// for retention. They carry no owner reference (so the garbage collector cannot take
/// them), and the retention period must start when the instance goes.
pub const FINALIZER: &str = "commons.dev/retain-volumes";

/// Brings the instance's objects in line with its spec, or retains its data when it is
/// being deleted.
///
/// # Guarantees
///
/// Credentials are generated only for keys the Secret lacks; existing values are never
/// replaced. Volumes are never deleted here.
///
/// # Errors
///
/// The first failed write; nothing after it is attempted.
#[tracing::instrument(name = "reconcile", skip_all, fields(kind = "AppInstance", name = %instance.name_any()))]
pub async fn reconcile(instance: Arc<AppInstance>, ctx: Arc<Context>) -> Result<Action, Error> {
    observed(instance.as_ref(), &ctx, async {
        if instance.metadata.deletion_timestamp.is_some() {
            return release(&instance, &ctx).await;
        }
        ensure_finalizer(&instance, &ctx).await?;
        apply_instance(&instance, &ctx).await
    })
    .await
}

async fn apply_instance(instance: &AppInstance, ctx: &Context) -> Result<Action, Error> {
    let namespace = instance.namespace().unwrap_or_default();
    let application = ctx.application(&instance.spec.application);
    let tenant_suspended = ctx.tenant_suspended(&namespace);
    let objects = match desired::app_objects(
        instance,
        application.as_deref(),
        tenant_suspended,
        &ctx.settings,
    ) {
        Ok(objects) => objects,
        Err(problem) => {
            tracing::info!(problem = %problem, "instance cannot run as written");
            write_status(instance, ctx, &InstanceOutcome::Invalid(problem)).await?;
            return Ok(Action::await_change());
        }
    };

    ensure_credentials(instance, ctx, &objects.secret_keys).await?;
    // Limitation: a volume removed from the Application keeps its claim until the instance
    // is deleted; pruning data on a catalogue edit is too risky to do silently.
    for claim in &objects.volumes {
        let applied = apply::apply(&ctx.client, claim).await?;
        retention::reclaim(&ctx.client, &applied).await?;
    }
    let deployment = apply::apply(&ctx.client, &objects.deployment).await?;
    apply::apply(&ctx.client, &objects.service).await?;
    apply_ingress(instance, ctx, &objects).await?;

    let ready = deployment
        .status
        .and_then(|s| s.ready_replicas)
        .unwrap_or(0);
    let outcome = InstanceOutcome::Applied {
        url: objects.url.clone(),
        replicas: objects.replicas,
        ready,
        tenant_suspended,
    };
    write_status(instance, ctx, &outcome).await?;
    Ok(Action::requeue(RESYNC))
}

/// Applies the Ingress when the instance has a hostname, and deletes it when it has none.
// Limitation: without a hostname every reconcile sends one DELETE that usually answers 404;
// an Ingress cache would save it but costs a watch per cluster, not worth it yet.
async fn apply_ingress(
    instance: &AppInstance,
    ctx: &Context,
    objects: &AppObjects,
) -> Result<(), Error> {
    if let Some(ingress) = &objects.ingress {
        apply::apply(&ctx.client, ingress).await?;
        return Ok(());
    }
    let api: Api<Ingress> = Api::namespaced(
        ctx.client.clone(),
        &instance.namespace().unwrap_or_default(),
    );
    match api
        .delete(&instance.name_any(), &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(Error::DeleteFailed {
            kind: "Ingress",
            name: instance.name_any(),
            source,
        }),
    }
}

async fn write_status(
    instance: &AppInstance,
    ctx: &Context,
    outcome: &InstanceOutcome,
) -> Result<(), Error> {
    let status = instance_status(instance, outcome, (ctx.clock)());
    if instance.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let api: Api<AppInstance> = Api::namespaced(
        ctx.client.clone(),
        &instance.namespace().unwrap_or_default(),
    );
    apply::write_status(&api, &instance.name_any(), &status).await?;
    let before = instance
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    apply::announce(&ctx.recorder, instance, before, &status.conditions).await;
    Ok(())
}

/// Makes sure the credentials Secret exists and holds every key the application wants.
///
/// Another replica (during a leader handover) may create the Secret between our read and
/// our create; the create then fails with 409 and the Secret it made is read and kept.
async fn ensure_credentials(
    instance: &AppInstance,
    ctx: &Context,
    keys: &[GeneratedSecret],
) -> Result<(), Error> {
    let namespace = instance.namespace().unwrap_or_default();
    let name = credentials_secret_name(&instance.name_any());
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let failed = |source| Error::CredentialsFailed {
        name: name.clone(),
        source,
    };

    let existing = match api.get_opt(&name).await.map_err(failed)? {
        Some(secret) => secret,
        None => {
            let secret =
                desired::credentials_secret(instance, &instance.spec.application, generate(keys));
            match api.create(&PostParams::default(), &secret).await {
                Ok(_) => return Ok(()),
                Err(kube::Error::Api(status)) if status.code == 409 => {
                    api.get(&name).await.map_err(failed)?
                }
                Err(source) => return Err(failed(source)),
            }
        }
    };
    retention::reclaim(&ctx.client, &existing).await?;

    let data = existing.data.unwrap_or_default();
    let missing: Vec<GeneratedSecret> = keys
        .iter()
        .filter(|key| !data.contains_key(&key.key))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    // A merge patch adds the new keys and leaves every existing value as it is.
    let patch = serde_json::json!({ "stringData": generate(&missing) });
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map(drop)
        .map_err(failed)
}

/// Random alphanumeric values for `keys`.
fn generate(keys: &[GeneratedSecret]) -> BTreeMap<String, String> {
    let mut rng = rand::rng();
    keys.iter()
        .map(|key| {
            let value: String = (&mut rng)
                .sample_iter(Alphanumeric)
                .take(usize::from(key.length))
                .map(char::from)
                .collect();
            (key.key.clone(), value)
        })
        .collect()
}

/// [`ensure_finalizer`] for the scenarios, which drive one step at a time.
#[cfg(test)]
pub(super) async fn ensure_finalizer_for_test(
    instance: &AppInstance,
    ctx: &Context,
) -> Result<(), Error> {
    ensure_finalizer(instance, ctx).await
}

async fn ensure_finalizer(instance: &AppInstance, ctx: &Context) -> Result<(), Error> {
    if instance.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(());
    }
    let mut finalizers = instance.finalizers().to_vec();
    finalizers.push(FINALIZER.to_owned());
    patch_finalizers(instance, ctx, finalizers).await
}

/// Marks the deleted instance's volumes and credentials for retention, then lets it go.
async fn release(instance: &AppInstance, ctx: &Context) -> Result<Action, Error> {
    if !instance.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    let namespace = instance.namespace().unwrap_or_default();
    let name = instance.name_any();
    let selector = format!(
        "{MANAGED_BY}={MANAGER},{INSTANCE_LABEL}={name},{APPLICATION_LABEL}={}",
        instance.spec.application
    );
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), &namespace);
    let list = claims
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|source| Error::RetentionFailed {
            name: name.clone(),
            source,
        })?;
    let until = (ctx.clock)() + ctx.retention;
    for claim in &list.items {
        retention::retain(&claims, &claim.name_any(), until).await?;
    }
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    retention::retain(&secrets, &credentials_secret_name(&name), until).await?;
    tracing::info!(volumes = list.items.len(), until = %until, "instance deleted; data retained");

    let finalizers = instance
        .finalizers()
        .iter()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    patch_finalizers(instance, ctx, finalizers).await?;
    Ok(Action::await_change())
}

/// Replaces the finalizer list. The patch carries the resource version we read, so the
/// API server refuses it with 409 if the object changed meanwhile (a finalizer someone
/// else added is then never dropped); the error policy retries promptly on fresh data.
async fn patch_finalizers(
    instance: &AppInstance,
    ctx: &Context,
    finalizers: Vec<String>,
) -> Result<(), Error> {
    let api: Api<AppInstance> = Api::namespaced(
        ctx.client.clone(),
        &instance.namespace().unwrap_or_default(),
    );
    let patch = serde_json::json!({
        "metadata": {
            "finalizers": finalizers,
            "resourceVersion": instance.resource_version(),
        }
    });
    api.patch(
        &instance.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
    .map(drop)
    .map_err(|source| Error::FinalizerFailed {
        name: instance.name_any(),
        source,
    })
}
