//! Every refusal: it says what to do next, shows the form again, and writes nothing it
//! should not.

use std::time::Duration;

use axum::http::StatusCode;
use commons_portal::CaptiveLimits;
use commons_store::{LogoChange, NewVouchers, Store};

use super::guest::{Guest, Page, SITE, brand, landing, portal, site, wait_past};

/// Everything a captive form could write.
async fn snapshot(store: &Store) -> String {
    let site = store.site_named("central-library").await.unwrap();
    let guests = store.site_guests(site.id).await.unwrap();
    let devices = store.site_devices(site.id).await.unwrap();
    let emails = store.recent_emails(100).await.unwrap();
    let failures = store
        .count_rate_events("captive-voucher-ip:192.0.2.10", 3600)
        .await
        .unwrap();
    format!("{guests:?}\n{devices:?}\n{}\n{failures}", emails.len())
}

#[track_caller]
fn assert_refused(page: &Page, status: StatusCode, text: &str) {
    page.assert_status(status);
    page.assert_contains("There is a problem")
        .assert_contains(text);
    assert!(
        page.body.contains("<form method=\"post\""),
        "the form again"
    );
    assert!(page.body.contains("<title>Error: "), "{}", page.body);
}

/// A MikroTik landing query for a device with MAC address `mac`.
fn mikrotik(mac: &str) -> String {
    format!("link-login-only=http%3A%2F%2F10.5.50.1%2Flogin&mac={mac}&ip=10.5.50.23")
}

async fn accept(guest: &mut Guest, page: &Page) -> Page {
    guest
        .submit(page, &format!("{SITE}/terms"), &[("accept", "yes")])
        .await
}

