//! What the pages look like and weigh, the RFC 8908 API, the probes, and UniFi's path.

use axum::http::StatusCode;
use commons_portal::CaptiveLimits;
use commons_store::{
    AccountingRecord, AccountingStatus, LogoChange, NewNasClient, SharedSecret, UnifiController,
    now,
};

use super::guest::{Guest, Page, SITE, brand, landing, portal, site};

/// The process's metrics, recorded from the first call on.
fn metrics() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .unwrap()
    })
}

/// The largest page allowed: light enough for an old phone on a weak signal.
const MAX_PAGE_BYTES: usize = 50 * 1024;

/// The smallest valid PNG: a 1x1 transparent pixel.
const PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// Terms near the longest the store takes: about 19,000 characters in 48 paragraphs.
fn long_terms() -> String {
    let paragraph = "You may use this Wi-Fi for lawful purposes only. The council may filter \
                     sites, limit speed and end sessions that harm others' use of the \
                     service, and keeps records as the privacy notice explains. ";
    vec![paragraph.repeat(2); 48].join("\n\n")
}

#[track_caller]
fn assert_light_and_self_contained(name: &str, page: &Page) {
    assert!(
        page.body.len() < MAX_PAGE_BYTES,
        "{name} weighs {} bytes",
        page.body.len()
    );
    for external in [
        "src=\"http",
        "src=\"//",
        "href=\"http",
        "href=\"//",
        "url(",
        "@import",
        "<script",
        "<link",
    ] {
        assert!(!page.body.contains(external), "{name} holds {external:?}");
    }
    assert!(page.body.contains("<html lang=\"en-GB\">"), "{name}");
}

