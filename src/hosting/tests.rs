//! Scenarios against kube's mock service: each lists the exact requests a hosting call
//! must make and the replies it gets.

use std::time::Duration;

use commons_operator::testing::{self, ECHO, Seen, Step, step};
use commons_portal::hosting::{Quota, TenantSpec};
use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};

use super::*;

const COMMONS: &str = "/apis/commons.dev/v1alpha1";
const INSTANCES: &str = "/apis/commons.dev/v1alpha1/namespaces/tenant-riverside/appinstances";

fn api_status(code: u16, reason: &str) -> Value {
    testing::api_status(code, reason, &format!("{reason} for the test"))
}

/// Runs `work` on hosting backed by a mock API that expects exactly `steps`, in order;
/// returns its result and the requests seen.
async fn scenario<T, F>(steps: Vec<Step>, work: impl FnOnce(ClusterHosting) -> F) -> (T, Vec<Seen>)
where
    F: Future<Output = T>,
{
    testing::scenario(steps, |client| work(ClusterHosting::new(client))).await
}

fn mk_tenant() -> TenantSpec {
    TenantSpec {
        name: "riverside".into(),
        display_name: "Riverside Food Bank".into(),
        org_id: 42,
        kind: "charity".into(),
        plan: "community".into(),
        quota: Quota {
            cpu_millis: 2000,
            memory_mib: 4096,
            storage_gib: 20,
            pods: 20,
            apps: 3,
        },
        admins: vec!["sam@riverside.example".into()],
        suspended: false,
    }
}

fn mk_tenant_object(status: Value) -> Value {
    json!({
        "apiVersion": "commons.dev/v1alpha1", "kind": "Tenant",
        "metadata": {"name": "riverside"},
        "spec": {"displayName": "Riverside", "organisationId": "42", "kind": "voluntary",
                 "plan": {"name": "community", "quota": {
                     "cpu": "2", "memory": "4Gi", "storage": "20Gi", "pods": 20, "apps": 3}}},
        "status": status
    })
}

fn mk_install() -> AppInstanceSpec {
    AppInstanceSpec {
        name: "files".into(),
        application: "nextcloud".into(),
        version: "30.0.1".into(),
    }
}

fn mk_application() -> Value {
    json!({
        "apiVersion": "commons.dev/v1alpha1", "kind": "Application",
        "metadata": {"name": "nextcloud"},
        "spec": {"displayName": "Nextcloud", "description": "File sharing and calendars.",
                 "image": "registry.council.example/catalogue/nextcloud",
                 "versions": ["29.0.4", "30.0.1"],
                 "ports": [{"name": "http", "containerPort": 8080}],
                 "volumes": [{"name": "data", "mountPath": "/data", "size": "10Gi"}],
                 "sizes": [{"name": "small", "cpu": "250m", "memory": "512Mi"}]}
    })
}

fn mk_instance(name: &str, suspended: bool, status: Value) -> Value {
    json!({
        "apiVersion": "commons.dev/v1alpha1", "kind": "AppInstance",
        "metadata": {"name": name, "namespace": "tenant-riverside"},
        "spec": {"application": "nextcloud", "version": "30.0.1", "suspended": suspended},
        "status": status
    })
}

#[track_caller]
fn assert_not_found(result: Result<impl fmt::Debug, HostingError>, expected: &str) {
    match result {
        Err(HostingError::NotFound { what }) => assert_eq!(what, expected),
        other => panic!("expected {expected} not found, got {other:?}"),
    }
}

#[tokio::test]
async fn ensuring_a_tenant_applies_its_spec_server_side_as_the_portal() {
    let tenant = mk_tenant();
    let steps = vec![step(
        format!("PATCH {COMMONS}/tenants/riverside?&force=true&fieldManager=commons-portal"),
        ECHO,
        Value::Null,
    )];
    let (result, seen) = scenario(steps, |h| async move { h.ensure_tenant(&tenant).await }).await;

    result.unwrap();
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/apply-patch+yaml")
    );
    let expected = json!({
        "apiVersion": "commons.dev/v1alpha1", "kind": "Tenant",
        "metadata": {"name": "riverside"},
        "spec": {
            "displayName": "Riverside Food Bank", "organisationId": "42", "kind": "voluntary",
            "plan": {"name": "community", "quota": {
                "cpu": "2000m", "memory": "4096Mi", "storage": "20Gi", "pods": 20, "apps": 3}},
            "admins": [{"kind": "User", "name": "sam@riverside.example"}],
            "suspended": false, "preventDeletion": true
        }
    });
    assert_eq!(seen[0].body, expected);
}

