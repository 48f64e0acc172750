//! Council administration of Wi-Fi in the store, each test on fresh SQLite and PostgreSQL
//! databases.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

use commons_store::{
    Error, MacAddress, NewAuditEntry, NewNasClient, NewVouchers, SharedSecret, SiteFields, Store,
    WifiSite,
};

fn audit(action: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor_user_id: None,
        actor: "test".into(),
        action: action.into(),
        object_type: "wifi_site".into(),
        object_id: "1".into(),
        org_id: None,
        before: None,
        after: Some(serde_json::json!({ "ok": true })),
    }
}

fn fields(name: &str) -> SiteFields {
    SiteFields {
        name: name.into(),
        signup_modes: "terms,voucher".into(),
        session_timeout_secs: 7200,
        idle_timeout_secs: 900,
        interim_interval_secs: 120,
        down_kbps: Some(10_000),
        up_kbps: None,
        retention_days: 14,
    }
}

async fn site(store: &Store) -> WifiSite {
    store
        .create_site_with(&fields("Central Library"), &audit("wifi_site.create"))
        .await
        .unwrap()
}

async fn actions(store: &Store) -> Vec<String> {
    store
        .recent_audit(50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

commons_store::store_tests! {
    async fn sites_are_created_and_changed_with_their_audit_entries(store) {
        let made = site(store).await;
        assert_eq!(made.slug, "central-library");
        assert_eq!(made.signup_modes, "terms,voucher");
        assert_eq!(made.interim_interval_secs, 120);
        assert_eq!(store.wifi_site(made.id).await.unwrap(), made);

        let mut changed = fields("Central Library (ground floor)");
        changed.interim_interval_secs = 600;
        changed.down_kbps = None;
        let after = store.update_site(made.id, &changed, &audit("wifi_site.update")).await.unwrap();
        assert_eq!(after.slug, "central-library", "the slug stays");
        assert_eq!(after.down_kbps, None);
        assert_eq!(store.wifi_sites().await.unwrap(), vec![after]);
        assert_eq!(actions(store).await, ["wifi_site.update", "wifi_site.create"]);

        let again = store.create_site_with(&fields("central library"), &audit("x")).await;
        assert!(matches!(again, Err(Error::AlreadyExists { .. })), "{again:?}");
        assert_eq!(actions(store).await.len(), 2, "no entry for a change that failed");
    }

    async fn an_interim_interval_under_a_minute_is_refused_by_the_database(store) {
        let mut short = fields("Pool");
        short.interim_interval_secs = 59;
        assert!(store.create_site_with(&short, &audit("x")).await.is_err());
        assert!(store.wifi_sites().await.unwrap().is_empty());
        assert!(actions(store).await.is_empty());
    }

    async fn nas_clients_are_listed_per_site_and_deleted_only_there(store) {
        let library = site(store).await;
        let pool = store.create_site_with(&fields("Pool"), &audit("x")).await.unwrap();
        let new = NewNasClient {
            site_id: library.id,
            name: String::new(),
            address: "192.0.2.0/24".parse().unwrap(),
            secret: SharedSecret::generate(),
            vendor: "mikrotik".into(),
            require_message_authenticator: false,
        };
        let nas = store.create_nas_client_audited(&new, &audit("nas.create")).await.unwrap();
        assert_eq!(store.site_nas_clients(library.id).await.unwrap().len(), 1);
        assert!(store.site_nas_clients(pool.id).await.unwrap().is_empty());

        let elsewhere = store.delete_site_nas_client(pool.id, nas.id, &audit("nas.delete")).await;
        assert!(matches!(elsewhere, Err(Error::NotFound { .. })), "{elsewhere:?}");
        store.delete_site_nas_client(library.id, nas.id, &audit("nas.delete")).await.unwrap();
        assert!(store.nas_clients().await.unwrap().is_empty());
        assert_eq!(actions(store).await.iter().filter(|a| *a == "nas.delete").count(), 1);
    }

    async fn voucher_batches_are_listed_and_read_back(store) {
        let library = site(store).await;
        let batch = NewVouchers {
            count: 3, max_uses: 2, duration: None, data_limit_bytes: Some(500), valid_for: None,
        };
        let issued = store
            .issue_vouchers_audited(library.id, &batch, &audit("vouchers.issue"))
            .await
            .unwrap();
        let batches = store.voucher_batches(library.id).await.unwrap();
        assert_eq!(batches.len(), 1);
        assert_eq!((batches[0].count, batches[0].used, batches[0].max_uses), (3, 0, 2));
        let read = store.batch_vouchers(library.id, &batches[0].batch).await.unwrap();
        assert_eq!(read, issued);
        let missing = store.batch_vouchers(library.id, "nope").await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
        assert!(actions(store).await.contains(&"vouchers.issue".to_owned()));
    }

    async fn guests_and_devices_are_listed_blocked_and_removed(store) {
        let library = site(store).await;
        let mac = MacAddress::parse("aa:bb:cc:dd:ee:ff").unwrap();
        let guest = store.add_guest(library.id, "ann", "sunshine", None, None).await.unwrap();
        let device = store
            .remember_device(library.id, mac, std::time::Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(store.site_guests(library.id).await.unwrap().len(), 1);

        store.block_site_device(library.id, device.id, true, &audit("device.block")).await.unwrap();
        assert!(store.site_devices(library.id).await.unwrap()[0].blocked);
        store.delete_site_device(library.id, device.id, &audit("device.delete")).await.unwrap();
        assert!(store.site_devices(library.id).await.unwrap().is_empty());
        store.delete_site_guest(library.id, guest.id, &audit("guest.delete")).await.unwrap();
        assert!(store.site_guests(library.id).await.unwrap().is_empty());
        let gone = store.delete_site_guest(library.id, guest.id, &audit("guest.delete")).await;
        assert!(matches!(gone, Err(Error::NotFound { .. })), "{gone:?}");
    }

    async fn wifi_signups_are_counted_per_site_and_day(store) {
        let library = site(store).await;
        let pool = store.create_site_with(&fields("Pool"), &audit("x")).await.unwrap();
        store.add_guest(library.id, "ann", "pw", None, None).await.unwrap();
        store.add_guest(library.id, "bob", "pw", None, None).await.unwrap();
        store.add_guest(pool.id, "cat", "pw", None, None).await.unwrap();
        let counts = store.wifi_signups_per_day(30).await.unwrap();
        let pairs: Vec<_> = counts.iter().map(|c| (c.site.as_str(), c.count)).collect();
        assert_eq!(pairs, [("Central Library", 2), ("Pool", 1)]);
        assert_eq!(counts[0].day % 86_400, 0);
    }
}
