//! The portal's queries, each test on fresh SQLite and PostgreSQL databases.

use std::time::Duration;

use commons_store::{
    Error, MemberChange, MemberRole, NewAuditEntry, NewEmail, NewOrganisation, NewOwner, OrgKind,
    OrgStatus, SessionKey, SessionRecord, Store, TokenPurpose, TokenSubject, User,
};

fn group(slug: &str) -> NewOrganisation {
    NewOrganisation {
        slug: slug.into(),
        name: format!("Group {slug}"),
        kind: OrgKind::Voluntary,
        charity_number: None,
    }
}

fn owner(email: &str) -> NewOwner {
    NewOwner {
        email: email.into(),
        display_name: "Owner".into(),
        password_hash: "hash".into(),
    }
}

fn audit(action: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor_user_id: None,
        actor: "tests".into(),
        action: action.into(),
        object_type: "membership".into(),
        object_id: "x".into(),
        org_id: None,
        before: None,
        after: None,
    }
}

async fn org_with_owner(store: &Store, slug: &str) -> (commons_store::Organisation, User) {
    let (org, owner_id) = store
        .register_organisation(&group(slug), &owner(&format!("{slug}@example.org")))
        .await
        .expect("organisation registers");
    (org, store.user(owner_id).await.expect("owner exists"))
}

