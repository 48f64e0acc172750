//! The Wi-Fi administration API, in process on SQLite and PostgreSQL: every route does
//! what its page does, writes the same audit entries without secrets, answers bad bodies
//! with 422 and refuses anyone who is not a council administrator with nothing changed.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use commons_store::{MacAddress, SiteId, Store};
use serde_json::Value;
use support::{Browser, Page, council_admin, portal, signed_up, token_of};

const SITES: &str = "/api/v1/admin/wifi/sites";

/// A one-pixel PNG.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

/// The API, with one token.
struct Api {
    client: Browser,
    token: String,
}

impl Api {
    async fn call(&mut self, method: &str, path: &str, body: Option<&str>) -> Page {
        self.client.api(method, path, &self.token, body).await
    }

    /// Calls, checks the status and returns the JSON answer (`null` for none).
    async fn expect(
        &mut self,
        status: StatusCode,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> Value {
        let page = self.call(method, path, body).await;
        assert_eq!(page.status, status, "{method} {path}: {}", page.body);
        serde_json::from_str(&page.body).unwrap_or(Value::Null)
    }
}

/// The problems of a refused body, by field.
#[track_caller]
fn problems(page: &Page) -> Value {
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    serde_json::from_str::<Value>(&page.body).unwrap()["fields"].clone()
}

/// The council's API and the store's first site, made through the API.
async fn council_api(app: &axum::Router, store: &Store) -> (Api, String) {
    let mut admin = council_admin(app, store).await;
    let token = token_of(&mut admin).await;
    let mut api = Api {
        client: Browser::new(app),
        token,
    };
    let body = r#"{"name":"Central Library","signup_modes":["terms","voucher"],"down_kbps":8000}"#;
    let site = api
        .expect(StatusCode::CREATED, "POST", SITES, Some(body))
        .await;
    (api, format!("{SITES}/{}", site["id"]))
}

/// Every audit entry as text.
async fn audit_text(store: &Store) -> String {
    format!("{:?}", store.recent_audit(500).await.unwrap())
}

/// Everything Wi-Fi a refused request could change, audit log included.
async fn snapshot(store: &Store) -> String {
    let sites = store.wifi_sites().await.unwrap();
    let mut text = format!("{sites:?}\n{:?}", store.nas_clients().await.unwrap());
    for site in &sites {
        text.push_str(&format!(
            "\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
            store.voucher_batches(site.id).await.unwrap(),
            store.site_guests(site.id).await.unwrap(),
            store.site_devices(site.id).await.unwrap(),
            store.captive_settings(site.id).await.unwrap(),
            store.branding_history(site.id).await.unwrap(),
            store.recent_audit(500).await.unwrap(),
        ));
    }
    text
}

fn branding(primary: &str, logo: &str) -> String {
    format!(
        r##"{{"display_name":"Library Wi-Fi","colour_primary":"{primary}","colour_background":"#ffffff",
            "terms":"Be kind to the network.","privacy":"We keep your device address for 30 days."{logo}}}"##
    )
}

