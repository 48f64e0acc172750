//! The UniFi client against a double of the controller API on loopback, in both flavours.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{AppendHeaders, IntoResponse, Response},
    routing::{get, post},
};

use super::*;

const USERNAME: &str = "commons-portal";
const PASSWORD: &str = "correct horse battery";
const SESSION_COOKIE: &str = "unifises=7Hq2cXn9bY";
const CLASSIC_CSRF: &str = "Zk81LmQp3w";
const OS_COOKIE: &str = "TOKEN=eyJhbGciOiJIUzI1NiJ9.e30.c2ln";
const OS_CSRF: &str = "6f1d2a4e-93b1-4c7e-9b1a-1f0c7d2e5a33";
const OS_CSRF_UPDATED: &str = "0b7e4c1a-2f6d-4a8e-8c3b-5d9e1a7f2c64";

/// What the double saw, and how it behaves.
struct ControllerDouble {
    flavour: Flavour,
    logins: AtomicUsize,
    commands: Mutex<Vec<Value>>,
    session_valid: AtomicBool,
    /// The anti-forgery token the next command must carry.
    csrf: Mutex<&'static str>,
}

type Double = Arc<ControllerDouble>;

/// Starts the double on an ephemeral loopback port.
async fn start(flavour: Flavour) -> (SocketAddr, Double) {
    let double = Arc::new(ControllerDouble {
        flavour,
        logins: AtomicUsize::new(0),
        commands: Mutex::new(Vec::new()),
        session_valid: AtomicBool::new(false),
        csrf: Mutex::new(""),
    });
    let router = match flavour {
        Flavour::Classic => Router::new()
            .route("/", get(classic_start))
            .route("/api/login", post(classic_login))
            .route("/api/s/{site}/cmd/stamgr", post(command)),
        Flavour::UnifiOs => Router::new()
            .route(
                "/",
                get(|| async { "<!doctype html><title>UniFi OS</title>" }),
            )
            .route("/api/auth/login", post(os_login))
            .route("/proxy/network/api/s/{site}/cmd/stamgr", post(command)),
    };
    (serve(router.with_state(double.clone())).await, double)
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn classic_start() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/manage")]).into_response()
}

fn credentials_ok(body: &Value) -> bool {
    *body == json!({"username": USERNAME, "password": PASSWORD})
}

async fn classic_login(State(double): State<Double>, Json(body): Json<Value>) -> Response {
    if !credentials_ok(&body) {
        let refusal = json!({"meta": {"rc": "error", "msg": "api.err.Invalid"}, "data": []});
        return (StatusCode::BAD_REQUEST, Json(refusal)).into_response();
    }
    double.logins.fetch_add(1, Ordering::SeqCst);
    double.session_valid.store(true, Ordering::SeqCst);
    *double.csrf.lock().unwrap() = CLASSIC_CSRF;
    let cookies = AppendHeaders([
        (
            header::SET_COOKIE,
            format!("{SESSION_COOKIE}; Path=/; Secure; HttpOnly"),
        ),
        (
            header::SET_COOKIE,
            format!("csrf_token={CLASSIC_CSRF}; Path=/; Secure"),
        ),
    ]);
    (cookies, Json(json!({"meta": {"rc": "ok"}, "data": []}))).into_response()
}

async fn os_login(State(double): State<Double>, Json(body): Json<Value>) -> Response {
    if !credentials_ok(&body) {
        let refusal = json!({
            "code": "AUTHENTICATION_FAILED_INVALID_CREDENTIALS",
            "message": "Invalid username or password",
        });
        return (StatusCode::UNAUTHORIZED, Json(refusal)).into_response();
    }
    double.logins.fetch_add(1, Ordering::SeqCst);
    double.session_valid.store(true, Ordering::SeqCst);
    *double.csrf.lock().unwrap() = OS_CSRF;
    let headers = [
        (
            header::SET_COOKIE.as_str(),
            format!("{OS_COOKIE}; path=/; samesite=strict; httponly"),
        ),
        ("x-csrf-token", OS_CSRF.to_owned()),
    ];
    (headers, Json(json!({"username": USERNAME}))).into_response()
}

