//! An in-process browser for the portal's router: keeps the session cookie, fills in the
//! anti-forgery token of the last page, and reads emails from the outbox.

#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is the test failing"
)]

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{Request, StatusCode, header},
};
use commons_portal::{Config, Hosting, hosting::MemoryHosting};
use commons_store::{OrgId, Store, TokenPurpose, TokenSubject};
use tower::ServiceExt;

/// The password every test account uses.
pub(crate) const PASSWORD: &str = "correct horse battery";

/// A portal on `store` with recording in-memory hosting.
pub(crate) fn portal(store: &Store) -> (Router, Arc<MemoryHosting>) {
    let hosting = Arc::new(MemoryHosting::new());
    (portal_with(store, hosting.clone()), hosting)
}

/// A portal on `store` with the given hosting.
pub(crate) fn portal_with(store: &Store, hosting: Arc<dyn Hosting>) -> Router {
    portal_at(store, hosting, "http://portal.test/")
}

/// A portal on `store` reached at `public_url`.
pub(crate) fn portal_at(store: &Store, hosting: Arc<dyn Hosting>, public_url: &str) -> Router {
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .build_recorder()
        .handle();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: public_url.parse().unwrap(),
        store: store.clone(),
        metrics,
        announce_first_admin: false,
        hosting,
        smtp: None,
        trusted_proxies: Vec::new(),
        captive: commons_portal::CaptiveLimits::default(),
    };
    commons_portal::router(&config)
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))))
}

/// One response, its body read.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) set_cookie: Vec<String>,
    pub(crate) body: String,
}

impl Page {
    /// The value of the first hidden anti-forgery field.
    pub(crate) fn csrf(&self) -> Option<String> {
        let start = self.body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }

    /// The value of response header `name`, if present.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[track_caller]
    pub(crate) fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }

    #[track_caller]
    pub(crate) fn assert_redirect_to(&self, path: &str) -> &Self {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "body: {}", self.body);
        assert_eq!(self.location.as_deref(), Some(path));
        self
    }

    #[track_caller]
    pub(crate) fn assert_contains(&self, text: &str) -> &Self {
        assert!(self.body.contains(text), "{text:?} not in: {}", self.body);
        self
    }
}

/// A browser with one cookie jar holding the session cookie.
pub(crate) struct Browser {
    app: Router,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Browser {
    pub(crate) fn new(app: &Router) -> Self {
        Self {
            app: app.clone(),
            cookie: None,
            csrf: None,
        }
    }

    async fn send(&mut self, request: Request<Body>) -> Page {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let set_cookie: Vec<String> = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for cookie in &set_cookie {
            let pair = cookie.split(';').next().unwrap();
            let (_, value) = pair.split_once('=').unwrap();
            self.cookie = (!value.is_empty()).then(|| pair.to_owned());
        }
        let bytes = axum::body::to_bytes(response.into_body(), 4 << 20)
            .await
            .unwrap();
        let page = Page {
            headers,
            status,
            location,
            set_cookie,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        if let Some(csrf) = page.csrf() {
            self.csrf = Some(csrf);
        }
        page
    }

    fn request(&self, method: &str, path: &str) -> axum::http::request::Builder {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(cookie) = &self.cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        builder
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        let request = self.request("GET", path).body(Body::empty()).unwrap();
        self.send(request).await
    }

    /// Posts `fields` with the anti-forgery token of the last page seen.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &encode(&all)).await
    }

    /// Posts a raw URL-encoded body, with no token added.
    pub(crate) async fn post_raw(&mut self, path: &str, body: &str) -> Page {
        let request = self
            .request("POST", path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(request).await
    }

    /// Sends a JSON API request with a bearer token.
    pub(crate) async fn api(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        json: Option<&str>,
    ) -> Page {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"));
        if json.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        let request = builder
            .body(Body::from(json.unwrap_or("").to_owned()))
            .unwrap();
        self.send(request).await
    }
}

pub(crate) fn encode(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The path part of the newest link emailed to `to`.
pub(crate) async fn emailed_link(store: &Store, to: &str) -> String {
    let emails = store.recent_emails(100).await.unwrap();
    let email = emails
        .iter()
        .find(|e| e.to_addr == to)
        .expect("an email to that address");
    let start =
        email.body.find("http://portal.test/").expect("a link") + "http://portal.test".len();
    let end = email.body[start..]
        .find(char::is_whitespace)
        .map_or(email.body.len(), |e| e + start);
    email.body[start..end].to_owned()
}

/// Signs up an organisation with a new owner, confirms the owner's email, and returns
/// the organisation's id with the owner's signed-in browser.
pub(crate) async fn signed_up(
    app: &Router,
    store: &Store,
    org_name: &str,
    email: &str,
) -> (OrgId, Browser) {
    let mut browser = Browser::new(app);
    browser.get("/sign-up").await.assert_status(StatusCode::OK);
    let page = browser
        .post(
            "/sign-up",
            &[
                ("org_name", org_name),
                ("kind", "voluntary"),
                ("your_name", "Owner"),
                ("email", email),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    page.assert_status(StatusCode::SEE_OTHER);
    let location = page.location.clone().unwrap();
    let id: i64 = location.trim_start_matches("/orgs/").parse().unwrap();
    let link = emailed_link(store, email).await;
    browser.get(&link).await.assert_status(StatusCode::OK);
    browser.get(&location).await.assert_status(StatusCode::OK);
    (OrgId(id), browser)
}

/// A council administrator, signed in.
pub(crate) async fn council_admin(app: &Router, store: &Store) -> Browser {
    let admin = store
        .create_user("admin@council.example", "Admin", true)
        .await
        .unwrap();
    let subject = TokenSubject {
        user_id: Some(admin.id),
        ..TokenSubject::default()
    };
    let token = store
        .issue_token(
            TokenPurpose::SignIn,
            subject,
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap();
    let mut browser = Browser::new(app);
    browser
        .post_raw(
            &format!("/setup/{}", token.reveal()),
            &encode(&[("password", PASSWORD), ("confirm", PASSWORD)]),
        )
        .await
        .assert_status(StatusCode::OK);
    sign_in(&mut browser, "admin@council.example").await;
    browser
}

/// Signs `browser` in as `email`.
pub(crate) async fn sign_in(browser: &mut Browser, email: &str) {
    browser.get("/sign-in").await.assert_status(StatusCode::OK);
    browser
        .post("/sign-in", &[("email", email), ("password", PASSWORD)])
        .await
        .assert_redirect_to("/orgs");
}

/// Approves organisation `org` as the council.
pub(crate) async fn approve(admin: &mut Browser, org: OrgId) {
    admin
        .get(&format!("/admin/orgs/{org}"))
        .await
        .assert_status(StatusCode::OK);
    admin
        .post(
            &format!("/admin/orgs/{org}/decide"),
            &[("decision", "approve"), ("plan_id", "1")],
        )
        .await
        .assert_redirect_to(&format!("/admin/orgs/{org}"));
}
