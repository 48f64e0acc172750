//! Command-line arguments. Every option can also come from a `COMMONS_*` environment
//! variable or the TOML file given with `--config`; flags win over the environment, and
//! the environment over the file.

use std::{net::SocketAddr, path::PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

/// Commons: the council's community cloud, community Wi-Fi and billing.
#[derive(Debug, Parser)]
#[command(name = "commons", version, propagate_version = true)]
pub struct Cli {
    /// Options shared by every subcommand.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the portal and the RADIUS server in one process, and the operator too when a
    /// Kubernetes configuration is found.
    Up,
    /// Run only the web portal.
    Portal,
    /// Run only the RADIUS server (with health and metrics on --ops-listen).
    Radius,
    /// Run or inspect the Kubernetes operator.
    Operator(OperatorArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage council administrators.
    Admin(AdminArgs),
    /// Community Wi-Fi administration.
    #[command(flatten)]
    Wifi(crate::wifi_cli::WifiCommand),
    /// Print the version.
    Version,
}

/// Arguments of `commons operator`.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// Operator settings that override the `[operator]` section.
    #[command(flatten)]
    pub flags: crate::operator_cli::OperatorFlags,
    /// What to do; without one, the controllers run.
    #[command(subcommand)]
    pub action: Option<OperatorAction>,
}

/// Subcommands of `commons operator`.
#[derive(Debug, Subcommand)]
pub enum OperatorAction {
    /// Run the controllers (the default).
    Run,
    /// Print the CustomResourceDefinitions as YAML.
    Crds,
    /// Print the objects the operator would apply for the resources in a YAML file,
    /// without a cluster.
    Render {
        /// YAML file of Tenant, Application and AppInstance documents (`-` for standard
        /// input).
        #[arg(short = 'f', long = "filename", value_name = "FILE")]
        file: std::path::PathBuf,
    },
}

/// Arguments of `commons admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: AdminAction,
}

/// Subcommands of `commons admin`.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create a council administrator (or promote an existing user) and print a one-time
    /// link to choose a password.
    Create {
        /// Their email address.
        #[arg(long)]
        email: String,
    },
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Options shared by every subcommand.
#[derive(Debug, Default, Args)]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, global = true, env = "COMMONS_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Directory for the embedded SQLite database [default: ./commons-data].
    #[arg(long, global = true, env = "COMMONS_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://…) or SQLite (sqlite://…) database instead of the data
    /// directory's SQLite file.
    #[arg(long, global = true, env = "COMMONS_DATABASE_URL", value_name = "URL")]
    #[arg(hide_env_values = true)]
    pub database_url: Option<String>,
    /// Log filter in RUST_LOG syntax, such as `info,commons_radius=debug` [default: RUST_LOG,
    /// else info].
    #[arg(long, global = true, env = "COMMONS_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Log line format [default: text].
    #[arg(long, global = true, env = "COMMONS_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// How long in-flight work may take to finish after SIGINT or SIGTERM [default: 10s].
    #[arg(
        long,
        global = true,
        env = "COMMONS_SHUTDOWN_GRACE",
        value_name = "DURATION"
    )]
    pub shutdown_grace: Option<humantime::Duration>,
    /// Address the portal serves HTTP on [default: 127.0.0.1:8080].
    #[arg(
        long,
        global = true,
        env = "COMMONS_PORTAL_LISTEN",
        value_name = "ADDR"
    )]
    pub portal_listen: Option<SocketAddr>,
    /// Address people reach the portal at, for links [default: http://<portal-listen>/].
    #[arg(long, global = true, env = "COMMONS_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<url::Url>,
    /// RADIUS authentication addresses, comma-separated [default: 127.0.0.1:1812].
    #[arg(
        long,
        global = true,
        env = "COMMONS_RADIUS_AUTH_LISTEN",
        value_name = "ADDRS"
    )]
    #[arg(value_delimiter = ',')]
    pub radius_auth_listen: Option<Vec<SocketAddr>>,
    /// RADIUS accounting addresses, comma-separated [default: 127.0.0.1:1813].
    #[arg(
        long,
        global = true,
        env = "COMMONS_RADIUS_ACCT_LISTEN",
        value_name = "ADDRS"
    )]
    #[arg(value_delimiter = ',')]
    pub radius_acct_listen: Option<Vec<SocketAddr>>,
    /// Health and metrics address of `commons radius` and `commons operator` run alone
    /// [default: 127.0.0.1:9090].
    #[arg(long, global = true, env = "COMMONS_OPS_LISTEN", value_name = "ADDR")]
    pub ops_listen: Option<SocketAddr>,
    /// Mail server for the portal's emails, `smtp://` or `smtps://user:password@host:port`
    /// [default: none; emails go to the log and the outbox table].
    #[arg(long, global = true, env = "COMMONS_SMTP_URL", value_name = "URL")]
    #[arg(hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender of the portal's emails [default: Commons <commons@<public host>>].
    #[arg(long, global = true, env = "COMMONS_MAIL_FROM", value_name = "ADDRESS")]
    pub mail_from: Option<String>,
}
