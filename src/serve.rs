//! The long-running subcommands: components started together under one shutdown signal.

use std::{future::Future, pin::Pin, sync::Arc};

use anyhow::anyhow;
use commons_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    admin::open_store,
    cli::{OperatorAction, OperatorArgs},
    config::Config,
    failure::Failure,
    hosting::ClusterHosting,
};

type Component = Pin<Box<dyn Future<Output = Result<(), Failure>> + Send>>;

/// Opens the store for a long-running subcommand and says which database it serves from.
async fn serving_store(config: &Config) -> Result<Store, Failure> {
    let store = open_store(config).await?;
    tracing::info!(database = %store.url(), backend = %store.backend(), "store ready");
    Ok(store)
}

/// `commons up`: portal and RADIUS, plus the operator when a cluster is configured.
pub(crate) async fn up(config: Config, metrics: PrometheusHandle) -> Result<(), Failure> {
    let store = serving_store(&config).await?;
    let shutdown = CancellationToken::new();
    let cluster = commons_operator::cluster_configured().await;
    let hosting = hosting(&config, cluster).await;
    let mut components = vec![
        portal_component(&config, &store, &metrics, hosting, true, &shutdown),
        radius_component(&config, &store, &shutdown),
    ];
    if cluster {
        components.push(optional_operator_component(&config, &shutdown));
    } else {
        tracing::info!("no Kubernetes configuration found; hosting is off");
    }
    supervise(&config, &store, components, shutdown).await
}

/// `commons portal`.
pub(crate) async fn portal(config: Config, metrics: PrometheusHandle) -> Result<(), Failure> {
    let store = serving_store(&config).await?;
    let shutdown = CancellationToken::new();
    let hosting = hosting(&config, commons_operator::cluster_configured().await).await;
    let components = vec![portal_component(
        &config, &store, &metrics, hosting, true, &shutdown,
    )];
    supervise(&config, &store, components, shutdown).await
}

/// `commons radius`: the RADIUS server with health and metrics on the ops address.
pub(crate) async fn radius(config: Config, metrics: PrometheusHandle) -> Result<(), Failure> {
    let store = serving_store(&config).await?;
    let shutdown = CancellationToken::new();
    let components = vec![
        radius_component(&config, &store, &shutdown),
        ops_component(&config, &store, &metrics, &shutdown),
    ];
    supervise(&config, &store, components, shutdown).await
}

/// `commons operator`.
pub(crate) async fn operator(
    config: Config,
    metrics: PrometheusHandle,
    args: OperatorArgs,
) -> Result<(), Failure> {
    let config = crate::operator_cli::with_flags(config, &args.flags)?;
    match args.action.unwrap_or(OperatorAction::Run) {
        OperatorAction::Crds => crate::operator_cli::crds(),
        OperatorAction::Render { file } => crate::operator_cli::render(&config, &file),
        OperatorAction::Run => {
            let store = serving_store(&config).await?;
            let shutdown = CancellationToken::new();
            let components = vec![
                operator_component(&config, &shutdown),
                ops_component(&config, &store, &metrics, &shutdown),
            ];
            supervise(&config, &store, components, shutdown).await
        }
    }
}

fn portal_component(
    config: &Config,
    store: &Store,
    metrics: &PrometheusHandle,
    hosting: Arc<dyn commons_portal::Hosting>,
    announce_first_admin: bool,
    shutdown: &CancellationToken,
) -> Component {
    let portal = commons_portal::Config {
        listen: config.portal.listen,
        public_url: config.public_url(),
        store: store.clone(),
        metrics: metrics.clone(),
        announce_first_admin,
        hosting,
        smtp: config.smtp(),
        // Checked when the configuration was loaded.
        trusted_proxies: config.portal.trusted_proxy_networks().unwrap_or_default(),
        captive: config.captive.limits(),
    };
    let shutdown = shutdown.clone();
    Box::pin(async move {
        commons_portal::run(portal, shutdown)
            .await
            .map_err(|err| match err {
                commons_portal::Error::BindFailed { .. }
                | commons_portal::Error::MailSetupFailed(_) => Failure::Startup(err.into()),
                other => Failure::Runtime(other.into()),
            })
    })
}

