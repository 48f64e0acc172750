//! What a `Tenant` becomes: its namespace, quota, limits, network isolation and admin role.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::{
        core::v1::{
            LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
        },
        networking::v1::{
            IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
            NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
        },
        rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject},
    },
    apimachinery::pkg::{apis::meta::v1::LabelSelector, util::intstr::IntOrString},
};
use kube::ResourceExt;
use serde_json::Value;

use super::{
    PREVENT_DELETION_LABEL, Settings, TENANT_LABEL, labels, meta, owner_ref, quantities, to_value,
};
use crate::crd::{SubjectKind, Tenant};

/// Name of the tenant admins' Role and RoleBinding.
const ADMIN_ROLE: &str = "tenant-admin";
/// The Pod Security Standard every tenant namespace enforces.
const POD_SECURITY: &str = "restricted";

/// Everything a tenant's namespace holds that the operator manages, in apply order.
#[derive(Clone, Debug, PartialEq)]
pub struct TenantObjects {
    /// The namespace, with Pod Security `restricted` labels.
    pub namespace: Namespace,
    /// Limits of the whole namespace, from the plan.
    pub quota: ResourceQuota,
    /// Per-container defaults and maxima.
    pub limits: LimitRange,
    /// Default deny, then ingress from the ingress controller and the namespace, then
    /// egress to DNS, the namespace and the internet.
    pub network_policies: Vec<NetworkPolicy>,
    /// What tenant admins may do in their namespace.
    pub role: Role,
    /// Grants `role` to the tenant's admins.
    pub role_binding: RoleBinding,
}

impl TenantObjects {
    /// The objects as JSON values, in apply order.
    pub fn manifests(&self) -> Vec<Value> {
        let mut out = vec![to_value(&self.namespace), to_value(&self.quota)];
        out.push(to_value(&self.limits));
        out.extend(self.network_policies.iter().map(to_value));
        out.push(to_value(&self.role));
        out.push(to_value(&self.role_binding));
        out
    }
}

/// The objects `tenant` should have.
///
/// # Guarantees
///
/// Depends only on its arguments: the same tenant and settings give the same objects.
pub fn tenant_objects(tenant: &Tenant, settings: &Settings) -> TenantObjects {
    let namespace = tenant.namespace_name();
    TenantObjects {
        namespace: namespace_object(tenant, &namespace),
        quota: quota(tenant, &namespace),
        limits: limit_range(tenant, &namespace),
        network_policies: network_policies(tenant, &namespace, settings),
        role: admin_role(tenant, &namespace),
        role_binding: admin_binding(tenant, &namespace),
    }
}

fn tenant_labels(tenant: &Tenant) -> BTreeMap<String, String> {
    labels([(TENANT_LABEL, tenant.name_any().as_str())])
}

fn namespace_object(tenant: &Tenant, name: &str) -> Namespace {
    let mut labels = tenant_labels(tenant);
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}"),
            POD_SECURITY.into(),
        );
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            "latest".into(),
        );
    }
    // Limitation: the admission policy protects the namespace through this label, so a
    // tenant deleted right after `preventDeletion` is set to false, before a reconcile
    // updated the label, leaves a namespace the garbage collector may not delete until
    // the label is changed by hand.
    labels.insert(
        PREVENT_DELETION_LABEL.into(),
        tenant.spec.prevent_deletion.to_string(),
    );
    Namespace {
        metadata: meta(name, None, labels, owner_ref(tenant)),
        ..Namespace::default()
    }
}

fn quota(tenant: &Tenant, namespace: &str) -> ResourceQuota {
    let plan = &tenant.spec.plan.quota;
    // A suspended tenant keeps its quota except that no pod may start.
    let pods = if tenant.spec.suspended { 0 } else { plan.pods };
    let mut hard = quantities([
        ("requests.cpu", plan.cpu.as_str()),
        ("requests.memory", plan.memory.as_str()),
        ("limits.memory", plan.memory.as_str()),
        ("requests.storage", plan.storage.as_str()),
    ]);
    hard.extend(quantities([
        ("pods", pods.to_string().as_str()),
        (
            "count/appinstances.commons.dev",
            plan.apps.to_string().as_str(),
        ),
    ]));
    ResourceQuota {
        metadata: meta(
            "tenant-quota",
            Some(namespace),
            tenant_labels(tenant),
            owner_ref(tenant),
        ),
        spec: Some(ResourceQuotaSpec {
            hard: Some(hard),
            ..ResourceQuotaSpec::default()
        }),
        ..ResourceQuota::default()
    }
}

fn limit_range(tenant: &Tenant, namespace: &str) -> LimitRange {
    let plan = &tenant.spec.plan.quota;
    let container = LimitRangeItem {
        type_: "Container".into(),
        default: Some(quantities([("memory", "256Mi")])),
        default_request: Some(quantities([("cpu", "50m"), ("memory", "128Mi")])),
        max: Some(quantities([
            ("cpu", plan.cpu.as_str()),
            ("memory", plan.memory.as_str()),
        ])),
        ..LimitRangeItem::default()
    };
    let claim = LimitRangeItem {
        type_: "PersistentVolumeClaim".into(),
        max: Some(quantities([("storage", plan.storage.as_str())])),
        ..LimitRangeItem::default()
    };
    LimitRange {
        metadata: meta(
            "tenant-limits",
            Some(namespace),
            tenant_labels(tenant),
            owner_ref(tenant),
        ),
        spec: Some(LimitRangeSpec {
            limits: vec![container, claim],
        }),
    }
}

