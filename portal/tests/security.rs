//! Forged forms, password guessing, expired links and cookie attributes, in process, on
//! SQLite and PostgreSQL.

mod support;

use std::time::Duration;

use axum::http::StatusCode;
use commons_store::{TokenPurpose, TokenSubject};
use support::{Browser, PASSWORD, encode, portal, sign_in, signed_up};

commons_store::store_tests! {
    async fn a_form_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(store) {
        let (app, _) = portal(store);
        let mut visitor = Browser::new(&app);
        visitor.get("/sign-up").await;
        let fields = [
            ("org_name", "Forged"), ("kind", "voluntary"), ("your_name", "Eve"),
            ("email", "eve@example.org"), ("password", PASSWORD), ("confirm", PASSWORD),
        ];
        visitor.post_raw("/sign-up", &encode(&fields)).await.assert_status(StatusCode::FORBIDDEN);
        let mut wrong = vec![("csrf", "0123456789abcdef0123456789abcdef0123456789abcdef")];
        wrong.extend_from_slice(&fields);
        visitor.post_raw("/sign-up", &encode(&wrong)).await.assert_status(StatusCode::FORBIDDEN);
        assert!(store.organisations(None).await.unwrap().is_empty());
        assert!(store.user_by_email("eve@example.org").await.unwrap().is_none());

        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        owner.post_raw(&format!("/orgs/{org}/leave"), "").await.assert_status(StatusCode::FORBIDDEN);
        let body = encode(&[("email", "x@example.org"), ("role", "member")]);
        owner.post_raw(&format!("/orgs/{org}/invitations"), &body).await
            .assert_status(StatusCode::FORBIDDEN);
        assert_eq!(store.members(org).await.unwrap().len(), 1);
        assert!(store.pending_invitations(org).await.unwrap().is_empty());
    }

    async fn another_sessions_csrf_token_does_not_work(store) {
        let (app, _) = portal(store);
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut attacker = Browser::new(&app);
        let their_token = attacker.get("/sign-in").await.csrf().unwrap();
        let body = encode(&[("csrf", &their_token), ("email", "x@example.org"), ("role", "member")]);
        owner.post_raw(&format!("/orgs/{org}/invitations"), &body).await
            .assert_status(StatusCode::FORBIDDEN);
        assert!(store.pending_invitations(org).await.unwrap().is_empty());
    }

    async fn many_wrong_passwords_from_one_client_lock_its_sign_ins(store) {
        let (app, _) = portal(store);
        signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut guesser = Browser::new(&app);
        guesser.get("/sign-in").await;
        // One wrong guess each for twenty addresses: no address reaches its own limit.
        for n in 0..20 {
            let email = format!("someone{n}@example.org");
            guesser.post("/sign-in", &[("email", email.as_str()), ("password", "wrong guess!!")])
                .await
                .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        }
        guesser.post("/sign-in", &[("email", "ann@example.org"), ("password", PASSWORD)])
            .await
            .assert_status(StatusCode::TOO_MANY_REQUESTS)
            .assert_contains("Too many wrong passwords from your network");
        guesser.get("/orgs").await.assert_redirect_to("/sign-in");
    }

    async fn five_wrong_passwords_lock_sign_in_for_that_address(store) {
        let (app, _) = portal(store);
        signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut guesser = Browser::new(&app);
        guesser.get("/sign-in").await;
        for _ in 0..5 {
            guesser.post("/sign-in", &[("email", "ann@example.org"), ("password", "wrong guess!!")])
                .await
                .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
                .assert_contains("email address or password is wrong");
        }
        guesser.post("/sign-in", &[("email", "ann@example.org"), ("password", PASSWORD)])
            .await
            .assert_status(StatusCode::TOO_MANY_REQUESTS)
            .assert_contains("Too many wrong passwords");
        guesser.get("/orgs").await.assert_redirect_to("/sign-in");
        let mut other = Browser::new(&app);
        other.get("/sign-in").await;
        other.post("/sign-in", &[("email", "nobody@example.org"), ("password", PASSWORD)])
            .await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    }

    async fn an_expired_reset_link_is_refused_and_the_password_stays(store) {
        let (app, _) = portal(store);
        signed_up(&app, store, "Allotments", "ann@example.org").await;
        let user = store.user_by_email("ann@example.org").await.unwrap().unwrap();
        let subject = TokenSubject { user_id: Some(user.id), ..TokenSubject::default() };
        let expired = store
            .issue_token(TokenPurpose::PasswordReset, subject, Duration::ZERO)
            .await
            .unwrap();
        let link = format!("/password-reset/{}", expired.reveal());
        let mut visitor = Browser::new(&app);
        visitor.get(&link).await.assert_status(StatusCode::NOT_FOUND).assert_contains("no longer works");
        // A valid token for this session, from a page that has a form.
        visitor.get("/sign-in").await;
        let new = "a brand new password";
        visitor.post(&link, &[("password", new), ("confirm", new)]).await
            .assert_status(StatusCode::NOT_FOUND);
        sign_in(&mut Browser::new(&app), "ann@example.org").await;
    }

    async fn a_reset_link_sets_a_new_password_once_and_ends_other_sessions(store) {
        let (app, _) = portal(store);
        let (org, mut old_session) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut visitor = Browser::new(&app);
        visitor.get("/password-reset").await;
        visitor.post("/password-reset", &[("email", "ann@example.org")]).await
            .assert_status(StatusCode::OK)
            .assert_contains("works for one hour");
        let link = support::emailed_link(store, "ann@example.org").await;
        assert!(link.starts_with("/password-reset/"), "{link}");
        visitor.get(&link).await.assert_status(StatusCode::OK);
        let new = "a brand new password";
        visitor.post(&link, &[("password", new), ("confirm", new)]).await
            .assert_status(StatusCode::OK)
            .assert_contains("Password changed");
        visitor.get(&link).await.assert_status(StatusCode::NOT_FOUND);
        old_session.get(&format!("/orgs/{org}")).await.assert_redirect_to("/sign-in");
        let mut fresh = Browser::new(&app);
        fresh.get("/sign-in").await;
        fresh.post("/sign-in", &[("email", "ann@example.org"), ("password", new)]).await
            .assert_redirect_to("/orgs");
    }

    async fn reset_requests_are_limited_per_address_and_unknown_addresses_look_the_same(store) {
        let (app, _) = portal(store);
        let mut visitor = Browser::new(&app);
        visitor.get("/password-reset").await;
        for _ in 0..3 {
            visitor.post("/password-reset", &[("email", "ghost@example.org")]).await
                .assert_status(StatusCode::OK)
                .assert_contains("If ghost@example.org has an account");
        }
        visitor.post("/password-reset", &[("email", "ghost@example.org")]).await
            .assert_status(StatusCode::TOO_MANY_REQUESTS);
        assert!(store.recent_emails(10).await.unwrap().is_empty());
    }

    async fn session_cookies_are_http_only_and_lax_and_change_at_sign_in(store) {
        let (app, _) = portal(store);
        signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut visitor = Browser::new(&app);
        let page = visitor.get("/sign-in").await;
        let before = page.set_cookie[0].clone();
        assert!(before.contains("; HttpOnly; SameSite=Lax"), "{before}");
        assert!(!before.contains("Secure"), "plain-HTTP portal: {before}");
        let page = visitor.post("/sign-in", &[("email", "ann@example.org"), ("password", PASSWORD)]).await;
        let after = page.set_cookie[0].clone();
        assert_ne!(before.split(';').next(), after.split(';').next(), "key rotated at sign-in");
    }

    async fn every_page_forbids_framing_scripts_and_outside_referrers(store) {
        let (app, _) = portal(store);
        let mut visitor = Browser::new(&app);
        for path in ["/", "/sign-in", "/no-such-page", "/api/v1/openapi.json"] {
            let page = visitor.get(path).await;
            let policy = page.header("content-security-policy").unwrap_or_default();
            assert!(policy.contains("default-src 'none'"), "{path}: {policy}");
            assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
            assert_eq!(page.header("x-frame-options").as_deref(), Some("DENY"), "{path}");
            assert_eq!(page.header("referrer-policy").as_deref(), Some("same-origin"), "{path}");
            assert_eq!(page.header("strict-transport-security"), None, "plain HTTP: {path}");
        }
    }

    async fn over_https_the_session_cookie_is_secure_and_host_only_and_hsts_is_sent(store) {
        let hosting = std::sync::Arc::new(commons_portal::hosting::MemoryHosting::new());
        let app = support::portal_at(store, hosting, "https://commons.council.example/");
        let page = Browser::new(&app).get("/sign-in").await;
        let cookie = &page.set_cookie[0];
        assert!(cookie.starts_with("__Host-commons_session="), "{cookie}");
        assert!(cookie.contains("; Path=/;") && cookie.ends_with("; HttpOnly; SameSite=Lax; Secure"), "{cookie}");
        assert!(page.header("strict-transport-security").is_some());
    }

    async fn confirmation_emails_can_be_asked_for_again_three_times_an_hour(store) {
        let (app, _) = portal(store);
        let mut owner = Browser::new(&app);
        owner.get("/sign-up").await;
        owner.post("/sign-up", &[
            ("org_name", "Choir"), ("kind", "voluntary"), ("your_name", "Cat"),
            ("email", "cat@example.org"), ("password", PASSWORD), ("confirm", PASSWORD),
        ]).await.assert_status(StatusCode::SEE_OTHER);
        let org = store.organisations(None).await.unwrap()[0].id;
        owner.get(&format!("/orgs/{org}")).await;
        for _ in 0..3 {
            owner.post(&format!("/orgs/{org}/verify-email"), &[]).await
                .assert_status(StatusCode::SEE_OTHER);
        }
        owner.post(&format!("/orgs/{org}/verify-email"), &[]).await
            .assert_status(StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(store.recent_emails(10).await.unwrap().len(), 4, "sign-up's and three more");
    }

    async fn sign_out_ends_the_session(store) {
        let (app, _) = portal(store);
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        owner.post("/sign-out", &[]).await.assert_redirect_to("/");
        owner.get(&format!("/orgs/{org}")).await.assert_redirect_to("/sign-in");
    }

    async fn a_member_may_not_manage_and_a_non_admin_may_not_see_council_pages(store) {
        let (app, _) = portal(store);
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        owner.get("/admin/orgs").await.assert_status(StatusCode::FORBIDDEN);
        owner.get(&format!("/orgs/{org}/members")).await;
        owner.post(&format!("/orgs/{org}/invitations"), &[("email", "bob@example.org"), ("role", "member")])
            .await.assert_status(StatusCode::SEE_OTHER);
        let link = support::emailed_link(store, "bob@example.org").await;
        let mut bob = Browser::new(&app);
        bob.get(&link).await;
        bob.post(&link, &[("your_name", "Bob"), ("password", PASSWORD), ("confirm", PASSWORD)])
            .await.assert_status(StatusCode::SEE_OTHER);
        bob.get(&format!("/orgs/{org}/members")).await.assert_status(StatusCode::OK);
        bob.post(&format!("/orgs/{org}/invitations"), &[("email", "eve@example.org"), ("role", "owner")])
            .await.assert_status(StatusCode::FORBIDDEN);
        assert!(store.pending_invitations(org).await.unwrap().is_empty());
    }
}
