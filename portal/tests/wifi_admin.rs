//! The council's Wi-Fi administration pages, in process on SQLite and PostgreSQL: sites,
//! NAS clients with a secret shown once, voucher sheets, guests and devices, the guard
//! and the anti-forgery check on every route, and audit entries without secrets.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use commons_store::{BrandingUpdate, LogoChange, MacAddress, Store};
use support::{Browser, FilePart, council_admin, portal, signed_up};

/// A one-pixel PNG.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// A valid branding form.
fn branding_fields(primary: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("display_name", "Library Wi-Fi"),
        ("colour_primary", primary),
        ("colour_background", "#ffffff"),
        ("terms", "Be kind to the network."),
        ("privacy", "We keep your device address for 30 days."),
    ]
}

fn png_logo(content_type: &str) -> FilePart<'_> {
    FilePart {
        field: "logo",
        filename: "logo.png",
        content_type,
        bytes: PNG,
    }
}

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

/// A valid captive settings form that sets every secret.
fn captive_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("terms_session_secs", "3600"),
        ("remember_days", "7"),
        ("uam_secret", "uam-very-secret"),
        ("fas_key", "fas-very-secret"),
        ("unifi_url", "https://unifi.council.example:8443/"),
        ("unifi_site", "library"),
        ("unifi_username", "commons"),
        ("unifi_password", "unifi-very-secret"),
        (
            "handoff_hosts",
            "ap.council.example, portal.council.example",
        ),
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
        let captive = store.captive_settings(site.id).await.unwrap();
        let branding = store.branding_history(site.id).await.unwrap();
        text.push_str(&format!(
            "\n{batches:?}\n{guests:?}\n{devices:?}\n{captive:?}\n{branding:?}"
        ));
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
        ("GET", format!("{site}/nas/1"), vec![]),
        (
            "POST",
            format!("{site}/nas/1"),
            vec![("address", "198.51.100.8"), ("vendor", "generic")],
        ),
        ("POST", format!("{site}/nas/1/secret"), vec![]),
        ("POST", format!("{site}/nas/1/delete"), vec![]),
        ("POST", format!("{site}/captive"), captive_fields()),
        ("GET", format!("{site}/branding"), vec![]),
        (
            "POST",
            format!("{site}/branding"),
            vec![("display_name", "Forged")],
        ),
        ("GET", format!("{site}/branding/1/logo"), vec![]),
        (
            "POST",
            format!("{site}/guests"),
            vec![("username", "mallory")],
        ),
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
    let branding = BrandingUpdate {
        display_name: "Library".into(),
        colour_primary: "#000000".into(),
        colour_background: "#ffffff".into(),
        terms: "Terms.".into(),
        privacy: "Privacy.".into(),
        logo: LogoChange::Replace {
            mime: "image/png".into(),
            bytes: PNG.to_vec(),
        },
    };
    store.publish_branding(id, &branding, None).await.unwrap();
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

    async fn a_nas_client_is_edited_and_given_a_new_secret_shown_once(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = furnished(store, &mut admin).await;
        let nas = store.nas_clients().await.unwrap()[0].clone();
        let path = format!("{site}/nas/{}", nas.id);
        admin.get(&format!("{site}/nas")).await.assert_contains(&format!("href=\"{path}\""));
        let page = admin.get(&path).await;
        page.assert_status(StatusCode::OK).assert_contains("value=\"192.0.2.0&#x2f;24\"")
            .assert_contains("<option value=\"mikrotik\" selected>");
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
        assert!(!page.body.contains(nas.secret.expose()), "the edit page shows the secret");

        let bad = [("name", "Upstairs"), ("address", "192.0.2.300"), ("vendor", "acme")];
        admin.post(&path, &bad).await.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("id=\"address-error\"").assert_contains("aria-invalid=\"true\"")
            .assert_contains("Choose the make of the access point or controller.")
            .assert_contains("value=\"Upstairs\"");
        store.create_site_with(&commons_store::SiteFields {
            name: "Pool".into(), signup_modes: "terms".into(), session_timeout_secs: 3600,
            idle_timeout_secs: 600, interim_interval_secs: 300, down_kbps: None, up_kbps: None,
            retention_days: 30,
        }, &commons_store::NewAuditEntry {
            actor_user_id: None, actor: "test".into(), action: "x".into(), object_type: "x".into(),
            object_id: "x".into(), org_id: None, before: None, after: None,
        }).await.unwrap();
        let pool = store.wifi_sites().await.unwrap().into_iter().find(|s| s.name == "Pool").unwrap();
        admin.get(&format!("/admin/wifi/{}/nas", pool.id)).await;
        admin.post(&format!("/admin/wifi/{}/nas", pool.id), &[("address", "198.51.100.9"), ("vendor", "generic")])
            .await.assert_status(StatusCode::CREATED);
        admin.get(&path).await;
        admin.post(&path, &[("address", "198.51.100.9"), ("vendor", "generic")]).await
            .assert_status(StatusCode::CONFLICT).assert_contains("Another NAS client has this address.");

        admin.get(&path).await;
        let fields = [("name", "Upstairs"), ("address", "192.0.2.16/28"), ("vendor", "aruba"), ("legacy", "on")];
        admin.post(&path, &fields).await.assert_redirect_to(&format!("{site}/nas"));
        let edited = store.site_nas_client(nas.site_id, nas.id).await.unwrap();
        assert_eq!((edited.name.as_str(), edited.vendor.as_str()), ("Upstairs", "aruba"));
        assert_eq!(edited.address.to_string(), "192.0.2.16/28");
        assert!(!edited.require_message_authenticator);
        assert_eq!(edited.secret, nas.secret, "editing keeps the secret");

        admin.get(&path).await;
        let renewed = admin.post(&format!("{path}/secret"), &[]).await;
        renewed.assert_status(StatusCode::OK).assert_contains("shown only this once");
        assert_eq!(renewed.header("cache-control").as_deref(), Some("no-store"));
        let secret = shown_secret(&renewed.body);
        let stored = store.site_nas_client(nas.site_id, nas.id).await.unwrap();
        assert_eq!(stored.secret.expose(), secret);
        assert_ne!(secret, nas.secret.expose());
        assert!(!admin.get(&path).await.body.contains(&secret), "the secret is shown again");
        let audit = audit_text(store).await;
        assert!(audit.contains("nas.update") && audit.contains("nas.secret"), "{audit}");
        assert!(!audit.contains(&secret) && !audit.contains(nas.secret.expose()), "a secret in the audit log");
    }

    async fn a_guest_is_added_on_the_page_with_its_password_shown_once(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = furnished(store, &mut admin).await;
        admin.get(&format!("{site}/people")).await.assert_contains("Add a guest account")
            .assert_contains("<title>Guests and devices of Central Library – Commons</title>");
        let bad = [("username", "two words"), ("password", "short"), ("expires_hours", "0"), ("mac", "nope")];
        let page = admin.post(&format!("{site}/guests"), &bad).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("Use a user name without spaces.")
            .assert_contains("id=\"password-error\"").assert_contains("id=\"expires_hours-error\"")
            .assert_contains("id=\"mac-error\"").assert_contains("value=\"two words\"");
        assert!(!page.body.contains("value=\"short\""), "a password written back");
        admin.post(&format!("{site}/guests"), &[("username", "ann")]).await
            .assert_status(StatusCode::CONFLICT).assert_contains("The site has a guest account with this user name.");

        let made = admin.post(&format!("{site}/guests"), &[("username", "bob"), ("expires_hours", "8")]).await;
        made.assert_status(StatusCode::CREATED).assert_contains("shown only this once");
        assert_eq!(made.header("cache-control").as_deref(), Some("no-store"));
        let marker = "<code id=\"new-password\">";
        let start = made.body.find(marker).unwrap() + marker.len();
        let password = &made.body[start..start + 10];
        let id = store.wifi_sites().await.unwrap()[0].id;
        let bob = store.guest(id, "bob").await.unwrap().unwrap();
        assert_eq!(bob.password(), password);
        assert!(bob.expires_at.unwrap() > commons_store::now() + 7 * 3600);
        let list = admin.get(&format!("{site}/people")).await;
        assert!(!list.body.contains(password), "the list shows the password");
        let audit = audit_text(store).await;
        assert!(audit.contains("guest.create") && !audit.contains(password), "{audit}");
    }

    async fn captive_settings_are_saved_with_secrets_shown_only_as_set(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = site_made(&mut admin, "Central Library").await;
        let page = admin.get(&site).await;
        page.assert_contains("CoovaChilli UAM secret (not set)").assert_contains("value=\"1800\"");
        admin.post(&format!("{site}/captive"), &captive_fields()).await.assert_redirect_to(&site);
        let id = store.wifi_sites().await.unwrap()[0].id;
        let saved = store.captive_settings(id).await.unwrap();
        assert_eq!(saved.uam_secret.as_deref(), Some("uam-very-secret"));
        assert_eq!(saved.handoff_hosts, ["ap.council.example", "portal.council.example"]);
        let page = admin.get(&site).await;
        page.assert_contains("CoovaChilli UAM secret (set)").assert_contains("Password (set)")
            .assert_contains("value=\"library\"");
        assert!(!page.body.contains("very-secret"), "a secret on the page");

        let mut keep: Vec<_> = captive_fields().into_iter()
            .filter(|(k, _)| !matches!(*k, "uam_secret" | "fas_key" | "unifi_password")).collect();
        keep.push(("clear_fas_key", "on"));
        admin.post(&format!("{site}/captive"), &keep).await.assert_redirect_to(&site);
        let kept = store.captive_settings(id).await.unwrap();
        assert_eq!(kept.uam_secret.as_deref(), Some("uam-very-secret"), "an empty field keeps the secret");
        assert_eq!(kept.fas_key, None, "the ticked box removes it");
        assert_eq!(kept.unifi.unwrap().password, "unifi-very-secret");

        admin.get(&site).await;
        let mut bad: Vec<_> = keep.iter().filter(|(k, _)| !matches!(*k, "unifi_url" | "remember_days")).copied().collect();
        bad.push(("unifi_url", "ftp://unifi.example"));
        bad.push(("remember_days", "400"));
        let page = admin.post(&format!("{site}/captive"), &bad).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("id=\"remember_days-error\"").assert_contains("Enter a whole number from 0 to 365.");
        let mut bad: Vec<_> = keep.iter().filter(|(k, _)| *k != "unifi_url").copied().collect();
        bad.push(("unifi_url", "ftp://unifi.example"));
        admin.get(&site).await;
        let page = admin.post(&format!("{site}/captive"), &bad).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("<p class=\"error\" id=\"unifi_url-error\">Invalid UniFi controller URL")
            .assert_contains("value=\"ftp:&#x2f;&#x2f;unifi.example\"");
        assert_eq!(store.captive_settings(id).await.unwrap().unifi.unwrap().url, "https://unifi.council.example:8443/");
        let audit = audit_text(store).await;
        assert_eq!(audit.matches("captive.update").count(), 2, "{audit}");
        assert!(!audit.contains("very-secret"), "a secret in the audit log");
    }

    async fn branding_is_published_with_a_logo_and_store_checks_show_next_to_fields(store) {
        let (app, _) = portal(store);
        let mut admin = council_admin(&app, store).await;
        let site = site_made(&mut admin, "Central Library").await;
        let page = admin.get(&format!("{site}/branding")).await;
        page.assert_status(StatusCode::OK).assert_contains("enctype=\"multipart/form-data\"")
            .assert_contains("the built-in default").assert_contains("value=\"Central Library\"");
        let path = format!("{site}/branding");

        let made = admin.post_multipart(&path, &branding_fields("#0b3d5c"), Some(png_logo("image/png")), true).await;
        made.assert_redirect_to(&path);
        let id = store.wifi_sites().await.unwrap()[0].id;
        assert_eq!(store.branding_logo(id, 1).await.unwrap().unwrap(), ("image/png".to_owned(), PNG.to_vec()));
        let page = admin.get(&path).await;
        page.assert_contains("Branding version 1 published.")
            .assert_contains(&format!("src=\"{path}/1/logo\""));
        let logo = admin.get(&format!("{path}/1/logo")).await;
        logo.assert_status(StatusCode::OK);
        assert_eq!(logo.header("content-type").as_deref(), Some("image/png"));
        admin.get(&site).await.assert_contains("Version 1, published").assert_contains("with a logo");

        admin.get(&path).await;
        let faint = admin.post_multipart(&path, &branding_fields("#eeeeee"), None, true).await;
        faint.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("<p class=\"error\" id=\"colour_primary-error\">Invalid colours: the primary colour on the background has a contrast of 1.16:1")
            .assert_contains("value=\"#eeeeee\"").assert_contains("Be kind to the network.</textarea>");
        let svg = FilePart { field: "logo", filename: "logo.svg", content_type: "image/svg+xml", bytes: b"<svg/>" };
        admin.post_multipart(&path, &branding_fields("#0b3d5c"), Some(svg), true).await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("<p class=\"error\" id=\"logo-error\">").assert_contains("upload a PNG, JPEG or WebP file");
        let big = [PNG, &[0u8; 70_000]].concat();
        let big = FilePart { field: "logo", filename: "big.png", content_type: "image/png", bytes: &big };
        admin.post_multipart(&path, &branding_fields("#0b3d5c"), Some(big), true).await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY).assert_contains("at most 64 KiB");
        let mut empty = branding_fields("#0b3d5c");
        empty.retain(|(k, _)| *k != "terms");
        empty.push(("terms", "  "));
        admin.post_multipart(&path, &empty, None, true).await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY).assert_contains("id=\"terms-error\"");

        let before = wifi_snapshot(store).await;
        admin.post_multipart(&path, &branding_fields("#000000"), None, false).await
            .assert_status(StatusCode::FORBIDDEN);
        assert_eq!(wifi_snapshot(store).await, before, "a forged upload changed something");

        let mut removed = branding_fields("#000000");
        removed.push(("remove_logo", "on"));
        admin.post_multipart(&path, &removed, None, true).await.assert_redirect_to(&path);
        let history = store.branding_history(id).await.unwrap();
        assert_eq!(history.iter().map(|b| b.version).collect::<Vec<_>>(), [2, 1]);
        assert_eq!(history[0].logo_mime, None);
        let page = admin.get(&path).await;
        page.assert_contains("<td>2</td>").assert_contains("<td>1</td>").assert_contains("#000000 on #ffffff");
        admin.get(&format!("{path}/2/logo")).await.assert_status(StatusCode::NOT_FOUND);
        assert_eq!(audit_text(store).await.matches("branding.publish").count(), 2);
    }
}
