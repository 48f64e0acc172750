//! Controller scenarios against kube's mock service: each lists the exact requests the
//! reconcile must make, in order, and the replies it gets.

use std::{sync::Arc, time::Duration};

use futures::{StreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use kube::{
    Api, Client,
    runtime::{controller::Action, reflector, watcher},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::*;
use crate::{
    crd::{AppInstance, Application, Tenant},
    desired::{Settings, tenant_status},
    testing::{self, ECHO, Step, step},
};

const NOW: &str = "2026-03-01T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().expect("constant time parses")
}

fn not_found(name: &str) -> Value {
    testing::api_status(404, "NotFound", &format!("{name} not found"))
}

fn conflict(reason: &str) -> Value {
    testing::api_status(409, reason, "the object has been modified")
}

/// Runs `work` against a mock API that expects exactly `steps`; returns its result and
/// the request bodies in order.
async fn scenario<T, F>(steps: Vec<Step>, work: impl FnOnce(Client) -> F) -> (T, Vec<Value>)
where
    F: Future<Output = T>,
{
    let (result, seen) = testing::scenario(steps, work).await;
    (
        result,
        seen.into_iter().map(|request| request.body).collect(),
    )
}

fn fixture() -> (Tenant, Application, AppInstance) {
    let input = include_str!("../../tests/fixtures/render/app-with-hostname.yaml");
    let mut docs =
        serde_yaml::Deserializer::from_str(input).map(|doc| Value::deserialize(doc).expect("yaml"));
    let tenant = serde_json::from_value(docs.next().expect("tenant")).expect("tenant decodes");
    let app = serde_json::from_value(docs.next().expect("app")).expect("app decodes");
    let mut instance: AppInstance =
        serde_json::from_value(docs.next().expect("instance")).expect("decodes");
    instance.metadata.resource_version = Some("7".into());
    (tenant, app, instance)
}

fn context(client: Client, tenant: &Tenant, app: &Application) -> Arc<Context> {
    let (applications, mut app_writer) = reflector::store();
    app_writer.apply_watcher_event(&watcher::Event::Apply(app.clone()));
    let (tenants, mut tenant_writer) = reflector::store();
    tenant_writer.apply_watcher_event(&watcher::Event::Apply(tenant.clone()));
    let retention = Duration::from_secs(30 * 24 * 60 * 60);
    Arc::new(
        Context::new(
            client,
            Settings::default(),
            retention,
            applications,
            tenants,
        )
        .with_clock(now),
    )
}

const APPLY: &str = "?&force=true&fieldManager=commons-operator";
const NS: &str = "/api/v1/namespaces/tenant-riverside-foodbank";
const NS_NET: &str = "/apis/networking.k8s.io/v1/namespaces/tenant-riverside-foodbank";
const NS_RBAC: &str = "/apis/rbac.authorization.k8s.io/v1/namespaces/tenant-riverside-foodbank";
const NS_APPS: &str = "/apis/apps/v1/namespaces/tenant-riverside-foodbank";
const NS_COMMONS: &str = "/apis/commons.dev/v1alpha1/namespaces/tenant-riverside-foodbank";

fn tenant_applies() -> Vec<Step> {
    vec![
        step(
            format!("PATCH /api/v1/namespaces/tenant-riverside-foodbank{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS}/resourcequotas/tenant-quota{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS}/limitranges/tenant-limits{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS_NET}/networkpolicies/default-deny{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS_NET}/networkpolicies/allow-ingress{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS_NET}/networkpolicies/allow-egress{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS_RBAC}/roles/tenant-admin{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS_RBAC}/rolebindings/tenant-admin{APPLY}"),
            ECHO,
            Value::Null,
        ),
    ]
}

const EVENTS_DEFAULT: &str = "POST /apis/events.k8s.io/v1/namespaces/default/events?";
const EVENTS_TENANT: &str =
    "POST /apis/events.k8s.io/v1/namespaces/tenant-riverside-foodbank/events?";

#[tokio::test]
async fn a_new_tenant_is_applied_object_by_object_then_its_status_written() {
    let (tenant, app, _) = fixture();
    let tenant_json = serde_json::to_value(&tenant).unwrap();
    let mut steps = tenant_applies();
    steps.push(step(
        "PATCH /apis/commons.dev/v1alpha1/tenants/riverside-foodbank/status?",
        200,
        tenant_json,
    ));
    steps.push(step(EVENTS_DEFAULT, ECHO, Value::Null));
    steps.push(step(EVENTS_DEFAULT, ECHO, Value::Null));

    let (result, bodies) = scenario(steps, |client| {
        let ctx = context(client, &tenant, &app);
        tenant::reconcile(Arc::new(tenant.clone()), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::requeue(RESYNC));
    assert_eq!(
        bodies[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let status = &bodies[8]["status"];
    assert_eq!(status["namespace"], "tenant-riverside-foodbank");
    assert_eq!(status["observedGeneration"], 1);
    let reasons: Vec<_> = bodies[9..]
        .iter()
        .map(|event| event["reason"].clone())
        .collect();
    assert_eq!(reasons, [json!("Provisioned"), json!("PlanApplied")]);
}

#[tokio::test]
async fn a_reconciled_tenant_writes_no_status_and_no_events() {
    let (mut tenant, app, _) = fixture();
    tenant.status = Some(tenant_status(&tenant, now()));

    let (result, _) = scenario(tenant_applies(), |client| {
        let ctx = context(client, &tenant, &app);
        tenant::reconcile(Arc::new(tenant.clone()), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::requeue(RESYNC));
}

#[tokio::test]
async fn a_status_write_does_not_trigger_another_reconcile() {
    let (tenant, _, _) = fixture();
    let mut status_written = tenant.clone();
    status_written.metadata.resource_version = Some("2".into());
    status_written.status = Some(tenant_status(&tenant, now()));
    let mut spec_edited = status_written.clone();
    spec_edited.metadata.generation = Some(2);
    spec_edited.spec.suspended = true;

    let events = stream::iter([Ok(tenant), Ok(status_written), Ok(spec_edited)]);
    let passed: Vec<Tenant> = spec_changes(events).map(|t| t.unwrap()).collect().await;

    let generations: Vec<_> = passed.iter().map(|t| t.metadata.generation).collect();
    assert_eq!(generations, [Some(1), Some(2)]);
}

fn instance_steps_after_credentials() -> Vec<Step> {
    vec![
        step(
            format!("PATCH {NS}/persistentvolumeclaims/files-data{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS_APPS}/deployments/files{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS}/services/files{APPLY}"),
            ECHO,
            Value::Null,
        ),
        step(
            format!(
                "PATCH /apis/networking.k8s.io/v1/namespaces/tenant-riverside-foodbank/ingresses/files{APPLY}"
            ),
            ECHO,
            Value::Null,
        ),
    ]
}

#[tokio::test]
async fn a_new_instance_gets_a_finalizer_credentials_volume_workload_and_ingress() {
    let (tenant, app, instance) = fixture();
    let instance_json = serde_json::to_value(&instance).unwrap();
    let mut steps = vec![
        step(
            format!("PATCH {NS_COMMONS}/appinstances/files?"),
            200,
            instance_json.clone(),
        ),
        step(
            format!("GET {NS}/secrets/files-credentials"),
            404,
            not_found("files-credentials"),
        ),
        step(format!("POST {NS}/secrets?"), ECHO, Value::Null),
    ];
    steps.extend(instance_steps_after_credentials());
    steps.push(step(
        format!("PATCH {NS_COMMONS}/appinstances/files/status?"),
        200,
        instance_json,
    ));
    steps.push(step(EVENTS_TENANT, ECHO, Value::Null));

    let (result, bodies) = scenario(steps, |client| {
        let ctx = context(client, &tenant, &app);
        instance::reconcile(Arc::new(instance.clone()), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::requeue(RESYNC));
    assert_eq!(bodies[0]["metadata"]["finalizers"], json!([FINALIZER]));
    assert_eq!(bodies[0]["metadata"]["resourceVersion"], "7");
    let password = bodies[2]["stringData"]["NEXTCLOUD_ADMIN_PASSWORD"]
        .as_str()
        .unwrap();
    assert_eq!(password.len(), 32);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(
        bodies[2]["metadata"].get("ownerReferences").is_none(),
        "credentials must outlive the instance"
    );
    assert!(
        bodies[3]["metadata"].get("ownerReferences").is_none(),
        "volumes must outlive the instance"
    );
    assert_eq!(bodies[7]["status"]["phase"], "Progressing");
    assert_eq!(
        bodies[7]["status"]["url"],
        "https://files.riverside-foodbank.apps.council.example/"
    );
    assert_eq!(bodies[8]["reason"], "Progressing");
}

#[tokio::test]
async fn credentials_created_meanwhile_by_another_replica_are_kept_not_regenerated() {
    let (tenant, app, mut instance) = fixture();
    instance.metadata.finalizers = Some(vec![FINALIZER.into()]);
    let theirs = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "files-credentials", "namespace": "tenant-riverside-foodbank"},
        "data": {"NEXTCLOUD_ADMIN_PASSWORD": "dGhlaXJzLWFscmVhZHk="},
    });
    let instance_json = serde_json::to_value(&instance).unwrap();
    let mut steps = vec![
        step(
            format!("GET {NS}/secrets/files-credentials"),
            404,
            not_found("files-credentials"),
        ),
        step(
            format!("POST {NS}/secrets?"),
            409,
            conflict("AlreadyExists"),
        ),
        step(format!("GET {NS}/secrets/files-credentials"), 200, theirs),
    ];
    steps.extend(instance_steps_after_credentials());
    steps.push(step(
        format!("PATCH {NS_COMMONS}/appinstances/files/status?"),
        200,
        instance_json,
    ));
    steps.push(step(EVENTS_TENANT, ECHO, Value::Null));

    let (result, _) = scenario(steps, |client| {
        let ctx = context(client, &tenant, &app);
        instance::reconcile(Arc::new(instance.clone()), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::requeue(RESYNC));
}

#[tokio::test]
async fn a_finalizer_patch_refused_with_409_is_retried_promptly_and_then_succeeds() {
    let (tenant, app, instance) = fixture();
    let mut fresh = instance.clone();
    fresh.metadata.resource_version = Some("8".into());
    fresh.metadata.finalizers = Some(vec!["someone-else/keep".into()]);
    let mut after = fresh.clone();
    after.metadata.finalizers = Some(vec!["someone-else/keep".into(), FINALIZER.into()]);
    let steps = vec![
        step(
            format!("PATCH {NS_COMMONS}/appinstances/files?"),
            409,
            conflict("Conflict"),
        ),
        step(
            format!("PATCH {NS_COMMONS}/appinstances/files?"),
            200,
            serde_json::to_value(&after).unwrap(),
        ),
    ];

    let ((first, policy, second), bodies) = scenario(steps, |client| async move {
        let ctx = context(client, &tenant, &app);
        let first = instance::reconcile(Arc::new(instance.clone()), ctx.clone()).await;
        let err = first.as_ref().expect_err("the conflict surfaces");
        let policy = error_policy(Arc::new(instance.clone()), err, ctx.clone());
        // The retry starts from the fresh object the next watch event brings.
        let second = instance::ensure_finalizer_for_test(&fresh, &ctx).await;
        (first.map(drop), policy, second)
    })
    .await;

    assert!(matches!(first, Err(Error::FinalizerFailed { .. })));
    assert_eq!(policy, Action::requeue(CONFLICT_RETRY));
    assert!(second.is_ok());
    assert_eq!(
        bodies[1]["metadata"]["finalizers"],
        json!(["someone-else/keep", FINALIZER])
    );
    assert_eq!(bodies[1]["metadata"]["resourceVersion"], "8");
}

#[tokio::test]
async fn deleting_an_instance_retains_its_volume_and_secret_then_removes_the_finalizer() {
    let (tenant, app, mut instance) = fixture();
    instance.metadata.finalizers = Some(vec![FINALIZER.into()]);
    instance.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
    let claim = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaimList", "metadata": {"resourceVersion": "9"},
        "items": [{"metadata": {"name": "files-data", "namespace": "tenant-riverside-foodbank"}}],
    });
    let selector = "labelSelector=app.kubernetes.io%2Fmanaged-by%3Dcommons-operator%2C\
                    app.kubernetes.io%2Finstance%3Dfiles%2Capp.kubernetes.io%2Fname%3Dnextcloud";
    let steps = vec![
        step(
            format!("GET {NS}/persistentvolumeclaims?&{selector}"),
            200,
            claim,
        ),
        step(
            format!("PATCH {NS}/persistentvolumeclaims/files-data?"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS}/secrets/files-credentials?"),
            ECHO,
            Value::Null,
        ),
        step(
            format!("PATCH {NS_COMMONS}/appinstances/files?"),
            200,
            serde_json::to_value(&instance).unwrap(),
        ),
    ];

    let (result, bodies) = scenario(steps, |client| {
        let ctx = context(client, &tenant, &app);
        instance::reconcile(Arc::new(instance.clone()), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::await_change());
    let until = "2026-03-31T12:00:00Z";
    for marked in &bodies[1..3] {
        assert_eq!(marked["metadata"]["labels"][RETAINED_LABEL], "true");
        assert_eq!(
            marked["metadata"]["annotations"][DELETE_AFTER_ANNOTATION],
            until
        );
    }
    assert_eq!(bodies[3]["metadata"]["finalizers"], json!([]));
}

fn retained_claim(until: &str) -> PersistentVolumeClaim {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": "files-data", "namespace": "tenant-riverside-foodbank",
            "uid": "pvc-uid-1", "resourceVersion": "41",
            "labels": {RETAINED_LABEL: "true", "app.kubernetes.io/instance": "files"},
            "annotations": {DELETE_AFTER_ANNOTATION: until},
        },
    }))
    .unwrap()
}

#[tokio::test]
async fn a_retained_volume_past_its_time_is_deleted_only_if_unchanged() {
    let (tenant, app, _) = fixture();
    let steps = vec![
        step(
            format!("GET {NS_COMMONS}/appinstances/files"),
            404,
            not_found("files"),
        ),
        step(
            format!("DELETE {NS}/persistentvolumeclaims/files-data?"),
            200,
            json!({
            "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "files-data"}}),
        ),
    ];

    let (result, bodies) = scenario(steps, |client| {
        let ctx = context(client, &tenant, &app);
        retention::reconcile(Arc::new(retained_claim("2026-03-01T11:59:59Z")), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::await_change());
    assert_eq!(
        bodies[1]["preconditions"],
        json!({"uid": "pvc-uid-1", "resourceVersion": "41"})
    );
}

#[tokio::test]
async fn a_retained_volume_waits_until_its_time() {
    let (tenant, app, _) = fixture();
    let steps = vec![step(
        format!("GET {NS_COMMONS}/appinstances/files"),
        404,
        not_found("files"),
    )];

    let (result, _) = scenario(steps, |client| {
        let ctx = context(client, &tenant, &app);
        retention::reconcile(Arc::new(retained_claim("2026-03-01T13:00:00Z")), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::requeue(Duration::from_secs(3600)));
}

#[tokio::test]
async fn a_retained_volume_of_a_recreated_instance_is_given_back() {
    let (tenant, app, instance) = fixture();
    let steps = vec![
        step(
            format!("GET {NS_COMMONS}/appinstances/files"),
            200,
            serde_json::to_value(&instance).unwrap(),
        ),
        step(
            format!("PATCH {NS}/persistentvolumeclaims/files-data?"),
            200,
            serde_json::to_value(retained_claim("2026-03-01T11:00:00Z")).unwrap(),
        ),
    ];

    let (result, bodies) = scenario(steps, |client| {
        let ctx = context(client, &tenant, &app);
        retention::reconcile(Arc::new(retained_claim("2026-03-01T11:00:00Z")), ctx)
    })
    .await;

    assert_eq!(result.unwrap(), Action::await_change());
    assert_eq!(bodies[1]["metadata"]["labels"][RETAINED_LABEL], Value::Null);
    assert_eq!(
        bodies[1]["metadata"]["annotations"][DELETE_AFTER_ANNOTATION],
        Value::Null
    );
}

#[tokio::test]
async fn a_watch_that_answers_410_gone_lists_again() {
    let list = |rv: &str, names: &[&str]| {
        let items: Vec<Value> = names
            .iter()
            .map(|name| {
                let mut tenant = serde_json::to_value(fixture().0).unwrap();
                tenant["metadata"]["name"] = json!(name);
                tenant
            })
            .collect();
        json!({"apiVersion": "commons.dev/v1alpha1", "kind": "TenantList",
               "metadata": {"resourceVersion": rv}, "items": items})
    };
    let gone = json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1",
        "metadata": {}, "status": "Failure", "reason": "Expired", "code": 410,
        "message": "too old resource version"}});
    let base = "/apis/commons.dev/v1alpha1/tenants";
    let steps = vec![
        step(format!("GET {base}?&limit=500"), 200, list("10", &["a"])),
        step(
            format!(
                "GET {base}?&watch=true&timeoutSeconds=290&allowWatchBookmarks=true&resourceVersion=10"
            ),
            200,
            gone,
        ),
        step(
            format!("GET {base}?&limit=500"),
            200,
            list("20", &["a", "b"]),
        ),
    ];

    let (events, _) = scenario(steps, |client| async move {
        let tenants: Api<Tenant> = Api::all(client);
        watcher(tenants, watcher::Config::default())
            .take(8)
            .collect::<Vec<_>>()
            .await
    })
    .await;

    let shape: Vec<String> = events
        .iter()
        .map(|event| match event {
            Ok(watcher::Event::Init) => "Init".to_owned(),
            Ok(watcher::Event::InitApply(t)) => {
                format!("InitApply {}", kube::ResourceExt::name_any(t))
            }
            Ok(watcher::Event::InitDone) => "InitDone".to_owned(),
            Ok(watcher::Event::Apply(_)) => "Apply".to_owned(),
            Ok(watcher::Event::Delete(_)) => "Delete".to_owned(),
            Err(_) => "Error".to_owned(),
        })
        .collect();
    assert_eq!(
        shape,
        [
            "Init",
            "InitApply a",
            "InitDone",
            "Error",
            "Init",
            "InitApply a",
            "InitApply b",
            "InitDone"
        ]
    );
}

#[test]
fn failures_back_off_exponentially_up_to_five_minutes() {
    let delays: Vec<u64> = [1, 2, 3, 4, 8, 9, 40]
        .map(|n| backoff(n).as_secs())
        .to_vec();
    assert_eq!(delays, [2, 4, 8, 16, 256, 300, 300]);
}

#[test]
fn a_condition_that_flips_makes_one_event_and_a_steady_one_none() {
    let (tenant, _, _) = fixture();
    let before = tenant_status(&tenant, now()).conditions;
    let mut suspended = tenant.clone();
    suspended.spec.suspended = true;
    suspended.status = Some(tenant_status(&tenant, now()));
    let after = tenant_status(&suspended, now()).conditions;

    let events = apply::transitions(&before, &after);

    let reasons: Vec<_> = events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["Suspended"]);
    assert!(apply::transitions(&after, &after).is_empty());
}

#[tokio::test]
async fn the_portal_seam_applies_tenants_under_its_own_field_manager() {
    use crate::hosting::{HostingApi, KubeHosting};
    let (tenant, _, _) = fixture();
    let steps = vec![
        step(
            "PATCH /apis/commons.dev/v1alpha1/tenants/riverside-foodbank?&force=true&fieldManager=commons-portal",
            ECHO,
            Value::Null,
        ),
        step(
            format!("DELETE {NS_COMMONS}/appinstances/gone?"),
            404,
            not_found("gone"),
        ),
    ];

    let ((applied, deleted), bodies) = scenario(steps, |client| async move {
        let hosting = KubeHosting::new(client);
        let applied = hosting
            .apply_tenant("riverside-foodbank", &tenant.spec)
            .await;
        let deleted = hosting.delete_instance("riverside-foodbank", "gone").await;
        (applied, deleted)
    })
    .await;

    assert!(applied.is_ok() && deleted.is_ok());
    assert_eq!(bodies[0]["spec"]["plan"]["name"], "community-free");
}