commons_store::store_tests! {
    async fn sites_and_nas_clients_are_managed_as_on_the_pages(store) {
        let (app, _) = portal(store);
        let (mut api, site) = council_api(&app, store).await;
        let made = api.expect(StatusCode::OK, "GET", &site, None).await;
        assert_eq!(made["slug"], "central-library");
        assert_eq!(made["signup_modes"], serde_json::json!(["terms", "voucher"]));
        assert_eq!((made["session_timeout_secs"].as_i64(), made["down_kbps"].as_i64()), (Some(3600), Some(8000)));
        let page = api.call("POST", SITES, Some(r#"{"name":"Central library","signup_modes":["terms"]}"#)).await;
        assert_eq!(page.status, StatusCode::CONFLICT, "{}", page.body);
        let page = api.call("POST", SITES, Some(r#"{"name":"Pool","signup_modes":["sms"],"retention_days":0}"#)).await;
        let fields = problems(&page);
        assert!(fields["signup_modes"].as_str().unwrap().contains("\"sms\" is not a way"), "{fields}");
        assert_eq!(fields["retention_days"], "Enter a whole number from 1 to 3650.");
        let page = api.call("PUT", &site, Some(r#"{"name":"Library","signup_modes":[],"interim_interval_secs":30}"#)).await;
        let fields = problems(&page);
        assert_eq!(fields["signup_modes"], "Choose at least one way to sign up.");
        assert_eq!(fields["interim_interval_secs"], "Enter a whole number from 60 to 86400.");
        assert!(page.body.contains(r#""error":"Signup_modes: Choose at least one way to sign up. interim"#),
                "one sentence per problem, no doubled stops: {}", page.body);
        let changed = api.expect(StatusCode::OK, "PUT", &site, Some(r#"{"name":"Library","signup_modes":["email"]}"#)).await;
        assert_eq!((changed["name"].as_str(), changed["slug"].as_str()), (Some("Library"), Some("central-library")));
        assert_eq!(changed["down_kbps"], Value::Null, "absent numbers take the defaults");
        let listed = api.expect(StatusCode::OK, "GET", SITES, None).await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        api.expect(StatusCode::NOT_FOUND, "GET", &format!("{SITES}/999"), None).await;

        let nas = format!("{site}/nas");
        let made = api.call("POST", &nas, Some(r#"{"name":"Ground floor","address":"192.0.2.0/24","vendor":"mikrotik"}"#)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        assert_eq!(made.header("cache-control").as_deref(), Some("no-store"));
        let made: Value = serde_json::from_str(&made.body).unwrap();
        let secret = made["secret"].as_str().unwrap().to_owned();
        assert_eq!(secret.len(), 32);
        assert_eq!(made["nas"]["require_message_authenticator"], true);
        let one = format!("{nas}/{}", made["nas"]["id"]);
        api.expect(StatusCode::CREATED, "POST", &nas, Some(r#"{"address":"198.51.100.7"}"#)).await;
        api.expect(StatusCode::CONFLICT, "POST", &nas, Some(r#"{"address":"192.0.2.0/24"}"#)).await;
        let bad = api.call("POST", &nas, Some(r#"{"address":"not an address","vendor":"acme"}"#)).await;
        let fields = problems(&bad);
        assert!(fields["address"].is_string() && fields["vendor"].is_string(), "{fields}");

        let listed = api.call("GET", &nas, None).await;
        assert!(!listed.body.contains(&secret), "a listed secret: {}", listed.body);
        let edit = r#"{"name":"Upstairs","address":"192.0.2.16/28","vendor":"aruba","require_message_authenticator":false}"#;
        let edited = api.expect(StatusCode::OK, "PUT", &one, Some(edit)).await;
        assert_eq!((edited["name"].as_str(), edited["address"].as_str()), (Some("Upstairs"), Some("192.0.2.16/28")));
        assert_eq!(edited["require_message_authenticator"], false);
        api.expect(StatusCode::CONFLICT, "PUT", &one, Some(r#"{"address":"198.51.100.7"}"#)).await;
        api.expect(StatusCode::UNPROCESSABLE_ENTITY, "PUT", &one, Some(r#"{"address":"300.1.1.1"}"#)).await;
        let stored = store.nas_clients().await.unwrap();
        assert_eq!(stored[0].secret.expose(), secret, "editing keeps the secret");

        let renewed = api.call("POST", &format!("{one}/secret"), None).await;
        assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
        assert_eq!(renewed.header("cache-control").as_deref(), Some("no-store"));
        let new_secret = serde_json::from_str::<Value>(&renewed.body).unwrap()["secret"].as_str().unwrap().to_owned();
        assert_ne!(new_secret, secret);
        assert_eq!(store.nas_clients().await.unwrap()[0].secret.expose(), new_secret);
        api.expect(StatusCode::NO_CONTENT, "DELETE", &one, None).await;
        api.expect(StatusCode::NOT_FOUND, "DELETE", &one, None).await;
        api.expect(StatusCode::NOT_FOUND, "POST", &format!("{one}/secret"), None).await;

        let audit = audit_text(store).await;
        for action in ["wifi_site.create", "wifi_site.update", "nas.create", "nas.update", "nas.secret", "nas.delete"] {
            assert!(audit.contains(action), "{action} missing from {audit}");
        }
        assert!(!audit.contains(&secret) && !audit.contains(&new_secret), "a secret in the audit log");
        assert!(audit.contains("admin@council.example"), "who made the change");
    }

    async fn vouchers_guests_and_devices_are_managed_as_on_the_pages(store) {
        let (app, _) = portal(store);
        let (mut api, site) = council_api(&app, store).await;
        let id = store.wifi_sites().await.unwrap()[0].id;

        let vouchers = format!("{site}/vouchers");
        let batch = api.expect(StatusCode::CREATED, "POST", &vouchers, Some(r#"{"count":3,"duration_minutes":90,"data_mb":500}"#)).await;
        assert_eq!(batch["codes"].as_array().unwrap().len(), 3);
        assert_eq!((batch["uses"].as_i64(), batch["duration_minutes"].as_i64(), batch["data_mb"].as_i64()), (Some(1), Some(90), Some(500)));
        let bad = api.call("POST", &vouchers, Some(r#"{"count":401,"uses":0}"#)).await;
        let fields = problems(&bad);
        assert_eq!(fields["count"], "Enter a whole number from 1 to 400.");
        assert_eq!(fields["uses"], "Enter a whole number from 1 to 100.");
        let listed = api.expect(StatusCode::OK, "GET", &vouchers, None).await;
        assert_eq!(listed[0]["count"], 3);
        let name = batch["batch"].as_str().unwrap();
        let read = api.expect(StatusCode::OK, "GET", &format!("{vouchers}/{name}"), None).await;
        assert_eq!(read["codes"], batch["codes"]);
        api.expect(StatusCode::NOT_FOUND, "GET", &format!("{vouchers}/no-such-batch"), None).await;

        let guests = format!("{site}/guests");
        let made = api.call("POST", &guests, Some(r#"{"username":"ann","expires_hours":8,"mac":"AA-BB-CC-DD-EE-FF"}"#)).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
        assert_eq!(made.header("cache-control").as_deref(), Some("no-store"));
        let made: Value = serde_json::from_str(&made.body).unwrap();
        let password = made["password"].as_str().unwrap().to_owned();
        assert_eq!(password.len(), 10, "a password is made when none is given");
        assert_eq!(made["guest"]["mac"], "aa:bb:cc:dd:ee:ff");
        let chosen = api.expect(StatusCode::CREATED, "POST", &guests, Some(r#"{"username":"bob","password":"sunshine123"}"#)).await;
        assert_eq!((chosen["password"].as_str(), chosen["guest"]["expires_at"].as_i64()), (Some("sunshine123"), None));
        api.expect(StatusCode::CONFLICT, "POST", &guests, Some(r#"{"username":"ann"}"#)).await;
        // A misspelt field is refused rather than ignored: this one would otherwise make a
        // guest that never expires.
        let misspelt = api.call("POST", &guests, Some(r#"{"username":"cat","expires_secs":3600}"#)).await;
        assert_eq!(misspelt.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", misspelt.body);
        let refusal: Value = serde_json::from_str(&misspelt.body).unwrap();
        assert!(refusal["error"].as_str().unwrap().contains("unknown field `expires_secs`"), "{refusal}");
        let malformed = api.call("POST", &guests, Some(r#"{"username":"#)).await;
        assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "{}", malformed.body);
        let refusal: Value = serde_json::from_str(&malformed.body).unwrap();
        assert!(refusal["error"].is_string(), "{refusal}");
        let bad = api.call("POST", &guests, Some(r#"{"username":"a b","password":"short","expires_hours":0,"mac":"nope"}"#)).await;
        let fields = problems(&bad);
        for field in ["username", "password", "expires_hours", "mac"] {
            assert!(fields[field].is_string(), "{field} not in {fields}");
        }
        let listed = api.call("GET", &guests, None).await;
        assert!(listed.body.contains("\"ann\"") && !listed.body.contains(&password), "{}", listed.body);
        api.expect(StatusCode::NO_CONTENT, "DELETE", &format!("{guests}/{}", made["guest"]["id"]), None).await;
        api.expect(StatusCode::NOT_FOUND, "DELETE", &format!("{guests}/{}", made["guest"]["id"]), None).await;

        let mac = MacAddress::parse("aa:bb:cc:dd:ee:01").unwrap();
        let device = store.remember_device(id, mac, Duration::from_secs(3600)).await.unwrap();
        let devices = format!("{site}/devices");
        let listed = api.expect(StatusCode::OK, "GET", &devices, None).await;
        assert_eq!(listed[0]["mac"], "aa:bb:cc:dd:ee:01");
        let one = format!("{devices}/{}", device.id);
        let blocked = api.expect(StatusCode::OK, "POST", &format!("{one}/block"), None).await;
        assert_eq!(blocked["blocked"], true);
        assert!(store.site_devices(id).await.unwrap()[0].blocked);
        let unblocked = api.expect(StatusCode::OK, "POST", &format!("{one}/unblock"), None).await;
        assert_eq!(unblocked["blocked"], false);
        api.expect(StatusCode::NO_CONTENT, "DELETE", &one, None).await;
        api.expect(StatusCode::NOT_FOUND, "POST", &format!("{one}/block"), None).await;
        assert!(store.site_devices(id).await.unwrap().is_empty());

        let audit = audit_text(store).await;
        for action in ["vouchers.issue", "guest.create", "guest.delete", "device.block", "device.unblock", "device.delete"] {
            assert!(audit.contains(action), "{action} missing");
        }
        assert!(!audit.contains(&password) && !audit.contains("sunshine123"), "a password in the audit log");
        for code in batch["codes"].as_array().unwrap() {
            assert!(!audit.contains(code.as_str().unwrap()), "a voucher code in the audit log");
        }
    }

    async fn captive_settings_keep_their_secrets_write_only(store) {
        let (app, _) = portal(store);
        let (mut api, site) = council_api(&app, store).await;
        let captive = format!("{site}/captive");
        let defaults = api.expect(StatusCode::OK, "GET", &captive, None).await;
        assert_eq!((defaults["terms_session_secs"].as_i64(), defaults["uam_secret_set"].as_bool()), (Some(1800), Some(false)));

        let body = r#"{"terms_session_secs":3600,"remember_days":7,"uam_secret":"uam-very-secret","fas_key":"fas-very-secret",
            "unifi":{"url":"https://unifi.council.example:8443/","site":"library","username":"commons","password":"unifi-very-secret"},
            "handoff_hosts":["AP.Council.Example"]}"#;
        let saved = api.call("PUT", &captive, Some(body)).await;
        assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
        assert!(!saved.body.contains("very-secret"), "a secret in the answer: {}", saved.body);
        let saved: Value = serde_json::from_str(&saved.body).unwrap();
        assert_eq!((saved["uam_secret_set"].as_bool(), saved["fas_key_set"].as_bool()), (Some(true), Some(true)));
        assert_eq!(saved["unifi"]["password_set"], true);
        assert_eq!(saved["handoff_hosts"], serde_json::json!(["ap.council.example"]));

        let keep = r#"{"terms_session_secs":3600,"remember_days":7,"fas_key":"",
            "unifi":{"url":"https://unifi.council.example:8443/","site":"library","username":"commons"}}"#;
        api.expect(StatusCode::OK, "PUT", &captive, Some(keep)).await;
        let id = store.wifi_sites().await.unwrap()[0].id;
        let stored = store.captive_settings(id).await.unwrap();
        assert_eq!(stored.uam_secret.as_deref(), Some("uam-very-secret"), "absent keeps");
        assert_eq!(stored.fas_key, None, "empty removes");
        assert_eq!(stored.unifi.unwrap().password, "unifi-very-secret");

        let bad = r#"{"terms_session_secs":10,"remember_days":7,"unifi":{"url":"ftp://x","site":"library","username":"commons"}}"#;
        let page = api.call("PUT", &captive, Some(bad)).await;
        assert_eq!(problems(&page)["terms_session_secs"], "Enter a whole number from 60 to 604800.");
        let bad = r#"{"terms_session_secs":600,"remember_days":7,"unifi":{"url":"ftp://x","site":"library","username":"commons"}}"#;
        let page = api.call("PUT", &captive, Some(bad)).await;
        let fields = problems(&page);
        assert!(fields["unifi_url"].as_str().unwrap().starts_with("Invalid UniFi controller URL"),
                "the store's check: {fields}");

        let other = api.expect(StatusCode::CREATED, "POST", SITES, Some(r#"{"name":"Pool","signup_modes":["terms"]}"#)).await;
        let taken = r#"{"terms_session_secs":600,"remember_days":7,"unifi":{"url":"https://u.example/","site":"library","username":"c","password":"p"}}"#;
        let page = api.call("PUT", &format!("{SITES}/{}/captive", other["id"]), Some(taken)).await;
        assert_eq!(problems(&page)["unifi_site"], "Another site uses this UniFi site name.");
        api.expect(StatusCode::NOT_FOUND, "GET", &format!("{SITES}/999/captive"), None).await;

        let audit = audit_text(store).await;
        assert_eq!(audit.matches("captive.update").count(), 2, "{audit}");
        assert!(!audit.contains("very-secret"), "a secret in the audit log");
        assert!(audit.contains(r#"\"uam_secret\":\"set\""#), "{audit}");
    }

    async fn branding_is_published_as_versions_with_the_stores_checks(store) {
        let (app, _) = portal(store);
        let (mut api, site) = council_api(&app, store).await;
        let branding_path = format!("{site}/branding");
        let default = api.expect(StatusCode::OK, "GET", &branding_path, None).await;
        assert_eq!((default["version"].as_i64(), default["display_name"].as_str()), (Some(0), Some("Central Library")));

        let first = api.expect(StatusCode::CREATED, "POST", &branding_path, Some(&branding("#0b3d5c", ""))).await;
        assert_eq!((first["version"].as_i64(), first["logo_type"].as_str()), (Some(1), None));
        let faint = api.call("POST", &branding_path, Some(&branding("#eeeeee", ""))).await;
        let fields = problems(&faint);
        assert!(fields["colour_primary"].as_str().unwrap().contains("contrast of 1.16:1"), "{fields}");

        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD.encode(PNG);
        let with_logo = format!(r#","logo":{{"media_type":"image/png","base64":"{png}"}}"#);
        let second = api.expect(StatusCode::CREATED, "POST", &branding_path, Some(&branding("#0b3d5c", &with_logo))).await;
        assert_eq!((second["version"].as_i64(), second["logo_type"].as_str()), (Some(2), Some("image/png")));
        let id = store.wifi_sites().await.unwrap()[0].id;
        assert_eq!(store.branding_logo(id, 2).await.unwrap().unwrap().1, PNG);
        let kept = api.expect(StatusCode::CREATED, "POST", &branding_path, Some(&branding("#000000", ""))).await;
        assert_eq!(kept["logo_type"], "image/png", "an absent logo keeps the current one");

        let svg = format!(r#","logo":{{"media_type":"image/svg+xml","base64":"{}"}}"#,
                          base64::engine::general_purpose::STANDARD.encode("<svg/>"));
        let page = api.call("POST", &branding_path, Some(&branding("#0b3d5c", &svg))).await;
        assert!(problems(&page)["logo"].as_str().unwrap().contains("PNG, JPEG or WebP"), "{}", page.body);
        let not_base64 = r#","logo":{"media_type":"image/png","base64":"%%%"}"#;
        let page = api.call("POST", &branding_path, Some(&branding("#0b3d5c", not_base64))).await;
        assert!(problems(&page)["logo"].as_str().unwrap().contains("not base64"), "{}", page.body);
        let big = base64::engine::general_purpose::STANDARD.encode([PNG, &[0; 70_000]].concat());
        let too_big = format!(r#","logo":{{"media_type":"image/png","base64":"{big}"}}"#);
        let page = api.call("POST", &branding_path, Some(&branding("#0b3d5c", &too_big))).await;
        assert!(problems(&page)["logo"].as_str().unwrap().contains("64 KiB"), "{}", page.body);
        let removed = api.expect(StatusCode::CREATED, "POST", &branding_path, Some(&branding("#0b3d5c", r#","remove_logo":true"#))).await;
        assert_eq!(removed["logo_type"], Value::Null);

        let versions = api.expect(StatusCode::OK, "GET", &format!("{branding_path}/versions"), None).await;
        let numbers: Vec<_> = versions.as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
        assert_eq!(numbers, [4, 3, 2, 1]);
        assert_eq!(audit_text(store).await.matches("branding.publish").count(), 4);
        api.expect(StatusCode::NOT_FOUND, "POST", &format!("{SITES}/999/branding"), Some(&branding("#0b3d5c", ""))).await;
    }

    async fn someone_who_is_not_a_council_administrator_changes_nothing_through_the_api(store) {
        let (app, _) = portal(store);
        let (mut api, site) = council_api(&app, store).await;
        let nas = api.expect(StatusCode::CREATED, "POST", &format!("{site}/nas"), Some(r#"{"address":"192.0.2.1"}"#)).await;
        let batch = api.expect(StatusCode::CREATED, "POST", &format!("{site}/vouchers"), Some(r#"{"count":1}"#)).await;
        let guest = api.expect(StatusCode::CREATED, "POST", &format!("{site}/guests"), Some(r#"{"username":"ann"}"#)).await;
        let id: SiteId = store.wifi_sites().await.unwrap()[0].id;
        let mac = MacAddress::parse("aa:bb:cc:dd:ee:ff").unwrap();
        let device = store.remember_device(id, mac, Duration::from_secs(3600)).await.unwrap();
        let (_, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let owner_token = token_of(&mut owner).await;
        let before = snapshot(store).await;

        let (nas, guest, device) = (nas["nas"]["id"].clone(), guest["guest"]["id"].clone(), device.id);
        let site_body = r#"{"name":"Forged","signup_modes":["terms"]}"#;
        let routes = [
            ("GET", SITES.to_owned(), None),
            ("POST", SITES.to_owned(), Some(site_body)),
            ("GET", site.clone(), None),
            ("PUT", site.clone(), Some(site_body)),
            ("GET", format!("{site}/captive"), None),
            ("PUT", format!("{site}/captive"), Some(r#"{"terms_session_secs":600,"remember_days":1}"#)),
            ("GET", format!("{site}/branding"), None),
            ("POST", format!("{site}/branding"), Some(r##"{"display_name":"x","colour_primary":"#000000","colour_background":"#ffffff","terms":"t","privacy":"p"}"##)),
            ("GET", format!("{site}/branding/versions"), None),
            ("GET", format!("{site}/nas"), None),
            ("POST", format!("{site}/nas"), Some(r#"{"address":"192.0.2.2"}"#)),
            ("PUT", format!("{site}/nas/{nas}"), Some(r#"{"address":"192.0.2.3"}"#)),
            ("POST", format!("{site}/nas/{nas}/secret"), None),
            ("DELETE", format!("{site}/nas/{nas}"), None),
            ("GET", format!("{site}/vouchers"), None),
            ("POST", format!("{site}/vouchers"), Some(r#"{"count":5}"#)),
            ("GET", format!("{site}/vouchers/{}", batch["batch"].as_str().unwrap()), None),
            ("GET", format!("{site}/guests"), None),
            ("POST", format!("{site}/guests"), Some(r#"{"username":"mallory"}"#)),
            ("DELETE", format!("{site}/guests/{guest}"), None),
            ("GET", format!("{site}/devices"), None),
            ("POST", format!("{site}/devices/{device}/block"), None),
            ("POST", format!("{site}/devices/{device}/unblock"), None),
            ("DELETE", format!("{site}/devices/{device}"), None),
        ];
        let mut client = Browser::new(&app);
        for (method, path, body) in routes {
            let page = client.api(method, &path, &owner_token, body).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{method} {path}: {}", page.body);
            let page = client.api(method, &path, "cmns_not-a-token", body).await;
            assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{method} {path}: {}", page.body);
        }
        assert_eq!(snapshot(store).await, before);
    }

    async fn characters_no_database_text_can_hold_are_refused_not_failed(store) {
        let (app, _) = portal(store);
        let (mut api, site) = council_api(&app, store).await;
        let nul = r#"\u0000"#;
        let guest = format!(r#"{{"username":"ann","password":"sunshine{nul}123"}}"#);
        let page = api.call("POST", &format!("{site}/guests"), Some(&guest)).await;
        assert!(problems(&page)["password"].is_string(), "{}", page.body);
        for (field, unifi) in [
            ("unifi_site", format!(r#"{{"url":"https://u.example/","site":"a{nul}","username":"c","password":"p"}}"#)),
            ("unifi_username", format!(r#"{{"url":"https://u.example/","site":"a","username":"c{nul}","password":"p"}}"#)),
            ("unifi_password", format!(r#"{{"url":"https://u.example/","site":"a","username":"c","password":"p{nul}"}}"#)),
        ] {
            let body = format!(r#"{{"terms_session_secs":600,"remember_days":1,"unifi":{unifi}}}"#);
            let page = api.call("PUT", &format!("{site}/captive"), Some(&body)).await;
            assert!(problems(&page)[field].is_string(), "{field}: {}", page.body);
        }
        let body = format!(r#"{{"terms_session_secs":600,"remember_days":1,"uam_secret":"s{nul}"}}"#);
        let page = api.call("PUT", &format!("{site}/captive"), Some(&body)).await;
        assert!(problems(&page)["uam_secret"].is_string(), "{}", page.body);
        let branding = format!(
            r##"{{"display_name":"Library{nul}","colour_primary":"#000000","colour_background":"#ffffff","terms":"t{nul}","privacy":"Line one.\nLine two."}}"##
        );
        let page = api.call("POST", &format!("{site}/branding"), Some(&branding)).await;
        let fields = problems(&page);
        assert!(fields["display_name"].is_string() && fields["terms"].is_string(), "{fields}");
        assert!(fields["privacy"].is_null(), "line breaks are fine in a notice: {fields}");
        api.expect(StatusCode::NOT_FOUND, "GET", &format!("{site}/vouchers/a%00b"), None).await;
        api.expect(StatusCode::NOT_FOUND, "GET", &format!("{site}/vouchers/A_B"), None).await;
        assert!(store.branding_history(store.wifi_sites().await.unwrap()[0].id).await.unwrap().is_empty());
    }
}
