//! `commons operator render`: the objects the operator would apply for the resources in a
//! YAML file, computed without a cluster.

use std::collections::BTreeMap;

use kube::ResourceExt;
use serde::Deserialize;
use serde_json::Value;

use crate::{
    crd::{AppInstance, Application, Tenant, tenant_of_namespace},
    desired::{self, Settings, SpecProblem},
};

/// The value shown for each generated credential, which exists only in the cluster.
pub const GENERATED_PLACEHOLDER: &str = "(generated once, at the first reconcile)";

/// What can go wrong while rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not YAML.
    #[error("input is not valid YAML")]
    ParseFailed(#[source] serde_yaml::Error),
    /// A document is not one of the Commons resources.
    #[error("document {index}: kind {kind:?} is not Tenant, Application or AppInstance")]
    KindUnknown {
        /// Position of the document in the input, from 1.
        index: usize,
        /// Its kind, empty when missing.
        kind: String,
    },
    /// A document has the right kind but not the right fields.
    #[error("document {index}: not a valid {kind}")]
    DecodeFailed {
        /// Position of the document in the input, from 1.
        index: usize,
        /// Its kind.
        kind: String,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
    },
    /// An instance asks for something its application does not offer.
    #[error("app instance {name}: cannot be run as written")]
    InstanceInvalid {
        /// `namespace/name` of the instance.
        name: String,
        /// Why.
        #[source]
        problem: SpecProblem,
    },
    /// Writing the output failed, which would mean a bug in an object type.
    #[error("cannot write the objects as YAML")]
    SerializeFailed(#[source] serde_yaml::Error),
}

/// The resources of one input file.
#[derive(Debug, Default)]
struct Resources {
    tenants: Vec<Tenant>,
    applications: BTreeMap<String, Application>,
    instances: Vec<AppInstance>,
}

/// The objects the operator would apply for the resources in `input`, as multi-document
/// YAML: each tenant's objects, then each instance's credentials Secret (with
/// placeholder values), volumes, Deployment, Service and Ingress.
///
/// An instance's application must be in the same input. A tenant not in the input is
/// taken as not suspended.
///
/// # Errors
///
/// See [`Error`]; nothing is printed unless every resource renders.
pub fn render(input: &str, settings: &Settings) -> Result<String, Error> {
    let resources = parse(input)?;
    let mut objects: Vec<Value> = Vec::new();
    for tenant in &resources.tenants {
        objects.extend(desired::tenant_objects(tenant, settings).manifests());
    }
    for instance in &resources.instances {
        objects.extend(instance_objects(instance, &resources, settings)?);
    }
    desired::to_yaml(&objects).map_err(Error::SerializeFailed)
}

fn instance_objects(
    instance: &AppInstance,
    resources: &Resources,
    settings: &Settings,
) -> Result<Vec<Value>, Error> {
    let namespace = instance.namespace().unwrap_or_default();
    let application = resources.applications.get(&instance.spec.application);
    let tenant_suspended = resources.tenants.iter().any(|tenant| {
        tenant_of_namespace(&namespace) == Some(tenant.name_any().as_str()) && tenant.spec.suspended
    });
    let objects = desired::app_objects(instance, application, tenant_suspended, settings).map_err(
        |problem| Error::InstanceInvalid {
            name: format!("{namespace}/{}", instance.name_any()),
            problem,
        },
    )?;
    let values = objects
        .secret_keys
        .iter()
        .map(|key| (key.key.clone(), GENERATED_PLACEHOLDER.to_owned()))
        .collect();
    let secret = desired::credentials_secret(instance, &instance.spec.application, values);
    let mut out = vec![serde_json::to_value(&secret).unwrap_or(Value::Null)];
    out.extend(objects.manifests());
    Ok(out)
}

fn parse(input: &str) -> Result<Resources, Error> {
    let mut resources = Resources::default();
    for (index, document) in serde_yaml::Deserializer::from_str(input).enumerate() {
        let index = index + 1;
        let value = Value::deserialize(document).map_err(Error::ParseFailed)?;
        if value.is_null() {
            continue;
        }
        let kind = value
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let decode = |err| Error::DecodeFailed {
            index,
            kind: kind.clone(),
            source: err,
        };
        match kind.as_str() {
            "Tenant" => resources
                .tenants
                .push(serde_json::from_value(value).map_err(decode)?),
            "Application" => {
                let application: Application = serde_json::from_value(value).map_err(decode)?;
                resources
                    .applications
                    .insert(application.name_any(), application);
            }
            "AppInstance" => {
                resources
                    .instances
                    .push(serde_json::from_value(value).map_err(decode)?);
            }
            _ => return Err(Error::KindUnknown { index, kind }),
        }
    }
    Ok(resources)
}
