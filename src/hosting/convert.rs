//! Translation between the portal's hosting types and the operator's custom resources,
//! without I/O.

use commons_operator::crd::{
    self, AdminSubject, AppInstancePhase, Application, Condition, Plan, SubjectKind, TenantKind,
};
use commons_portal::hosting::{AppInstance, AppInstanceSpec, CatalogueApp, Quota, TenantSpec};
use kube::ResourceExt;

use super::Error;

/// The `Tenant` spec the portal's desired tenant becomes.
///
/// # Errors
///
/// [`Error::KindUnknown`] for an organisation kind with no tenant kind,
/// [`Error::QuotaOutOfRange`] for a pod or app count that does not fit the resource.
pub(super) fn tenant_spec(spec: &TenantSpec) -> Result<crd::TenantSpec, Error> {
    // Limitation: admins become cluster users named by their email address, which holds
    // when the cluster's OIDC username claim is the email; a username prefix or group
    // mapping would need a setting the portal does not have yet.
    let admins = spec
        .admins
        .iter()
        .map(|email| AdminSubject {
            kind: SubjectKind::User,
            name: email.clone(),
        })
        .collect();
    Ok(crd::TenantSpec {
        display_name: spec.display_name.clone(),
        organisation_id: spec.org_id.to_string(),
        kind: tenant_kind(&spec.kind)?,
        plan: Plan {
            name: spec.plan.clone(),
            quota: quota(&spec.quota)?,
        },
        admins,
        suspended: spec.suspended,
        prevent_deletion: true,
    })
}

/// The tenant kind of an organisation kind; a charity is hosted as a voluntary body.
fn tenant_kind(kind: &str) -> Result<TenantKind, Error> {
    match kind {
        "voluntary" | "charity" => Ok(TenantKind::Voluntary),
        "partner" => Ok(TenantKind::Partner),
        "council" => Ok(TenantKind::Council),
        "commercial" => Ok(TenantKind::Commercial),
        other => Err(Error::KindUnknown {
            kind: other.to_owned(),
        }),
    }
}

/// The plan's limits as Kubernetes quantities.
fn quota(quota: &Quota) -> Result<crd::Quota, Error> {
    let count = |field: &'static str, value: i64| {
        i32::try_from(value).map_err(|_| Error::QuotaOutOfRange { field, value })
    };
    Ok(crd::Quota {
        cpu: format!("{}m", quota.cpu_millis),
        memory: format!("{}Mi", quota.memory_mib),
        storage: format!("{}Gi", quota.storage_gib),
        pods: count("pods", quota.pods)?,
        apps: count("apps", quota.apps)?,
    })
}

/// What the portal shows of a tenant's status.
pub(super) fn tenant_status(status: crd::TenantStatus) -> commons_portal::hosting::TenantStatus {
    let ready = condition(&status.conditions, "Ready");
    commons_portal::hosting::TenantStatus {
        ready: ready.is_some_and(is_true),
        suspended: condition(&status.conditions, "Suspended").is_some_and(is_true),
        message: ready
            .map(|c| c.message.clone())
            .filter(|message| !message.is_empty()),
        namespace: status.namespace,
    }
}

/// A catalogue entry as the portal offers it.
pub(super) fn catalogue_app(app: &Application) -> CatalogueApp {
    // Limitation: an `Application` names no default version, so the last listed one is
    // offered, which is the newest when versions are listed oldest first as the examples
    // do; a `defaultVersion` field would make this explicit.
    let version = app.spec.versions.last().cloned().unwrap_or_default();
    CatalogueApp {
        name: app.name_any(),
        title: app.spec.display_name.clone(),
        description: app.spec.description.clone().unwrap_or_default(),
        version,
        data_on_remove: data_on_remove(app),
    }
}

/// What removal does to an instance's data, told from the application's volumes: the
/// operator keeps a removed instance's volumes for its retention period.
fn data_on_remove(app: &Application) -> String {
    // Limitation: the `Application` resource has no field for an app-specific warning,
    // so the text is generic; the retention period is the operator's setting and is not
    // known to the portal.
    if app.spec.volumes.is_empty() {
        "This application keeps no stored data; removing it loses nothing.".to_owned()
    } else {
        "Its stored data is kept for the council's retention period in case of a mistake, \
         then deleted for good."
            .to_owned()
    }
}

/// The `AppInstance` resource an install request becomes, in `tenant`'s namespace.
pub(super) fn app_instance(tenant: &str, spec: &AppInstanceSpec) -> crd::AppInstance {
    let mut instance = crd::AppInstance::new(
        &spec.name,
        crd::AppInstanceSpec {
            application: spec.application.clone(),
            version: spec.version.clone(),
            hostname: None,
            size: None,
            settings: Default::default(),
            suspended: false,
        },
    );
    instance.metadata.namespace = Some(crd::tenant_namespace(tenant));
    instance
}

