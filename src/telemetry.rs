//! Logging with `tracing` and the process-wide Prometheus recorder.

use anyhow::anyhow;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::{cli::LogFormat, config::Config, failure::Failure};

/// Latency buckets in seconds: RADIUS answers in well under a millisecond, pages in a few.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds recorded histogram samples into their buckets at a fixed pace, so the recorder's
/// memory stays bounded however rarely `/metrics` is scraped. Runs until dropped.
pub(crate) async fn upkeep(metrics: PrometheusHandle) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tick.tick().await;
        metrics.run_upkeep();
    }
}

/// Installs the log subscriber and the metrics recorder for this process.
///
/// # Errors
///
/// [`Failure::Startup`] for a log filter that does not parse.
pub(crate) fn init(config: &Config) -> Result<PrometheusHandle, Failure> {
    let filter = match &config.log {
        Some(filter) => EnvFilter::try_new(filter)
            .map_err(|err| Failure::Startup(anyhow!("configuration key `log`: {err}")))?,
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let registry = tracing_subscriber::registry().with(filter);
    // Logs go to standard error; standard output carries what commands print for people.
    let installed = match config.log_format {
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    installed.map_err(|err| Failure::Runtime(anyhow!("cannot install logging: {err}")))?;

    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|err| Failure::Runtime(anyhow!("cannot install metrics recorder: {err}")))
}