/// The portal's hosting: in memory with a journal when configured (for tests and demos),
/// else on the cluster when `cluster` says a Kubernetes configuration was found, else not
/// connected.
async fn hosting(config: &Config, cluster: bool) -> Arc<dyn commons_portal::Hosting> {
    if let Some(path) = &config.portal.hosting_journal {
        tracing::info!(journal = %path.display(), "hosting runs in memory");
        return Arc::new(commons_portal::hosting::MemoryHosting::new().with_journal(path.clone()));
    }
    if !cluster {
        return Arc::new(commons_portal::hosting::NotConnected::new());
    }

    // Building the client reads the configuration only; the first request is a page's.
    match kube::Client::try_default().await {
        Ok(client) => {
            tracing::info!("hosting runs on the Kubernetes cluster");
            Arc::new(ClusterHosting::new(client))
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot build a Kubernetes client; hosting is off");
            Arc::new(commons_portal::hosting::NotConnected::new())
        }
    }
}

fn radius_component(config: &Config, store: &Store, shutdown: &CancellationToken) -> Component {
    let radius = commons_radius::Config {
        auth_listen: config.radius.auth_listen.clone(),
        acct_listen: config.radius.acct_listen.clone(),
        store: store.clone(),
        tuning: commons_radius::Tuning::default(),
    };
    let shutdown = shutdown.clone();
    Box::pin(async move {
        commons_radius::run(radius, shutdown)
            .await
            .map_err(|err| match err {
                commons_radius::Error::BindFailed { .. }
                | commons_radius::Error::LoadClientsFailed(_) => Failure::Startup(err.into()),
            })
    })
}

fn operator_component(config: &Config, shutdown: &CancellationToken) -> Component {
    let operator = crate::operator_cli::operator_config(config);
    let shutdown = shutdown.clone();
    Box::pin(async move {
        commons_operator::run(operator, shutdown)
            .await
            .map_err(|err| Failure::Startup(err.into()))
    })
}

/// The operator inside `commons up`: hosting is one service among several there, so a
/// cluster that cannot be used (unreachable, no lease namespace) turns hosting off with
/// one error line instead of stopping the portal and RADIUS.
fn optional_operator_component(config: &Config, shutdown: &CancellationToken) -> Component {
    let operator = operator_component(config, shutdown);
    let shutdown = shutdown.clone();
    Box::pin(async move {
        if let Err(Failure::Startup(err) | Failure::Runtime(err)) = operator.await {
            let error = crate::failure::one_line(&err);
            tracing::error!(%error, "hosting stopped; portal and RADIUS keep running");
        }
        shutdown.cancelled().await;
        Ok(())
    })
}

fn ops_component(
    config: &Config,
    store: &Store,
    metrics: &PrometheusHandle,
    shutdown: &CancellationToken,
) -> Component {
    let listen = config.ops.listen;
    let state = commons_portal::ops::OpsState {
        store: store.clone(),
        metrics: metrics.clone(),
    };
    let shutdown = shutdown.clone();
    Box::pin(async move {
        commons_portal::ops::serve(listen, state, shutdown)
            .await
            .map_err(|err| match err {
                commons_portal::Error::BindFailed { .. } => Failure::Startup(err.into()),
                other => Failure::Runtime(other.into()),
            })
    })
}

/// Runs `components` until a shutdown signal or until one of them stops, then cancels
/// the rest, gives them `shutdown_grace` to finish, and closes the database.
///
/// # Errors
///
/// The first component failure, which also stops the others.
async fn supervise(
    config: &Config,
    store: &Store,
    components: Vec<Component>,
    shutdown: CancellationToken,
) -> Result<(), Failure> {
    let mut tasks = JoinSet::new();
    for component in components {
        tasks.spawn(component);
    }

    let mut outcome = tokio::select! {
        signal = shutdown_signal() => {
            tracing::info!(signal, "shutting down");
            Ok(())
        }
        Some(first) = tasks.join_next() => flatten(first).and_then(|()| {
            Err(Failure::Runtime(anyhow!("a component stopped unexpectedly")))
        }),
    };
    shutdown.cancel();

    let drained = tokio::time::timeout(config.shutdown_grace, async {
        while let Some(done) = tasks.join_next().await {
            if let Err(failure) = flatten(done) {
                tracing::warn!(error = ?failure, "component failed while stopping");
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::warn!(grace = ?config.shutdown_grace, "in-flight work outlived the grace period");
        tasks.abort_all();
        if outcome.is_ok() {
            outcome = Err(Failure::Runtime(anyhow!("shutdown grace period exceeded")));
        }
    }
    store.close().await;
    outcome
}

fn flatten(joined: Result<Result<(), Failure>, tokio::task::JoinError>) -> Result<(), Failure> {
    joined.map_err(|err| Failure::Runtime(anyhow!("component task failed: {err}")))?
}

/// Waits for SIGINT or SIGTERM and names the one that came.
async fn shutdown_signal() -> &'static str {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                _ = interrupt => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
            },
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM; only SIGINT stops");
                let _ = interrupt.await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
        "SIGINT"
    }
}