commons_store::store_tests! {
    async fn every_page_is_under_50_kb_and_loads_nothing_from_elsewhere(store) {
        let site = site(store, "terms,email,voucher").await;
        let logo = LogoChange::Replace { mime: "image/png".into(), bytes: PIXEL_PNG.to_vec() };
        brand(store, &site, &long_terms(), logo).await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.5.50.23");
        let query = "login_url=http%3A%2F%2F172.16.0.1%3A8002%2Flogin&mac=f4-5c-89-9b-17-67";

        let mut pages = vec![("landing", guest.get(&landing(query)).await)];
        let first = &pages[0].1;
        let refused = guest.submit(first, &format!("{SITE}/terms"), &[]).await;
        let typed = [("email", "ann@example.org"), ("accept", "yes")];
        let code = guest.submit(first, &format!("{SITE}/email"), &typed).await;
        let hand_off = guest.submit(first, &format!("{SITE}/terms"), &[("accept", "yes")]).await;
        let direct = guest.get(SITE).await;
        let credentials = guest.submit(&direct, &format!("{SITE}/terms"), &[("accept", "yes")]).await;
        pages.extend([
            ("refusal", refused),
            ("code", code),
            ("hand-off", hand_off),
            ("credentials", credentials),
            ("terms", guest.get(&format!("{SITE}/terms")).await),
            ("privacy", guest.get(&format!("{SITE}/privacy")).await),
            ("about", guest.get(&format!("{SITE}/about")).await),
            ("online", guest.get(&format!("{SITE}/online")).await),
            ("no such site", guest.get("/wifi/nowhere").await),
        ]);
        for (name, page) in &pages {
            assert_light_and_self_contained(name, page);
        }
        assert!(pages[5].1.body.contains("You may use this Wi-Fi"), "the whole terms are shown");
        assert_eq!(pages[9].1.status, StatusCode::NOT_FOUND);
    }

    async fn branding_reaches_the_page_only_in_safe_forms(store) {
        let site = site(store, "terms").await;
        let terms = "Rule one <script>alert(1)</script>\nstill rule one.\n\n\nRule two & more.";
        let logo = LogoChange::Replace { mime: "image/png".into(), bytes: PIXEL_PNG.to_vec() };
        let version = brand(store, &site, terms, logo).await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");

        let page = guest.get(SITE).await;
        page.assert_contains(":root{--bg:#fdfcf7;--fg:#0b0c0c;--a:#00594f;--b:#00594f;--on:#ffffff}");
        page.assert_contains(&format!("<img src=\"&#x2f;wifi&#x2f;central-library&#x2f;logo&#x2f;{version}\" alt=\"\">"));
        let terms = guest.get(&format!("{SITE}/terms")).await;
        terms.assert_contains("<p>Rule one &lt;script&gt;alert(1)&lt;&#x2f;script&gt;\nstill rule one.</p>");
        terms.assert_contains("<p>Rule two &amp; more.</p>");
        terms.assert_contains(&format!("Version {version}, published "));

        let logo = guest.get(&format!("{SITE}/logo/{version}")).await;
        logo.assert_status(StatusCode::OK);
        assert_eq!(logo.header("content-type"), Some("image/png"));
        assert!(logo.header("cache-control").unwrap().contains("immutable"));
        guest.get(&format!("{SITE}/logo/99")).await.assert_status(StatusCode::NOT_FOUND);
    }

    async fn the_captive_api_follows_the_accounting_session_of_the_address(store) {
        let site = site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.1.0.23");

        let captive = guest.get(&format!("{SITE}/api")).await;
        captive.assert_status(StatusCode::OK);
        assert_eq!(captive.header("content-type"), Some("application/captive+json"));
        let json: serde_json::Value = serde_json::from_str(&captive.body).unwrap();
        assert_eq!(json["captive"], true);
        assert_eq!(json["user-portal-url"], "http://portal.test/wifi/central-library");
        assert_eq!(json["venue-info-url"], "http://portal.test/wifi/central-library/about");
        assert!(json.get("seconds-remaining").is_none());

        let page = guest.get(SITE).await;
        let done = guest.submit(&page, &format!("{SITE}/terms"), &[("accept", "yes")]).await;
        let username = done.text_of("username");
        let nas = NewNasClient {
            site_id: site.id,
            name: "ap1".into(),
            address: "10.1.0.1".parse().unwrap(),
            secret: SharedSecret::generate(),
            vendor: "generic".into(),
            require_message_authenticator: true,
        };
        let nas = store.create_nas_client(&nas).await.unwrap();
        let start = AccountingRecord {
            nas_id: nas.id,
            site_id: site.id,
            status: AccountingStatus::Start,
            session_id: "s1".into(),
            username,
            calling_station_id: None,
            framed_ip: Some("10.1.0.23".into()),
            class: None,
            at: now(),
            session_secs: 0,
            input_octets: 0,
            output_octets: 0,
            terminate_cause: None,
        };
        store.record_accounting(&start).await.unwrap();

        let online = guest.get(&format!("{SITE}/api")).await;
        let json: serde_json::Value = serde_json::from_str(&online.body).unwrap();
        assert_eq!(json["captive"], false, "{json}");
        let left = json["seconds-remaining"].as_i64().unwrap();
        assert!((1700..=1800).contains(&left), "{json}");
        assert_eq!(json["can-extend-session"], true);
        let elsewhere = Guest::new(&app, "10.1.0.99").get(&format!("{SITE}/api")).await;
        assert!(elsewhere.body.contains("\"captive\":true"));
    }

    async fn sign_ups_are_counted_by_site_and_mode_and_refusals_by_reason(store) {
        let metrics = metrics();
        site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.9.0.5");
        let page = guest.get(SITE).await;
        guest.submit(&page, &format!("{SITE}/terms"), &[]).await;
        guest.submit(&page, &format!("{SITE}/terms"), &[("accept", "yes")]).await;
        let padding = "x".repeat(70_000);
        guest.submit(&page, &format!("{SITE}/terms"), &[("padding", &padding)]).await;

        let text = metrics.render();
        assert!(text.contains("captive_refusals_total{reason=\"too_large\"}"), "{text}");
        assert!(text.contains("captive_signups_total{site=\"central-library\",mode=\"terms\"}"), "{text}");
        assert!(text.contains("captive_refusals_total{reason=\"terms_not_accepted\"}"), "{text}");
    }

    async fn the_about_page_gives_each_ways_session_length(store) {
        site(store, "terms,email,voucher").await;
        let app = portal(store, CaptiveLimits::default());
        let about = Guest::new(&app, "10.9.0.5").get(&format!("{SITE}/about")).await;
        about
            .assert_status(StatusCode::OK)
            .assert_contains("You can join by accepting the terms of use, for up to 30 minutes at a time;")
            .assert_contains("with a code sent to your email address, for up to 2 hours at a time;")
            .assert_contains("with a printed voucher, for up to 2 hours at a time");
        assert!(!about.body.contains("join with accepting"), "{}", about.body);
    }

    async fn probes_say_online_and_unifi_reaches_its_site(store) {
        let site = site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.9.0.5");
        guest.get("/generate_204").await.assert_status(StatusCode::NO_CONTENT);
        let apple = guest.get("/hotspot-detect.html").await;
        apple.assert_status(StatusCode::OK).assert_contains("<TITLE>Success</TITLE>");

        guest.get("/guest/s/elsewhere/").await.assert_status(StatusCode::NOT_FOUND);
        let mut settings = store.captive_settings(site.id).await.unwrap();
        settings.unifi = Some(UnifiController {
            url: "https://127.0.0.1:18399/".into(),
            site: "default".into(),
            username: "commons".into(),
            password: "controller-password".into(),
        });
        store.set_captive_settings(site.id, &settings).await.unwrap();
        let query = "id=f4:5c:89:9b:17:67&ap=80:2a:a8:10:21:9c&t=1733337600&url=http://example.com%2f";
        let page = guest.get(&format!("/guest/s/default/?{query}")).await;
        page.assert_status(StatusCode::OK).assert_contains("name=\"ap.id\"");
        page.assert_contains(&format!("action=\"{SITE}/terms\""));
    }
}
