//! `Tenant`: one organisation's isolated slice of the community cloud.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// What a tenant is: one organisation (a group, a partner, the council itself or a
/// business) with its plan, its admins and whether it is suspended.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "commons.dev",
    version = "v1alpha1",
    kind = "Tenant",
    status = "TenantStatus",
    shortname = "tnt",
    category = "commons",
    derive = "PartialEq",
    doc = "An organisation's isolated tenant: a namespace with a quota, network isolation and \
           access for its admins.",
    validation = Rule::new(
        "self.metadata.name.size() <= 56 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')"
    )
    .message("a tenant name is a DNS label of at most 56 characters, so that `tenant-<name>` fits"),
    printcolumn(name = "Display name", type_ = "string", json_path = ".spec.displayName"),
    printcolumn(name = "Plan", type_ = "string", json_path = ".spec.plan.name"),
    printcolumn(name = "Namespace", type_ = "string", json_path = ".status.namespace"),
    printcolumn(name = "Suspended", type_ = "boolean", json_path = ".spec.suspended"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct TenantSpec {
    /// The organisation's name as people read it.
    #[schemars(length(min = 1, max = 100))]
    pub display_name: String,
    /// The organisation's id in the portal database.
    #[schemars(length(min = 1, max = 64))]
    pub organisation_id: String,
    /// What kind of organisation this is.
    pub kind: TenantKind,
    /// The plan and the quota it grants.
    pub plan: Plan,
    /// Who administers the tenant's namespace.
    #[serde(default)]
    #[schemars(length(max = 50))]
    pub admins: Vec<AdminSubject>,
    /// Scales every workload of the tenant to zero, keeping all volumes and secrets.
    #[serde(default)]
    pub suspended: bool,
    /// Refuses deletion of the tenant (and of its namespace) while true.
    #[serde(default = "prevent_deletion_default")]
    pub prevent_deletion: bool,
}

fn prevent_deletion_default() -> bool {
    true
}

/// The kinds of organisation the council hosts.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TenantKind {
    /// A voluntary or community group, or a charity.
    Voluntary,
    /// A partner body such as the NHS or the police.
    Partner,
    /// A part of the council.
    Council,
    /// A business paying for hosting.
    Commercial,
}

/// A plan as the tenant holds it: its name and the quota it grants.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The plan's name, as the portal shows it.
    #[schemars(length(min = 1, max = 63))]
    pub name: String,
    /// What the plan allows.
    pub quota: Quota,
}

/// Resource limits of a tenant.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Quota {
    /// CPU requested by all pods together, as a Kubernetes quantity (`2`, `1500m`).
    #[x_kube(validation = Rule::new("isQuantity(self) && quantity(self).sign() > 0")
        .message("must be a positive Kubernetes quantity such as 2 or 1500m"))]
    #[schemars(length(max = 32))]
    pub cpu: String,
    /// Memory of all pods together, as a Kubernetes quantity (`4Gi`).
    #[x_kube(validation = Rule::new("isQuantity(self) && quantity(self).sign() > 0")
        .message("must be a positive Kubernetes quantity such as 4Gi"))]
    #[schemars(length(max = 32))]
    pub memory: String,
    /// Storage of all volumes together, as a Kubernetes quantity (`20Gi`).
    #[x_kube(validation = Rule::new("isQuantity(self) && quantity(self).sign() > 0")
        .message("must be a positive Kubernetes quantity such as 20Gi"))]
    #[schemars(length(max = 32))]
    pub storage: String,
    /// Number of pods.
    #[schemars(range(min = 1, max = 1000))]
    pub pods: i32,
    /// Number of application instances.
    #[schemars(range(min = 0, max = 100))]
    pub apps: i32,
}

/// Someone granted admin rights in the tenant's namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub struct AdminSubject {
    /// Whether `name` is a user or a group of the cluster's authentication.
    pub kind: SubjectKind,
    /// The user or group name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// The RBAC subject kinds a tenant admin can be.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum SubjectKind {
    /// A single user.
    User,
    /// A group of users.
    Group,
}

/// What the operator observed and did for a tenant.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantStatus {
    /// The tenant's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `QuotaApplied` and `Suspended`.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// The quota in force in the namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocated: Option<Quota>,
}

/// Prefix of every tenant namespace: the namespace of tenant `t` is `tenant-t`.
const NAMESPACE_PREFIX: &str = "tenant-";

impl Tenant {
    /// The name of the tenant's namespace: `tenant-<name>`.
    pub fn namespace_name(&self) -> String {
        tenant_namespace(&kube::ResourceExt::name_any(self))
    }
}

/// The namespace of the tenant called `tenant`.
pub fn tenant_namespace(tenant: &str) -> String {
    format!("{NAMESPACE_PREFIX}{tenant}")
}

/// The name of the tenant that owns `namespace`, if it is a tenant namespace.
pub fn tenant_of_namespace(namespace: &str) -> Option<&str> {
    namespace
        .strip_prefix(NAMESPACE_PREFIX)
        .filter(|name| !name.is_empty())
}
