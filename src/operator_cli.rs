//! `commons operator`: its flags, and the `crds` and `render` subcommands that need no
//! cluster.

use std::{io::Read, path::Path};

use anyhow::{Context as _, anyhow};
use clap::Args;
use commons_operator::{Settings, leader::LeaseSettings};

use crate::{config::Config, failure::Failure};

/// Flags of `commons operator`; each overrides its key in the `[operator]` section.
#[derive(Debug, Default, Args)]
pub struct OperatorFlags {
    /// Ingress class of app Ingresses [default: nginx].
    #[arg(long, env = "COMMONS_OPERATOR_INGRESS_CLASS", value_name = "CLASS")]
    pub ingress_class: Option<String>,
    /// cert-manager ClusterIssuer of app certificates [default: letsencrypt].
    #[arg(long, env = "COMMONS_OPERATOR_CLUSTER_ISSUER", value_name = "ISSUER")]
    pub cluster_issuer: Option<String>,
    /// How long a deleted app's volumes and credentials are kept [default: 30d].
    #[arg(long, env = "COMMONS_OPERATOR_RETENTION", value_name = "DURATION")]
    pub retention: Option<humantime::Duration>,
    /// Reconciles in flight at once, per controller [default: 4].
    #[arg(long, env = "COMMONS_OPERATOR_CONCURRENCY", value_name = "N")]
    pub concurrency: Option<u16>,
    /// Namespace of the leader-election Lease [default: commons].
    #[arg(
        long,
        env = "COMMONS_OPERATOR_LEASE_NAMESPACE",
        value_name = "NAMESPACE"
    )]
    pub lease_namespace: Option<String>,
    /// Domain tenants publish apps under, as `<tenant>.<domain>` [default:
    /// apps.council.example].
    #[arg(long, env = "COMMONS_OPERATOR_APPS_DOMAIN", value_name = "DOMAIN")]
    pub apps_domain: Option<String>,
    /// Namespace of the ingress controller, let into tenant namespaces [default:
    /// ingress-nginx].
    #[arg(
        long,
        env = "COMMONS_OPERATOR_INGRESS_NAMESPACE",
        value_name = "NAMESPACE"
    )]
    pub ingress_namespace: Option<String>,
    /// Run without leader election (only safe with a single replica).
    #[arg(long, env = "COMMONS_OPERATOR_NO_LEADER_ELECTION")]
    pub no_leader_election: bool,
}

/// `config` with the flags laid over its `[operator]` section.
///
/// # Errors
///
/// [`Failure::Startup`] naming the key when the result is invalid.
pub(crate) fn with_flags(mut config: Config, flags: &OperatorFlags) -> Result<Config, Failure> {
    let section = &mut config.operator;
    if let Some(class) = &flags.ingress_class {
        section.ingress_class.clone_from(class);
    }
    if let Some(issuer) = &flags.cluster_issuer {
        section.cluster_issuer.clone_from(issuer);
    }
    if let Some(retention) = flags.retention {
        section.retention = *retention;
    }
    if let Some(concurrency) = flags.concurrency {
        section.concurrency = concurrency;
    }
    if let Some(namespace) = &flags.lease_namespace {
        section.lease_namespace.clone_from(namespace);
    }
    if let Some(domain) = &flags.apps_domain {
        section.apps_domain.clone_from(domain);
    }
    if let Some(namespace) = &flags.ingress_namespace {
        section.ingress_namespace.clone_from(namespace);
    }
    if flags.no_leader_election {
        section.leader_election = false;
    }
    section.validate().map_err(|(key, reason)| {
        Failure::Startup(anyhow!("configuration key `{key}`: {reason}"))
    })?;
    Ok(config)
}

/// The operator library's configuration from the process configuration.
pub(crate) fn operator_config(config: &Config) -> commons_operator::Config {
    let section = &config.operator;
    let lease = section.leader_election.then(|| LeaseSettings {
        namespace: section.lease_namespace.clone(),
        name: section.lease_name.clone(),
        ..LeaseSettings::default()
    });
    commons_operator::Config {
        settings: settings(config),
        retention: section.retention,
        concurrency: section.concurrency,
        lease,
    }
}

fn settings(config: &Config) -> Settings {
    let section = &config.operator;
    Settings {
        ingress_class: section.ingress_class.clone(),
        cluster_issuer: section.cluster_issuer.clone(),
        ingress_namespace: section.ingress_namespace.clone(),
        dns_namespace: section.dns_namespace.clone(),
        storage_class: section.storage_class.clone(),
        private_ranges: section.private_ranges.clone(),
        apps_domain: section.apps_domain.trim_matches('.').to_owned(),
    }
}

/// `commons operator crds`: prints the CustomResourceDefinitions.
///
/// # Errors
///
/// [`Failure::Runtime`] if they cannot be serialised.
pub(crate) fn crds() -> Result<(), Failure> {
    let yaml = commons_operator::crd::definitions_yaml()
        .map_err(|err| Failure::Runtime(anyhow::Error::new(err).context("CRD YAML")))?;
    print!("{yaml}");
    Ok(())
}

/// `commons operator render -f FILE`: prints the objects the operator would apply.
///
/// # Errors
///
/// [`Failure::Startup`] when the file cannot be read or holds resources that do not
/// render, with the reason.
pub(crate) fn render(config: &Config, file: &Path) -> Result<(), Failure> {
    let input = if file == Path::new("-") {
        let mut input = String::new();
        std::io::stdin()
            .read_to_string(&mut input)
            .context("reading standard input")
            .map_err(Failure::Startup)?;
        input
    } else {
        std::fs::read_to_string(file)
            .with_context(|| format!("reading {}", file.display()))
            .map_err(Failure::Startup)?
    };
    let output = commons_operator::render::render(&input, &settings(config))
        .map_err(|err| Failure::startup(err, format!("rendering {}", file.display())))?;
    print!("{output}");
    Ok(())
}