/// The Network API's `cmd/stamgr`, behind the session cookie and the anti-forgery token.
async fn command(
    State(double): State<Double>,
    Path(site): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let cookie = match double.flavour {
        Flavour::Classic => SESSION_COOKIE,
        Flavour::UnifiOs => OS_COOKIE,
    };
    let signed_in = value("cookie").split("; ").any(|c| c == cookie)
        && value("x-csrf-token") == *double.csrf.lock().unwrap()
        && double.session_valid.load(Ordering::SeqCst);
    if !signed_in {
        let refusal = json!({"meta": {"rc": "error", "msg": "api.err.LoginRequired"}, "data": []});
        return (StatusCode::UNAUTHORIZED, Json(refusal)).into_response();
    }
    if site != "default" {
        let refusal = json!({"meta": {"rc": "error", "msg": "api.err.NoSiteContext"}, "data": []});
        return (StatusCode::BAD_REQUEST, Json(refusal)).into_response();
    }
    double.commands.lock().unwrap().push(body);
    let ok = Json(json!({"meta": {"rc": "ok"}, "data": [{"mac": "f4:5c:89:9b:17:67"}]}));
    match double.flavour {
        // UniFi OS hands out a new token now and then; the client must keep using it.
        Flavour::UnifiOs => {
            *double.csrf.lock().unwrap() = OS_CSRF_UPDATED;
            ([("x-updated-csrf-token", OS_CSRF_UPDATED)], ok).into_response()
        }
        Flavour::Classic => ok.into_response(),
    }
}

fn controller<'a>(url: &'a str, site: &'static str) -> super::Controller<'a> {
    super::Controller {
        url,
        site,
        username: USERNAME,
        password: PASSWORD,
    }
}

fn guest() -> Guest {
    Guest {
        mac: MacAddress::parse("F4-5C-89-9B-17-67").unwrap(),
        ap: MacAddress::parse("80:2a:a8:10:21:9c"),
        minutes: 30,
        up_kbps: Some(2048),
        down_kbps: Some(8192),
        megabytes: Some(500),
    }
}

fn client() -> UnifiClient {
    UnifiClient::new(Duration::from_secs(5))
}

/// The error of authorising the usual guest on the controller at `addr`.
async fn refusal(client: &UnifiClient, addr: SocketAddr, site: &'static str) -> UnifiError {
    let url = format!("http://{addr}");
    let outcome = client
        .authorise_guest(&controller(&url, site), &guest())
        .await;
    outcome.unwrap_err()
}

#[tokio::test]
async fn both_flavours_log_in_and_send_the_exact_command() {
    for flavour in [Flavour::Classic, Flavour::UnifiOs] {
        let (addr, double) = start(flavour).await;
        let url = format!("http://{addr}");

        client()
            .authorise_guest(&controller(&url, "default"), &guest())
            .await
            .unwrap();

        assert_eq!(double.logins.load(Ordering::SeqCst), 1, "{flavour:?}");
        let want = json!({
            "cmd": "authorize-guest",
            "mac": "f4:5c:89:9b:17:67",
            "minutes": 30,
            "up": 2048,
            "down": 8192,
            "bytes": 500,
            "ap_mac": "80:2a:a8:10:21:9c",
        });
        assert_eq!(*double.commands.lock().unwrap(), [want], "{flavour:?}");
    }
}

#[tokio::test]
async fn limits_that_are_not_set_stay_out_of_the_command() {
    let (addr, double) = start(Flavour::Classic).await;
    let bare = Guest {
        ap: None,
        up_kbps: None,
        down_kbps: None,
        megabytes: None,
        ..guest()
    };
    client()
        .authorise_guest(&controller(&format!("http://{addr}/"), "default"), &bare)
        .await
        .unwrap();
    let want = json!({"cmd": "authorize-guest", "mac": "f4:5c:89:9b:17:67", "minutes": 30});
    assert_eq!(*double.commands.lock().unwrap(), [want]);
}

