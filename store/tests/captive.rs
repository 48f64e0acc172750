//! The captive portal's branding, settings, sign-ups and email codes in the store, each
//! test on fresh SQLite and PostgreSQL databases.

mod support;

use std::time::Duration;

use commons_store::{
    CaptiveSettings, CodeCheck, Error, LogoChange, SignUp, SignUpMode, SiteId, UnifiController,
};
use support::{branding, email_sign_up, library, mac, png, signed_up};

#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Error>, what: &str, reason: &str) {
    match result {
        Err(Error::Invalid {
            what: got,
            reason: why,
        }) => {
            assert_eq!(got, what);
            assert!(why.contains(reason), "{why}");
        }
        other => panic!("expected invalid {what}, got {other:?}"),
    }
}

fn unifi(site: &str) -> UnifiController {
    UnifiController {
        url: "https://unifi.council.example:8443".into(),
        site: site.into(),
        username: "commons".into(),
        password: "controller-password".into(),
    }
}

commons_store::store_tests! {
    async fn branding_starts_at_the_default_and_each_edit_is_a_new_version(store) {
        let site = library(store).await;
        let default = store.current_branding(site.id).await.unwrap();
        assert_eq!((default.version, default.display_name.as_str()), (0, "Central Library"));
        assert!(default.privacy.contains("30 days"), "{}", default.privacy);
        assert!(store.branding_history(site.id).await.unwrap().is_empty());

        let first = store.publish_branding(site.id, &branding("Library Wi-Fi"), None).await.unwrap();
        assert_eq!((first.version, first.colour_primary.as_str()), (1, "#0b3d5c"));
        let second = store.publish_branding(site.id, &branding("Free Wi-Fi"), None).await.unwrap();
        assert_eq!(second.version, 2);
        assert_eq!(store.current_branding(site.id).await.unwrap(), second);
        let versions: Vec<i64> =
            store.branding_history(site.id).await.unwrap().iter().map(|b| b.version).collect();
        assert_eq!(versions, [2, 1]);

        let other = store.create_site("Park Cafe").await.unwrap();
        assert_eq!(store.publish_branding(other.id, &branding("Cafe"), None).await.unwrap().version, 1);
        let missing = store.current_branding(SiteId(9999)).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
        let missing = store.publish_branding(SiteId(9999), &branding("X"), None).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
    }

    async fn branding_refuses_bad_colours_poor_contrast_and_bad_logos(store) {
        let site = library(store).await;
        let publish = |update| async move { store.publish_branding(site.id, &update, None).await };
        let mut update = branding("Library");
        update.colour_primary = "#12345".into();
        assert_invalid(publish(update).await, "primary colour", "#0b3d5c");
        let mut update = branding("Library");
        update.colour_background = "white".into();
        assert_invalid(publish(update).await, "background colour", "six hex digits");
        let mut update = branding("Library");
        update.colour_primary = "#777777".into();
        assert_invalid(publish(update).await, "colours", "a contrast of 4.47:1, and people need at least 4.5:1");

        let mut update = branding("Library");
        update.logo = LogoChange::Replace { mime: "image/svg+xml".into(), bytes: b"<svg/>".to_vec() };
        assert_invalid(publish(update).await, "logo", "PNG, JPEG or WebP");
        let mut update = branding("Library");
        update.logo = LogoChange::Replace { mime: "image/png".into(), bytes: b"\xff\xd8\xff\xe0".to_vec() };
        assert_invalid(publish(update).await, "logo", "not a image/png image");
        let mut update = branding("Library");
        update.logo = png(64 * 1024 + 1);
        assert_invalid(publish(update).await, "logo", "at most 64 KiB");

        let mut update = branding("Library");
        update.terms = "  ".into();
        assert_invalid(publish(update).await, "terms", "empty");
        let mut update = branding("Library");
        update.privacy = "x".repeat(20_001);
        assert_invalid(publish(update).await, "privacy notice", "20000 at most");
        assert!(store.branding_history(site.id).await.unwrap().is_empty(), "refusals store nothing");

        let mut update = branding("Library");
        update.logo = png(64 * 1024);
        update.terms = "é".repeat(20_000);
        assert_eq!(publish(update).await.unwrap().version, 1, "the limits themselves pass");
    }

    async fn logos_are_kept_removed_or_replaced_by_version(store) {
        let site = library(store).await;
        let mut update = branding("Library");
        update.logo = png(100);
        let first = store.publish_branding(site.id, &update, None).await.unwrap();
        assert_eq!(first.logo_mime.as_deref(), Some("image/png"));

        let kept = store.publish_branding(site.id, &branding("Library"), None).await.unwrap();
        assert_eq!(kept.logo_mime.as_deref(), Some("image/png"));
        let (mime, bytes) = store.branding_logo(site.id, kept.version).await.unwrap().unwrap();
        assert_eq!((mime.as_str(), bytes.len()), ("image/png", 100));

        let mut update = branding("Library");
        update.logo = LogoChange::Remove;
        let removed = store.publish_branding(site.id, &update, None).await.unwrap();
        assert_eq!(removed.logo_mime, None);
        assert_eq!(store.branding_logo(site.id, removed.version).await.unwrap(), None);
        let kept_none = store.publish_branding(site.id, &branding("Library"), None).await.unwrap();
        assert_eq!(kept_none.logo_mime, None);
        assert!(store.branding_logo(site.id, first.version).await.unwrap().is_some(), "old versions keep theirs");
        assert_eq!(store.branding_logo(site.id, 99).await.unwrap(), None);
    }

    async fn captive_settings_round_trip_with_blank_secrets_as_none(store) {
        let site = library(store).await;
        let defaults = store.captive_settings(site.id).await.unwrap();
        assert_eq!((defaults.terms_session_secs, defaults.remember_days), (1800, 30));
        assert_eq!((defaults.uam_secret.clone(), defaults.unifi.clone()), (None, None));
        assert!(defaults.handoff_hosts.is_empty());

        let settings = CaptiveSettings {
            terms_session_secs: 900,
            remember_days: 0,
            uam_secret: Some("uam-secret-value".into()),
            fas_key: Some("  ".into()),
            unifi: Some(unifi("default")),
            handoff_hosts: vec!["AP.Council.Example".into(), " ".into(), "192.0.2.1".into()],
        };
        store.set_captive_settings(site.id, &settings).await.unwrap();
        let stored = store.captive_settings(site.id).await.unwrap();
        assert_eq!(stored.terms_session_secs, 900);
        assert_eq!(stored.remember_days, 0);
        assert_eq!(stored.uam_secret.as_deref(), Some("uam-secret-value"));
        assert_eq!(stored.fas_key, None);
        assert_eq!(stored.handoff_hosts, ["ap.council.example", "192.0.2.1"]);
        let controller = stored.unifi.clone().unwrap();
        assert_eq!(controller.url, "https://unifi.council.example:8443/");
        let shown = format!("{stored:?}");
        assert!(!shown.contains("uam-secret-value") && !shown.contains("controller-password"), "{shown}");

        assert_eq!(store.site_for_unifi("default").await.unwrap().id, site.id);
        assert!(matches!(store.site_for_unifi("other").await, Err(Error::NotFound { .. })));
        let cafe = store.create_site("Park Cafe").await.unwrap();
        let clash = store.set_captive_settings(cafe.id, &settings).await;
        assert!(matches!(clash, Err(Error::AlreadyExists { .. })), "{clash:?}");
    }

    async fn captive_settings_refuse_bad_values(store) {
        let site = library(store).await;
        let mut settings = store.captive_settings(site.id).await.unwrap();
        settings.terms_session_secs = 0;
        assert_invalid(store.set_captive_settings(site.id, &settings).await, "terms session", "one second");
        settings.terms_session_secs = 60;
        settings.remember_days = -1;
        assert_invalid(store.set_captive_settings(site.id, &settings).await, "remember days", "0");
        settings.remember_days = 7;
        settings.handoff_hosts = vec!["*.example.org".into()];
        assert_invalid(store.set_captive_settings(site.id, &settings).await, "hand-off host", "not a host name");
        settings.handoff_hosts = vec![];
        settings.unifi = Some(UnifiController { url: "ftp://unifi".into(), ..unifi("default") });
        assert_invalid(store.set_captive_settings(site.id, &settings).await, "UniFi controller URL", "https");
        settings.unifi = Some(UnifiController { password: String::new(), ..unifi("default") });
        assert_invalid(store.set_captive_settings(site.id, &settings).await, "UniFi account", "empty");
        settings.unifi = None;
        let missing = store.set_captive_settings(SiteId(9999), &settings).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
        assert_eq!(store.captive_settings(site.id).await.unwrap().remember_days, 30);
    }

    async fn sign_up_issues_a_credential_records_consent_and_remembers_the_device(store) {
        let site = library(store).await;
        let version = store.publish_branding(site.id, &branding("Library"), None).await.unwrap().version;
        let phone = mac("AA-BB-CC-DD-EE-01");
        let mut sign_up = email_sign_up(&site, " Ann@Example.org ", phone);
        sign_up.branding_version = version;
        let credential = store.captive_sign_up(&sign_up).await.unwrap();
        assert!(credential.expires_at > commons_store::now() + 1700);

        let guest = store.guest(site.id, &credential.username).await.unwrap().unwrap();
        assert_eq!((guest.password(), guest.device()), (credential.password.as_str(), Some(phone)));
        let device = store.remembered_device(site.id, phone).await.unwrap().unwrap();
        assert!(device.expires_at > commons_store::now() + 29 * 86_400);

        let export = store.export_guest("ann@example.org").await.unwrap();
        assert_eq!(export.guest_accounts.len(), 1);
        assert_eq!(export.consents.len(), 1);
        let consent = &export.consents[0];
        assert_eq!((consent.mode.as_str(), consent.branding_version), ("email", version));
        assert!(consent.remember_device);
        assert_eq!(consent.mac.as_deref(), Some("aa:bb:cc:dd:ee:01"));
        assert_eq!(export.devices.len(), 1);
    }

    async fn a_voucher_sign_up_records_consent_and_the_device_but_issues_no_credential(store) {
        let site = library(store).await;
        let phone = mac("aa:bb:cc:dd:ee:03");
        let sign_up = SignUp {
            mode: SignUpMode::Voucher,
            access_for: Duration::ZERO,
            ..email_sign_up(&site, "cy@example.org", phone)
        };
        store.record_voucher_sign_up(&sign_up).await.unwrap();
        assert!(store.site_guests(site.id).await.unwrap().is_empty());
        assert!(store.remembered_device(site.id, phone).await.unwrap().is_some());
        let export = store.export_guest("cy@example.org").await.unwrap();
        assert_eq!((export.consents.len(), export.consents[0].mode.as_str()), (1, "voucher"));
    }

    async fn no_device_is_remembered_without_consent(store) {
        let site = library(store).await;
        let phone = mac("aa:bb:cc:dd:ee:02");
        let sign_up = SignUp {
            mode: SignUpMode::Terms,
            remember_for: None,
            ..email_sign_up(&site, "bob@example.org", phone)
        };
        store.captive_sign_up(&sign_up).await.unwrap();
        assert_eq!(store.device(site.id, phone).await.unwrap(), None);
        let export = store.export_guest("bob@example.org").await.unwrap();
        assert_eq!((export.consents.len(), export.consents[0].remember_device), (1, false));
        assert_eq!(export.consents[0].mode, "terms");

        // Without a known device there is nothing to remember, whatever was asked.
        let unknown = SignUp { device: None, ..email_sign_up(&site, "cy@example.org", phone) };
        let credential = store.captive_sign_up(&unknown).await.unwrap();
        let guest = store.guest(site.id, &credential.username).await.unwrap().unwrap();
        assert_eq!(guest.device(), None);
        assert!(!store.export_guest("cy@example.org").await.unwrap().consents[0].remember_device);
        assert_eq!(store.device(site.id, phone).await.unwrap(), None);
    }

    async fn a_refused_sign_up_stores_nothing(store) {
        let site = library(store).await;
        let phone = mac("aa:bb:cc:dd:ee:03");
        let unpublished = SignUp { branding_version: 3, ..email_sign_up(&site, "ann@example.org", phone) };
        assert_invalid(store.captive_sign_up(&unpublished).await, "branding version", "reload");
        let no_email = SignUp { email: None, ..email_sign_up(&site, "ann@example.org", phone) };
        assert_invalid(store.captive_sign_up(&no_email).await, "sign-up", "email address");
        let no_time = SignUp { access_for: Duration::ZERO, ..email_sign_up(&site, "ann@example.org", phone) };
        assert_invalid(store.captive_sign_up(&no_time).await, "access time", "one second");
        let nowhere = SignUp { site: SiteId(9999), ..email_sign_up(&site, "ann@example.org", phone) };
        assert!(matches!(store.captive_sign_up(&nowhere).await, Err(Error::NotFound { .. })));
        assert!(store.site_guests(site.id).await.unwrap().is_empty());
        assert_eq!(store.device(site.id, phone).await.unwrap(), None);
    }

    async fn remembered_devices_exclude_blocked_and_expired_ones(store) {
        let site = library(store).await;
        let phone = mac("aa:bb:cc:dd:ee:04");
        signed_up(store, &site, "ann@example.org", phone).await;
        assert!(store.remembered_device(site.id, phone).await.unwrap().is_some());
        store.set_device_blocked(site.id, phone, true).await.unwrap();
        assert_eq!(store.remembered_device(site.id, phone).await.unwrap(), None);
        signed_up(store, &site, "ann@example.org", phone).await;
        assert!(store.device(site.id, phone).await.unwrap().unwrap().blocked, "a sign-up keeps a block");

        let laptop = mac("aa:bb:cc:dd:ee:05");
        store.remember_device(site.id, laptop, Duration::ZERO).await.unwrap();
        assert_eq!(store.remembered_device(site.id, laptop).await.unwrap(), None);
        let other = store.create_site("Park Cafe").await.unwrap();
        signed_up(store, &other, "ann@example.org", laptop).await;
        assert_eq!(store.remembered_device(site.id, laptop).await.unwrap(), None, "per site");
        assert!(store.remembered_device(other.id, laptop).await.unwrap().is_some());
    }

    async fn email_codes_are_six_digits_and_work_once(store) {
        let site = library(store).await;
        let ttl = Duration::from_secs(600);
        let code = store.create_email_code(site.id, "Ann@Example.org", None, ttl).await.unwrap();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(store.check_email_code(site.id, " ann@example.ORG", &spaced).await.unwrap(), CodeCheck::Accepted);
        assert_eq!(store.check_email_code(site.id, "ann@example.org", &code).await.unwrap(), CodeCheck::NoCode);
        assert_eq!(store.check_email_code(site.id, "bob@example.org", &code).await.unwrap(), CodeCheck::NoCode);

        let code = store.create_email_code(site.id, "ann@example.org", Some(mac("aa:bb:cc:dd:ee:06")), ttl).await.unwrap();
        let other = store.create_site("Park Cafe").await.unwrap();
        assert_eq!(store.check_email_code(other.id, "ann@example.org", &code).await.unwrap(), CodeCheck::NoCode);
        assert_invalid(store.create_email_code(site.id, "ann", None, ttl).await, "email address", "name@example.org");
    }

    async fn five_wrong_codes_lock_the_code(store) {
        let site = library(store).await;
        let email = "ann@example.org";
        let code = store.create_email_code(site.id, email, None, Duration::from_secs(600)).await.unwrap();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for left in (0..5).rev() {
            let check = store.check_email_code(site.id, email, wrong).await.unwrap();
            assert_eq!(check, CodeCheck::Wrong { attempts_left: left });
        }
        assert_eq!(store.check_email_code(site.id, email, &code).await.unwrap(), CodeCheck::TooManyAttempts);
        let export = store.export_guest(email).await.unwrap();
        assert_eq!((export.email_codes[0].attempts, export.email_codes[0].used_at), (5, None));
    }

    async fn email_codes_expire_and_a_new_code_replaces_the_old(store) {
        let site = library(store).await;
        let email = "ann@example.org";
        let stale = store.create_email_code(site.id, email, None, Duration::ZERO).await.unwrap();
        assert_eq!(store.check_email_code(site.id, email, &stale).await.unwrap(), CodeCheck::Expired);

        let old = store.create_email_code(site.id, email, None, Duration::from_secs(600)).await.unwrap();
        let mut new = store.create_email_code(site.id, email, None, Duration::from_secs(600)).await.unwrap();
        while new == old {
            new = store.create_email_code(site.id, email, None, Duration::from_secs(600)).await.unwrap();
        }
        assert_eq!(store.check_email_code(site.id, email, &old).await.unwrap(), CodeCheck::Wrong { attempts_left: 4 });
        assert_eq!(store.check_email_code(site.id, email, &new).await.unwrap(), CodeCheck::Accepted);
        let export = store.export_guest(email).await.unwrap();
        assert_eq!(export.email_codes.len(), 1, "replaced codes are gone: {export:?}");
    }

    async fn concurrent_guesses_never_exceed_the_attempt_limit(store) {
        let site = library(store).await;
        let email = "ann@example.org";
        let code = store.create_email_code(site.id, email, None, Duration::from_secs(600)).await.unwrap();
        let wrong = if code == "999999" { "999998" } else { "999999" };
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let guessing = store.clone();
            tasks.spawn(async move { guessing.check_email_code(site.id, email, wrong).await });
        }
        let mut results = Vec::new();
        while let Some(done) = tasks.join_next().await {
            results.push(done.unwrap().unwrap());
        }
        let wrong_answers = results.iter().filter(|r| matches!(r, CodeCheck::Wrong { .. })).count();
        let locked = results.iter().filter(|r| **r == CodeCheck::TooManyAttempts).count();
        assert_eq!((wrong_answers, locked), (5, 7), "{results:?}");
    }
}
