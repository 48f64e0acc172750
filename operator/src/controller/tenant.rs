//! Reconciles a `Tenant`: applies its namespace objects and writes its status.

use std::sync::Arc;

use kube::{Api, ResourceExt, runtime::controller::Action};

use super::{Context, Error, RESYNC, apply, observed};
use crate::{
    crd::Tenant,
    desired::{tenant_objects, tenant_status},
};

/// Brings the tenant's namespace in line with its spec.
///
/// # Guarantees
///
/// Idempotent: every object is server-side applied, and the status is written only when
/// it differs from what the tenant shows.
///
/// # Errors
///
/// The first failed write; nothing after it is attempted.
#[tracing::instrument(name = "reconcile", skip_all, fields(kind = "Tenant", name = %tenant.name_any()))]
pub async fn reconcile(tenant: Arc<Tenant>, ctx: Arc<Context>) -> Result<Action, Error> {
    observed(tenant.as_ref(), &ctx, apply_tenant(&tenant, &ctx)).await
}

async fn apply_tenant(tenant: &Tenant, ctx: &Context) -> Result<Action, Error> {
    let objects = tenant_objects(tenant, &ctx.settings);
    let client = &ctx.client;
    apply::apply_cluster(client, &objects.namespace).await?;
    apply::apply(client, &objects.quota).await?;
    apply::apply(client, &objects.limits).await?;
    for policy in &objects.network_policies {
        apply::apply(client, policy).await?;
    }
    apply::apply(client, &objects.role).await?;
    apply::apply(client, &objects.role_binding).await?;

    let status = tenant_status(tenant, (ctx.clock)());
    if tenant.status.as_ref() != Some(&status) {
        let api: Api<Tenant> = Api::all(client.clone());
        apply::write_status(&api, &tenant.name_any(), &status).await?;
        let before = tenant
            .status
            .as_ref()
            .map(|s| s.conditions.as_slice())
            .unwrap_or_default();
        apply::announce(&ctx.recorder, tenant, before, &status.conditions).await;
    }
    tracing::debug!(namespace = %tenant.namespace_name(), "tenant reconciled");
    Ok(Action::requeue(RESYNC))
}
