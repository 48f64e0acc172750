//! Whole journeys through the pages, in process, on SQLite and PostgreSQL.

mod support;

use axum::http::StatusCode;
use commons_portal::hosting::HostingCall;
use commons_store::{MemberRole, OrgStatus};
use support::{Browser, PASSWORD, approve, council_admin, emailed_link, portal, signed_up};

commons_store::store_tests! {
    async fn a_group_signs_up_is_approved_installs_an_app_and_invites_a_member(store) {
        let (app, hosting) = portal(store);
        let (org, mut owner) = signed_up(&app, store, "Friends of the Park", "ann@example.org").await;
        owner.get(&format!("/orgs/{org}/apps")).await
            .assert_contains("once the council has approved");

        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, org).await;
        assert_eq!(store.organisation(org).await.unwrap().status, OrgStatus::Approved);
        let calls = hosting.calls();
        let HostingCall::EnsureTenant { spec } = &calls[0] else { panic!("{calls:?}") };
        assert_eq!((spec.name.as_str(), spec.quota.apps), ("friends-of-the-park", 3));
        assert_eq!(spec.admins, ["ann@example.org"]);

        owner.get(&format!("/orgs/{org}/apps")).await.assert_status(StatusCode::OK);
        owner.post(&format!("/orgs/{org}/apps"), &[("application", "nextcloud"), ("name", "files")])
            .await
            .assert_redirect_to(&format!("/orgs/{org}/apps/files"));
        owner.get(&format!("/orgs/{org}/apps/files")).await
            .assert_contains("Running")
            .assert_contains("files-friends-of-the-park.apps.commons.invalid");
        assert!(matches!(
            hosting.calls().last(),
            Some(HostingCall::InstallApp { tenant, spec })
                if tenant == "friends-of-the-park" && spec.application == "nextcloud"
        ));

        owner.get(&format!("/orgs/{org}/members")).await;
        owner.post(&format!("/orgs/{org}/invitations"), &[("email", "bob@example.org"), ("role", "member")])
            .await
            .assert_redirect_to(&format!("/orgs/{org}/members"));
        let link = emailed_link(store, "bob@example.org").await;
        let mut bob = Browser::new(&app);
        bob.get(&link).await.assert_contains("Create your account to join");
        bob.post(&link, &[("your_name", "Bob"), ("password", PASSWORD), ("confirm", PASSWORD)])
            .await
            .assert_redirect_to(&format!("/orgs/{org}"));
        bob.get(&format!("/orgs/{org}")).await.assert_contains("Friends of the Park");
        let bob_id = store.user_by_email("bob@example.org").await.unwrap().unwrap().id;
        assert_eq!(store.membership(org, bob_id).await.unwrap(), Some(MemberRole::Member));

        let audit = store.recent_audit(50).await.unwrap();
        let actions: Vec<_> = audit.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"organisation.approve"), "{actions:?}");
        let approval = audit.iter().find(|e| e.action == "organisation.approve").unwrap();
        assert_eq!(approval.actor, "admin@council.example");
        assert!(approval.before_json.as_deref().unwrap().contains("\"status\":\"pending\""));
        assert!(approval.after_json.as_deref().unwrap().contains("\"status\":\"approved\""));
    }

    async fn removing_an_app_asks_for_its_name_and_says_what_happens_to_the_data(store) {
        let (app, hosting) = portal(store);
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, org).await;
        owner.get(&format!("/orgs/{org}/apps")).await;
        owner.post(&format!("/orgs/{org}/apps"), &[("application", "wordpress"), ("name", "")])
            .await
            .assert_redirect_to(&format!("/orgs/{org}/apps/wordpress"));

        let confirm = format!("/orgs/{org}/apps/wordpress/remove");
        owner.get(&confirm).await.assert_contains("uploaded images and its database are deleted");
        owner.post(&confirm, &[("confirm", "wrong")]).await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("Type wordpress to confirm");
        assert_eq!(hosting.calls().len(), 2, "nothing removed yet");
        owner.post(&confirm, &[("confirm", "wordpress")]).await
            .assert_redirect_to(&format!("/orgs/{org}/apps"));
        assert!(matches!(hosting.calls().last(), Some(HostingCall::RemoveApp { .. })));
    }

    async fn suspending_an_organisation_suspends_its_tenant_and_resuming_restores_it(store) {
        let (app, hosting) = portal(store);
        let (org, _) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, org).await;
        let decide = format!("/admin/orgs/{org}/decide");
        admin.post(&decide, &[("decision", "suspend"), ("reason", "")]).await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("Give the reason");
        admin.post(&decide, &[("decision", "suspend"), ("reason", "Unpaid")]).await
            .assert_status(StatusCode::SEE_OTHER);
        assert_eq!(store.organisation(org).await.unwrap().status_reason.as_deref(), Some("Unpaid"));
        admin.post(&decide, &[("decision", "resume")]).await.assert_status(StatusCode::SEE_OTHER);
        let suspensions: Vec<_> = hosting
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                HostingCall::SetTenantSuspended { suspended, .. } => Some(suspended),
                _ => None,
            })
            .collect();
        assert_eq!(suspensions, [true, false]);
    }

    async fn an_unconfirmed_owner_is_not_approved_and_a_rejection_needs_a_reason(store) {
        let (app, hosting) = portal(store);
        let mut owner = Browser::new(&app);
        owner.get("/sign-up").await;
        owner.post("/sign-up", &[
            ("org_name", "Choir"), ("kind", "charity"), ("charity_number", "1234567"),
            ("your_name", "Cat"), ("email", "cat@example.org"),
            ("password", PASSWORD), ("confirm", PASSWORD),
        ]).await.assert_status(StatusCode::SEE_OTHER);
        let org = store.organisations(None).await.unwrap()[0].id;
        let mut admin = council_admin(&app, store).await;
        admin.get(&format!("/admin/orgs/{org}")).await;
        let decide = format!("/admin/orgs/{org}/decide");
        admin.post(&decide, &[("decision", "approve")]).await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("confirmed their email");
        admin.post(&decide, &[("decision", "reject"), ("reason", "Not local")]).await
            .assert_status(StatusCode::SEE_OTHER);
        let org = store.organisation(org).await.unwrap();
        assert_eq!((org.status, org.status_reason.as_deref()), (OrgStatus::Rejected, Some("Not local")));
        assert!(hosting.calls().is_empty());
    }

    async fn without_a_cluster_pages_say_hosting_is_not_connected_and_approval_still_works(store) {
        let hosting = std::sync::Arc::new(commons_portal::hosting::NotConnected::new());
        let app = support::portal_with(store, hosting);
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, org).await;
        admin.get(&format!("/admin/orgs/{org}")).await
            .assert_contains("Hosting is not connected, so no tenant was changed");
        owner.get(&format!("/orgs/{org}")).await.assert_contains("Hosting is not connected");
        owner.get(&format!("/orgs/{org}/apps")).await
            .assert_contains("Hosting is not connected")
            .assert_contains("File sharing (Nextcloud)");
    }

    async fn the_last_owner_cannot_leave_but_can_after_promoting_someone(store) {
        let (app, _) = portal(store);
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        owner.get(&format!("/orgs/{org}")).await;
        owner.post(&format!("/orgs/{org}/leave"), &[]).await.assert_status(StatusCode::CONFLICT);
        let (_, second) = store.register_organisation(
            &commons_store::NewOrganisation {
                slug: "other".into(), name: "Other".into(),
                kind: commons_store::OrgKind::Voluntary, charity_number: None,
            },
            &commons_store::NewOwner {
                email: "dan@example.org".into(), display_name: "Dan".into(), password_hash: "x".into(),
            },
        ).await.unwrap();
        owner.get(&format!("/orgs/{org}/members")).await;
        owner.post(&format!("/orgs/{org}/invitations"), &[("email", "dan@example.org"), ("role", "member")])
            .await.assert_status(StatusCode::SEE_OTHER);
        let dan = store.user(second).await.unwrap();
        let link = emailed_link(store, "dan@example.org").await;
        let token = commons_store::TokenSecret::from_link(link.trim_start_matches("/invitations/"));
        store.accept_invitation(&token, &dan).await.unwrap();
        owner.get(&format!("/orgs/{org}/members")).await;
        owner.post(&format!("/orgs/{org}/members/{second}/role"), &[("role", "owner")]).await
            .assert_status(StatusCode::SEE_OTHER);
        owner.post(&format!("/orgs/{org}/leave"), &[]).await.assert_redirect_to("/orgs");
        assert_eq!(store.members(org).await.unwrap().len(), 1);
    }

    async fn changing_a_plan_gives_its_tenants_the_new_quota_and_is_audited(store) {
        let (app, hosting) = portal(store);
        let (org, _) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, org).await;
        admin.get("/admin/plans/1").await;
        let fields = [
            ("slug", "community"), ("name", "Community (free)"), ("price_pence", "0"),
            ("cpu_millis", "2000"), ("memory_mib", "4096"), ("storage_gib", "20"),
            ("max_pods", "20"), ("max_apps", "5"),
        ];
        admin.post("/admin/plans/1/edit", &[("max_apps", "lots")]).await
            .assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("Enter a whole number");
        admin.post("/admin/plans/1/edit", &fields).await.assert_redirect_to("/admin/plans/1");
        admin.get("/admin/plans/1").await.assert_contains("Tenants given the new quota: 1.");
        let quotas: Vec<i64> = hosting
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                HostingCall::EnsureTenant { spec } => Some(spec.quota.apps),
                _ => None,
            })
            .collect();
        assert_eq!(quotas, [3, 5]);
        let entry = &store.recent_audit(1).await.unwrap()[0];
        assert_eq!(entry.action, "plan.update");
        assert!(entry.before_json.as_deref().unwrap().contains("\"max_apps\":3"));
        assert!(entry.after_json.as_deref().unwrap().contains("\"max_apps\":5"));
    }

    async fn a_bad_sign_up_lists_its_problems_in_form_order_and_beside_each_field(store) {
        let (app, _) = portal(store);
        let mut visitor = Browser::new(&app);
        visitor.get("/sign-up").await;
        let page = visitor.post("/sign-up", &[("email", "not-an-address")]).await;
        page.assert_status(StatusCode::UNPROCESSABLE_ENTITY)
            .assert_contains("value=\"not-an-address\"")
            .assert_contains("id=\"email-error\"")
            .assert_contains("aria-describedby=\"email-hint email-error\"");
        let summary = &page.body[page.body.find("There is a problem").unwrap()..];
        let at = |text: &str| summary.find(text).unwrap_or_else(|| panic!("{text} missing"));
        assert!(at("organisation&#x27;s name") < at("what sort of organisation"));
        assert!(at("what sort of organisation") < at("Enter your name"));
        assert!(at("Enter your name") < at("Enter an email address"));
        assert!(at("Enter an email address") < at("at least 12 characters"));
        assert!(store.organisations(None).await.unwrap().is_empty());
    }
}
