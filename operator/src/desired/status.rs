//! The status each resource should show, computed from what the reconcile saw.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

use super::SpecProblem;
use crate::crd::{AppInstance, AppInstancePhase, AppInstanceStatus, Tenant, TenantStatus};

/// What a reconcile of an instance ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstanceOutcome {
    /// The objects were applied.
    Applied {
        /// Where people reach the app.
        url: String,
        /// Replicas asked for; zero while suspended.
        replicas: i32,
        /// Replicas the Deployment reports ready.
        ready: i32,
        /// Whether the tenant (rather than the instance itself) is suspended.
        tenant_suspended: bool,
    },
    /// The spec cannot be run as written.
    Invalid(SpecProblem),
}

/// The status of a tenant whose objects were all applied.
///
/// # Guarantees
///
/// Pure; a condition keeps its `lastTransitionTime` while its status does not change, so
/// applying the result twice writes nothing new.
pub fn tenant_status(tenant: &Tenant, now: Timestamp) -> TenantStatus {
    let before = tenant
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let stamp = Stamp {
        before,
        generation: tenant.metadata.generation,
        now,
    };
    let plan = &tenant.spec.plan;
    let namespace = tenant.namespace_name();
    let suspended = if tenant.spec.suspended {
        stamp.condition(
            "Suspended",
            true,
            "Suspended",
            "workloads are scaled to zero",
        )
    } else {
        stamp.condition("Suspended", false, "Active", "workloads may run")
    };
    TenantStatus {
        conditions: vec![
            stamp.condition(
                "Ready",
                true,
                "Provisioned",
                &format!("namespace {namespace} is ready"),
            ),
            stamp.condition(
                "QuotaApplied",
                true,
                "PlanApplied",
                &format!("quota of plan {}", plan.name),
            ),
            suspended,
        ],
        namespace: Some(namespace),
        observed_generation: tenant.metadata.generation,
        allocated: Some(plan.quota.clone()),
    }
}

/// The status of an instance after a reconcile that ended with `outcome`.
///
/// # Guarantees
///
/// Pure, and stable in the same way as [`tenant_status`].
pub fn instance_status(
    instance: &AppInstance,
    outcome: &InstanceOutcome,
    now: Timestamp,
) -> AppInstanceStatus {
    let before = instance
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    let stamp = Stamp {
        before,
        generation: instance.metadata.generation,
        now,
    };
    let observed_generation = instance.metadata.generation;
    let (url, replicas, ready, tenant_suspended) = match outcome {
        InstanceOutcome::Invalid(problem) => {
            let message = problem.to_string();
            return AppInstanceStatus {
                url: None,
                phase: Some(AppInstancePhase::Invalid),
                observed_generation,
                conditions: vec![
                    stamp.condition("Ready", false, problem.reason(), &message),
                    stamp.condition("Suspended", false, "Invalid", "nothing is running"),
                ],
                ready_replicas: 0,
            };
        }
        InstanceOutcome::Applied {
            url,
            replicas,
            ready,
            tenant_suspended,
        } => (url, *replicas, *ready, *tenant_suspended),
    };
    let (phase, ready_condition) = if replicas == 0 {
        let condition = stamp.condition("Ready", false, "Suspended", "scaled to zero");
        (AppInstancePhase::Suspended, condition)
    } else if ready >= replicas {
        let condition = stamp.condition("Ready", true, "Running", &format!("serving at {url}"));
        (AppInstancePhase::Running, condition)
    } else {
        let message = format!("{ready} of {replicas} replicas ready");
        (
            AppInstancePhase::Progressing,
            stamp.condition("Ready", false, "Progressing", &message),
        )
    };
    let suspended = match (replicas == 0, tenant_suspended) {
        (true, true) => stamp.condition(
            "Suspended",
            true,
            "TenantSuspended",
            "the tenant is suspended",
        ),
        (true, false) => {
            stamp.condition("Suspended", true, "Suspended", "the instance is suspended")
        }
        (false, _) => stamp.condition("Suspended", false, "Active", "the instance may run"),
    };
    AppInstanceStatus {
        url: Some(url.clone()),
        phase: Some(phase),
        observed_generation,
        conditions: vec![ready_condition, suspended],
        ready_replicas: ready,
    }
}

/// Builds conditions that keep their transition time while their status holds.
struct Stamp<'a> {
    before: &'a [Condition],
    generation: Option<i64>,
    now: Timestamp,
}

impl Stamp<'_> {
    fn condition(&self, type_: &str, status: bool, reason: &str, message: &str) -> Condition {
        let status = if status { "True" } else { "False" };
        let since = self
            .before
            .iter()
            .find(|c| c.type_ == type_ && c.status == status)
            .map_or(Time(self.now), |c| c.last_transition_time.clone());
        Condition {
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: reason.to_owned(),
            message: message.to_owned(),
            observed_generation: self.generation,
            last_transition_time: since,
        }
    }
}
