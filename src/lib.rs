//! Wiring of the `commons` binary: configuration, logging, metrics and the subcommands
//! that run the portal, the RADIUS server and the operator alone or together.

mod admin;
pub mod cli;
pub mod config;
mod failure;
mod hosting;
pub mod operator_cli;
mod serve;
mod telemetry;
mod wifi_cli;

use std::process::ExitCode;

use cli::{Cli, Command};

pub use failure::Failure;

/// Runs one invocation of `commons` and returns its exit status: 0 on success, 2 for
/// bad configuration or a resource that cannot be had at start-up (a port in use, an
/// unreachable database), 1 for a failure while running.
pub fn run(cli: Cli) -> ExitCode {
    if let Command::Version = cli.command {
        println!("commons {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    let result = config::Config::load(&cli.global)
        .and_then(|config| telemetry::init(&config).map(|metrics| (config, metrics)))
        .and_then(|(config, metrics)| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|err| {
                    Failure::Runtime(anyhow::Error::new(err).context("tokio runtime"))
                })?;
            runtime.block_on(async {
                let upkeep = tokio::spawn(telemetry::upkeep(metrics.clone()));
                let outcome = dispatch(cli.command, config, metrics).await;
                upkeep.abort();
                outcome
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

async fn dispatch(
    command: Command,
    config: config::Config,
    metrics: metrics_exporter_prometheus::PrometheusHandle,
) -> Result<(), Failure> {
    match command {
        Command::Up => serve::up(config, metrics).await,
        Command::Portal => serve::portal(config, metrics).await,
        Command::Radius => serve::radius(config, metrics).await,
        Command::Operator(args) => serve::operator(config, metrics, args).await,
        Command::Migrate => admin::migrate(&config).await,
        Command::Admin(args) => admin::admin(&config, args).await,
        Command::Wifi(command) => wifi_cli::run(&config, command).await,
        Command::Version => Ok(()),
    }
}
