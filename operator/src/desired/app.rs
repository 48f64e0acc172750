//! What an `AppInstance` becomes: credentials, volumes, a Deployment, a Service and, with
//! a hostname, an Ingress with TLS.

use std::collections::BTreeMap;

use k8s_openapi::{
    api::{
        apps::v1::{Deployment, DeploymentSpec, DeploymentStrategy},
        core::v1::{
            Capabilities, Container, ContainerPort, EnvVar, EnvVarSource, HTTPGetAction,
            PersistentVolumeClaim, PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource,
            PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements,
            SeccompProfile, Secret, SecretKeySelector, SecurityContext, Service, ServicePort,
            ServiceSpec, Volume, VolumeMount, VolumeResourceRequirements,
        },
        networking::v1::{
            HTTPIngressPath, HTTPIngressRuleValue, Ingress, IngressBackend, IngressRule,
            IngressServiceBackend, IngressSpec, IngressTLS, ServiceBackendPort,
        },
    },
    apimachinery::pkg::{
        apis::meta::v1::{LabelSelector, ObjectMeta},
        util::intstr::IntOrString,
    },
};
use kube::ResourceExt;

use super::{
    APPLICATION_LABEL, INSTANCE_LABEL, Settings, TENANT_LABEL, labels, meta, owner_ref, quantities,
    to_value,
};
use crate::crd::{
    AppInstance, AppPort, Application, GeneratedSecret, SizeProfile, tenant_of_namespace,
};

/// Why an instance cannot be run as written; shown in its `Ready` condition.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecProblem {
    /// The instance is not in a tenant's namespace.
    #[error("namespace {0} does not belong to a tenant")]
    NotInTenantNamespace(String),
    /// The named application is not in the catalogue.
    #[error("application {0} is not in the catalogue")]
    ApplicationNotFound(String),
    /// The application does not offer this version.
    #[error("version {version} is not offered; choose one of: {offered}")]
    VersionNotOffered {
        /// The version asked for.
        version: String,
        /// The versions the application offers, comma-separated.
        offered: String,
    },
    /// The application has no size of this name.
    #[error("size {size} is not offered; choose one of: {offered}")]
    SizeNotOffered {
        /// The size asked for.
        size: String,
        /// The sizes the application offers, comma-separated.
        offered: String,
    },
    /// A setting's name cannot be an environment variable name.
    #[error("setting {0:?} is not a valid environment variable name")]
    SettingNameInvalid(String),
    /// A hostname was given for an application that is not public.
    #[error("application {0} cannot have a public hostname")]
    HostnameNotOffered(String),
    /// The hostname is outside the tenant's own part of the apps domain.
    #[error("hostname {hostname} is not allowed; use {allowed} or a name ending in .{allowed}")]
    HostnameNotAllowed {
        /// The hostname asked for.
        hostname: String,
        /// The tenant's own domain.
        allowed: String,
    },
    /// The application declares no port to serve on.
    #[error("application {0} declares no port")]
    PortMissing(String),
}

impl SpecProblem {
    /// The `reason` of the condition that reports this problem.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NotInTenantNamespace(_) => "NotInTenantNamespace",
            Self::ApplicationNotFound(_) => "ApplicationNotFound",
            Self::VersionNotOffered { .. } => "VersionNotOffered",
            Self::SizeNotOffered { .. } => "SizeNotOffered",
            Self::SettingNameInvalid(_) => "SettingNameInvalid",
            Self::HostnameNotOffered(_) => "HostnameNotOffered",
            Self::HostnameNotAllowed { .. } => "HostnameNotAllowed",
            Self::PortMissing(_) => "PortMissing",
        }
    }
}

/// Everything an instance runs on, but its credentials Secret, which is created once
/// by [`credentials_secret`] and never re-applied.
#[derive(Clone, Debug, PartialEq)]
pub struct AppObjects {
    /// Credentials the instance's Secret must hold.
    pub secret_keys: Vec<GeneratedSecret>,
    /// One claim per application volume. They carry no owner reference, so that
    /// deleting the instance does not delete its data.
    pub volumes: Vec<PersistentVolumeClaim>,
    /// The workload, with zero replicas while suspended.
    pub deployment: Deployment,
    /// In-cluster address of the app.
    pub service: Service,
    /// Public route with TLS, when the instance has a hostname.
    pub ingress: Option<Ingress>,
    /// Where people reach the app.
    pub url: String,
    /// Replicas the Deployment asks for.
    pub replicas: i32,
}

