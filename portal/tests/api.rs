//! The JSON API: tokens, what the pages do, isolation between organisations, and the
//! OpenAPI document, in process on SQLite and PostgreSQL.

mod support;

use std::{sync::Arc, time::Duration};

use axum::http::StatusCode;
use commons_portal::hosting::MemoryHosting;
use commons_store::{OrgId, Store};
use support::{Browser, approve, council_admin, portal, portal_with, signed_up, token_of};

#[track_caller]
fn assert_json_status(page: &support::Page, status: StatusCode) {
    assert_eq!(page.status, status, "body: {}", page.body);
}

async fn member_count(store: &Store, org: OrgId) -> usize {
    store.members(org).await.expect("members").len()
}

commons_store::store_tests! {
    async fn requests_without_a_valid_token_get_401(store) {
        let (app, _) = portal(store);
        let mut client = Browser::new(&app);
        let page = client.api("GET", "/api/v1/orgs", "cmns_not-a-token", None).await;
        assert_json_status(&page, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("\"error\""), "{}", page.body);
        let (_, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let token = token_of(&mut owner).await;
        let page = client.api("GET", "/api/v1/me", &token, None).await;
        assert_json_status(&page, StatusCode::OK);
        assert!(page.body.contains("\"email\":\"ann@example.org\""), "{}", page.body);
        let id = store.api_tokens_of(store.user_by_email("ann@example.org").await.unwrap().unwrap().id)
            .await.unwrap()[0].id;
        owner.get("/account/tokens").await;
        owner.post(&format!("/account/tokens/{id}/revoke"), &[]).await.assert_status(StatusCode::SEE_OTHER);
        assert_json_status(&client.api("GET", "/api/v1/me", &token, None).await, StatusCode::UNAUTHORIZED);
    }

    async fn the_api_does_what_the_pages_do(store) {
        let (app, hosting) = portal(store);
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut admin = council_admin(&app, store).await;
        let owner_token = token_of(&mut owner).await;
        let admin_token = token_of(&mut admin).await;
        let mut client = Browser::new(&app);

        let page = client.api("GET", "/api/v1/admin/orgs?status=pending", &owner_token, None).await;
        assert_json_status(&page, StatusCode::FORBIDDEN);
        let decision = r#"{"decision":"approve","plan_id":1}"#;
        let page = client.api("POST", &format!("/api/v1/admin/orgs/{org}/decision"), &admin_token, Some(decision)).await;
        assert_json_status(&page, StatusCode::OK);
        assert!(page.body.contains("\"status\":\"approved\""), "{}", page.body);

        let install = r#"{"application":"discourse","name":"forum"}"#;
        let page = client.api("POST", &format!("/api/v1/orgs/{org}/apps"), &owner_token, Some(install)).await;
        assert_json_status(&page, StatusCode::CREATED);
        assert!(page.body.contains("\"phase\":\"Running\""), "{}", page.body);
        let page = client.api("POST", &format!("/api/v1/orgs/{org}/apps/forum/suspend"), &owner_token, None).await;
        assert_json_status(&page, StatusCode::NO_CONTENT);
        let page = client.api("DELETE", &format!("/api/v1/orgs/{org}/apps/forum"), &owner_token, None).await;
        assert_json_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        let page = client.api("DELETE", &format!("/api/v1/orgs/{org}/apps/forum?confirm=forum"), &owner_token, None).await;
        assert_json_status(&page, StatusCode::NO_CONTENT);
        assert_eq!(hosting.calls().len(), 4, "{:?}", hosting.calls());

        let invite = r#"{"email":"bob@example.org","role":"admin"}"#;
        let page = client.api("POST", &format!("/api/v1/orgs/{org}/invitations"), &owner_token, Some(invite)).await;
        assert_json_status(&page, StatusCode::ACCEPTED);
        let page = client.api("GET", &format!("/api/v1/orgs/{org}/invitations"), &owner_token, None).await;
        assert!(page.body.contains("bob@example.org"), "{}", page.body);
        let revoke = format!("/api/v1/orgs/{org}/invitations?email=bob%40example.org");
        assert_json_status(&client.api("DELETE", &revoke, &owner_token, None).await, StatusCode::NO_CONTENT);
        assert_json_status(&client.api("DELETE", &revoke, &owner_token, None).await, StatusCode::NOT_FOUND);
        assert!(store.pending_invitations(org).await.unwrap().is_empty());

        let owner_id = store.user_by_email("ann@example.org").await.unwrap().unwrap().id;
        let page = client.api("DELETE", &format!("/api/v1/orgs/{org}/members/{owner_id}"), &owner_token, None).await;
        assert_json_status(&page, StatusCode::CONFLICT);
        assert_eq!(member_count(store, org).await, 1);

        let new_org = r#"{"name":"Second Group","kind":"charity","charity_number":"7654321"}"#;
        let page = client.api("POST", "/api/v1/orgs", &owner_token, Some(new_org)).await;
        assert_json_status(&page, StatusCode::CREATED);
        let page = client.api("POST", "/api/v1/orgs", &owner_token, Some(r#"{"name":"","kind":"council"}"#)).await;
        assert_json_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
        let page = client.api("GET", "/api/v1/admin/audit?limit=-5", &admin_token, None).await;
        assert_json_status(&page, StatusCode::OK);
        let newest: Vec<serde_json::Value> = serde_json::from_str(&page.body).unwrap();
        assert_eq!(newest.len(), 1, "a limit below 1 means 1");
        let page = client.api("GET", "/api/v1/admin/audit", &admin_token, None).await;
        assert!(page.body.contains("organisation.approve"), "{}", page.body);
        let page = client.api("GET", "/api/v1/admin/reports", &admin_token, None).await;
        assert_json_status(&page, StatusCode::OK);
        assert!(page.body.contains("\"active_tenants\":1"), "{}", page.body);
        let page = client.api("GET", "/api/v1/admin/reports", &owner_token, None).await;
        assert_json_status(&page, StatusCode::FORBIDDEN);
    }

    async fn an_api_caller_gets_404_for_every_route_of_another_organisation(store) {
        let (app, hosting) = portal(store);
        let (a, mut ann) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let (b, mut bob) = signed_up(&app, store, "Book Club", "bob@example.org").await;
        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, a).await;
        approve(&mut admin, b).await;
        let ann_token = token_of(&mut ann).await;
        let bob_token = token_of(&mut bob).await;
        let mut client = Browser::new(&app);
        let install = r#"{"application":"wordpress","name":"books"}"#;
        let page = client.api("POST", &format!("/api/v1/orgs/{b}/apps"), &bob_token, Some(install)).await;
        assert_json_status(&page, StatusCode::CREATED);
        let carol = r#"{"email":"carol@example.org","role":"member"}"#;
        let page = client.api("POST", &format!("/api/v1/orgs/{b}/invitations"), &bob_token, Some(carol)).await;
        assert_json_status(&page, StatusCode::ACCEPTED);
        let bob_id = store.user_by_email("bob@example.org").await.unwrap().unwrap().id;
        let before = (
            store.organisation(b).await.unwrap(),
            store.members(b).await.unwrap(),
            store.pending_invitations(b).await.unwrap(),
        );
        let calls = hosting.calls().len();

        let routes = [
            ("GET", format!("/api/v1/orgs/{b}"), None),
            ("GET", format!("/api/v1/orgs/{b}/members"), None),
            ("PUT", format!("/api/v1/orgs/{b}/members/{bob_id}"), Some(r#"{"role":"member"}"#)),
            ("DELETE", format!("/api/v1/orgs/{b}/members/{bob_id}"), None),
            ("GET", format!("/api/v1/orgs/{b}/invitations"), None),
            ("POST", format!("/api/v1/orgs/{b}/invitations"), Some(r#"{"email":"x@example.org","role":"owner"}"#)),
            ("DELETE", format!("/api/v1/orgs/{b}/invitations?email=carol%40example.org"), None),
            ("GET", format!("/api/v1/orgs/{b}/apps"), None),
            ("POST", format!("/api/v1/orgs/{b}/apps"), Some(r#"{"application":"nextcloud"}"#)),
            ("GET", format!("/api/v1/orgs/{b}/apps/books"), None),
            ("POST", format!("/api/v1/orgs/{b}/apps/books/suspend"), None),
            ("POST", format!("/api/v1/orgs/{b}/apps/books/resume"), None),
            ("DELETE", format!("/api/v1/orgs/{b}/apps/books?confirm=books"), None),
            ("GET", format!("/api/v1/orgs/{a}/apps/books"), None),
            ("DELETE", format!("/api/v1/orgs/{a}/apps/books?confirm=books"), None),
            ("DELETE", format!("/api/v1/orgs/{a}/members/{bob_id}"), None),
        ];
        for (method, path, body) in routes {
            let page = client.api(method, &path, &ann_token, body).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{method} {path}: {}", page.body);
        }
        let after = (
            store.organisation(b).await.unwrap(),
            store.members(b).await.unwrap(),
            store.pending_invitations(b).await.unwrap(),
        );
        assert_eq!(after, before);
        assert_eq!(hosting.calls().len(), calls);
    }

    async fn the_openapi_document_lists_every_api_route_with_bearer_security(store) {
        let (app, _) = portal(store);
        let page = Browser::new(&app).get("/api/v1/openapi.json").await;
        page.assert_status(StatusCode::OK);
        let doc: serde_json::Value = serde_json::from_str(&page.body).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        assert_eq!(doc["components"]["securitySchemes"]["token"]["scheme"], "bearer");
        let paths = doc["paths"].as_object().unwrap();
        let site = "/api/v1/admin/wifi/sites/{site}";
        let expected = [
            "/api/v1/me", "/api/v1/orgs", "/api/v1/orgs/{org}", "/api/v1/orgs/{org}/members",
            "/api/v1/orgs/{org}/members/{user}", "/api/v1/orgs/{org}/invitations",
            "/api/v1/catalogue", "/api/v1/orgs/{org}/apps", "/api/v1/orgs/{org}/apps/{name}",
            "/api/v1/orgs/{org}/apps/{name}/suspend", "/api/v1/orgs/{org}/apps/{name}/resume",
            "/api/v1/admin/orgs", "/api/v1/admin/orgs/{org}/decision", "/api/v1/admin/plans",
            "/api/v1/admin/plans/{plan}", "/api/v1/admin/audit", "/api/v1/admin/reports",
            "/api/v1/admin/wifi/sites", site,
        ].map(str::to_owned).into_iter().chain([
            "/captive", "/branding", "/branding/versions", "/nas", "/nas/{nas}",
            "/nas/{nas}/secret", "/vouchers", "/vouchers/{batch}", "/guests", "/guests/{id}",
            "/devices", "/devices/{id}", "/devices/{id}/block", "/devices/{id}/unblock",
        ].map(|tail| format!("{site}{tail}"))).collect::<Vec<_>>();
        for path in &expected {
            assert!(paths.contains_key(path), "{path} missing from {:?}", paths.keys());
        }
        assert_eq!(paths.len(), expected.len(), "{:?}", paths.keys());
        let refused = &doc["paths"]["/api/v1/admin/wifi/sites"]["get"]["responses"]["403"];
        assert_eq!(refused["content"]["application/json"]["schema"]["$ref"],
                   "#/components/schemas/ErrorBody", "{refused}");
        assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    }

    async fn installs_at_the_same_moment_never_pass_the_plans_app_count(store) {
        // Each install takes a while on the hosting side, as on a cluster, so all five
        // overlap; the plan allows three.
        let hosting = Arc::new(MemoryHosting::new().with_install_delay(Duration::from_millis(150)));
        let app = portal_with(store, hosting.clone());
        let (org, mut owner) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, org).await;
        assert_eq!(store.plan(commons_store::PlanId(1)).await.unwrap().max_apps, 3);
        let token = token_of(&mut owner).await;

        let path = format!("/api/v1/orgs/{org}/apps");
        let installs = ["one", "two", "three", "four", "five"].map(|name| {
            let (app, path, token) = (app.clone(), path.clone(), token.clone());
            tokio::spawn(async move {
                let body = format!(r#"{{"application":"wordpress","name":"{name}"}}"#);
                Browser::new(&app).api("POST", &path, &token, Some(&body)).await
            })
        });
        let mut statuses = Vec::new();
        for install in installs {
            statuses.push(install.await.unwrap().status);
        }
        statuses.sort();
        assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CREATED, StatusCode::CREATED,
                              StatusCode::CONFLICT, StatusCode::CONFLICT]);
        let installed = hosting.calls().iter()
            .filter(|call| matches!(call, commons_portal::hosting::HostingCall::InstallApp { .. }))
            .count();
        assert_eq!(installed, 3);
        let audited = store.recent_audit(100).await.unwrap().iter()
            .filter(|entry| entry.action == "app.install").count();
        assert_eq!(audited, 3);
    }
}
