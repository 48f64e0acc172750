//! The validated configuration of a `commons` process.
//!
//! Sources, lowest precedence first: built-in defaults, the TOML file named by
//! `--config`/`COMMONS_CONFIG`, `COMMONS_*` environment variables, flags. Unknown keys
//! and bad values fail at start-up, naming the key.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::anyhow;
use figment::{
    Figment,
    providers::{Format, Serialized, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{
    cli::{GlobalArgs, LogFormat},
    failure::Failure,
};

/// Everything a `commons` process is configured with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory of the embedded SQLite database.
    pub data_dir: PathBuf,
    /// A database URL; when absent, SQLite in `data_dir`.
    #[serde(skip_serializing)]
    pub database_url: Option<SecretString>,
    /// Log filter; when absent, `RUST_LOG`, else `info`.
    pub log: Option<String>,
    /// Log line format.
    pub log_format: LogFormat,
    /// Bound on the time in-flight work gets after a shutdown signal.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// Web portal settings.
    pub portal: PortalSection,
    /// RADIUS settings.
    pub radius: RadiusSection,
    /// Health and metrics endpoint of processes that run without the portal.
    pub ops: OpsSection,
    /// Kubernetes operator settings.
    pub operator: OperatorSection,
    /// Captive portal abuse limits.
    pub captive: CaptiveSection,
}

/// The `[portal]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalSection {
    /// Address to serve HTTP on.
    pub listen: SocketAddr,
    /// Address people reach the portal at; when absent, derived from `listen`.
    pub public_url: Option<Url>,
    /// Runs hosting in memory instead of on a cluster, appending every change asked of it
    /// (tenants, application instances) as one JSON line to this file. For demonstrations
    /// and browser tests without Kubernetes.
    pub hosting_journal: Option<PathBuf>,
    /// The mail server that delivers the portal's emails, such as
    /// `smtps://user:password@mail.council.example:465`; without one, emails stay in the
    /// outbox table and are logged.
    #[serde(skip_serializing)]
    pub smtp_url: Option<SecretString>,
    /// The sender of the portal's emails; when absent, `Commons <commons@HOST>` with the
    /// host of the public URL.
    pub mail_from: Option<String>,
    /// Addresses or networks of reverse proxies in front of the portal, such as
    /// `10.0.0.0/8`; only their `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<String>,
}

/// The `[captive]` section: how often people may try on the captive portal.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaptiveSection {
    /// Sign-up forms one device (by MAC address) may send per minute.
    pub signups_per_mac: u32,
    /// Sign-up forms one client address may send per minute.
    pub signups_per_ip: u32,
    /// Codes sent to one email address per 15 minutes.
    pub codes_per_email: u32,
    /// Wrong voucher codes one device or address may type in 15 minutes.
    pub voucher_attempts: u32,
}

impl Default for CaptiveSection {
    fn default() -> Self {
        let limits = commons_portal::CaptiveLimits::default();
        Self {
            signups_per_mac: limits.signups_per_mac,
            signups_per_ip: limits.signups_per_ip,
            codes_per_email: limits.codes_per_email,
            voucher_attempts: limits.voucher_attempts,
        }
    }
}

impl CaptiveSection {
    /// The limits for the portal.
    pub fn limits(&self) -> commons_portal::CaptiveLimits {
        commons_portal::CaptiveLimits {
            signups_per_mac: self.signups_per_mac,
            signups_per_ip: self.signups_per_ip,
            codes_per_email: self.codes_per_email,
            voucher_attempts: self.voucher_attempts,
        }
    }

    fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let keys = [
            ("captive.signups_per_mac", self.signups_per_mac),
            ("captive.signups_per_ip", self.signups_per_ip),
            ("captive.codes_per_email", self.codes_per_email),
            ("captive.voucher_attempts", self.voucher_attempts),
        ];
        match keys
            .iter()
            .find(|(_, value)| !(1..=100_000).contains(value))
        {
            Some((key, _)) => Err((key, "must be between 1 and 100000")),
            None => Ok(()),
        }
    }
}

/// The `[radius]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RadiusSection {
    /// Authentication addresses (RFC 2865: port 1812).
    pub auth_listen: Vec<SocketAddr>,
    /// Accounting addresses (RFC 2866: port 1813).
    pub acct_listen: Vec<SocketAddr>,
}

