//! `Application`: one entry of the council's catalogue of hosted apps.

use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

/// How to run one catalogue app: its image, ports, environment, volumes, sizes, health
/// check, generated secrets and whether it may have a public hostname.
#[expect(
    clippy::duplicated_attributes,
    reason = "each printcolumn repeats the same keys with its own values"
)]
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "commons.dev",
    version = "v1alpha1",
    kind = "Application",
    shortname = "capp",
    category = "commons",
    derive = "PartialEq",
    doc = "An application of the council catalogue that tenants can run.",
    printcolumn(
        name = "Display name",
        type_ = "string",
        json_path = ".spec.displayName"
    ),
    printcolumn(name = "Image", type_ = "string", json_path = ".spec.image"),
    printcolumn(name = "Public", type_ = "boolean", json_path = ".spec.public"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// The app's name as people read it.
    #[schemars(length(min = 1, max = 100))]
    pub display_name: String,
    /// One paragraph on what the app is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 2000))]
    pub description: Option<String>,
    /// Image repository without tag or digest; the version an instance picks is the tag.
    #[x_kube(validation = Rule::new("!self.contains('@') && !self.matches(':[^/]*$')")
        .message("give the repository only; the tag comes from the instance's version"))]
    #[schemars(length(min = 1, max = 255))]
    pub image: String,
    /// Versions (image tags) instances may run.
    #[schemars(length(min = 1, max = 20))]
    pub versions: Vec<String>,
    /// Container ports; the first one serves HTTP and is what the Service and Ingress
    /// expose.
    #[schemars(length(min = 1, max = 8))]
    pub ports: Vec<AppPort>,
    /// Fixed environment variables.
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub env: Vec<EnvEntry>,
    /// Persistent volumes, one claim each per instance.
    #[serde(default)]
    #[schemars(length(max = 8))]
    pub volumes: Vec<AppVolume>,
    /// Resource profiles an instance chooses from by name; the first is the default.
    #[schemars(length(min = 1, max = 8))]
    pub sizes: Vec<SizeProfile>,
    /// HTTP health check used for readiness and liveness.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Credentials generated once per instance and given to it as environment variables.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub generated_secrets: Vec<GeneratedSecret>,
    /// Whether an instance may have a public hostname (an Ingress with TLS).
    #[serde(default)]
    pub public: bool,
    /// User id the container runs as; leave unset when the image already sets a non-root
    /// user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub run_as_user: Option<i64>,
}

/// A container port.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppPort {
    /// Port name, an IANA service name (`http`).
    #[schemars(
        length(min = 1, max = 15),
        regex(pattern = r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Port number inside the container.
    #[schemars(range(min = 1, max = 65535))]
    pub container_port: i32,
}

/// A fixed environment variable.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub struct EnvEntry {
    /// Variable name.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub name: String,
    /// Value.
    pub value: String,
}

/// A persistent volume of the app.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct AppVolume {
    /// Volume name; the claim is `<instance>-<name>`.
    #[schemars(
        length(min = 1, max = 30),
        regex(pattern = r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// Where it is mounted in the container.
    #[schemars(regex(pattern = r"^/"))]
    pub mount_path: String,
    /// Requested size, as a Kubernetes quantity (`10Gi`).
    #[x_kube(validation = Rule::new("isQuantity(self) && quantity(self).sign() > 0")
        .message("must be a positive Kubernetes quantity such as 10Gi"))]
    #[schemars(length(max = 32))]
    pub size: String,
}

/// A named resource profile (`small`, `medium`, …).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, KubeSchema)]
pub struct SizeProfile {
    /// Profile name.
    #[schemars(length(min = 1, max = 30))]
    pub name: String,
    /// CPU request, as a Kubernetes quantity.
    #[x_kube(validation = Rule::new("isQuantity(self) && quantity(self).sign() > 0")
        .message("must be a positive Kubernetes quantity such as 250m"))]
    #[schemars(length(max = 32))]
    pub cpu: String,
    /// Memory request and limit, as a Kubernetes quantity.
    #[x_kube(validation = Rule::new("isQuantity(self) && quantity(self).sign() > 0")
        .message("must be a positive Kubernetes quantity such as 512Mi"))]
    #[schemars(length(max = 32))]
    pub memory: String,
}

/// The HTTP check that tells whether the app is up.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// Path to GET; any 2xx or 3xx answer is healthy.
    #[schemars(regex(pattern = r"^/"))]
    pub path: String,
    /// Seconds to wait after start before the liveness check begins.
    #[serde(default = "initial_delay_default")]
    #[schemars(range(min = 0, max = 600))]
    pub initial_delay_seconds: i32,
    /// Seconds between checks.
    #[serde(default = "period_default")]
    #[schemars(range(min = 1, max = 300))]
    pub period_seconds: i32,
}

fn initial_delay_default() -> i32 {
    10
}

fn period_default() -> i32 {
    10
}

/// A credential generated once for each instance.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, schemars::JsonSchema)]
pub struct GeneratedSecret {
    /// Key in the instance's Secret, also the environment variable name.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub key: String,
    /// Number of random alphanumeric characters.
    #[serde(default = "secret_length_default")]
    #[schemars(range(min = 16, max = 128))]
    pub length: u16,
}

fn secret_length_default() -> u16 {
    32
}
