//! A guest's data in the store: the session the captive page shows them, the copy and
//! erasure of what is held about them, and its purge after the site's retention. Each
//! test runs on fresh SQLite and PostgreSQL databases.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

mod support;

use std::{net::IpAddr, time::Duration};

use commons_store::{
    AccountingStatus, AuthResult, ErasedGuest, GuestExport, NewAuthLogEntry, NewEmail, NewVouchers,
    SignUp, SignUpMode, Store, WifiSite,
};
use support::{days, email_sign_up, library, mac, nas, session_start, signed_up};

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn log_entry(site: &WifiSite, username: &str, mac: Option<&str>) -> NewAuthLogEntry {
    NewAuthLogEntry {
        at: commons_store::now(),
        nas_id: None,
        site_id: Some(site.id),
        username: username.into(),
        mac: mac.map(str::to_owned),
        result: AuthResult::Accept,
        reason: "guest".into(),
    }
}

/// The guest id behind a credential, for writing the Class the RADIUS server would.
async fn guest_id(store: &Store, site: &WifiSite, username: &str) -> i64 {
    store.guest(site.id, username).await.unwrap().unwrap().id
}

/// Gives `email` at `site` a full trail: sign-up with a remembered device, a code, a
/// guest log entry and session, and a device log entry and session.
async fn trail(store: &Store, site: &WifiSite, email: &str, device: &str, ip: &str) {
    let client = match store.site_nas_clients(site.id).await.unwrap().pop() {
        Some(client) => client,
        None => nas(store, site).await,
    };
    let credential = signed_up(store, site, email, mac(device)).await;
    store
        .create_email_code(site.id, email, Some(mac(device)), days(1))
        .await
        .unwrap();
    let id = guest_id(store, site, &credential.username).await;
    let remembered = store.device(site.id, mac(device)).await.unwrap().unwrap();
    store
        .record_auth(&[
            log_entry(site, &credential.username, None),
            log_entry(site, device, Some(device)),
        ])
        .await
        .unwrap();
    let class = format!("commons:site={}:guest={id}", site.id);
    let start = session_start(
        &client,
        &format!("{email}-1"),
        &credential.username,
        ip,
        Some(class),
        0,
    );
    store.record_accounting(&start).await.unwrap();
    let class = format!("commons:site={}:device={}", site.id, remembered.id);
    let start = session_start(&client, &format!("{email}-2"), "AA-BB", ip, Some(class), 0);
    store.record_accounting(&start).await.unwrap();
}

/// An export with its time of making blanked, for comparing two exports.
fn timeless(mut export: GuestExport) -> GuestExport {
    export.exported_at = 0;
    export
}

