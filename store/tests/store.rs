//! The store's behaviour, each test on fresh SQLite and PostgreSQL databases.

use std::time::Duration;

use commons_store::{
    Error, MemberRole, NewAuditEntry, NewOrganisation, OrgKind, OrgStatus, TokenPurpose,
    TokenSecret, TokenSubject,
};

fn charity() -> NewOrganisation {
    NewOrganisation {
        slug: "friends-of-the-park".into(),
        name: "Friends of the Park".into(),
        kind: OrgKind::Charity,
        charity_number: Some("1234567".into()),
    }
}

fn minute() -> Duration {
    Duration::from_secs(60)
}

commons_store::store_tests! {
    async fn migrations_are_reported_applied(store) {
        assert!(store.migrations_applied().await.unwrap());
        store.migrate().await.expect("a second run of the migrations is a no-op");
        store.ping().await.unwrap();
    }

    async fn users_are_found_by_email_in_any_case(store) {
        let made = store.create_user("Ann@Example.org ", "Ann", false).await.unwrap();
        assert_eq!(made.email, "ann@example.org");
        let found = store.user_by_email("ANN@example.ORG").await.unwrap().unwrap();
        assert_eq!(found, made);
        assert!(store.user_by_email("bob@example.org").await.unwrap().is_none());
    }

    async fn a_taken_email_is_refused(store) {
        store.create_user("ann@example.org", "Ann", false).await.unwrap();
        let err = store.create_user("ANN@example.org", "Ann again", false).await.unwrap_err();
        assert!(matches!(err, Error::AlreadyExists { what: "user" }), "{err:?}");
    }

    async fn first_admin_token_is_spent_once(store) {
        let token = store
            .issue_token(TokenPurpose::FirstAdmin, TokenSubject::default(), minute())
            .await
            .unwrap();
        store.peek_token(&token, TokenPurpose::FirstAdmin).await.unwrap();
        assert_eq!(store.count_council_admins().await.unwrap(), 0);

        let admin = store.create_first_admin(&token, "root@council.example", "hash").await.unwrap();
        assert!(admin.council_admin);
        assert_eq!(store.count_council_admins().await.unwrap(), 1);
        let (id, hash) = store.password_hash("root@council.example").await.unwrap().unwrap();
        assert_eq!((id, hash.as_str()), (admin.id, "hash"));

        let again = store.create_first_admin(&token, "other@council.example", "hash").await;
        assert!(matches!(again, Err(Error::NotFound { .. })), "{again:?}");
        assert!(store.user_by_email("other@council.example").await.unwrap().is_none());
    }

    async fn a_failed_first_admin_keeps_its_token(store) {
        store.create_user("taken@council.example", "", false).await.unwrap();
        let token = store
            .issue_token(TokenPurpose::FirstAdmin, TokenSubject::default(), minute())
            .await
            .unwrap();
        let err = store.create_first_admin(&token, "taken@council.example", "h").await.unwrap_err();
        assert!(matches!(err, Error::AlreadyExists { .. }), "{err:?}");
        store.peek_token(&token, TokenPurpose::FirstAdmin).await.expect("token still usable");
    }

    async fn expired_unknown_and_misdirected_tokens_are_refused(store) {
        let user = store.create_user("ann@example.org", "Ann", true).await.unwrap();
        let subject = TokenSubject { user_id: Some(user.id), ..TokenSubject::default() };
        let expired = store
            .issue_token(TokenPurpose::SignIn, subject.clone(), Duration::ZERO)
            .await
            .unwrap();
        assert!(store.peek_token(&expired, TokenPurpose::SignIn).await.is_err());
        let unknown = TokenSecret::from_link("not-a-token");
        assert!(store.peek_token(&unknown, TokenPurpose::SignIn).await.is_err());

        let reset = store
            .issue_token(TokenPurpose::PasswordReset, subject, minute())
            .await
            .unwrap();
        let wrong = store.set_password_with_token(&reset, TokenPurpose::SignIn, "h").await;
        assert!(wrong.is_err());
        store.set_password_with_token(&reset, TokenPurpose::PasswordReset, "h2").await.unwrap();
        let (_, hash) = store.password_hash("ann@example.org").await.unwrap().unwrap();
        assert_eq!(hash, "h2");
    }

    async fn revoking_leaves_only_new_tokens_valid(store) {
        let first = TokenPurpose::FirstAdmin;
        let old = store.issue_token(first, TokenSubject::default(), minute()).await.unwrap();
        assert_eq!(store.revoke_tokens(first).await.unwrap(), 1);
        let new = store.issue_token(first, TokenSubject::default(), minute()).await.unwrap();
        assert!(store.peek_token(&old, first).await.is_err());
        store.peek_token(&new, first).await.unwrap();
    }

    async fn an_organisation_starts_pending_with_its_owner(store) {
        let owner = store.create_user("chair@park.example", "Chair", false).await.unwrap();
        let org = store.create_organisation(&charity(), owner.id).await.unwrap();
        assert_eq!(org.status, OrgStatus::Pending);
        assert_eq!(org.kind, OrgKind::Charity);
        let mine = store.organisations_of(owner.id).await.unwrap();
        assert_eq!(mine, vec![(org.clone(), MemberRole::Owner)]);

        let suspended = store
            .set_organisation_status(org.id, OrgStatus::Suspended, Some("unpaid"))
            .await
            .unwrap();
        assert_eq!(suspended.status, OrgStatus::Suspended);
        assert_eq!(suspended.status_reason.as_deref(), Some("unpaid"));
    }

    async fn a_duplicate_slug_leaves_no_orphan_membership(store) {
        let owner = store.create_user("chair@park.example", "Chair", false).await.unwrap();
        store.create_organisation(&charity(), owner.id).await.unwrap();
        let other = store.create_user("b@park.example", "B", false).await.unwrap();
        let err = store.create_organisation(&charity(), other.id).await.unwrap_err();
        assert!(matches!(err, Error::AlreadyExists { what: "organisation" }), "{err:?}");
        assert!(store.organisations_of(other.id).await.unwrap().is_empty());
    }

    async fn audit_entries_come_back_newest_first(store) {
        for action in ["site.create", "nas.create"] {
            store
                .record_audit(&NewAuditEntry {
                    actor_user_id: None,
                    actor: "cli".into(),
                    action: action.into(),
                    object_type: "test".into(),
                    object_id: "1".into(),
                    org_id: None,
                    before: None,
                    after: Some(serde_json::json!({ "name": "x" })),
                })
                .await
                .unwrap();
        }
        let recent = store.recent_audit(10).await.unwrap();
        let actions: Vec<_> = recent.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["nas.create", "site.create"]);
        assert_eq!(recent[0].after_json.as_deref(), Some(r#"{"name":"x"}"#));
    }
}
