//! The council's Wi-Fi administration pages, in process on SQLite and PostgreSQL: sites,
//! NAS clients with a secret shown once, voucher sheets, guests and devices, the guard
//! and the anti-forgery check on every route, and audit entries without secrets.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use commons_store::{MacAddress, Store};
use support::{Browser, council_admin, portal, signed_up};

/// A valid site form for `name`.
fn site_fields(name: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("name", name),
        ("terms", "on"),
        ("voucher", "on"),
        ("session_timeout_secs", "3600"),
        ("idle_timeout_secs", "600"),
        ("interim_interval_secs", "300"),
        ("down_kbps", "8000"),
        ("up_kbps", ""),
        ("retention_days", "30"),
    ]
}

/// Creates a site through the page and returns its page path.
async fn site_made(admin: &mut Browser, name: &str) -> String {
    admin.get("/admin/wifi").await.assert_status(StatusCode::OK);
    let page = admin.post("/admin/wifi", &site_fields(name)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.location.unwrap()
}

/// The secret shown on the page that created a NAS client.
#[track_caller]
fn shown_secret(body: &str) -> String {
    let start = body
        .find("<code id=\"new-secret\">")
        .expect("a secret on the page")
        + 22;
    body[start..start + 32].to_owned()
}

/// Every audit entry as text.
async fn audit_text(store: &Store) -> String {
    format!("{:?}", store.recent_audit(500).await.unwrap())
}

/// Everything Wi-Fi a forged request could change.
async fn wifi_snapshot(store: &Store) -> String {
    let sites = store.wifi_sites().await.unwrap();
    let nas = store.nas_clients().await.unwrap();
    let mut text = format!("{sites:?}\n{nas:?}");
    for site in &sites {
        let batches = store.voucher_batches(site.id).await.unwrap();
        let guests = store.site_guests(site.id).await.unwrap();
        let devices = store.site_devices(site.id).await.unwrap();
        text.push_str(&format!("\n{batches:?}\n{guests:?}\n{devices:?}"));
    }
    text
}

/// A request to a route: method, path and form fields.
type Route = (&'static str, String, Vec<(&'static str, &'static str)>);

/// Every Wi-Fi administration route for site `site`.
fn routes(site: &str) -> Vec<Route> {
    let nas = vec![("address", "198.51.100.7"), ("vendor", "generic")];
    let vouchers = vec![("count", "2"), ("duration_minutes", "60"), ("uses", "1")];
    vec![
        ("GET", "/admin/wifi".into(), vec![]),
        ("POST", "/admin/wifi".into(), site_fields("Forged")),
        ("GET", site.into(), vec![]),
        ("POST", format!("{site}/edit"), site_fields("Renamed")),
        ("GET", format!("{site}/nas"), vec![]),
        ("POST", format!("{site}/nas"), nas),
        ("POST", format!("{site}/nas/1/delete"), vec![]),
        ("GET", format!("{site}/vouchers"), vec![]),
        ("POST", format!("{site}/vouchers"), vouchers),
        ("GET", format!("{site}/vouchers/any-batch"), vec![]),
        ("GET", format!("{site}/people"), vec![]),
        ("POST", format!("{site}/guests/1/delete"), vec![]),
        (
            "POST",
            format!("{site}/devices/1/block"),
            vec![("blocked", "true")],
        ),
        ("POST", format!("{site}/devices/1/delete"), vec![]),
    ]
}

/// A site with a NAS client, a guest and a device, made as the council.
async fn furnished(store: &Store, admin: &mut Browser) -> String {
    let site = site_made(admin, "Central Library").await;
    admin.get(&format!("{site}/nas")).await;
    admin
        .post(
            &format!("{site}/nas"),
            &[("address", "192.0.2.0/24"), ("vendor", "mikrotik")],
        )
        .await
        .assert_status(StatusCode::CREATED);
    let id = store.wifi_sites().await.unwrap()[0].id;
    store
        .add_guest(id, "ann", "sunshine", None, None)
        .await
        .unwrap();
    let mac = MacAddress::parse("aa:bb:cc:dd:ee:ff").unwrap();
    store
        .remember_device(id, mac, Duration::from_secs(3600))
        .await
        .unwrap();
    site
}

commons_store::store_tests! {
    async fn a_nas_secret_is_shown_once_and_never_listed_or_audited(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = site_made(&mut admin, "Central Library").await;
        admin.get(&site).await.assert_status(StatusCode::OK).assert_contains("Central Library");

        admin.get(&format!("{site}/nas")).await.assert_status(StatusCode::OK);
        let fields = [("name", "Ground floor"), ("address", "192.0.2.0/24"),
                      ("vendor", "mikrotik"), ("legacy", "on")];
        let created = admin.post(&format!("{site}/nas"), &fields).await;
        created.assert_status(StatusCode::CREATED).assert_contains("shown only this once");
        assert_eq!(created.header("cache-control").as_deref(), Some("no-store"));
        let secret = shown_secret(&created.body);
        let stored = store.nas_clients().await.unwrap();
        assert_eq!(stored[0].secret.expose(), secret);
        assert!(!stored[0].require_message_authenticator, "the legacy box was ticked");

        let list = admin.get(&format!("{site}/nas")).await;
        list.assert_status(StatusCode::OK).assert_contains("Ground floor").assert_contains("192.0.2.0");
        assert!(!list.body.contains(&secret), "the list shows the secret");
        assert!(!audit_text(store).await.contains(&secret), "the audit log holds the secret");
        let audit_page = admin.get("/admin/audit").await;
        audit_page.assert_contains("nas.create");
        assert!(!audit_page.body.contains(&secret));

        let nas = stored[0].id;
        admin.post(&format!("{site}/nas/{nas}/delete"), &[]).await
            .assert_redirect_to(&format!("{site}/nas"));
        assert!(store.nas_clients().await.unwrap().is_empty());
        assert!(!audit_text(store).await.contains(&secret));
        assert!(audit_text(store).await.contains("nas.delete"));
    }

    async fn bad_site_settings_are_named_next_to_their_fields(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        admin.get("/admin/wifi").await;
        let mut fields = site_fields("Pool");
        fields.retain(|(k, _)| !matches!(*k, "terms" | "voucher" | "interim_interval_secs"));
        fields.push(("interim_interval_secs", "30"));
        let page = admin.post("/admin/wifi", &fields).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("Choose at least one way to sign up.")
            .assert_contains("id=\"interim_interval_secs-error\"")
            .assert_contains("Enter a whole number from 60 to 86400.")
            .assert_contains("value=\"Pool\"");
        assert!(store.wifi_sites().await.unwrap().is_empty());

        let site = site_made(&mut admin, "Pool").await;
        admin.get(&site).await;
        let mut edit = site_fields("Pool and gym");
        edit.retain(|(k, _)| *k != "session_timeout_secs");
        edit.push(("session_timeout_secs", "7200"));
        admin.post(&format!("{site}/edit"), &edit).await.assert_redirect_to(&site);
        let saved = &store.wifi_sites().await.unwrap()[0];
        assert_eq!((saved.name.as_str(), saved.session_timeout_secs), ("Pool and gym", 7200));
        assert_eq!(saved.signup_modes, "terms,voucher");
        assert_eq!((saved.down_kbps, saved.up_kbps), (Some(8000), None));
        assert!(audit_text(store).await.contains("wifi_site.update"));
    }

    async fn a_voucher_batch_prints_every_code_on_its_sheet(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = site_made(&mut admin, "Central Library").await;
        admin.get(&format!("{site}/vouchers")).await.assert_status(StatusCode::OK);
        let fields = [("count", "12"), ("duration_minutes", "90"), ("data_mb", "500"), ("uses", "2")];
        let made = admin.post(&format!("{site}/vouchers"), &fields).await;
        let sheet_path = made.location.clone().expect("a redirect to the sheet");

        let sheet = admin.get(&sheet_path).await;
        sheet.assert_status(StatusCode::OK)
            .assert_contains("@media print")
            .assert_contains("size:A4")
            .assert_contains("90 minutes")
            .assert_contains("500 MB");
        assert!(!sheet.body.contains("<script"));
        let id = store.wifi_sites().await.unwrap()[0].id;
        let batch = &store.voucher_batches(id).await.unwrap()[0];
        let codes = store.batch_vouchers(id, &batch.batch).await.unwrap();
        assert_eq!(codes.len(), 12);
        for voucher in &codes {
            let (first, second) = voucher.code.split_at(5);
            sheet.assert_contains(&format!("{first}-{second}"));
            assert!(!audit_text(store).await.contains(&voucher.code), "a code in the audit log");
        }
        admin.get(&format!("{site}/vouchers")).await.assert_contains(&sheet_path);
        assert!(audit_text(store).await.contains("vouchers.issue"));
    }

    async fn guests_and_devices_are_listed_blocked_and_removed(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = furnished(store, &mut admin).await;
        let page = admin.get(&format!("{site}/people")).await;
        page.assert_status(StatusCode::OK).assert_contains("ann").assert_contains("aa:bb:cc:dd:ee:ff");
        assert!(!page.body.contains("sunshine"), "a guest password on the page");
        let report = admin.get("/admin/reports").await;
        report.assert_status(StatusCode::OK).assert_contains("Wi-Fi sign-ups");
        report.assert_contains("<td>Central Library</td><td>1</td>");

        let id = store.wifi_sites().await.unwrap()[0].id;
        let device = store.site_devices(id).await.unwrap()[0].id;
        admin.post(&format!("{site}/devices/{device}/block"), &[("blocked", "true")]).await
            .assert_redirect_to(&format!("{site}/people"));
        assert!(store.site_devices(id).await.unwrap()[0].blocked);
        admin.get(&format!("{site}/people")).await.assert_contains("blocked");
        admin.post(&format!("{site}/devices/{device}/delete"), &[]).await;
        assert!(store.site_devices(id).await.unwrap().is_empty());
        let guest = store.site_guests(id).await.unwrap()[0].id;
        admin.get(&format!("{site}/people")).await;
        admin.post(&format!("{site}/guests/{guest}/delete"), &[]).await;
        assert!(store.site_guests(id).await.unwrap().is_empty());
        let audit = audit_text(store).await;
        for action in ["device.block", "device.delete", "guest.delete"] {
            assert!(audit.contains(action), "{action} missing");
        }
        assert!(!audit.contains("sunshine"));

    }

    async fn someone_who_is_not_a_council_administrator_gets_403_everywhere(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = furnished(store, &mut admin).await;
        let (_, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let before = wifi_snapshot(store).await;
        let mut anonymous = Browser::new(&app);
        for (method, path, fields) in routes(&site) {
            owner.get("/orgs").await;
            let page = match method {
                "GET" => owner.get(&path).await,
                _ => owner.post(&path, &fields).await,
            };
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{method} {path}");
            let page = match method {
                "GET" => anonymous.get(&path).await,
                _ => anonymous.post(&path, &fields).await,
            };
            assert!(matches!(page.status, StatusCode::SEE_OTHER | StatusCode::FORBIDDEN),
                    "anonymous {method} {path}: {}", page.status);
        }
        assert_eq!(wifi_snapshot(store).await, before);
    }

    async fn a_wifi_form_without_its_csrf_token_is_refused_and_changes_nothing(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = furnished(store, &mut admin).await;
        let before = wifi_snapshot(store).await;
        let entries = store.recent_audit(500).await.unwrap().len();
        for (method, path, fields) in routes(&site) {
            if method == "POST" {
                let body = support::encode(&fields);
                admin.post_raw(&path, &body).await.assert_status(StatusCode::FORBIDDEN);
            }
        }
        assert_eq!(wifi_snapshot(store).await, before);
        assert_eq!(store.recent_audit(500).await.unwrap().len(), entries);
    }
}