commons_store::store_tests! {
    async fn a_guest_session_is_found_by_its_address(store) {
        let site = library(store).await;
        let client = nas(store, &site).await;
        let credential = signed_up(store, &site, "ann@example.org", mac("aa:bb:cc:dd:ee:01")).await;
        let class = format!("commons:site={}:guest={}", site.id, guest_id(store, &site, &credential.username).await);
        let start = session_start(&client, "s-1", &credential.username, "10.0.0.9", Some(class), 60);
        store.record_accounting(&start).await.unwrap();

        let session = store.active_session_by_ip(site.id, ip("10.0.0.9")).await.unwrap().unwrap();
        assert_eq!(session.started_at, start.at);
        let left = session.seconds_remaining.unwrap();
        assert!((1790..=1800).contains(&left), "the credential's 30 minutes come first: {left}");
        assert_eq!(session.bytes_remaining, None);
        let mapped = store.active_session_by_ip(site.id, ip("::ffff:10.0.0.9")).await.unwrap();
        assert_eq!(mapped, Some(session));
        assert_eq!(store.active_session_by_ip(site.id, ip("10.0.0.10")).await.unwrap(), None);
        let other = store.create_site("Park Cafe").await.unwrap();
        assert_eq!(store.active_session_by_ip(other.id, ip("10.0.0.9")).await.unwrap(), None);

        let stop = commons_store::AccountingRecord { status: AccountingStatus::Stop, ..start };
        store.record_accounting(&stop).await.unwrap();
        assert_eq!(store.active_session_by_ip(site.id, ip("10.0.0.9")).await.unwrap(), None);
    }

    async fn a_voucher_session_shows_data_left_and_the_site_timeout_caps_time(store) {
        let site = library(store).await;
        let client = nas(store, &site).await;
        let batch = NewVouchers { count: 1, max_uses: 1, duration: Some(days(1)), data_limit_bytes: Some(5_000), valid_for: None };
        let voucher = store.issue_vouchers(site.id, &batch).await.unwrap().remove(0);
        store.redeem_voucher(voucher.id, None).await.unwrap();
        store.add_voucher_usage(voucher.id, 1_200).await.unwrap();
        let class = format!("commons:site={}:voucher={}", site.id, voucher.id);
        let start = session_start(&client, "v-1", &voucher.code, "10.0.0.7", Some(class), 600);
        store.record_accounting(&start).await.unwrap();
        let session = store.active_session_by_ip(site.id, ip("10.0.0.7")).await.unwrap().unwrap();
        assert_eq!(session.bytes_remaining, Some(3_800));
        let left = session.seconds_remaining.unwrap();
        assert!((2990..=3000).contains(&left), "the site's hour, less ten minutes: {left}");

        // A session older than the site allows was ended without a Stop reaching us.
        let stale = session_start(&client, "old", "someone", "10.0.0.8", None, 7_200);
        store.record_accounting(&stale).await.unwrap();
        assert_eq!(store.active_session_by_ip(site.id, ip("10.0.0.8")).await.unwrap(), None);
        // Without our Class the user name still finds the guest account.
        let credential = signed_up(store, &site, "bob@example.org", mac("aa:bb:cc:dd:ee:02")).await;
        let bare = session_start(&client, "bare", &credential.username, "10.0.0.6", None, 0);
        store.record_accounting(&bare).await.unwrap();
        let left = store.active_session_by_ip(site.id, ip("10.0.0.6")).await.unwrap().unwrap().seconds_remaining;
        assert!(left.is_some_and(|left| left <= 1800), "{left:?}");
    }

    async fn export_holds_every_kind_of_data_without_secrets(store) {
        let site = library(store).await;
        trail(store, &site, "ann@example.org", "aa:bb:cc:dd:ee:01", "10.0.0.1").await;
        let export = store.export_guest("ANN@example.org").await.unwrap();
        assert_eq!(export.email, "ann@example.org");
        let counts = [
            export.guest_accounts.len(),
            export.consents.len(),
            export.devices.len(),
            export.email_codes.len(),
            export.auth_log.len(),
            export.accounting_sessions.len(),
        ];
        assert_eq!(counts, [1, 1, 1, 1, 2, 2], "{export:#?}");
        assert_eq!(export.guest_accounts[0].site, "Central Library");
        let json = serde_json::to_string(&export).unwrap();
        let username = &export.guest_accounts[0].username;
        let password = store.guest(site.id, username).await.unwrap().unwrap().password().to_owned();
        assert!(!json.contains(&password), "no password in {json}");
        assert!(!json.contains("digest"), "no code digest in {json}");
        assert_eq!(store.export_guest("nobody@example.org").await.unwrap().guest_accounts.len(), 0);
    }

    async fn erasing_a_guest_leaves_other_people_alone(store) {
        let site = library(store).await;
        let cafe = store.create_site("Park Cafe").await.unwrap();
        trail(store, &site, "ann@example.org", "aa:bb:cc:dd:ee:01", "10.0.0.1").await;
        trail(store, &cafe, "ann@example.org", "aa:bb:cc:dd:ee:01", "10.0.0.1").await;
        trail(store, &site, "bob@example.org", "aa:bb:cc:dd:ee:02", "10.0.0.2").await;
        let anonymous = SignUp { mode: SignUpMode::Terms, email: None, ..email_sign_up(&site, "", mac("aa:bb:cc:dd:ee:03")) };
        store.captive_sign_up(&anonymous).await.unwrap();
        let bob_before = timeless(store.export_guest("bob@example.org").await.unwrap());

        let erased = store.erase_guest("ann@example.org").await.unwrap();
        let expected = ErasedGuest {
            guest_accounts: 2,
            consents: 2,
            devices: 2,
            email_codes: 2,
            auth_log: 4,
            accounting_sessions: 4,
            emails: 0,
        };
        assert_eq!(erased, expected);
        assert_eq!(erased.total(), 16);
        let ann = timeless(store.export_guest("ann@example.org").await.unwrap());
        assert_eq!(ann, GuestExport { email: "ann@example.org".into(), ..GuestExport::default() });
        assert_eq!(timeless(store.export_guest("bob@example.org").await.unwrap()), bob_before);
        assert_eq!(store.site_guests(site.id).await.unwrap().len(), 2, "Bob's and the anonymous sign-up");
        assert!(store.device(site.id, mac("aa:bb:cc:dd:ee:03")).await.unwrap().is_some());
        assert_eq!(store.recent_auth_log(100).await.unwrap().len(), 2);
        assert_eq!(store.erase_guest("ann@example.org").await.unwrap(), ErasedGuest::default());
    }

    async fn erasure_can_be_audited_in_the_same_transaction(store) {
        let site = library(store).await;
        trail(store, &site, "ann@example.org", "aa:bb:cc:dd:ee:01", "10.0.0.1").await;
        let erased = store
            .erase_guest_audited("ann@example.org", |erased| commons_store::NewAuditEntry {
                actor_user_id: None,
                actor: "cli".into(),
                action: "guest.erase".into(),
                object_type: "guest".into(),
                object_id: "ann@example.org".into(),
                org_id: None,
                before: None,
                after: Some(serde_json::to_value(erased).unwrap()),
            })
            .await
            .unwrap();
        let audit = store.recent_audit(1).await.unwrap().remove(0);
        assert_eq!(audit.action, "guest.erase");
        let after: serde_json::Value = serde_json::from_str(&audit.after_json.unwrap()).unwrap();
        assert_eq!(after, serde_json::to_value(erased).unwrap());
        assert_eq!(after["auth_log"], 2);
        assert!(store.erase_guest(" ").await.is_err(), "an empty address is refused");
    }

    async fn erasure_keeps_a_block_but_not_the_link_to_the_person(store) {
        let site = library(store).await;
        let phone = mac("aa:bb:cc:dd:ee:01");
        trail(store, &site, "ann@example.org", "aa:bb:cc:dd:ee:01", "10.0.0.1").await;
        store.set_device_blocked(site.id, phone, true).await.unwrap();
        let erased = store.erase_guest("ann@example.org").await.unwrap();
        assert_eq!((erased.devices, erased.auth_log), (0, 2));
        assert!(store.device(site.id, phone).await.unwrap().unwrap().blocked);
        let left = store.export_guest("ann@example.org").await.unwrap();
        assert!(left.devices.is_empty(), "{left:?}");
    }

    async fn captive_data_is_purged_after_the_sites_retention(store) {
        let site = library(store).await;
        store.set_site_retention(site.id, 1).await.unwrap();
        let keep = store.create_site("Park Cafe").await.unwrap();
        let short = SignUp { access_for: Duration::from_secs(3600), remember_for: Some(days(1)), ..email_sign_up(&site, "ann@example.org", mac("aa:bb:cc:dd:ee:01")) };
        store.captive_sign_up(&short).await.unwrap();
        store.create_email_code(site.id, "ann@example.org", None, Duration::from_secs(600)).await.unwrap();
        store.add_guest(site.id, "staff", "long-lived-password", None, None).await.unwrap();
        let blocked = mac("aa:bb:cc:dd:ee:02");
        store.remember_device(site.id, blocked, Duration::ZERO).await.unwrap();
        store.set_device_blocked(site.id, blocked, true).await.unwrap();
        signed_up(store, &keep, "bob@example.org", mac("aa:bb:cc:dd:ee:03")).await;

        let now = commons_store::now();
        assert_eq!(store.purge_auth_log(now).await.unwrap(), 0, "nothing is old yet");
        // Three days on: Ann's consent and code are older than a day, her credential
        // (an hour) and device (a day) expired over a day ago. Bob's site keeps 30 days.
        assert_eq!(store.purge_auth_log(now + 3 * 86_400).await.unwrap(), 4);
        let export = store.export_guest("ann@example.org").await.unwrap();
        assert_eq!(timeless(export), GuestExport { email: "ann@example.org".into(), ..GuestExport::default() });
        assert!(store.guest(site.id, "staff").await.unwrap().is_some(), "no expiry, kept");
        assert!(store.device(site.id, blocked).await.unwrap().is_some(), "a block is kept");
        assert_eq!(store.export_guest("bob@example.org").await.unwrap().consents.len(), 1);
        assert_eq!(store.purge_auth_log(now + 3 * 86_400).await.unwrap(), 0, "idempotent");
    }

    async fn emails_to_the_guest_are_exported_erased_and_purged(store) {
        let code = |to: &str| NewEmail { to: to.into(), subject: "Your Wi-Fi code".into(), body: "Your Wi-Fi code: 157976".into() };
        store.enqueue_email(&code("Ann@Example.org")).await.unwrap();
        store.enqueue_email(&code("bob@example.org")).await.unwrap();
        let export = store.export_guest("ann@example.org").await.unwrap();
        assert_eq!(export.emails.len(), 1, "{export:#?}");
        assert_eq!(export.emails[0].to_addr, "Ann@Example.org");
        assert!(export.emails[0].body.contains("157976"));

        let erased = store.erase_guest("ANN@example.org").await.unwrap();
        assert_eq!(erased, ErasedGuest { emails: 1, ..ErasedGuest::default() });
        let left = store.recent_emails(10).await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].to_addr, "bob@example.org");

        let now = commons_store::now();
        assert_eq!(store.purge_auth_log(now + 29 * 86_400).await.unwrap(), 0, "kept 30 days");
        assert_eq!(store.purge_auth_log(now + 31 * 86_400).await.unwrap(), 1);
        assert!(store.recent_emails(10).await.unwrap().is_empty());
    }
}