impl AppObjects {
    /// The objects the operator applies, as JSON values in apply order.
    pub fn manifests(&self) -> Vec<serde_json::Value> {
        let mut out: Vec<_> = self.volumes.iter().map(to_value).collect();
        out.push(to_value(&self.deployment));
        out.push(to_value(&self.service));
        out.extend(self.ingress.as_ref().map(to_value));
        out
    }
}

/// The objects `instance` should have, given its `application` (when the catalogue has
/// it) and whether its tenant is suspended.
///
/// # Errors
///
/// A [`SpecProblem`] when the instance asks for something the catalogue does not offer.
///
/// # Guarantees
///
/// Pure. Suspension only changes the replica count: volumes, secrets, Service and Ingress
/// stay as they are, so resuming brings the app back unchanged.
pub fn app_objects(
    instance: &AppInstance,
    application: Option<&Application>,
    tenant_suspended: bool,
    settings: &Settings,
) -> Result<AppObjects, SpecProblem> {
    let namespace = instance.namespace().unwrap_or_default();
    let tenant = tenant_of_namespace(&namespace)
        .ok_or_else(|| SpecProblem::NotInTenantNamespace(namespace.clone()))?;
    let app = application
        .ok_or_else(|| SpecProblem::ApplicationNotFound(instance.spec.application.clone()))?;
    let size = check_offer(instance, app)?;
    if let Some(hostname) = &instance.spec.hostname {
        check_hostname(hostname, tenant, settings)?;
    }
    // The CRD asks for one port at least, but a file given to `render` is not checked
    // against the CRD.
    let port = app
        .spec
        .ports
        .first()
        .ok_or_else(|| SpecProblem::PortMissing(app.name_any()))?;

    let name = instance.name_any();
    let labels = labels([
        (TENANT_LABEL, tenant),
        (APPLICATION_LABEL, app.name_any().as_str()),
        (INSTANCE_LABEL, name.as_str()),
    ]);
    let replicas = if instance.spec.suspended || tenant_suspended {
        0
    } else {
        1
    };
    let ingress = instance
        .spec
        .hostname
        .as_deref()
        .map(|host| ingress(instance, port, &namespace, host, &labels, settings));
    let url = match &instance.spec.hostname {
        Some(host) => format!("https://{host}/"),
        None => format!("http://{name}.{namespace}.svc:{}/", port.container_port),
    };
    Ok(AppObjects {
        secret_keys: app.spec.generated_secrets.clone(),
        volumes: volumes(instance, app, &namespace, &labels, settings),
        deployment: deployment(instance, app, size, replicas, &namespace, &labels),
        service: service(instance, app, &namespace, &labels),
        ingress,
        url,
        replicas,
    })
}