fn network_policies(tenant: &Tenant, namespace: &str, settings: &Settings) -> Vec<NetworkPolicy> {
    let policy = |name: &str, types: &[&str], spec: NetworkPolicySpec| NetworkPolicy {
        metadata: meta(
            name,
            Some(namespace),
            tenant_labels(tenant),
            owner_ref(tenant),
        ),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(types.iter().map(|t| (*t).to_owned()).collect()),
            ..spec
        }),
    };
    let ingress = NetworkPolicyIngressRule {
        from: Some(vec![
            namespace_peer(&settings.ingress_namespace, None),
            same_namespace(),
        ]),
        ..NetworkPolicyIngressRule::default()
    };
    vec![
        policy(
            "default-deny",
            &["Ingress", "Egress"],
            NetworkPolicySpec::default(),
        ),
        policy(
            "allow-ingress",
            &["Ingress"],
            NetworkPolicySpec {
                ingress: Some(vec![ingress]),
                ..NetworkPolicySpec::default()
            },
        ),
        policy(
            "allow-egress",
            &["Egress"],
            NetworkPolicySpec {
                egress: Some(egress_rules(settings)),
                ..NetworkPolicySpec::default()
            },
        ),
    ]
}

fn egress_rules(settings: &Settings) -> Vec<NetworkPolicyEgressRule> {
    let dns_pods = BTreeMap::from([("k8s-app".to_owned(), "kube-dns".to_owned())]);
    let dns_port = |protocol: &str| NetworkPolicyPort {
        port: Some(IntOrString::Int(53)),
        protocol: Some(protocol.into()),
        ..NetworkPolicyPort::default()
    };
    let dns = NetworkPolicyEgressRule {
        to: Some(vec![namespace_peer(
            &settings.dns_namespace,
            Some(dns_pods),
        )]),
        ports: Some(vec![dns_port("UDP"), dns_port("TCP")]),
    };
    let within = NetworkPolicyEgressRule {
        to: Some(vec![same_namespace()]),
        ports: None,
    };
    let (v6, v4): (Vec<String>, Vec<String>) = settings
        .private_ranges
        .iter()
        .cloned()
        .partition(|range| range.contains(':'));
    let internet = |cidr: &str, except: Vec<String>| NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.into(),
            except: (!except.is_empty()).then_some(except),
        }),
        ..NetworkPolicyPeer::default()
    };
    let outside = NetworkPolicyEgressRule {
        to: Some(vec![internet("0.0.0.0/0", v4), internet("::/0", v6)]),
        ports: None,
    };
    vec![dns, within, outside]
}

fn namespace_peer(namespace: &str, pods: Option<BTreeMap<String, String>>) -> NetworkPolicyPeer {
    let by_name = BTreeMap::from([(
        "kubernetes.io/metadata.name".to_owned(),
        namespace.to_owned(),
    )]);
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(by_name),
            ..LabelSelector::default()
        }),
        pod_selector: pods.map(|labels| LabelSelector {
            match_labels: Some(labels),
            ..LabelSelector::default()
        }),
        ..NetworkPolicyPeer::default()
    }
}

fn same_namespace() -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        pod_selector: Some(LabelSelector::default()),
        ..NetworkPolicyPeer::default()
    }
}

fn admin_role(tenant: &Tenant, namespace: &str) -> Role {
    let rule = |group: &str, resources: &[&str], verbs: &[&str]| PolicyRule {
        api_groups: Some(vec![group.to_owned()]),
        resources: Some(resources.iter().map(|r| (*r).to_owned()).collect()),
        verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
        ..PolicyRule::default()
    };
    let read = ["get", "list", "watch"];
    let write = [
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    let core_read = [
        "pods",
        "pods/log",
        "services",
        "persistentvolumeclaims",
        "events",
        "secrets",
        "resourcequotas",
        "limitranges",
    ];
    Role {
        metadata: meta(
            ADMIN_ROLE,
            Some(namespace),
            tenant_labels(tenant),
            owner_ref(tenant),
        ),
        rules: Some(vec![
            rule("commons.dev", &["appinstances"], &write),
            rule("", &core_read, &read),
            rule("apps", &["deployments"], &read),
            rule("networking.k8s.io", &["ingresses"], &read),
            rule("events.k8s.io", &["events"], &read),
        ]),
    }
}

fn admin_binding(tenant: &Tenant, namespace: &str) -> RoleBinding {
    let subjects = tenant
        .spec
        .admins
        .iter()
        .map(|admin| Subject {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: match admin.kind {
                SubjectKind::User => "User".into(),
                SubjectKind::Group => "Group".into(),
            },
            name: admin.name.clone(),
            namespace: None,
        })
        .collect();
    RoleBinding {
        metadata: meta(
            ADMIN_ROLE,
            Some(namespace),
            tenant_labels(tenant),
            owner_ref(tenant),
        ),
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "Role".into(),
            name: ADMIN_ROLE.into(),
        },
        subjects: Some(subjects),
    }
}