#[tokio::test]
async fn a_session_is_reused_and_replaced_once_it_expires() {
    for flavour in [Flavour::Classic, Flavour::UnifiOs] {
        let (addr, double) = start(flavour).await;
        let url = format!("http://{addr}");
        let client = client();
        let controller = controller(&url, "default");

        client.authorise_guest(&controller, &guest()).await.unwrap();
        client.authorise_guest(&controller, &guest()).await.unwrap();
        assert_eq!(double.logins.load(Ordering::SeqCst), 1, "{flavour:?}");

        double.session_valid.store(false, Ordering::SeqCst);
        client.authorise_guest(&controller, &guest()).await.unwrap();
        assert_eq!(double.logins.load(Ordering::SeqCst), 2, "{flavour:?}");
        assert_eq!(double.commands.lock().unwrap().len(), 3, "{flavour:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_a_clear_login_refusal() {
    for (flavour, message) in [
        (Flavour::Classic, "api.err.Invalid"),
        (Flavour::UnifiOs, "Invalid username or password"),
    ] {
        let (addr, double) = start(flavour).await;
        let url = format!("http://{addr}");
        let wrong = super::Controller {
            password: "wrong",
            ..controller(&url, "default")
        };
        let error = client()
            .authorise_guest(&wrong, &guest())
            .await
            .unwrap_err();
        let UnifiError::LoginRejected {
            username,
            message: said,
            ..
        } = &error
        else {
            panic!("{error:?}");
        };
        assert_eq!((username.as_str(), said.as_str()), (USERNAME, message));
        assert!(
            error
                .to_string()
                .contains("check the controller user name and password")
        );
        assert!(double.commands.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_refusal_carries_the_controllers_message() {
    let (addr, _double) = start(Flavour::UnifiOs).await;
    let error = refusal(&client(), addr, "library").await;
    let UnifiError::Rejected { status, message } = &error else {
        panic!("{error:?}");
    };
    assert_eq!((*status, message.as_str()), (400, "api.err.NoSiteContext"));
}

#[tokio::test]
async fn a_controller_that_is_down_is_unreachable() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let error = refusal(&client(), addr, "default").await;
    let UnifiError::Unreachable { step, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*step, Step::Probe);
}

#[tokio::test]
async fn a_controller_that_does_not_answer_times_out() {
    let slow = Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    );
    let addr = serve(slow).await;
    let client = UnifiClient::new(Duration::from_millis(200));
    let error = refusal(&client, addr, "default").await;
    let UnifiError::TimedOut { step, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*step, Step::Probe);
}

#[tokio::test]
async fn an_answer_that_is_not_the_api_is_reported() {
    let teapot = Router::new()
        .route("/", get(|| async { "<html>router</html>" }))
        .route("/api/auth/login", post(|| async { "welcome" }));
    let addr = serve(teapot).await;
    let error = refusal(&client(), addr, "default").await;
    let UnifiError::BadAnswer { step, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*step, Step::LogIn);
}

#[tokio::test]
async fn unusable_settings_are_refused_before_any_request() {
    for (url, site) in [
        ("http://192.0.2.1:8443", "default"),
        ("ftp://127.0.0.1/", "default"),
        ("https://admin:pw@unifi.example.org", "default"),
        ("not an address", "default"),
        ("https://unifi.example.org:8443", "../admin"),
        ("https://unifi.example.org:8443", ""),
    ] {
        let error = client()
            .authorise_guest(&controller(url, site), &guest())
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                UnifiError::InvalidController { .. } | UnifiError::InvalidSite(_)
            ),
            "{url} {site}: {error:?}"
        );
    }
}

#[test]
fn the_password_stays_out_of_debug_output() {
    let shown = format!("{:?}", controller("https://unifi.example.org", "default"));
    assert!(!shown.contains(PASSWORD), "{shown}");
}