/// What the portal shows of an instance: its spec, and its status once the operator has
/// written one (`Pending` until then).
pub(super) fn instance_view(instance: crd::AppInstance) -> AppInstance {
    let name = instance.name_any();
    let status = instance.status.unwrap_or_default();
    AppInstance {
        name,
        application: instance.spec.application,
        version: instance.spec.version,
        url: status.url,
        phase: phase(status.phase).to_owned(),
        suspended: instance.spec.suspended,
        ready_replicas: status.ready_replicas,
    }
}

fn phase(phase: Option<AppInstancePhase>) -> &'static str {
    match phase {
        None => "Pending",
        Some(AppInstancePhase::Progressing) => "Progressing",
        Some(AppInstancePhase::Running) => "Running",
        Some(AppInstancePhase::Suspended) => "Suspended",
        Some(AppInstancePhase::Invalid) => "Invalid",
    }
}

fn condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

fn is_true(condition: &Condition) -> bool {
    condition.status == "True"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk_tenant_spec(kind: &str) -> TenantSpec {
        TenantSpec {
            name: "riverside".into(),
            display_name: "Riverside Food Bank".into(),
            org_id: 42,
            kind: kind.into(),
            plan: "community".into(),
            quota: Quota {
                cpu_millis: 1500,
                memory_mib: 4096,
                storage_gib: 20,
                pods: 20,
                apps: 3,
            },
            admins: vec!["sam@riverside.example".into()],
            suspended: false,
        }
    }

    fn mk_condition(type_: &str, status: &str, message: &str) -> Condition {
        Condition {
            type_: type_.into(),
            status: status.into(),
            reason: "Test".into(),
            message: message.into(),
            last_transition_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ),
            observed_generation: None,
        }
    }

    #[test]
    fn a_plan_quota_becomes_kubernetes_quantities() {
        let spec = tenant_spec(&mk_tenant_spec("council")).unwrap();
        assert_eq!(spec.plan.name, "community");
        assert_eq!(spec.plan.quota.cpu, "1500m");
        assert_eq!(spec.plan.quota.memory, "4096Mi");
        assert_eq!(spec.plan.quota.storage, "20Gi");
        assert_eq!((spec.plan.quota.pods, spec.plan.quota.apps), (20, 3));
        assert_eq!(spec.organisation_id, "42");
        assert_eq!(spec.kind, TenantKind::Council);
    }

    #[test]
    fn a_charity_is_hosted_as_a_voluntary_body() {
        assert_eq!(tenant_kind("charity").unwrap(), TenantKind::Voluntary);
    }

    #[test]
    fn an_unknown_organisation_kind_is_refused() {
        let err = tenant_spec(&mk_tenant_spec("club")).unwrap_err();
        assert!(matches!(err, Error::KindUnknown { kind } if kind == "club"));
    }

    #[test]
    fn a_pod_count_too_large_for_the_resource_is_refused() {
        let mut spec = mk_tenant_spec("voluntary");
        spec.quota.pods = i64::from(i32::MAX) + 1;
        let err = tenant_spec(&spec).unwrap_err();
        assert!(matches!(err, Error::QuotaOutOfRange { field: "pods", .. }));
    }

    #[test]
    fn admins_become_user_subjects() {
        let spec = tenant_spec(&mk_tenant_spec("partner")).unwrap();
        let expected = AdminSubject {
            kind: SubjectKind::User,
            name: "sam@riverside.example".into(),
        };
        assert_eq!(spec.admins, vec![expected]);
    }

    #[test]
    fn tenant_status_reads_the_ready_and_suspended_conditions() {
        let status = crd::TenantStatus {
            namespace: Some("tenant-riverside".into()),
            conditions: vec![
                mk_condition("Ready", "False", "quota not applied yet"),
                mk_condition("Suspended", "True", "suspended"),
            ],
            ..Default::default()
        };
        let view = tenant_status(status);
        assert_eq!(view.namespace.as_deref(), Some("tenant-riverside"));
        assert!(!view.ready);
        assert!(view.suspended);
        assert_eq!(view.message.as_deref(), Some("quota not applied yet"));
    }

    #[test]
    fn a_status_without_conditions_is_neither_ready_nor_suspended() {
        let view = tenant_status(crd::TenantStatus::default());
        assert!(!view.ready && !view.suspended);
        assert_eq!(view.message, None);
    }

    #[test]
    fn an_instance_without_status_is_pending() {
        let spec = AppInstanceSpec {
            name: "files".into(),
            application: "nextcloud".into(),
            version: "30".into(),
        };
        let view = instance_view(app_instance("riverside", &spec));
        assert_eq!(view.phase, "Pending");
        assert_eq!((view.url, view.ready_replicas), (None, 0));
    }
}
