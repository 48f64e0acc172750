//! Signing up each way and being handed back to each kind of access point.

use std::sync::{Arc, Mutex};

use axum::{
    Json, Router,
    extract::Path,
    http::StatusCode,
    response::{IntoResponse, Redirect},
    routing::{get, post},
};
use commons_portal::CaptiveLimits;
use commons_store::{LogoChange, MacAddress, NewVouchers, Store, UnifiController};
use md5::{Digest, Md5};
use serde_json::{Value, json};

use super::guest::{Guest, Page, SITE, UAM_SECRET, brand, landing, portal, site};

/// The query string of a recorded landing address of the vendor tests.
fn recorded(address: &str) -> String {
    address.trim().split_once('?').unwrap().1.to_owned()
}

/// A CoovaChilli landing query signed with `md` for this portal's address.
fn coova_query() -> String {
    let query = recorded(include_str!(
        "../../src/captive/vendor/fixtures/coova-notyet.url"
    ));
    let unsigned = query.split("&md=").next().unwrap();
    let signed = format!("http://portal.test{SITE}?{unsigned}");
    let md = Md5::new()
        .chain_update(signed.as_bytes())
        .chain_update(UAM_SECRET.as_bytes())
        .finalize();
    let md: String = md.iter().map(|b| format!("{b:02X}")).collect();
    format!("{unsigned}&md={md}")
}

/// Accepts the terms on `page`.
async fn accept_terms(guest: &mut Guest, page: &Page, remember: bool) -> Page {
    let mut typed = vec![("accept", "yes")];
    if remember {
        typed.push(("remember", "yes"));
    }
    guest.submit(page, &format!("{SITE}/terms"), &typed).await
}

#[track_caller]
fn assert_redirect_starts(page: &Page, prefix: &str) {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert!(page.location().starts_with(prefix), "{}", page.location());
    assert_eq!(page.header("cache-control"), Some("no-store"));
}

/// The commands a UniFi controller double was sent, by site.
type Commands = Arc<Mutex<Vec<(String, Value)>>>;

/// A classic UniFi controller on loopback that lets the account `commons` in and accepts
/// every command; returns its address and what it was sent.
async fn unifi_controller() -> (String, Commands) {
    let commands = Commands::default();
    let sent = commands.clone();
    let app = Router::new()
        .route("/", get(|| async { Redirect::to("/manage") }))
        .route(
            "/api/login",
            post(|Json(login): Json<Value>| async move {
                if login["username"] != "commons" {
                    return StatusCode::BAD_REQUEST.into_response();
                }
                let cookie = [("set-cookie", "unifises=session-1; Path=/")];
                (cookie, Json(json!({"meta": {"rc": "ok"}, "data": []}))).into_response()
            }),
        )
        .route(
            "/api/s/{site}/cmd/stamgr",
            post(
                move |Path(site): Path<String>, Json(command): Json<Value>| async move {
                    sent.lock().unwrap().push((site, command));
                    Json(json!({"meta": {"rc": "ok"}, "data": []}))
                },
            ),
        );
    let listener = free_port().await;
    let address = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, commands)
}

/// A listener on the first free port of the range these tests may use.
async fn free_port() -> tokio::net::TcpListener {
    for port in 18_300..18_400 {
        if let Ok(listener) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            return listener;
        }
    }
    panic!("no free port in 18300-18399");
}

/// Links the test site to a UniFi controller at `url` under the name `default`.
async fn use_controller(store: &Store, url: &str) {
    let site = store.site_named("central-library").await.unwrap();
    let mut settings = store.captive_settings(site.id).await.unwrap();
    settings.unifi = Some(UnifiController {
        url: url.to_owned(),
        site: "default".into(),
        username: "commons".into(),
        password: "controller-password".into(),
    });
    store
        .set_captive_settings(site.id, &settings)
        .await
        .unwrap();
}

async fn signed_up_for(store: &Store, mac: &str) -> usize {
    let mac = MacAddress::parse(mac).unwrap().to_string();
    let site = store.site_named("central-library").await.unwrap();
    let guests = store.site_guests(site.id).await.unwrap();
    guests
        .iter()
        .filter(|g| g.mac.as_deref() == Some(&mac))
        .count()
}

