//! The operational endpoints, driven in-process on both database backends.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is the test failing"
)]

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use commons_store::{DatabaseUrl, Store, StoreOptions};
use metrics_exporter_prometheus::PrometheusBuilder;
use tower::ServiceExt;

fn config(store: &Store) -> commons_portal::Config {
    commons_portal::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: "http://127.0.0.1/".parse().unwrap(),
        store: store.clone(),
        metrics: PrometheusBuilder::new().build_recorder().handle(),
        announce_first_admin: false,
        hosting: std::sync::Arc::new(commons_portal::hosting::NotConnected::new()),
        smtp: None,
        trusted_proxies: Vec::new(),
        captive: commons_portal::CaptiveLimits::default(),
    }
}

async fn get(store: &Store, path: &str) -> (StatusCode, String) {
    let app = commons_portal::router(&config(store));
    let response = app
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

commons_store::store_tests! {
    async fn a_migrated_store_is_ready(store) {
        assert_eq!(get(store, "/healthz").await, (StatusCode::OK, "ok\n".to_owned()));
        assert_eq!(get(store, "/readyz").await, (StatusCode::OK, "ready\n".to_owned()));
    }

    async fn an_unknown_path_is_not_found(store) {
        assert_eq!(get(store, "/no-such-page").await.0, StatusCode::NOT_FOUND);
    }

    async fn a_closed_database_makes_the_portal_unready_but_alive(store) {
        store.close().await;
        assert_eq!(get(store, "/healthz").await.0, StatusCode::OK);
        let (status, body) = get(store, "/readyz").await;
        assert_eq!((status, body.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n"));
    }
}

#[tokio::test]
async fn an_unmigrated_database_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::sqlite_in(dir.path()).unwrap();
    let store = Store::connect(&StoreOptions::new(url)).await.unwrap();
    let (status, body) = get(&store, "/readyz").await;
    assert_eq!(
        (status, body.as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database migrations not applied\n"
        )
    );
}