fn check_offer<'a>(
    instance: &AppInstance,
    app: &'a Application,
) -> Result<&'a SizeProfile, SpecProblem> {
    let spec = &instance.spec;
    if !app.spec.versions.contains(&spec.version) {
        return Err(SpecProblem::VersionNotOffered {
            version: spec.version.clone(),
            offered: app.spec.versions.join(", "),
        });
    }
    let size = match &spec.size {
        None => app.spec.sizes.first(),
        Some(wanted) => app.spec.sizes.iter().find(|size| &size.name == wanted),
    };
    let size = size.ok_or_else(|| SpecProblem::SizeNotOffered {
        size: spec.size.clone().unwrap_or_default(),
        offered: app
            .spec
            .sizes
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    if let Some(bad) = spec.settings.keys().find(|name| !is_env_name(name)) {
        return Err(SpecProblem::SettingNameInvalid(bad.clone()));
    }
    if spec.hostname.is_some() && !app.spec.public {
        return Err(SpecProblem::HostnameNotOffered(app.name_any()));
    }
    Ok(size)
}

/// A tenant publishes only under its own domain, `<tenant>.<apps_domain>`: hostnames are
/// first come, first served across the cluster, so anything else would let one tenant
/// serve another's address, or the council's.
fn check_hostname(hostname: &str, tenant: &str, settings: &Settings) -> Result<(), SpecProblem> {
    let allowed = format!("{tenant}.{}", settings.apps_domain.trim_matches('.')).to_lowercase();
    let host = hostname.to_lowercase();
    if host == allowed || host.ends_with(&format!(".{allowed}")) {
        Ok(())
    } else {
        Err(SpecProblem::HostnameNotAllowed {
            hostname: hostname.to_owned(),
            allowed,
        })
    }
}

/// Whether `name` is a portable environment variable name: a letter or `_`, then
/// letters, digits and `_`.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Name of the Secret holding an instance's generated credentials.
pub fn credentials_secret_name(instance: &str) -> String {
    format!("{instance}-credentials")
}

fn claim_name(instance: &str, volume: &str) -> String {
    format!("{instance}-{volume}")
}

/// The credentials Secret of `instance`, holding `values`.
///
/// # Guarantees
///
/// Pure. The Secret has no owner reference: like the volumes whose data its credentials
/// unlock, it outlives the instance for the retention period.
pub fn credentials_secret(
    instance: &AppInstance,
    application: &str,
    values: BTreeMap<String, String>,
) -> Secret {
    let name = instance.name_any();
    let namespace = instance.namespace().unwrap_or_default();
    let tenant = tenant_of_namespace(&namespace).unwrap_or_default();
    let labels = labels([
        (TENANT_LABEL, tenant),
        (APPLICATION_LABEL, application),
        (INSTANCE_LABEL, name.as_str()),
    ]);
    Secret {
        metadata: meta(
            &credentials_secret_name(&name),
            Some(&namespace),
            labels,
            None,
        ),
        string_data: Some(values),
        type_: Some("Opaque".into()),
        ..Secret::default()
    }
}

fn volumes(
    instance: &AppInstance,
    app: &Application,
    namespace: &str,
    labels: &BTreeMap<String, String>,
    settings: &Settings,
) -> Vec<PersistentVolumeClaim> {
    let name = instance.name_any();
    let claim = |volume: &crate::crd::AppVolume| PersistentVolumeClaim {
        metadata: meta(
            &claim_name(&name, &volume.name),
            Some(namespace),
            labels.clone(),
            None,
        ),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            resources: Some(VolumeResourceRequirements {
                requests: Some(quantities([("storage", volume.size.as_str())])),
                limits: None,
            }),
            storage_class_name: settings.storage_class.clone(),
            ..PersistentVolumeClaimSpec::default()
        }),
        status: None,
    };
    app.spec.volumes.iter().map(claim).collect()
}

fn deployment(
    instance: &AppInstance,
    app: &Application,
    size: &SizeProfile,
    replicas: i32,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Deployment {
    let name = instance.name_any();
    let selector = BTreeMap::from([
        (APPLICATION_LABEL.to_owned(), app.name_any()),
        (INSTANCE_LABEL.to_owned(), name.clone()),
    ]);
    let volumes = app.spec.volumes.iter().map(|volume| Volume {
        name: volume.name.clone(),
        persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
            claim_name: claim_name(&name, &volume.name),
            read_only: None,
        }),
        ..Volume::default()
    });
    let pod = PodSpec {
        automount_service_account_token: Some(false),
        enable_service_links: Some(false),
        security_context: Some(pod_security(app.spec.run_as_user)),
        containers: vec![container(instance, app, size)],
        volumes: Some(volumes.collect()),
        ..PodSpec::default()
    };
    // Volumes are ReadWriteOnce: the old pod must let go before the new one mounts them.
    let strategy = DeploymentStrategy {
        type_: Some("Recreate".into()),
        rolling_update: None,
    };
    Deployment {
        metadata: meta(&name, Some(namespace), labels.clone(), owner_ref(instance)),
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..LabelSelector::default()
            },
            strategy: Some(strategy),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels.clone()),
                    ..ObjectMeta::default()
                }),
                spec: Some(pod),
            },
            ..DeploymentSpec::default()
        }),
        status: None,
    }
}

fn pod_security(user: Option<i64>) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: user,
        run_as_group: user,
        fs_group: user,
        fs_group_change_policy: user.map(|_| "OnRootMismatch".into()),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..PodSecurityContext::default()
    }
}