commons_store::store_tests! {
    async fn a_direct_visit_offers_each_way_and_terms_show_a_credential(store) {
        let site = site(store, "terms,email,voucher").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");

        let page = guest.get(SITE).await;
        page.assert_status(StatusCode::OK);
        for action in ["terms", "email", "voucher"] {
            page.assert_contains(&format!("action=\"{SITE}/{action}\""));
        }
        assert!(page.header("set-cookie").unwrap().starts_with("commons_captive="));
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert!(!page.body.contains("remember"), "no device, nothing to remember");

        let done = accept_terms(&mut guest, &page, false).await;
        done.assert_status(StatusCode::OK);
        let username = done.text_of("username");
        let password = done.text_of("password");
        let account = store.guest(site.id, &username).await.unwrap().unwrap();
        assert_eq!(account.password(), password);
        let lasts = account.expires_at.unwrap() - commons_store::now();
        assert!((1790..=1800).contains(&lasts), "terms-only access is limited: {lasts}");
        done.assert_contains("30 minutes");
    }

    async fn coovachilli_gets_a_303_to_its_logon_with_a_chap_response(store) {
        site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.1.0.23");

        let page = guest.get(&landing(&coova_query())).await;
        page.assert_status(StatusCode::OK).assert_contains("name=\"ap.uamip\"");
        let policy = page.header("content-security-policy").unwrap();
        assert!(policy.contains("form-action 'self' http: https:"), "{policy}");

        let done = accept_terms(&mut guest, &page, false).await;
        assert_redirect_starts(&done, "http://10.1.0.1:3990/logon?username=guest-");
        assert!(done.location().contains("&response="), "{}", done.location());
        assert_eq!(signed_up_for(store, "3C-22-FB-8E-51-07").await, 1);
    }

    async fn opennds_meraki_and_other_nas_are_each_handed_back(store) {
        site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let fixtures = [
            (include_str!("../../src/captive/vendor/fixtures/opennds-hid.url"), "opennds"),
            (include_str!("../../src/captive/vendor/fixtures/meraki-click-through.url"), "grant"),
            (include_str!("../../src/captive/vendor/fixtures/meraki-sign-on.url"), "sign-on"),
            (include_str!("../../src/captive/vendor/fixtures/nas.url"), "nas"),
            (include_str!("../../src/captive/vendor/fixtures/mikrotik.url"), "mikrotik"),
        ];
        for (address, kind) in fixtures {
            let mut guest = Guest::new(&app, "10.9.0.5");
            let page = guest.get(&landing(&recorded(address))).await;
            page.assert_status(StatusCode::OK);
            let done = accept_terms(&mut guest, &page, false).await;
            match kind {
                "opennds" => assert_redirect_starts(&done, "http://192.168.8.1:2050/opennds_auth/?"),
                "grant" => assert_redirect_starts(&done, "https://n143.network-auth.com/splash/grant?"),
                _ => {
                    done.assert_status(StatusCode::OK);
                    done.assert_contains("<form id=\"handoff\" method=\"post\"");
                    let username = done.text_of_input("username");
                    let password = done.text_of_input("password");
                    assert!(username.starts_with("guest-") && !password.is_empty(), "{kind}");
                    let policy = done.header("content-security-policy").unwrap();
                    assert!(policy.contains("http: https:"), "{kind}: {policy}");
                    let action = match kind {
                        "sign-on" => "https:&#x2f;&#x2f;n143.network-auth.com&#x2f;splash&#x2f;login",
                        "nas" => "http:&#x2f;&#x2f;172.16.0.1:8002&#x2f;login",
                        _ => "http:&#x2f;&#x2f;10.5.50.1&#x2f;login",
                    };
                    done.assert_contains(&format!("action=\"{action}"));
                }
            }
        }
    }

    async fn unifi_guests_are_authorised_through_the_controller(store) {
        site(store, "terms").await;
        let (url, commands) = unifi_controller().await;
        use_controller(store, &url).await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.9.0.5");
        let unifi = recorded(include_str!("../../src/captive/vendor/fixtures/unifi.url"));

        let page = guest.get(&format!("/guest/s/default/?{unifi}")).await;
        page.assert_status(StatusCode::OK).assert_contains("name=\"ap.id\"");
        let done = accept_terms(&mut guest, &page, false).await;
        // Online, with a plain link on: the address came from the access point's redirect,
        // which anyone can craft, so the portal does not send people there by itself.
        done.assert_status(StatusCode::OK)
            .assert_contains("You are online")
            .assert_contains("<a href=\"http:&#x2f;&#x2f;example.com&#x2f;news?id=7\">");
        assert!(done.header("location").is_none(), "no redirect");
        let commands = commands.lock().unwrap().clone();
        assert_eq!(commands.len(), 1);
        let (site, command) = &commands[0];
        assert_eq!(site, "default");
        assert_eq!(command["cmd"], "authorize-guest");
        assert_eq!(command["mac"], "f4:5c:89:9b:17:67");
        assert_eq!(command["minutes"], 30);
        assert_eq!((command["up"].clone(), command["down"].clone()), (json!(2000), json!(8000)));

        // Any host, and markup, stays a link's escaped text.
        let foreign = unifi.replace("url=http://example.com", "url=https://evil.example%2f%22%3e%3cscript%3e");
        let page = guest.get(&format!("/guest/s/default/?{foreign}")).await;
        let done = accept_terms(&mut guest, &page, false).await;
        done.assert_status(StatusCode::OK).assert_contains("You are online");
        assert!(!done.body.contains("<script>"), "{}", done.body);
    }

    async fn a_failing_unifi_controller_says_to_try_again(store) {
        site(store, "terms").await;
        let broken = Router::new().fallback(|| async { StatusCode::INTERNAL_SERVER_ERROR });
        let listener = free_port().await;
        let url = format!("http://{}/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, broken).await });
        use_controller(store, &url).await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.9.0.5");
        let unifi = recorded(include_str!("../../src/captive/vendor/fixtures/unifi.url"));
        let page = guest.get(&format!("/guest/s/default/?{unifi}")).await;
        let refused = accept_terms(&mut guest, &page, false).await;
        refused.assert_status(StatusCode::BAD_GATEWAY);
        refused.assert_contains("select Connect again").assert_contains("name=\"ap.id\"");
    }

    async fn a_remembered_device_goes_straight_through_next_time(store) {
        site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.1.0.23");
        let page = guest.get(&landing(&coova_query())).await;
        page.assert_contains("Remember this device for 30 days");
        assert!(!page.body.contains("remember\" value=\"yes\" checked"), "off by default");
        let done = accept_terms(&mut guest, &page, true).await;
        assert_redirect_starts(&done, "http://10.1.0.1:3990/logon?");

        let back = guest.get(&landing(&coova_query())).await;
        assert_redirect_starts(&back, "http://10.1.0.1:3990/logon?username=guest-");
        assert_eq!(signed_up_for(store, "3C-22-FB-8E-51-07").await, 2, "a fresh credential");

        let site = store.site_named("central-library").await.unwrap();
        let mac = MacAddress::parse("3C-22-FB-8E-51-07").unwrap();
        store.set_device_blocked(site.id, mac, true).await.unwrap();
        let blocked = guest.get(&landing(&coova_query())).await;
        blocked.assert_status(StatusCode::OK).assert_contains("Join the Wi-Fi");
    }

    async fn an_emailed_code_signs_up_and_records_the_consent(store) {
        let site = site(store, "email").await;
        let version = brand(store, &site, "Be kind.", LogoChange::Keep).await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.1.0.23");

        let page = guest.get(&landing(&coova_query())).await;
        let typed = [("email", "Ann@Example.org"), ("accept", "yes"), ("remember", "yes")];
        let code_page = guest.submit(&page, &format!("{SITE}/email"), &typed).await;
        code_page.assert_status(StatusCode::OK).assert_contains("Check your email");
        let email = store.recent_emails(10).await.unwrap();
        let email = email.iter().find(|e| e.to_addr == "Ann@Example.org").unwrap();
        let code: String = email.body.chars().filter(char::is_ascii_digit).take(6).collect();

        let done = guest
            .submit(&code_page, &format!("{SITE}/email/verify"), &[("code", &code)])
            .await;
        assert_redirect_starts(&done, "http://10.1.0.1:3990/logon?username=guest-");
        let export = store.export_guest("ann@example.org").await.unwrap();
        let consent = &export.consents[0];
        assert_eq!((consent.mode.as_str(), consent.branding_version), ("email", version));
        assert!(consent.remember_device);
        assert_eq!(export.devices.len(), 1);

        let again = guest
            .submit(&code_page, &format!("{SITE}/email/verify"), &[("code", &code)])
            .await;
        again.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        again.assert_contains("Ask for a new code");
    }

    async fn a_voucher_is_checked_and_handed_on_for_radius_to_spend(store) {
        let site = site(store, "voucher").await;
        let batch = NewVouchers {
            count: 1,
            max_uses: 1,
            duration: Some(std::time::Duration::from_secs(3600)),
            data_limit_bytes: None,
            valid_for: None,
        };
        let voucher = store.issue_vouchers(site.id, &batch).await.unwrap().remove(0);
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.9.0.5");

        let page = guest.get(SITE).await;
        let typed_code = voucher.code.to_lowercase();
        let typed = [("code", typed_code.as_str()), ("accept", "yes")];
        let done = guest.submit(&page, &format!("{SITE}/voucher"), &typed).await;
        done.assert_status(StatusCode::OK);
        assert_eq!(done.text_of("username"), voucher.code);
        assert_eq!(done.text_of("password"), voucher.code);
        let unspent = store.voucher(&voucher.code).await.unwrap().unwrap();
        assert_eq!(unspent.uses, 0, "the RADIUS server spends it, not the page");
        done.assert_contains("1 hour");
    }
}

impl Page {
    /// The value of the input with id `id`.
    #[track_caller]
    fn text_of_input(&self, id: &str) -> String {
        let at = self.body.find(&format!("id=\"{id}\"")).expect("input");
        let start = self.body[..at].rfind("<input").unwrap();
        let input = &self.body[start..at];
        let value = input.split("value=\"").nth(1).unwrap();
        super::guest::unescape(&value[..value.find('"').unwrap()])
    }
}
