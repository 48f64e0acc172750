//! Benchmark: the first reconcile of 1,000 tenants with 3 app instances each against an
//! in-process fake API server. Prints total time, the p50/p99/max of the operator's own
//! time per reconcile (wall time minus time spent inside the fake server), and peak
//! memory. Run with `cargo bench -p commons-operator --bench reconcile`.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use commons_operator::{
    controller::{Context, reconcile_instance, reconcile_tenant},
    crd::{AppInstance, Application, Tenant},
    desired::Settings,
};
use http::{Method, Request, Response, StatusCode};
use kube::{
    Client,
    client::Body,
    runtime::{reflector, watcher},
};
use serde_json::{Value, json};

const TENANTS: usize = 1_000;
const APPS_PER_TENANT: usize = 3;
/// The whole run stops here even if it is not finished.
const TIME_LIMIT: Duration = Duration::from_secs(180);

/// Objects the fake server answers status and finalizer patches with, by URL path.
type Objects = Arc<HashMap<String, Vec<u8>>>;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let (tenants, instances, application) = resources();
    let objects = stored_objects(&tenants, &instances);
    let server_nanos = Arc::new(AtomicU64::new(0));
    let client = fake_client(objects, server_nanos.clone());
    let ctx = context(client, &tenants, &application);

    let mut own = Vec::with_capacity(TENANTS * (1 + APPS_PER_TENANT));
    let started = Instant::now();
    let work = tenants
        .into_iter()
        .map(Work::Tenant)
        .chain(instances.into_iter().map(Work::Instance));
    for item in work {
        if started.elapsed() > TIME_LIMIT {
            println!("stopped at the time limit of {TIME_LIMIT:?}");
            break;
        }
        let before = server_nanos.load(Ordering::Relaxed);
        let t0 = Instant::now();
        let ok = match item {
            Work::Tenant(t) => reconcile_tenant(Arc::new(t), ctx.clone()).await.is_ok(),
            Work::Instance(i) => reconcile_instance(Arc::new(i), ctx.clone()).await.is_ok(),
        };
        assert!(ok, "a reconcile failed against the fake server");
        let wall = t0.elapsed();
        let in_server = Duration::from_nanos(server_nanos.load(Ordering::Relaxed) - before);
        own.push(wall.saturating_sub(in_server));
    }
    let total = started.elapsed();

    own.sort();
    let pct = |p: f64| own[((own.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    println!(
        "reconciles:        {} ({TENANTS} tenants, {} instances)",
        own.len(),
        TENANTS * APPS_PER_TENANT
    );
    println!("total time:        {:.2} s", total.as_secs_f64());
    println!("own time p50:      {:.3} ms", pct(0.50).as_secs_f64() * 1e3);
    println!("own time p99:      {:.3} ms", pct(0.99).as_secs_f64() * 1e3);
    println!(
        "own time max:      {:.3} ms",
        own.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!(
        "fake server time:  {:.2} s",
        Duration::from_nanos(server_nanos.load(Ordering::Relaxed)).as_secs_f64()
    );
    println!("peak memory:       {}", peak_memory());
}

enum Work {
    Tenant(Tenant),
    Instance(AppInstance),
}

fn resources() -> (Vec<Tenant>, Vec<AppInstance>, Application) {
    let input = include_str!("../tests/fixtures/render/app-with-hostname.yaml");
    let docs: Vec<Value> = serde_yaml::Deserializer::from_str(input)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("fixture is YAML"))
        .collect();
    let tenant: Tenant = serde_json::from_value(docs[0].clone()).expect("tenant");
    let application: Application = serde_json::from_value(docs[1].clone()).expect("application");
    let instance: AppInstance = serde_json::from_value(docs[2].clone()).expect("instance");

    let mut tenants = Vec::with_capacity(TENANTS);
    let mut instances = Vec::with_capacity(TENANTS * APPS_PER_TENANT);
    for t in 0..TENANTS {
        let mut tenant = tenant.clone();
        let name = format!("tenant-{t:04}");
        tenant.metadata.name = Some(name.clone());
        tenant.metadata.uid = Some(format!("uid-t-{t}"));
        for a in 0..APPS_PER_TENANT {
            let mut instance = instance.clone();
            instance.metadata.name = Some(format!("app{a}"));
            instance.metadata.namespace = Some(format!("tenant-{name}"));
            instance.metadata.uid = Some(format!("uid-i-{t}-{a}"));
            instance.metadata.resource_version = Some("1".into());
            instance.spec.hostname = Some(format!("app{a}.{name}.example"));
            instances.push(instance);
        }
        tenants.push(tenant);
    }
    (tenants, instances, application)
}

fn stored_objects(tenants: &[Tenant], instances: &[AppInstance]) -> Objects {
    let mut objects = HashMap::new();
    for tenant in tenants {
        let path = format!(
            "/apis/commons.dev/v1alpha1/tenants/{}",
            tenant.metadata.name.as_deref().unwrap_or_default()
        );
        objects.insert(
            format!("{path}/status"),
            serde_json::to_vec(tenant).expect("json"),
        );
    }
    for instance in instances {
        let path = format!(
            "/apis/commons.dev/v1alpha1/namespaces/{}/appinstances/{}",
            instance.metadata.namespace.as_deref().unwrap_or_default(),
            instance.metadata.name.as_deref().unwrap_or_default()
        );
        let json = serde_json::to_vec(instance).expect("json");
        objects.insert(format!("{path}/status"), json.clone());
        objects.insert(path, json);
    }
    Arc::new(objects)
}

fn context(client: Client, tenants: &[Tenant], application: &Application) -> Arc<Context> {
    let (apps, mut app_writer) = reflector::store();
    app_writer.apply_watcher_event(&watcher::Event::Apply(application.clone()));
    let (tenant_store, mut tenant_writer) = reflector::store();
    for tenant in tenants {
        tenant_writer.apply_watcher_event(&watcher::Event::Apply(tenant.clone()));
    }
    let retention = Duration::from_secs(30 * 24 * 60 * 60);
    Arc::new(Context::new(
        client,
        Settings::default(),
        retention,
        apps,
        tenant_store,
    ))
}

/// A client whose every request is answered in-process, adding the time spent
/// answering to `server_nanos`.
fn fake_client(objects: Objects, server_nanos: Arc<AtomicU64>) -> Client {
    let service = tower::service_fn(move |request: Request<Body>| {
        let objects = objects.clone();
        let server_nanos = server_nanos.clone();
        async move {
            let started = Instant::now();
            let (parts, body) = request.into_parts();
            let body = body.collect_bytes().await.unwrap_or_default();
            let response = answer(&parts.method, parts.uri.path(), &body, &objects);
            server_nanos.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
            Ok::<_, Infallible>(response)
        }
    });
    Client::new(service, "default")
}

fn answer(method: &Method, path: &str, body: &[u8], objects: &Objects) -> Response<Body> {
    let reply = |status: StatusCode, bytes: Vec<u8>| {
        Response::builder()
            .status(status)
            .body(Body::from(bytes))
            .expect("response")
    };
    if let Some(stored) = objects.get(path) {
        return reply(StatusCode::OK, stored.clone());
    }
    if *method == Method::GET && path.contains("/secrets/") {
        let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "code": 404, "reason": "NotFound"});
        return reply(
            StatusCode::NOT_FOUND,
            serde_json::to_vec(&status).expect("json"),
        );
    }
    if path.contains("/deployments/") {
        let mut deployment: Value = serde_json::from_slice(body).unwrap_or_default();
        deployment["status"] = json!({"readyReplicas": 1});
        return reply(
            StatusCode::OK,
            serde_json::to_vec(&deployment).expect("json"),
        );
    }
    // Applies, creates and events: the server's answer is the object it was sent.
    reply(StatusCode::OK, body.to_vec())
}

/// Peak resident memory of this process, from Linux's `VmHWM`.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l[6..].trim().to_owned())
        })
        .map_or_else(
            || "unknown (no /proc/self/status)".to_owned(),
            |kb| {
                let kib: f64 = kb.trim_end_matches(" kB").parse().unwrap_or(0.0);
                format!("{:.1} MiB", kib / 1024.0)
            },
        )
}
