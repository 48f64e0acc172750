//! A member of one organisation asking for another's objects gets 404 and changes
//! nothing, on every organisation-scoped route, in process on SQLite and PostgreSQL.

mod support;

use axum::http::StatusCode;
use commons_store::{OrgId, Store, UserId};
use support::{Browser, PASSWORD, approve, council_admin, emailed_link, portal, signed_up};

/// Everything about organisation `org` that a forged request could change.
async fn snapshot(store: &Store, org: OrgId) -> String {
    let org_row = store.organisation(org).await.expect("organisation");
    let members = store.members(org).await.expect("members");
    let invitations = store.pending_invitations(org).await.expect("invitations");
    format!("{org_row:?}\n{members:?}\n{invitations:?}")
}

/// Every organisation-scoped page route, as (method, path) for organisation `org`, a
/// member `user` of it and an application `app` of it.
fn scoped_routes(org: OrgId, user: UserId, app: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GET", format!("/orgs/{org}")),
        ("POST", format!("/orgs/{org}/verify-email")),
        ("GET", format!("/orgs/{org}/members")),
        ("POST", format!("/orgs/{org}/members/{user}/role")),
        ("POST", format!("/orgs/{org}/members/{user}/remove")),
        ("POST", format!("/orgs/{org}/leave")),
        ("POST", format!("/orgs/{org}/invitations")),
        ("POST", format!("/orgs/{org}/invitations/revoke")),
        ("GET", format!("/orgs/{org}/apps")),
        ("POST", format!("/orgs/{org}/apps")),
        ("GET", format!("/orgs/{org}/apps/{app}")),
        ("POST", format!("/orgs/{org}/apps/{app}/suspend")),
        ("POST", format!("/orgs/{org}/apps/{app}/resume")),
        ("GET", format!("/orgs/{org}/apps/{app}/remove")),
        ("POST", format!("/orgs/{org}/apps/{app}/remove")),
    ]
}

/// Fields that would make each form succeed for a member of the right organisation.
const FIELDS: &[(&str, &str)] = &[
    ("role", "owner"),
    ("email", "bob-invitee@example.org"),
    ("application", "nextcloud"),
    ("name", "sneaky"),
    ("confirm", "books"),
];

async fn install(owner: &mut Browser, org: OrgId, application: &str, name: &str) {
    owner.get(&format!("/orgs/{org}/apps")).await;
    owner
        .post(
            &format!("/orgs/{org}/apps"),
            &[("application", application), ("name", name)],
        )
        .await
        .assert_status(StatusCode::SEE_OTHER);
}

commons_store::store_tests! {
    async fn a_member_of_one_organisation_gets_404_for_every_route_of_another(store) {
        let (app, hosting) = portal(store);
        let (a, mut ann) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let (b, mut bob) = signed_up(&app, store, "Book Club", "bob@example.org").await;
        let mut admin = council_admin(&app, store).await;
        approve(&mut admin, a).await;
        approve(&mut admin, b).await;
        install(&mut ann, a, "nextcloud", "files").await;
        install(&mut bob, b, "wordpress", "books").await;
        bob.get(&format!("/orgs/{b}/members")).await;
        bob.post(&format!("/orgs/{b}/invitations"), &[("email", "carol@example.org"), ("role", "admin")])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        let carol_link = emailed_link(store, "carol@example.org").await;
        let mut carol = Browser::new(&app);
        carol.get(&carol_link).await;
        carol.post(&carol_link, &[("your_name", "Carol"), ("password", PASSWORD), ("confirm", PASSWORD)])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        bob.post(&format!("/orgs/{b}/invitations"), &[("email", "dave@example.org"), ("role", "member")])
            .await
            .assert_status(StatusCode::SEE_OTHER);
        let carol_id = store.user_by_email("carol@example.org").await.unwrap().unwrap().id;

        let before = snapshot(store, b).await;
        let calls_before = hosting.calls().len();
        ann.get(&format!("/orgs/{a}")).await.assert_status(StatusCode::OK);
        for (method, path) in scoped_routes(b, carol_id, "books") {
            let page = if method == "GET" {
                ann.get(&path).await
            } else {
                let mut fields = FIELDS.to_vec();
                if path.ends_with("/revoke") {
                    fields.retain(|(k, _)| *k != "email");
                    fields.push(("email", "dave@example.org"));
                }
                ann.post(&path, &fields).await
            };
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{method} {path}: {}", page.body);
        }
        assert_eq!(snapshot(store, b).await, before);
        assert_eq!(hosting.calls().len(), calls_before, "{:?}", hosting.calls());

        // Ann's own organisation with Bob's objects in the path finds nothing either.
        let crossed = [
            ("POST", format!("/orgs/{a}/members/{carol_id}/remove")),
            ("POST", format!("/orgs/{a}/members/{carol_id}/role")),
            ("GET", format!("/orgs/{a}/apps/books")),
            ("POST", format!("/orgs/{a}/apps/books/suspend")),
            ("POST", format!("/orgs/{a}/apps/books/remove")),
        ];
        for (method, path) in crossed {
            let page = if method == "GET" { ann.get(&path).await } else { ann.post(&path, FIELDS).await };
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{method} {path}: {}", page.body);
        }
        assert_eq!(snapshot(store, b).await, before);
        assert_eq!(hosting.calls().len(), calls_before);
    }

    async fn one_persons_api_token_cannot_be_revoked_by_another(store) {
        let (app, _) = portal(store);
        let (_, mut ann) = signed_up(&app, store, "Allotments", "ann@example.org").await;
        let (_, mut bob) = signed_up(&app, store, "Book Club", "bob@example.org").await;
        bob.get("/account/tokens").await;
        bob.post("/account/tokens", &[("name", "laptop")]).await.assert_status(StatusCode::OK);
        let bob_id = store.user_by_email("bob@example.org").await.unwrap().unwrap().id;
        let token = store.api_tokens_of(bob_id).await.unwrap()[0].id;
        ann.get("/account/tokens").await;
        ann.post(&format!("/account/tokens/{token}/revoke"), &[]).await
            .assert_status(StatusCode::NOT_FOUND);
        assert_eq!(store.api_tokens_of(bob_id).await.unwrap().len(), 1);
    }
}