fn container(instance: &AppInstance, app: &Application, size: &SizeProfile) -> Container {
    let name = instance.name_any();
    let ports = app.spec.ports.iter().map(|port| ContainerPort {
        name: Some(port.name.clone()),
        container_port: port.container_port,
        protocol: Some("TCP".into()),
        ..ContainerPort::default()
    });
    let mounts = app.spec.volumes.iter().map(|volume| VolumeMount {
        name: volume.name.clone(),
        mount_path: volume.mount_path.clone(),
        ..VolumeMount::default()
    });
    let probe = |liveness: bool| {
        let check = app.spec.health_check.as_ref()?;
        let port = app.spec.ports.first()?;
        Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some(check.path.clone()),
                port: IntOrString::String(port.name.clone()),
                ..HTTPGetAction::default()
            }),
            // Readiness gates traffic from the start; liveness waits for a slow start.
            initial_delay_seconds: Some(if liveness {
                check.initial_delay_seconds
            } else {
                0
            }),
            period_seconds: Some(check.period_seconds),
            failure_threshold: Some(3),
            ..Probe::default()
        })
    };
    Container {
        name: "app".into(),
        image: Some(format!("{}:{}", app.spec.image, instance.spec.version)),
        ports: Some(ports.collect()),
        env: Some(environment(instance, app, &name)),
        resources: Some(ResourceRequirements {
            requests: Some(quantities([
                ("cpu", size.cpu.as_str()),
                ("memory", size.memory.as_str()),
            ])),
            limits: Some(quantities([("memory", size.memory.as_str())])),
            ..ResourceRequirements::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: None,
            }),
            run_as_non_root: Some(true),
            ..SecurityContext::default()
        }),
        readiness_probe: probe(false),
        liveness_probe: probe(true),
        volume_mounts: Some(mounts.collect()),
        ..Container::default()
    }
}

/// Fixed variables, then the instance's settings (which win), then the credentials.
fn environment(instance: &AppInstance, app: &Application, name: &str) -> Vec<EnvVar> {
    let mut plain: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in &app.spec.env {
        plain.insert(&entry.name, &entry.value);
    }
    for (key, value) in &instance.spec.settings {
        plain.insert(key, value);
    }
    let mut env: Vec<EnvVar> = plain
        .into_iter()
        .filter(|(key, _)| !app.spec.generated_secrets.iter().any(|s| s.key == *key))
        .map(|(key, value)| EnvVar {
            name: key.into(),
            value: Some(value.into()),
            value_from: None,
        })
        .collect();
    env.extend(app.spec.generated_secrets.iter().map(|secret| EnvVar {
        name: secret.key.clone(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: credentials_secret_name(name),
                key: secret.key.clone(),
                optional: Some(false),
            }),
            ..EnvVarSource::default()
        }),
    }));
    env
}

fn service(
    instance: &AppInstance,
    app: &Application,
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Service {
    let name = instance.name_any();
    let ports = app.spec.ports.iter().map(|port| ServicePort {
        name: Some(port.name.clone()),
        port: port.container_port,
        target_port: Some(IntOrString::String(port.name.clone())),
        protocol: Some("TCP".into()),
        ..ServicePort::default()
    });
    let selector = BTreeMap::from([
        (APPLICATION_LABEL.to_owned(), app.name_any()),
        (INSTANCE_LABEL.to_owned(), name.clone()),
    ]);
    Service {
        metadata: meta(&name, Some(namespace), labels.clone(), owner_ref(instance)),
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".into()),
            selector: Some(selector),
            ports: Some(ports.collect()),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

fn ingress(
    instance: &AppInstance,
    port: &AppPort,
    namespace: &str,
    host: &str,
    labels: &BTreeMap<String, String>,
    settings: &Settings,
) -> Ingress {
    let name = instance.name_any();
    let mut metadata = meta(&name, Some(namespace), labels.clone(), owner_ref(instance));
    metadata.annotations = Some(BTreeMap::from([(
        "cert-manager.io/cluster-issuer".to_owned(),
        settings.cluster_issuer.clone(),
    )]));
    let backend = IngressBackend {
        service: Some(IngressServiceBackend {
            name: name.clone(),
            port: Some(ServiceBackendPort {
                name: Some(port.name.clone()),
                number: None,
            }),
        }),
        resource: None,
    };
    let rule = IngressRule {
        host: Some(host.into()),
        http: Some(HTTPIngressRuleValue {
            paths: vec![HTTPIngressPath {
                path: Some("/".into()),
                path_type: "Prefix".into(),
                backend,
            }],
        }),
    };
    Ingress {
        metadata,
        spec: Some(IngressSpec {
            ingress_class_name: Some(settings.ingress_class.clone()),
            rules: Some(vec![rule]),
            tls: Some(vec![IngressTLS {
                hosts: Some(vec![host.into()]),
                secret_name: Some(format!("{name}-tls")),
            }]),
            default_backend: None,
        }),
        status: None,
    }
}