commons_store::store_tests! {
    async fn a_registered_organisation_is_pending_with_an_unverified_owner(store) {
        let (org, owner) = org_with_owner(store, "allotments").await;
        assert_eq!(org.status, OrgStatus::Pending);
        assert_eq!(owner.email_verified_at, None);
        assert_eq!(store.membership(org.id, owner.id).await.unwrap(), Some(MemberRole::Owner));
    }

    async fn a_council_decision_and_its_audit_entry_are_stored_together(store) {
        let (org, _) = org_with_owner(store, "a").await;
        let plan = store.plans().await.unwrap()[0].id;
        let decided = store
            .decide_organisation(org.id, OrgStatus::Approved, None, Some(plan), &audit("approve"))
            .await
            .unwrap();
        assert_eq!((decided.status, decided.plan_id), (OrgStatus::Approved, Some(plan)));
        assert_eq!(store.recent_audit(10).await.unwrap()[0].action, "approve");
        let missing = store
            .decide_organisation(commons_store::OrgId(999), OrgStatus::Approved, None, None, &audit("x"))
            .await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
        assert_eq!(store.recent_audit(10).await.unwrap().len(), 1);
    }

    async fn a_taken_email_registers_nothing(store) {
        org_with_owner(store, "first").await;
        let err = store.register_organisation(&group("second"), &owner("first@example.org")).await;
        assert!(matches!(err, Err(Error::AlreadyExists { what: "user" })), "{err:?}");
        assert_eq!(store.organisations(None).await.unwrap().len(), 1);
    }

    async fn a_non_member_does_not_find_the_organisation(store) {
        let (a, owner_a) = org_with_owner(store, "a").await;
        let (b, _) = org_with_owner(store, "b").await;
        store.organisation_for_member(a.id, owner_a.id).await.unwrap();
        let err = store.organisation_for_member(b.id, owner_a.id).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    }

    async fn the_last_owner_can_neither_leave_nor_be_demoted(store) {
        let (org, owner) = org_with_owner(store, "a").await;
        assert_eq!(store.remove_member(org.id, owner.id, &audit("remove")).await.unwrap(), MemberChange::LastOwner);
        assert_eq!(
            store.set_member_role(org.id, owner.id, MemberRole::Member, &audit("demote")).await.unwrap(),
            MemberChange::LastOwner
        );
        assert_eq!(store.membership(org.id, owner.id).await.unwrap(), Some(MemberRole::Owner));
        assert!(store.recent_audit(10).await.unwrap().is_empty(), "refused changes leave no entry");
    }

    async fn an_owner_may_leave_once_another_owner_exists(store) {
        let (org, owner) = org_with_owner(store, "a").await;
        let (_, other) = org_with_owner(store, "b").await;
        let subject = TokenSubject {
            org_id: Some(org.id),
            email: Some(other.email.clone()),
            role: Some("owner".into()),
            ..TokenSubject::default()
        };
        let token = store.issue_token(TokenPurpose::Invitation, subject, Duration::from_secs(60))
            .await
            .unwrap();
        let accepted = store.accept_invitation(&token, &other).await.unwrap();
        assert_eq!((accepted.org_id, accepted.role), (org.id, MemberRole::Owner));
        assert_eq!(store.remove_member(org.id, owner.id, &audit("remove")).await.unwrap(), MemberChange::Done);
        assert_eq!(store.members(org.id).await.unwrap().len(), 1);
    }

    async fn an_invitation_works_once_and_only_for_its_address(store) {
        let (org, _) = org_with_owner(store, "a").await;
        let (_, stranger) = org_with_owner(store, "b").await;
        let subject = TokenSubject {
            org_id: Some(org.id),
            email: Some("new@example.org".into()),
            role: Some("member".into()),
            ..TokenSubject::default()
        };
        let token = store.issue_token(TokenPurpose::Invitation, subject, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(store.pending_invitations(org.id).await.unwrap().len(), 1);
        let err = store.accept_invitation(&token, &stranger).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
        let joined = store.accept_invitation_as_new_user(&token, "New", "hash").await.unwrap();
        assert_eq!(joined.user.email, "new@example.org");
        assert!(joined.user.email_verified_at.is_some());
        assert!(store.accept_invitation_as_new_user(&token, "Again", "hash").await.is_err());
        assert!(store.pending_invitations(org.id).await.unwrap().is_empty());
    }

    async fn email_verification_confirms_the_address_once(store) {
        let (_, owner) = org_with_owner(store, "a").await;
        let subject = TokenSubject { user_id: Some(owner.id), ..TokenSubject::default() };
        let token = store.issue_token(TokenPurpose::VerifyEmail, subject, Duration::from_secs(60))
            .await
            .unwrap();
        let verified = store.verify_email_with_token(&token).await.unwrap();
        assert!(verified.email_verified_at.is_some());
        assert!(store.verify_email_with_token(&token).await.is_err());
    }

    async fn sessions_round_trip_and_end_with_their_user(store) {
        let (_, owner) = org_with_owner(store, "a").await;
        let key = SessionKey::generate();
        let record = SessionRecord {
            user_id: Some(owner.id),
            data: b"{}".to_vec(),
            expires_at: commons_store::now() + 60,
        };
        store.save_session(&key, &record).await.unwrap();
        assert_eq!(store.load_session(&key).await.unwrap(), Some(record.clone()));
        let expired = SessionRecord { expires_at: commons_store::now() - 1, ..record };
        let old = SessionKey::generate();
        store.save_session(&old, &expired).await.unwrap();
        assert_eq!(store.load_session(&old).await.unwrap(), None);
        assert_eq!(store.delete_sessions_of(owner.id).await.unwrap(), 2);
        assert_eq!(store.load_session(&key).await.unwrap(), None);
    }

    async fn api_tokens_authenticate_until_revoked(store) {
        let (_, owner) = org_with_owner(store, "a").await;
        let (token, secret) = store.create_api_token(owner.id, "laptop").await.unwrap();
        assert!(secret.reveal().starts_with("cmns_"));
        assert_eq!(store.user_for_api_token(secret.reveal()).await.unwrap().id, owner.id);
        store.revoke_api_token(owner.id, token.id).await.unwrap();
        assert!(store.user_for_api_token(secret.reveal()).await.is_err());
        assert!(store.api_tokens_of(owner.id).await.unwrap().is_empty());
    }

    async fn rate_events_count_within_their_bucket(store) {
        for _ in 0..3 {
            store.record_rate_event("sign_in:a@example.org").await.unwrap();
        }
        store.record_rate_event("sign_in:b@example.org").await.unwrap();
        assert_eq!(store.count_rate_events("sign_in:a@example.org", 900).await.unwrap(), 3);
        store.clear_rate_events("sign_in:a@example.org").await.unwrap();
        assert_eq!(store.count_rate_events("sign_in:a@example.org", 900).await.unwrap(), 0);
        assert_eq!(store.count_rate_events("sign_in:b@example.org", 900).await.unwrap(), 1);
    }

    async fn the_outbox_keeps_messages_until_sent(store) {
        let email = NewEmail { to: "a@example.org".into(), subject: "Hi".into(), body: "b".into() };
        let id = store.enqueue_email(&email).await.unwrap();
        assert_eq!(store.unsent_emails(10, 2).await.unwrap()[0].id, id);
        store.record_email_failure(id, "refused").await.unwrap();
        assert_eq!(store.unsent_emails(10, 2).await.unwrap()[0].attempts, 1);
        store.record_email_failure(id, "refused").await.unwrap();
        assert!(store.unsent_emails(10, 2).await.unwrap().is_empty(), "given up after 2 tries");
        let second = store.enqueue_email(&email).await.unwrap();
        store.mark_email_sent(second).await.unwrap();
        assert!(store.unsent_emails(10, 5).await.unwrap().iter().all(|e| e.id == id));
        assert_eq!(store.recent_emails(10).await.unwrap()[0].subject, "Hi");
    }

    async fn a_free_plan_exists_and_reports_count_signups(store) {
        let plans = store.plans().await.unwrap();
        assert_eq!(plans[0].slug, "community");
        org_with_owner(store, "a").await;
        org_with_owner(store, "b").await;
        let days = store.signups_per_day(30).await.unwrap();
        assert_eq!(days.iter().map(|d| d.count).sum::<i64>(), 2);
        assert_eq!(store.organisations_by_status().await.unwrap(), [("pending".to_owned(), 2)]);
    }

    async fn a_lease_has_one_holder_until_released_or_expired(store) {
        let minute = Duration::from_secs(60);
        let tries = tokio::join!(
            store.try_lease("apps:1", minute), store.try_lease("apps:1", minute),
            store.try_lease("apps:1", minute), store.try_lease("apps:1", minute),
        );
        let taken: Vec<_> = [tries.0, tries.1, tries.2, tries.3].into_iter()
            .filter_map(|result| result.unwrap()).collect();
        assert_eq!(taken.len(), 1, "exactly one of several callers at once gets it");
        let lease = &taken[0];
        assert_eq!(lease.name(), "apps:1");
        assert!(store.try_lease("apps:1", minute).await.unwrap().is_none());
        assert!(store.try_lease("apps:2", minute).await.unwrap().is_some(), "names are apart");

        store.release_lease(lease).await.unwrap();
        let next = store.try_lease("apps:1", minute).await.unwrap().expect("free after release");
        store.release_lease(lease).await.unwrap();
        assert!(store.try_lease("apps:1", minute).await.unwrap().is_none(),
                "an old holder's release leaves the new holder's lease alone");
        store.release_lease(&next).await.unwrap();

        let lapsed = store.try_lease("apps:3", Duration::ZERO).await.unwrap();
        assert!(lapsed.is_some());
        assert!(store.try_lease("apps:3", minute).await.unwrap().is_some(), "free once expired");
    }
}
