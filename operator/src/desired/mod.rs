//! The desired state: the Kubernetes objects each custom resource should produce, and the
//! status it should show. Pure functions of their inputs, with no I/O and no client.

mod app;
mod status;
mod tenant;

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::{
    api::resource::Quantity,
    apis::meta::v1::{ObjectMeta, OwnerReference},
};
use kube::Resource;
use serde::Serialize;

pub use app::{AppObjects, SpecProblem, app_objects, credentials_secret, credentials_secret_name};
pub use status::{InstanceOutcome, instance_status, tenant_status};
pub use tenant::{TenantObjects, tenant_objects};

/// Label every object the operator creates carries, set to [`MANAGER`].
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The operator's name: its `managed-by` label value and its server-side apply field
/// manager.
pub const MANAGER: &str = "commons-operator";
/// Label naming the tenant an object belongs to.
pub const TENANT_LABEL: &str = "commons.dev/tenant";
/// Label naming the `AppInstance` an object belongs to.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Label naming the `Application` an object runs.
pub const APPLICATION_LABEL: &str = "app.kubernetes.io/name";
/// Label on a namespace whose tenant refuses deletion; the admission policy reads it.
pub const PREVENT_DELETION_LABEL: &str = "commons.dev/prevent-deletion";

/// Cluster settings the desired state depends on, from the operator's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `ingressClassName` of every Ingress.
    pub ingress_class: String,
    /// cert-manager `ClusterIssuer` that signs the Ingress certificates.
    pub cluster_issuer: String,
    /// Namespace of the ingress controller, the only one allowed into tenant namespaces.
    pub ingress_namespace: String,
    /// Namespace of the cluster DNS (`k8s-app: kube-dns` pods).
    pub dns_namespace: String,
    /// Storage class of instance volumes; the cluster default when unset.
    pub storage_class: Option<String>,
    /// Address ranges tenant pods may not reach: the cluster's pod, service and node
    /// networks, so that egress to the internet never reaches another tenant.
    pub private_ranges: Vec<String>,
    /// Domain under which tenants publish apps: tenant `t` may use `t.<apps_domain>` and
    /// any name below it, and nothing else, so no tenant can take another's (or the
    /// council's) hostname.
    pub apps_domain: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ingress_class: "nginx".into(),
            cluster_issuer: "letsencrypt".into(),
            ingress_namespace: "ingress-nginx".into(),
            dns_namespace: "kube-system".into(),
            storage_class: None,
            private_ranges: [
                "10.0.0.0/8",
                "172.16.0.0/12",
                "192.168.0.0/16",
                "100.64.0.0/10",
                "169.254.0.0/16",
                "fc00::/7",
                "fe80::/10",
            ]
            .map(String::from)
            .to_vec(),
            apps_domain: "apps.council.example".into(),
        }
    }
}

/// A list of objects as one multi-document YAML stream, each document starting `---`.
///
/// # Errors
///
/// A serialisation failure, which would mean a bug in an object type.
pub fn to_yaml<T: Serialize>(objects: &[T]) -> Result<String, serde_yaml::Error> {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(object)?);
    }
    Ok(out)
}

/// Metadata of an object the operator manages: name, namespace, labels and, when the
/// owner has a uid (it always does in a cluster), a controller owner reference.
fn meta(
    name: &str,
    namespace: Option<&str>,
    labels: BTreeMap<String, String>,
    owner: Option<OwnerReference>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(labels),
        owner_references: owner.map(|owner| vec![owner]),
        ..ObjectMeta::default()
    }
}

/// The controller owner reference to `owner`, absent when it has no uid yet (as in
/// `commons operator render`).
fn owner_ref<K: Resource<DynamicType = ()>>(owner: &K) -> Option<OwnerReference> {
    owner.controller_owner_ref(&())
}

fn labels<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([(MANAGED_BY.to_owned(), MANAGER.to_owned())]);
    labels.extend(pairs.map(|(k, v)| (k.to_owned(), v.to_owned())));
    labels
}

fn quantities<const N: usize>(pairs: [(&str, &str); N]) -> BTreeMap<String, Quantity> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Quantity(v.to_owned())))
        .collect()
}

/// An object as a JSON value; the Kubernetes types always serialise.
fn to_value<T: Serialize>(object: &T) -> serde_json::Value {
    serde_json::to_value(object).unwrap_or(serde_json::Value::Null)
}
