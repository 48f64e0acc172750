//! Operational endpoints (`/healthz`, `/readyz`, `/metrics`) and per-request telemetry.

use std::{net::SocketAddr, time::Instant};

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use commons_store::Store;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

use crate::{AppState, Error};

/// State of the operational endpoints, for processes that serve only these.
#[derive(Clone)]
pub struct OpsState {
    /// The database whose readiness is reported.
    pub store: Store,
    /// Renders the process's metrics.
    pub metrics: PrometheusHandle,
}

impl axum::extract::FromRef<AppState> for OpsState {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            metrics: state.metrics.clone(),
        }
    }
}

/// `/healthz`, `/readyz` and `/metrics`, usable in any router whose state yields
/// [`OpsState`].
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    OpsState: axum::extract::FromRef<S>,
{
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Serves only the operational endpoints on `listen` until `shutdown` is cancelled, for
/// processes that run without the portal.
///
/// # Errors
///
/// [`Error::BindFailed`] when the address cannot be listened on.
pub async fn serve(
    listen: SocketAddr,
    state: OpsState,
    shutdown: CancellationToken,
) -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| Error::BindFailed {
            addr: listen,
            source,
        })?;
    tracing::info!(addr = %listen, "health and metrics listening");
    let app = router()
        .with_state(state)
        .layer(axum::middleware::from_fn(track_request));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(Error::ServeFailed)
}

/// The process is alive.
async fn healthz() -> &'static str {
    "ok\n"
}

/// The database answers and carries every migration this build knows.
async fn readyz(State(ops): State<OpsState>) -> Response {
    match ops.store.migrations_applied().await {
        Ok(true) => (StatusCode::OK, "ready\n").into_response(),
        Ok(false) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database migrations not applied\n",
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

/// Prometheus text exposition of every metric of the process.
async fn metrics(State(ops): State<OpsState>) -> Response {
    let body = ops.metrics.render();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// Counts each request and records its latency, labelled by method, matched route and
/// status. Unmatched paths and unknown methods share one label each, so scanners cannot
/// inflate the label set.
pub async fn track_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a metric label: the methods of RFC 9110 and PATCH by name, any other
/// (clients may send any token) as `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// One span per request, named by method and matched route; query strings (which may
/// hold one-time tokens) are not recorded.
pub fn trace_layer() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request) -> tracing::Span,
> {
    TraceLayer::new_for_http().make_span_with(request_span as fn(&Request) -> tracing::Span)
}

fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    tracing::debug_span!("http", method = %request.method(), route = route.unwrap_or("unmatched"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        for token in ["M12345", "PROPFIND", "get"] {
            let method = Method::from_bytes(token.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{token}");
        }
    }
}
