//! A guest's phone for the captive pages, in process: one cookie jar, a client address
//! sent through a trusted proxy's `X-Forwarded-For`, and forms filled in from the page.
//! Plus the sites the tests sign up at.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{HeaderMap, Request, StatusCode, header},
};
use commons_portal::{CaptiveLimits, Config, hosting::NotConnected};
use commons_store::{
    BrandingUpdate, CaptiveSettings, LogoChange, NewAuditEntry, SiteFields, Store, WifiSite,
};
use tower::ServiceExt;

/// The site every test signs up at.
pub(crate) const SITE: &str = "/wifi/central-library";

/// The UAM secret shared with the test CoovaChilli.
pub(crate) const UAM_SECRET: &str = "library-uam-secret";

/// The FAS key shared with the test openNDS.
pub(crate) const FAS_KEY: &str = "c0uncilFasKey2024";

/// The portal with `limits`, behind a proxy on 127.0.0.1 whose forwarded addresses are
/// believed.
pub(crate) fn portal(store: &Store, limits: CaptiveLimits) -> Router {
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .build_recorder()
        .handle();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: "http://portal.test/".parse().unwrap(),
        store: store.clone(),
        metrics,
        announce_first_admin: false,
        hosting: Arc::new(NotConnected::new()),
        smtp: None,
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        captive: limits,
    };
    commons_portal::router(&config)
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))))
}

/// Creates the test site offering `modes` (`terms,email,voucher`), remembering devices
/// for 30 days, with the Coova and openNDS secrets set.
pub(crate) async fn site(store: &Store, modes: &str) -> WifiSite {
    let fields = SiteFields {
        name: "Central Library".into(),
        signup_modes: modes.into(),
        session_timeout_secs: 7200,
        idle_timeout_secs: 600,
        interim_interval_secs: 300,
        down_kbps: Some(8000),
        up_kbps: Some(2000),
        retention_days: 30,
    };
    let audit = NewAuditEntry {
        actor_user_id: None,
        actor: "test".into(),
        action: "site.create".into(),
        object_type: "wifi_site".into(),
        object_id: "central-library".into(),
        org_id: None,
        before: None,
        after: None,
    };
    let site = store.create_site_with(&fields, &audit).await.unwrap();
    let settings = CaptiveSettings {
        terms_session_secs: 1800,
        remember_days: 30,
        uam_secret: Some(UAM_SECRET.into()),
        fas_key: Some(FAS_KEY.into()),
        unifi: None,
        handoff_hosts: Vec::new(),
    };
    store
        .set_captive_settings(site.id, &settings)
        .await
        .unwrap();
    site
}

/// Publishes branding with `terms` for `site` and returns its version.
pub(crate) async fn brand(store: &Store, site: &WifiSite, terms: &str, logo: LogoChange) -> i64 {
    let update = BrandingUpdate {
        display_name: "Central Library".into(),
        colour_primary: "#00594f".into(),
        colour_background: "#fdfcf7".into(),
        terms: terms.into(),
        privacy: "We keep your device's address for 30 days.\n\nAsk us for a copy.".into(),
        logo,
    };
    let published = store.publish_branding(site.id, &update, None).await;
    published.unwrap().version
}

/// One response, its body read.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Page {
    /// The redirect target.
    pub(crate) fn location(&self) -> &str {
        self.header("location").unwrap_or("")
    }

    /// A response header.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    #[track_caller]
    pub(crate) fn assert_status(&self, status: StatusCode) -> &Self {
        assert_eq!(self.status, status, "body: {}", self.body);
        self
    }

    #[track_caller]
    pub(crate) fn assert_contains(&self, text: &str) -> &Self {
        assert!(self.body.contains(text), "{text:?} not in: {}", self.body);
        self
    }

    /// The action and hidden fields of the form whose action ends with `action`.
    #[track_caller]
    pub(crate) fn form(&self, action: &str) -> (String, Vec<(String, String)>) {
        let at = [action.to_owned(), escape(action)]
            .iter()
            .find_map(|action| self.body.find(&format!("action=\"{action}\"")))
            .unwrap_or_else(|| panic!("no form to {action} in {}", self.body));
        let end = self.body[at..].find("</form>").unwrap() + at;
        let form = &self.body[at..end];
        let hidden = form
            .split("<input type=\"hidden\" ")
            .skip(1)
            .map(|input| (attribute(input, "name"), attribute(input, "value")))
            .collect();
        (action.to_owned(), hidden)
    }

    /// The text of the element with id `id`.
    #[track_caller]
    pub(crate) fn text_of(&self, id: &str) -> String {
        let start = self.body.find(&format!("id=\"{id}\">")).expect("element") + id.len() + 6;
        let end = self.body[start..].find('<').unwrap() + start;
        unescape(&self.body[start..end])
    }
}

fn attribute(input: &str, name: &str) -> String {
    let marker = format!("{name}=\"");
    let start = input.find(&marker).map_or(0, |at| at + marker.len());
    let end = input[start..].find('"').map_or(start, |len| start + len);
    unescape(&input[start..end])
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('/', "&#x2f;")
}

/// Undoes the HTML escaping of the templates.
pub(crate) fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

/// A guest's phone.
pub(crate) struct Guest {
    app: Router,
    address: String,
    cookie: Option<String>,
}

impl Guest {
    /// A phone with network address `address`.
    pub(crate) fn new(app: &Router, address: &str) -> Self {
        Self {
            app: app.clone(),
            address: address.to_owned(),
            cookie: None,
        }
    }

    async fn send(&mut self, builder: axum::http::request::Builder, body: String) -> Page {
        let mut builder = builder.header("x-forwarded-for", &self.address);
        if let Some(cookie) = &self.cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let response = self
            .app
            .clone()
            .oneshot(builder.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            let pair = cookie.to_str().unwrap().split(';').next().unwrap();
            if pair.starts_with("commons_captive=") {
                self.cookie = Some(pair.to_owned());
            }
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Opens `path`.
    pub(crate) async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), String::new()).await
    }

    /// Posts `fields` as they are.
    pub(crate) async fn post(&mut self, path: &str, fields: &[(String, String)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(request, body).await
    }

    /// Submits the form of `page` going to `action`, its hidden fields and `typed` ones.
    pub(crate) async fn submit(
        &mut self,
        page: &Page,
        action: &str,
        typed: &[(&str, &str)],
    ) -> Page {
        let (action, mut fields) = page.form(action);
        fields.extend(
            typed
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        self.post(&action, &fields).await
    }
}

/// Waits for longer than `secs` seconds.
pub(crate) async fn wait_past(secs: u64) {
    tokio::time::sleep(Duration::from_millis(secs * 1000 + 1100)).await;
}

/// A landing address of the test site with the query `query`.
pub(crate) fn landing(query: &str) -> String {
    format!("{SITE}?{query}")
}
