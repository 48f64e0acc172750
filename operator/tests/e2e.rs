//! End to end on a real cluster: installs the CRDs, runs the controllers in this process,
//! creates a tenant and an app, and checks what the cluster then holds. Needs `KUBECONFIG`
//! pointing at a disposable cluster (kind or k3d; see docs/operator.md).

use std::time::Duration;

use commons_operator::{
    Settings,
    controller::{self, Options},
    crd::{self, AppInstance, Application, Tenant},
};
use k8s_openapi::{
    api::{
        apps::v1::Deployment,
        core::v1::{Namespace, PersistentVolumeClaim, ResourceQuota, Secret, Service},
        networking::v1::{Ingress, NetworkPolicy},
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

const NAMESPACE: &str = "tenant-e2e-riverside";
/// Longest wait for one expected state.
const PATIENCE: Duration = Duration::from_secs(90);

fn fixture() -> (Tenant, Application, AppInstance) {
    let input = include_str!("fixtures/render/app-with-hostname.yaml");
    let mut docs = serde_yaml::Deserializer::from_str(input)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("fixture is YAML"));
    let mut next = || {
        docs.next()
            .expect("fixture has a tenant, an app and an instance")
    };
    let mut tenant: Tenant = serde_json::from_value(next()).expect("tenant decodes");
    let mut app: Application = serde_json::from_value(next()).expect("application decodes");
    let mut instance: AppInstance = serde_json::from_value(next()).expect("instance decodes");
    for meta in [
        &mut tenant.metadata,
        &mut app.metadata,
        &mut instance.metadata,
    ] {
        meta.uid = None;
        meta.generation = None;
    }
    tenant.metadata.name = Some("e2e-riverside".into());
    app.metadata.name = Some("e2e-nextcloud".into());
    instance.metadata.namespace = Some(NAMESPACE.into());
    instance.spec.application = "e2e-nextcloud".into();
    instance.spec.hostname = Some("files.e2e-riverside.apps.council.example".into());
    (tenant, app, instance)
}

/// Polls `get` until `check` holds or [`PATIENCE`] runs out.
async fn eventually<K, F>(api: &Api<K>, name: &str, what: &str, check: F) -> K
where
    K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug,
    F: Fn(&K) -> bool,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Ok(Some(object)) = api.get_opt(name).await
            && check(&object)
        {
            return object;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn install_crds(client: &Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let apply = PatchParams::apply("commons-e2e").force();
    for crd in crd::definitions() {
        let name = crd.name_any();
        crds.patch(&name, &apply, &Patch::Apply(&crd))
            .await
            .expect("CRD applies");
        eventually(&crds, &name, "CRD established", |crd| {
            crd.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|conditions| {
                    conditions
                        .iter()
                        .any(|c| c.type_ == "Established" && c.status == "True")
                })
        })
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Kubernetes cluster (KUBECONFIG)"]
async fn a_tenant_and_its_app_become_real_objects_and_survive_suspension_and_deletion() {
    let client = Client::try_default()
        .await
        .expect("KUBECONFIG points at a cluster");
    install_crds(&client).await;
    let shutdown = CancellationToken::new();
    let options = Options {
        settings: Settings::default(),
        retention: Duration::from_secs(3600),
        concurrency: 2,
    };
    let operator = tokio::spawn(controller::run(client.clone(), options, shutdown.clone()));

    let (tenant, app, instance) = fixture();
    let tenants: Api<Tenant> = Api::all(client.clone());
    let apps: Api<Application> = Api::all(client.clone());
    let create = PostParams::default();
    tenants
        .create(&create, &tenant)
        .await
        .expect("tenant created");
    apps.create(&create, &app)
        .await
        .expect("application created");

    // The tenant's namespace and isolation.
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = eventually(&namespaces, NAMESPACE, "tenant namespace", |_| true).await;
    assert_eq!(
        ns.labels()["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let quotas: Api<ResourceQuota> = Api::namespaced(client.clone(), NAMESPACE);
    eventually(&quotas, "tenant-quota", "quota", |_| true).await;
    let policies: Api<NetworkPolicy> = Api::namespaced(client.clone(), NAMESPACE);
    eventually(&policies, "default-deny", "default-deny policy", |_| true).await;
    eventually(&tenants, "e2e-riverside", "tenant Ready", |t| {
        t.status.as_ref().is_some_and(|s| {
            s.conditions
                .iter()
                .any(|c| c.type_ == "Ready" && c.status == "True")
        })
    })
    .await;

    // The app's objects.
    let instances: Api<AppInstance> = Api::namespaced(client.clone(), NAMESPACE);
    instances
        .create(&create, &instance)
        .await
        .expect("instance created");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), NAMESPACE);
    let deployment = eventually(&deployments, "files", "deployment", |_| true).await;
    let pod = deployment.spec.unwrap().template.spec.unwrap();
    assert_eq!(pod.security_context.unwrap().run_as_non_root, Some(true));
    let services: Api<Service> = Api::namespaced(client.clone(), NAMESPACE);
    eventually(&services, "files", "service", |_| true).await;
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), NAMESPACE);
    eventually(&ingresses, "files", "ingress", |_| true).await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE);
    let secret = eventually(&secrets, "files-credentials", "credentials", |_| true).await;
    eventually(&instances, "files", "instance status URL", |i| {
        i.status.as_ref().and_then(|s| s.url.as_deref())
            == Some("https://files.e2e-riverside.apps.council.example/")
    })
    .await;

    // Suspension scales to zero and keeps the credentials as they were.
    let suspend = serde_json::json!({"spec": {"suspended": true}});
    instances
        .patch("files", &PatchParams::default(), &Patch::Merge(&suspend))
        .await
        .unwrap();
    eventually(&deployments, "files", "zero replicas", |d| {
        d.spec.as_ref().and_then(|s| s.replicas) == Some(0)
    })
    .await;
    assert_eq!(
        secrets.get("files-credentials").await.unwrap().data,
        secret.data
    );

    // Deleting the instance keeps its volume, marked for retention.
    instances
        .delete("files", &DeleteParams::default())
        .await
        .unwrap();
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), NAMESPACE);
    eventually(&claims, "files-data", "retained volume", |c| {
        c.labels().get("commons.dev/retained").map(String::as_str) == Some("true")
    })
    .await;

    // Clean up: allow deletion, then delete the tenant (its namespace goes with it).
    let allow = serde_json::json!({"spec": {"preventDeletion": false}});
    tenants
        .patch(
            "e2e-riverside",
            &PatchParams::default(),
            &Patch::Merge(&allow),
        )
        .await
        .unwrap();
    eventually(&namespaces, NAMESPACE, "namespace unprotected", |ns| {
        ns.labels()
            .get("commons.dev/prevent-deletion")
            .map(String::as_str)
            == Some("false")
    })
    .await;
    tenants
        .delete("e2e-riverside", &DeleteParams::default())
        .await
        .unwrap();
    apps.delete("e2e-nextcloud", &DeleteParams::default())
        .await
        .unwrap();
    shutdown.cancel();
    operator.await.unwrap();
}