/// The `[ops]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpsSection {
    /// Address of `/healthz`, `/readyz` and `/metrics` when the portal is not running.
    pub listen: SocketAddr,
}

/// The `[operator]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OperatorSection {
    /// `ingressClassName` of app Ingresses.
    pub ingress_class: String,
    /// cert-manager `ClusterIssuer` for app certificates.
    pub cluster_issuer: String,
    /// Namespace of the ingress controller, allowed into tenant namespaces.
    pub ingress_namespace: String,
    /// Namespace of the cluster DNS.
    pub dns_namespace: String,
    /// Storage class of app volumes; the cluster default when absent.
    pub storage_class: Option<String>,
    /// Address ranges tenant pods may not reach (cluster pod, service and node networks).
    pub private_ranges: Vec<String>,
    /// Domain tenants publish apps under: tenant `t` may use `t.<apps_domain>` and names
    /// below it only.
    pub apps_domain: String,
    /// How long a deleted app instance's volumes and credentials are kept.
    #[serde(with = "humantime_serde")]
    pub retention: Duration,
    /// Reconciles in flight at once, per controller.
    pub concurrency: u16,
    /// Whether replicas elect a leader with a Lease (needed for more than one replica).
    pub leader_election: bool,
    /// Namespace of the Lease, normally the operator's own.
    pub lease_namespace: String,
    /// Name of the Lease.
    pub lease_name: String,
}

impl Default for OperatorSection {
    fn default() -> Self {
        let defaults = commons_operator::Config::default();
        let lease = defaults.lease.unwrap_or_default();
        Self {
            ingress_class: defaults.settings.ingress_class,
            cluster_issuer: defaults.settings.cluster_issuer,
            ingress_namespace: defaults.settings.ingress_namespace,
            dns_namespace: defaults.settings.dns_namespace,
            storage_class: defaults.settings.storage_class,
            private_ranges: defaults.settings.private_ranges,
            apps_domain: defaults.settings.apps_domain,
            retention: defaults.retention,
            concurrency: defaults.concurrency,
            leader_election: true,
            lease_namespace: lease.namespace,
            lease_name: lease.name,
        }
    }
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("commons-data"),
            database_url: None,
            log: None,
            log_format: LogFormat::Text,
            shutdown_grace: Duration::from_secs(10),
            portal: PortalSection::default(),
            radius: RadiusSection::default(),
            ops: OpsSection::default(),
            operator: OperatorSection::default(),
            captive: CaptiveSection::default(),
        }
    }
}