#[tokio::test]
async fn a_tenant_with_an_unknown_kind_is_refused_without_a_request() {
    let mut tenant = mk_tenant();
    tenant.kind = "club".into();
    let (result, _) = scenario(vec![], |h| async move { h.ensure_tenant(&tenant).await }).await;

    assert!(
        matches!(result, Err(HostingError::RequestFailed(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn suspending_a_tenant_merges_spec_suspended_as_the_portal() {
    let steps = vec![step(
        format!("PATCH {COMMONS}/tenants/riverside?&fieldManager=commons-portal"),
        200,
        mk_tenant_object(Value::Null),
    )];
    let (result, seen) = scenario(steps, |h| async move {
        h.set_tenant_suspended("riverside", true).await
    })
    .await;

    result.unwrap();
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(seen[0].body, json!({"spec": {"suspended": true}}));
}

#[tokio::test]
async fn a_reconciled_tenant_reports_its_namespace_and_conditions() {
    let tenant = mk_tenant_object(json!({"namespace": "tenant-riverside", "conditions": [
        {"type": "Ready", "status": "True", "reason": "Reconciled",
         "message": "namespace ready", "lastTransitionTime": "2026-03-01T12:00:00Z"},
        {"type": "Suspended", "status": "False", "reason": "Active",
         "message": "workloads may run", "lastTransitionTime": "2026-03-01T12:00:00Z"}]}));
    let steps = vec![step(
        format!("GET {COMMONS}/tenants/riverside"),
        200,
        tenant,
    )];
    let (result, _) = scenario(steps, |h| async move { h.tenant_status("riverside").await }).await;

    let status = result.unwrap();
    assert_eq!(status.namespace.as_deref(), Some("tenant-riverside"));
    assert!(status.ready);
    assert!(!status.suspended);
    assert_eq!(status.message.as_deref(), Some("namespace ready"));
}

#[tokio::test]
async fn a_tenant_the_cluster_does_not_have_is_not_found() {
    let steps = vec![step(
        format!("GET {COMMONS}/tenants/riverside"),
        404,
        api_status(404, "NotFound"),
    )];
    let (result, _) = scenario(steps, |h| async move { h.tenant_status("riverside").await }).await;

    assert_not_found(result, "tenant");
}

#[tokio::test]
async fn the_catalogue_is_the_clusters_applications() {
    let list = json!({"apiVersion": "commons.dev/v1alpha1", "kind": "ApplicationList",
                      "metadata": {}, "items": [mk_application()]});
    let steps = vec![step(format!("GET {COMMONS}/applications?"), 200, list)];
    let (result, _) = scenario(steps, |h| async move { h.catalogue().await }).await;

    let apps = result.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].name, "nextcloud");
    assert_eq!(apps[0].title, "Nextcloud");
    assert_eq!(apps[0].description, "File sharing and calendars.");
    assert_eq!(apps[0].version, "30.0.1");
    assert!(apps[0].data_on_remove.contains("retention period"));
}

#[tokio::test]
async fn installing_an_app_checks_the_catalogue_then_creates_it_in_the_tenant_namespace() {
    let spec = mk_install();
    let steps = vec![
        step(
            format!("GET {COMMONS}/applications/nextcloud"),
            200,
            mk_application(),
        ),
        step(
            format!("POST {INSTANCES}?&fieldManager=commons-portal"),
            201,
            mk_instance("files", false, Value::Null),
        ),
    ];
    let (result, seen) = scenario(
        steps,
        |h| async move { h.install_app("riverside", &spec).await },
    )
    .await;

    let installed = result.unwrap();
    assert_eq!(installed.name, "files");
    assert_eq!(installed.phase, "Pending");
    let expected = json!({
        "apiVersion": "commons.dev/v1alpha1", "kind": "AppInstance",
        "metadata": {"name": "files", "namespace": "tenant-riverside"},
        "spec": {"application": "nextcloud", "version": "30.0.1", "settings": {},
                 "suspended": false}
    });
    assert_eq!(seen[1].body, expected);
}

#[tokio::test]
async fn installing_an_app_missing_from_the_catalogue_is_refused_without_a_write() {
    let spec = mk_install();
    let steps = vec![step(
        format!("GET {COMMONS}/applications/nextcloud"),
        404,
        api_status(404, "NotFound"),
    )];
    let (result, _) = scenario(
        steps,
        |h| async move { h.install_app("riverside", &spec).await },
    )
    .await;

    match result {
        Err(HostingError::UnknownApplication { name }) => assert_eq!(name, "nextcloud"),
        other => panic!("expected an unknown application, got {other:?}"),
    }
}

#[tokio::test]
async fn installing_under_a_name_already_taken_reports_it_exists() {
    let spec = mk_install();
    let steps = vec![
        step(
            format!("GET {COMMONS}/applications/nextcloud"),
            200,
            mk_application(),
        ),
        step(
            format!("POST {INSTANCES}?&fieldManager=commons-portal"),
            409,
            api_status(409, "AlreadyExists"),
        ),
    ];
    let (result, _) = scenario(
        steps,
        |h| async move { h.install_app("riverside", &spec).await },
    )
    .await;

    assert!(
        matches!(result, Err(HostingError::AlreadyExists)),
        "{result:?}"
    );
}

#[tokio::test]
async fn installing_in_a_tenant_without_a_namespace_is_not_found() {
    let spec = mk_install();
    let steps = vec![
        step(
            format!("GET {COMMONS}/applications/nextcloud"),
            200,
            mk_application(),
        ),
        step(
            format!("POST {INSTANCES}?&fieldManager=commons-portal"),
            404,
            api_status(404, "NotFound"),
        ),
    ];
    let (result, _) = scenario(
        steps,
        |h| async move { h.install_app("riverside", &spec).await },
    )
    .await;

    assert_not_found(result, "tenant");
}

#[tokio::test]
async fn listing_app_instances_maps_their_status() {
    let running = json!({"url": "https://files.riverside.example/", "phase": "Running",
                         "conditions": [], "readyReplicas": 2});
    let list = json!({"apiVersion": "commons.dev/v1alpha1", "kind": "AppInstanceList",
                      "metadata": {}, "items": [
                          mk_instance("files", false, running),
                          mk_instance("archive", true, json!({"phase": "Suspended"})),
                          mk_instance("new", false, Value::Null)]});
    let steps = vec![step(format!("GET {INSTANCES}?"), 200, list)];
    let (result, _) = scenario(steps, |h| async move { h.app_instances("riverside").await }).await;

    let apps = result.unwrap();
    let files = &apps[0];
    assert_eq!(
        files.url.as_deref(),
        Some("https://files.riverside.example/")
    );
    assert_eq!((files.phase.as_str(), files.ready_replicas), ("Running", 2));
    assert_eq!(
        (files.application.as_str(), files.version.as_str()),
        ("nextcloud", "30.0.1")
    );
    assert!(!files.suspended);
    assert_eq!(
        (apps[1].phase.as_str(), apps[1].suspended),
        ("Suspended", true)
    );
    assert_eq!((apps[2].phase.as_str(), &apps[2].url), ("Pending", &None));
}

#[tokio::test]
async fn a_missing_app_instance_is_not_found() {
    let steps = vec![step(
        format!("GET {INSTANCES}/files"),
        404,
        api_status(404, "NotFound"),
    )];
    let (result, _) = scenario(steps, |h| async move {
        h.app_instance("riverside", "files").await
    })
    .await;

    assert_not_found(result, "application");
}

#[tokio::test]
async fn suspending_an_app_merge_patches_spec_suspended_as_the_portal() {
    let steps = vec![step(
        format!("PATCH {INSTANCES}/files?&fieldManager=commons-portal"),
        200,
        mk_instance("files", true, Value::Null),
    )];
    let (result, seen) = scenario(steps, |h| async move {
        h.set_app_suspended("riverside", "files", true).await
    })
    .await;

    result.unwrap();
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/merge-patch+json")
    );
    assert_eq!(seen[0].body, json!({"spec": {"suspended": true}}));
}

#[tokio::test]
async fn suspending_a_missing_app_is_not_found() {
    let steps = vec![step(
        format!("PATCH {INSTANCES}/files?&fieldManager=commons-portal"),
        404,
        api_status(404, "NotFound"),
    )];
    let (result, _) = scenario(steps, |h| async move {
        h.set_app_suspended("riverside", "files", false).await
    })
    .await;

    assert_not_found(result, "application");
}

#[tokio::test]
async fn removing_an_app_deletes_its_instance() {
    let steps = vec![step(
        format!("DELETE {INSTANCES}/files?"),
        200,
        mk_instance("files", false, Value::Null),
    )];
    let (result, _) = scenario(steps, |h| async move {
        h.remove_app("riverside", "files").await
    })
    .await;

    result.unwrap();
}

#[tokio::test]
async fn a_server_error_is_a_failed_request() {
    let steps = vec![step(
        format!("GET {INSTANCES}?"),
        500,
        api_status(500, "InternalError"),
    )];
    let (result, _) = scenario(steps, |h| async move { h.app_instances("riverside").await }).await;

    assert!(
        matches!(result, Err(HostingError::RequestFailed(_))),
        "{result:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cluster_that_does_not_answer_fails_the_call_at_the_timeout() {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    // Take the request and hold its reply open, as a stalled API server would.
    let stalled = tokio::spawn(async move {
        let (_request, reply) = handle.next_request().await.expect("a request comes");
        std::future::pending::<()>().await;
        drop((reply, handle));
    });
    let hosting =
        ClusterHosting::new(Client::new(service, "default")).with_timeout(Duration::from_secs(10));

    let started = tokio::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(30), hosting.app_instances("riverside"))
        .await
        .expect("the call is bounded by its own timeout");
    let waited = started.elapsed();
    stalled.abort();

    let Err(HostingError::RequestFailed(source)) = result else {
        panic!("expected a failed request, got {result:?}");
    };
    assert!(
        matches!(source.downcast_ref::<Error>(), Some(Error::TimedOut { .. })),
        "{source:?}"
    );
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(11),
        "{waited:?}"
    );
}