commons_store::store_tests! {
    async fn a_forged_or_cookieless_form_gets_403_and_nothing_is_written(store) {
        site(store, "terms,email,voucher").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let before = snapshot(store).await;

        let forms: [(&str, &[(&str, &str)]); 4] = [
            ("terms", &[("accept", "yes")]),
            ("email", &[("accept", "yes"), ("email", "a@b.example")]),
            ("email/verify", &[("accept", "yes"), ("email", "a@b.example"), ("code", "123456")]),
            ("voucher", &[("accept", "yes"), ("code", "WRONGCODE1")]),
        ];
        for (action, typed) in forms {
            let path = format!("{SITE}/{action}");
            let (_, mut fields) = page.form(&format!("{SITE}/terms"));
            fields.retain(|(name, _)| name != "csrf");
            fields.push(("csrf".into(), "0".repeat(48)));
            fields.extend(typed.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
            let forged = guest.post(&path, &fields).await;
            assert_refused(&forged, StatusCode::FORBIDDEN, "Nothing was saved");

            let mut cookieless = Guest::new(&app, "192.0.2.10");
            let (_, mut fields) = page.form(&format!("{SITE}/terms"));
            fields.extend(typed.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())));
            let refused = cookieless.post(&path, &fields).await;
            assert_refused(&refused, StatusCode::FORBIDDEN, "allow cookies");
            assert!(refused.header("set-cookie").is_some(), "a cookie to try again with");
        }
        let unrouted = guest.post(&format!("{SITE}/elsewhere"), &[]).await;
        assert_refused(&unrouted, StatusCode::FORBIDDEN, "Nothing was saved");
        assert_eq!(snapshot(store).await, before);

        let retried = accept(&mut guest, &page).await;
        retried.assert_status(StatusCode::OK).assert_contains("id=\"username\"");
    }

    async fn a_form_over_64_kib_gets_413_and_nothing_is_written(store) {
        site(store, "terms,email").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let before = snapshot(store).await;
        let padding = "x".repeat(70_000);
        let large = guest.submit(&page, &format!("{SITE}/terms"), &[("accept", "yes"), ("padding", &padding)]).await;
        assert_refused(&large, StatusCode::PAYLOAD_TOO_LARGE, "too large");
        assert!(!large.body.contains("allow cookies"), "not taken for a forgery");
        assert_eq!(snapshot(store).await, before);
        let retried = accept(&mut guest, &page).await;
        retried.assert_status(StatusCode::OK).assert_contains("id=\"username\"");
    }

    async fn too_many_forms_from_a_device_or_an_address_get_429(store) {
        site(store, "terms").await;
        let limits = CaptiveLimits { signups_per_mac: 2, signups_per_ip: 3, ..CaptiveLimits::default() };
        let app = portal(store, limits);
        let mut guest = Guest::new(&app, "10.5.50.23");
        let page = guest.get(&landing(&mikrotik("F4:5C:89:9B:17:67"))).await;
        for _ in 0..2 {
            accept(&mut guest, &page).await.assert_status(StatusCode::OK);
        }
        let limited = accept(&mut guest, &page).await;
        assert_refused(&limited, StatusCode::TOO_MANY_REQUESTS, "This device has sent too many");
        limited.assert_contains("Wait ");

        let other = guest.get(&landing(&mikrotik("F4:5C:89:9B:17:68"))).await;
        accept(&mut guest, &other).await.assert_status(StatusCode::OK);
        let third = guest.get(&landing(&mikrotik("F4:5C:89:9B:17:69"))).await;
        let limited = accept(&mut guest, &third).await;
        assert_refused(&limited, StatusCode::TOO_MANY_REQUESTS, "your network address");

        let mut elsewhere = Guest::new(&app, "10.5.50.24");
        let page = elsewhere.get(&landing(&mikrotik("F4:5C:89:9B:17:70"))).await;
        accept(&mut elsewhere, &page).await.assert_status(StatusCode::OK);
    }

    async fn an_address_gets_three_codes_per_quarter_hour(store) {
        site(store, "email").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let typed = [("email", "ann@example.org"), ("accept", "yes")];
        for _ in 0..3 {
            let sent = guest.submit(&page, &format!("{SITE}/email"), &typed).await;
            sent.assert_status(StatusCode::OK);
        }
        let limited = guest.submit(&page, &format!("{SITE}/email"), &typed).await;
        assert_refused(&limited, StatusCode::TOO_MANY_REQUESTS, "Use the newest code");
        limited.assert_contains("href=\"#email\"").assert_contains("value=\"ann@example.org\"");
        assert_eq!(store.recent_emails(10).await.unwrap().len(), 3);
    }

    async fn an_email_field_takes_one_plain_address(store) {
        site(store, "email").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.11");
        let page = guest.get(SITE).await;
        for (email, says) in [
            ("a@b.org,c@d.org", "without commas"),
            ("a@b.org>x", "angle brackets"),
            ("a@[127.0.0.1]", "brackets"),
            ("a@127.0.0.1", "not an IP address"),
            ("a\0b@c.example", "control characters"),
        ] {
            let typed = [("email", email), ("accept", "yes")];
            let refused = guest.submit(&page, &format!("{SITE}/email"), &typed).await;
            assert_refused(&refused, StatusCode::UNPROCESSABLE_ENTITY, says);
            assert!(!refused.body.contains('\0'), "no NUL on the page");
        }
        assert!(store.recent_emails(10).await.unwrap().is_empty());
        let typed = [("email", "josé@bücherei.example"), ("accept", "yes")];
        let sent = guest.submit(&page, &format!("{SITE}/email"), &typed).await;
        sent.assert_status(StatusCode::OK);
        assert_eq!(store.recent_emails(10).await.unwrap()[0].to_addr, "josé@bücherei.example");
    }

    async fn a_code_allows_five_attempts_then_a_new_one_is_needed(store) {
        site(store, "email").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let typed = [("email", "ann@example.org"), ("accept", "yes")];
        let code_page = guest.submit(&page, &format!("{SITE}/email"), &typed).await;
        let email = &store.recent_emails(1).await.unwrap()[0];
        let code: String = email.body.chars().filter(char::is_ascii_digit).take(6).collect();
        let wrong = if code == "000000" { "111111" } else { "000000" };

        let verify = format!("{SITE}/email/verify");
        let malformed = guest.submit(&code_page, &verify, &[("code", "12a")]).await;
        assert_refused(&malformed, StatusCode::UNPROCESSABLE_ENTITY, "6-digit code");
        for left in (1..=4).rev() {
            let refused = guest.submit(&code_page, &verify, &[("code", wrong)]).await;
            assert_refused(&refused, StatusCode::UNPROCESSABLE_ENTITY, &format!("try {left} more"));
            refused.assert_contains("href=\"#code\"").assert_contains("aria-invalid=\"true\"");
        }
        let last = guest.submit(&code_page, &verify, &[("code", wrong)]).await;
        assert_refused(&last, StatusCode::UNPROCESSABLE_ENTITY, "Ask for a new code");
        let right_too_late = guest.submit(&code_page, &verify, &[("code", &code)]).await;
        assert_refused(&right_too_late, StatusCode::TOO_MANY_REQUESTS, "tried too many times");
        let site = store.site_named("central-library").await.unwrap();
        assert!(store.site_guests(site.id).await.unwrap().is_empty());
    }

    async fn an_expired_code_says_to_ask_for_a_new_one(store) {
        let site = site(store, "email").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let typed = [("email", "ann@example.org"), ("accept", "yes")];
        let code_page = guest.submit(&page, &format!("{SITE}/email"), &typed).await;
        let code = store
            .create_email_code(site.id, "ann@example.org", None, Duration::from_secs(1))
            .await
            .unwrap();
        wait_past(1).await;
        let verify = format!("{SITE}/email/verify");
        let expired = guest.submit(&code_page, &verify, &[("code", &code)]).await;
        assert_refused(&expired, StatusCode::UNPROCESSABLE_ENTITY, "has expired");
        expired.assert_contains("Send a new code");
    }

    async fn voucher_guessing_is_locked_out_after_five_wrong_codes(store) {
        let site = site(store, "voucher").await;
        let batch = NewVouchers { count: 1, max_uses: 1, duration: None, data_limit_bytes: None, valid_for: None };
        let voucher = store.issue_vouchers(site.id, &batch).await.unwrap().remove(0);
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let action = format!("{SITE}/voucher");

        let empty = guest.submit(&page, &action, &[("code", " "), ("accept", "yes")]).await;
        assert_refused(&empty, StatusCode::UNPROCESSABLE_ENTITY, "Enter the code");
        for left in (1..=4).rev() {
            let wrong = guest.submit(&page, &action, &[("code", "NOPE-1234"), ("accept", "yes")]).await;
            assert_refused(&wrong, StatusCode::UNPROCESSABLE_ENTITY, &format!("try {left} more"));
            wrong.assert_contains("href=\"#voucher-code\"").assert_contains("value=\"NOPE-1234\"");
        }
        let fifth = guest.submit(&page, &action, &[("code", "NOPE-1234"), ("accept", "yes")]).await;
        assert_refused(&fifth, StatusCode::UNPROCESSABLE_ENTITY, "Wait 15 minutes");
        let right = [("code", voucher.code.as_str()), ("accept", "yes")];
        let locked = guest.submit(&page, &action, &right).await;
        assert_refused(&locked, StatusCode::TOO_MANY_REQUESTS, "Wait 15 minutes");

        let mut neighbour = Guest::new(&app, "192.0.2.11");
        let page = neighbour.get(SITE).await;
        let done = neighbour.submit(&page, &action, &right).await;
        done.assert_status(StatusCode::OK).assert_contains("id=\"username\"");
    }

    async fn a_spent_voucher_is_refused_with_the_reason(store) {
        let site = site(store, "voucher").await;
        let batch = NewVouchers { count: 1, max_uses: 1, duration: None, data_limit_bytes: None, valid_for: None };
        let voucher = store.issue_vouchers(site.id, &batch).await.unwrap().remove(0);
        store.redeem_voucher(voucher.id, None).await.unwrap();
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let right = [("code", voucher.code.as_str()), ("accept", "yes")];
        let spent = guest.submit(&page, &format!("{SITE}/voucher"), &right).await;
        assert_refused(&spent, StatusCode::UNPROCESSABLE_ENTITY, "as many devices as it allows");
    }

    async fn unaccepted_or_changed_terms_and_unoffered_ways_are_refused(store) {
        let site = site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "192.0.2.10");
        let page = guest.get(SITE).await;
        let before = snapshot(store).await;

        let unticked = guest.submit(&page, &format!("{SITE}/terms"), &[]).await;
        assert_refused(&unticked, StatusCode::UNPROCESSABLE_ENTITY, "Tick the box");
        unticked.assert_contains("href=\"#terms-accept\"");
        unticked.assert_contains("aria-describedby=\"terms-accept-error\"");

        let (_, fields) = page.form(&format!("{SITE}/terms"));
        let mut voucher = fields.clone();
        voucher.extend([("accept".into(), "yes".into()), ("code".into(), "X".into())]);
        let unoffered = guest.post(&format!("{SITE}/voucher"), &voucher).await;
        assert_refused(&unoffered, StatusCode::NOT_FOUND, "does not offer that way");

        brand(store, &site, "New terms.", LogoChange::Keep).await;
        wait_past(5).await;
        let stale = guest.submit(&page, &format!("{SITE}/terms"), &[("accept", "yes")]).await;
        assert_refused(&stale, StatusCode::CONFLICT, "terms of use changed");
        assert_eq!(snapshot(store).await, before);
        accept_again(&mut guest, &stale).await;
    }

    async fn unusable_access_point_parameters_say_to_reconnect(store) {
        site(store, "terms").await;
        let app = portal(store, CaptiveLimits::default());
        let mut guest = Guest::new(&app, "10.1.0.23");
        let query = "res=notyet&uamip=10.1.0.1&uamport=3990&challenge=00&mac=3C-22-FB-8E-51-07";
        let page = guest.get(&landing(query)).await;
        assert_refused(&page, StatusCode::BAD_REQUEST, "connect again");
        assert!(!page.body.contains("name=\"ap."), "nothing of it is carried");
        let forged_md = "res=notyet&uamip=10.1.0.1&uamport=3990&challenge=6f9c3b2a8d4e1f7065a1b2c3d4e5f607&mac=3C-22-FB-8E-51-07&md=00";
        let page = guest.get(&landing(forged_md)).await;
        assert_refused(&page, StatusCode::BAD_REQUEST, "checksum");
        let unsigned = forged_md.trim_end_matches("&md=00");
        let page = guest.get(&landing(unsigned)).await;
        assert_refused(&page, StatusCode::BAD_REQUEST, "uamserver settings must match");
    }
}

/// Accepts the terms shown on a refused page, which carries the current version.
async fn accept_again(guest: &mut Guest, page: &Page) {
    let done = accept(guest, page).await;
    done.assert_status(StatusCode::OK)
        .assert_contains("id=\"username\"");
}