impl Default for PortalSection {
    fn default() -> Self {
        Self {
            listen: loopback(8080),
            public_url: None,
            hosting_journal: None,
            smtp_url: None,
            mail_from: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for RadiusSection {
    fn default() -> Self {
        Self {
            auth_listen: vec![loopback(1812)],
            acct_listen: vec![loopback(1813)],
        }
    }
}

impl Default for OpsSection {
    fn default() -> Self {
        Self {
            listen: loopback(9090),
        }
    }
}

impl Config {
    /// Builds and validates the configuration from defaults, file, environment and flags.
    ///
    /// # Errors
    ///
    /// [`Failure::Startup`] naming the key and the reason.
    pub fn load(args: &GlobalArgs) -> Result<Self, Failure> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = &args.config {
            // Anything readable will do, a pipe such as `--config <(…)` included.
            let unusable = match std::fs::metadata(path) {
                Ok(meta) if meta.is_dir() => Some("is a directory".to_owned()),
                Ok(_) => None,
                Err(err) => Some(err.to_string()),
            };
            if let Some(why) = unusable {
                let reason = anyhow!("{}: {why}", path.display());
                return Err(Failure::startup(reason, "config file"));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = merge_args(figment, args);
        let config: Config = figment
            .extract()
            .map_err(|err| Failure::startup(anyhow!("{}", one_line(&err)), "configuration"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), Failure> {
        let bad = |key: &str, reason: &str| {
            Failure::Startup(anyhow!("configuration key `{key}`: {reason}"))
        };
        if self.radius.auth_listen.is_empty() {
            return Err(bad("radius.auth_listen", "at least one address is needed"));
        }
        if self.radius.acct_listen.is_empty() {
            return Err(bad("radius.acct_listen", "at least one address is needed"));
        }
        if let Some(url) = &self.portal.public_url
            && !matches!(url.scheme(), "http" | "https")
        {
            return Err(bad(
                "portal.public_url",
                "must be an http:// or https:// URL",
            ));
        }
        if let Some(smtp) = &self.portal.smtp_url {
            let scheme = Url::parse(smtp.expose_secret()).map(|url| url.scheme().to_owned());
            if !matches!(scheme.as_deref(), Ok("smtp" | "smtps")) {
                return Err(bad("portal.smtp_url", "must be an smtp:// or smtps:// URL"));
            }
        }
        if self.shutdown_grace > Duration::from_secs(600) {
            return Err(bad("shutdown_grace", "must be at most 10m"));
        }
        if let Err(reason) = self.portal.trusted_proxy_networks() {
            return Err(bad("portal.trusted_proxies", &reason));
        }
        self.captive
            .validate()
            .map_err(|(key, reason)| bad(key, reason))?;
        self.operator
            .validate()
            .map_err(|(key, reason)| bad(key, reason))
    }

    /// The portal's mail server and sender, when one is configured.
    pub fn smtp(&self) -> Option<commons_portal::Smtp> {
        let url = self.portal.smtp_url.clone()?;
        let host = self
            .public_url()
            .host_str()
            .unwrap_or("localhost")
            .to_owned();
        let from = self
            .portal
            .mail_from
            .clone()
            .unwrap_or_else(|| format!("Commons <commons@{host}>"));
        Some(commons_portal::Smtp { url, from })
    }

    /// The address people reach the portal at, always ending in `/`.
    pub fn public_url(&self) -> Url {
        if let Some(url) = &self.portal.public_url {
            let mut url = url.clone();
            if !url.path().ends_with('/') {
                let path = format!("{}/", url.path());
                url.set_path(&path);
            }
            return url;
        }
        let listen = self.portal.listen;
        let host = if listen.ip().is_unspecified() {
            "localhost".to_owned()
        } else if listen.is_ipv6() {
            format!("[{}]", listen.ip())
        } else {
            listen.ip().to_string()
        };
        Url::parse(&format!("http://{host}:{}/", listen.port()))
            .unwrap_or_else(|_| Url::parse("http://localhost/").expect("constant URL parses"))
    }
}

impl PortalSection {
    /// The trusted proxies as networks.
    ///
    /// # Errors
    ///
    /// The first entry that is not an IP address or CIDR network, and why.
    pub fn trusted_proxy_networks(&self) -> Result<Vec<commons_store::Cidr>, String> {
        self.trusted_proxies
            .iter()
            .map(|entry| entry.parse::<commons_store::Cidr>())
            .collect()
    }
}

impl OperatorSection {
    /// Checks the section, naming the first bad key and why.
    pub(crate) fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if !(1..=64).contains(&self.concurrency) {
            return Err(("operator.concurrency", "must be between 1 and 64"));
        }
        if self.retention < Duration::from_secs(60 * 60) {
            return Err((
                "operator.retention",
                "must be at least 1h, so data is never lost at once",
            ));
        }
        if self.retention > Duration::from_secs(366 * 24 * 60 * 60) {
            return Err(("operator.retention", "must be at most 366d"));
        }
        if self.ingress_class.is_empty() {
            return Err(("operator.ingress_class", "must not be empty"));
        }
        if self.cluster_issuer.is_empty() {
            return Err(("operator.cluster_issuer", "must not be empty"));
        }
        if self.ingress_namespace.is_empty() {
            return Err(("operator.ingress_namespace", "must not be empty"));
        }
        let domain = self.apps_domain.trim_matches('.');
        if domain.is_empty() || !domain.contains('.') || domain.contains(char::is_whitespace) {
            return Err((
                "operator.apps_domain",
                "must be a DNS domain such as apps.council.example",
            ));
        }
        Ok(())
    }
}

/// Lays the flags and environment variables that were given over the figment.
fn merge_args(mut figment: Figment, args: &GlobalArgs) -> Figment {
    fn set<T: Serialize>(figment: Figment, key: &str, value: Option<&T>) -> Figment {
        match value {
            Some(value) => figment.merge(Serialized::default(key, value)),
            None => figment,
        }
    }
    figment = set(figment, "data_dir", args.data_dir.as_ref());
    figment = set(figment, "database_url", args.database_url.as_ref());
    figment = set(figment, "log", args.log.as_ref());
    figment = set(figment, "log_format", args.log_format.as_ref());
    let grace = args
        .shutdown_grace
        .map(|d| humantime::format_duration(*d).to_string());
    figment = set(figment, "shutdown_grace", grace.as_ref());
    figment = set(figment, "portal.listen", args.portal_listen.as_ref());
    figment = set(figment, "portal.public_url", args.public_url.as_ref());
    figment = set(
        figment,
        "radius.auth_listen",
        args.radius_auth_listen.as_ref(),
    );
    figment = set(
        figment,
        "radius.acct_listen",
        args.radius_acct_listen.as_ref(),
    );
    figment = set(figment, "portal.smtp_url", args.smtp_url.as_ref());
    figment = set(figment, "portal.mail_from", args.mail_from.as_ref());
    set(figment, "ops.listen", args.ops_listen.as_ref())
}

/// Figment reports several errors at once; the first one names the key and the file. TOML
/// syntax errors come with a source excerpt over several lines, left out here so the
/// error stays on one line.
fn one_line(err: &figment::Error) -> String {
    let first = err
        .clone()
        .into_iter()
        .next()
        .map_or_else(|| err.to_string(), |first| first.to_string());
    let is_excerpt = |line: &str| {
        let line = line.trim();
        line.is_empty()
            || line.starts_with('|')
            || line
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start()
                .starts_with('|')
    };
    let lines: Vec<&str> = first
        .lines()
        .filter(|line| !is_excerpt(line))
        .map(str::trim)
        .collect();
    // Figment names keys within its profile; the profile is not part of our key names.
    lines
        .join(", ")
        .replace("key \"default.", "key \"")
        .replace(", in ", " in ")
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn load_file(toml: &str) -> Result<Config, String> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(toml.as_bytes()).unwrap();
        let args = GlobalArgs {
            config: Some(file.path().to_owned()),
            ..GlobalArgs::default()
        };
        Config::load(&args).map_err(|f| match f {
            Failure::Startup(err) | Failure::Runtime(err) => format!("{err:#}"),
        })
    }

    #[test]
    fn defaults_listen_on_loopback() {
        let config = Config::load(&GlobalArgs::default()).unwrap();
        assert_eq!(config.portal.listen, loopback(8080));
        assert_eq!(config.radius.auth_listen, [loopback(1812)]);
        assert_eq!(config.public_url().as_str(), "http://127.0.0.1:8080/");
    }

    #[test]
    fn flags_win_over_the_file() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            file,
            "[portal]\nlisten = \"127.0.0.1:9000\"\n[radius]\nauth_listen = [\"[::1]:1812\"]"
        )
        .unwrap();
        let args = GlobalArgs {
            config: Some(file.path().to_owned()),
            portal_listen: Some(loopback(9100)),
            ..GlobalArgs::default()
        };
        let config = Config::load(&args).unwrap();
        assert_eq!(config.portal.listen, loopback(9100));
        assert_eq!(
            config.radius.auth_listen,
            ["[::1]:1812".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = load_file("[portal]\nlisten = \"not an address\"\n").unwrap_err();
        assert!(err.contains("key \"portal.listen\""), "{err}");
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let err = load_file("[radius]\nauth_port = 1812\n").unwrap_err();
        assert!(err.contains("auth_port"), "{err}");
    }

    #[test]
    fn malformed_toml_is_reported() {
        let err = load_file("[portal\nlisten = 1").unwrap_err();
        assert!(
            err.starts_with("configuration: TOML parse error at line 1"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }

    #[test]
    fn a_config_file_that_cannot_be_read_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let load = |path: PathBuf| {
            let args = GlobalArgs {
                config: Some(path),
                ..GlobalArgs::default()
            };
            match Config::load(&args) {
                Err(Failure::Startup(err)) => format!("{err:#}"),
                other => panic!("expected a start-up failure, got {other:?}"),
            }
        };
        let err = load(dir.path().to_owned());
        assert!(err.ends_with("is a directory"), "{err}");
        let err = load(dir.path().join("missing.toml"));
        assert!(err.contains("No such file or directory"), "{err}");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let args = GlobalArgs {
            database_url: Some("postgres://u:hunter2@127.0.0.1/x".into()),
            ..GlobalArgs::default()
        };
        let config = Config::load(&args).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn the_operator_section_reads_durations_and_names_bad_keys() {
        let config =
            load_file("[operator]\nretention = \"7d\"\ningress_class = \"traefik\"\n").unwrap();
        assert_eq!(
            config.operator.retention,
            Duration::from_secs(7 * 24 * 60 * 60)
        );
        assert_eq!(config.operator.ingress_class, "traefik");
        let err = load_file("[operator]\nconcurrency = 0\n").unwrap_err();
        assert!(err.contains("operator.concurrency"), "{err}");
        let err = load_file("[operator]\nretention = \"5m\"\n").unwrap_err();
        assert!(err.contains("operator.retention"), "{err}");
        let err = load_file("[operator]\ncluster_issuer = \"\"\n").unwrap_err();
        assert!(err.contains("operator.cluster_issuer"), "{err}");
    }

    #[test]
    fn captive_limits_and_trusted_proxies_are_read_and_checked() {
        let config = load_file(
            "[portal]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n\
             [captive]\nsignups_per_mac = 4\ncodes_per_email = 2\n",
        )
        .unwrap();
        let proxies = config.portal.trusted_proxy_networks().unwrap();
        assert_eq!(proxies.len(), 2);
        let limits = config.captive.limits();
        assert_eq!((limits.signups_per_mac, limits.codes_per_email), (4, 2));
        assert_eq!(limits.signups_per_ip, 60, "the default stays");

        let err = load_file("[portal]\ntrusted_proxies = [\"10.0.0.0/33\"]\n").unwrap_err();
        assert!(err.contains("portal.trusted_proxies"), "{err}");
        let err = load_file("[captive]\nvoucher_attempts = 0\n").unwrap_err();
        assert!(err.contains("captive.voucher_attempts"), "{err}");
    }

    #[test]
    fn the_hosting_journal_is_read_from_the_portal_section() {
        let config = load_file("[portal]\nhosting_journal = \"/tmp/hosting.jsonl\"\n").unwrap();
        assert_eq!(
            config.portal.hosting_journal,
            Some(PathBuf::from("/tmp/hosting.jsonl"))
        );
    }

    #[test]
    fn the_smtp_flag_wins_over_the_file_and_stays_secret() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "[portal]\nsmtp_url = \"smtp://file.example:25\"").unwrap();
        let args = GlobalArgs {
            config: Some(file.path().to_owned()),
            smtp_url: Some("smtps://u:hunter2@flag.example:465".into()),
            ..GlobalArgs::default()
        };
        let config = Config::load(&args).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        let url = config
            .portal
            .smtp_url
            .as_ref()
            .map(|u| u.expose_secret().to_owned());
        assert_eq!(url.as_deref(), Some("smtps://u:hunter2@flag.example:465"));
    }

    #[test]
    fn smtp_settings_are_checked_and_kept_out_of_debug_output() {
        let err = load_file("[portal]\nsmtp_url = \"http://mail.example\"\n").unwrap_err();
        assert!(err.contains("portal.smtp_url"), "{err}");
        let config =
            load_file("[portal]\nsmtp_url = \"smtps://u:hunter2@mail.example:465\"\n").unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        let smtp = config.smtp().unwrap();
        assert_eq!(smtp.from, "Commons <commons@127.0.0.1>");
    }

    #[test]
    fn public_url_gets_a_trailing_slash() {
        let args = GlobalArgs {
            public_url: Some(Url::parse("https://commons.council.example/portal").unwrap()),
            ..GlobalArgs::default()
        };
        let config = Config::load(&args).unwrap();
        assert_eq!(
            config.public_url().as_str(),
            "https://commons.council.example/portal/"
        );
    }
}
