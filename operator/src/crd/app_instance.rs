//! `AppInstance`: one tenant's running copy of a catalogue application.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// Which application a tenant runs, at which version and size, under which hostname,
/// with which settings, and whether it is suspended.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "commons.dev",
    version = "v1alpha1",
    kind = "AppInstance",
    namespaced,
    status = "AppInstanceStatus",
    shortname = "ai",
    category = "commons",
    derive = "PartialEq",
    doc = "A tenant's instance of a catalogue application.",
    validation = Rule::new(
        "self.metadata.name.size() <= 40 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')"
    )
    .message("an instance name starts with a letter, is a DNS label, and has at most 40 characters"),
    printcolumn(name = "Application", type_ = "string", json_path = ".spec.application"),
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.version"),
    printcolumn(name = "URL", type_ = "string", json_path = ".status.url"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Ready", type_ = "integer", json_path = ".status.readyReplicas"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp")
)]
#[serde(rename_all = "camelCase")]
pub struct AppInstanceSpec {
    /// Name of the `Application` to run; cannot change, since volumes belong to it.
    #[x_kube(validation = Rule::new("self == oldSelf").message("application cannot be changed"))]
    #[schemars(length(min = 1, max = 253))]
    pub application: String,
    /// One of the application's versions.
    #[schemars(length(min = 1, max = 128))]
    pub version: String,
    /// Public hostname; the instance gets an Ingress with TLS when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(max = 253),
        regex(pattern = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub hostname: Option<String>,
    /// One of the application's size profiles; the first one when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 30))]
    pub size: Option<String>,
    /// Extra environment variables for the app; names are checked by the operator.
    #[serde(default)]
    #[schemars(extend("maxProperties" = 100))]
    pub settings: BTreeMap<String, String>,
    /// Scales the app to zero, keeping its volumes and secrets.
    #[serde(default)]
    pub suspended: bool,
}

/// What the operator observed and did for an instance.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppInstanceStatus {
    /// Where people reach the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where the instance is in its life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<AppInstancePhase>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready` and `Suspended`.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    /// Pods ready to serve.
    #[serde(default)]
    pub ready_replicas: i32,
}

/// Where an instance is in its life.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub enum AppInstancePhase {
    /// Objects applied; waiting for the app to become ready.
    Progressing,
    /// Serving.
    Running,
    /// Scaled to zero on purpose.
    Suspended,
    /// The spec cannot be run as written; the `Ready` condition says why.
    Invalid,
}
