//! Council administration of Wi-Fi in the store, each test on fresh SQLite and PostgreSQL
//! databases.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

use commons_store::{
    BrandingUpdate, CaptiveSettings, Error, LogoChange, MacAddress, NasSettings, NewAuditEntry,
    NewGuest, NewNasClient, NewVouchers, SharedSecret, SiteFields, Store, WifiSite,
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

    async fn a_nas_client_is_edited_and_given_a_new_secret_only_at_its_site(store) {
        let library = site(store).await;
        let pool = store.create_site_with(&fields("Pool"), &audit("x")).await.unwrap();
        let new = |address: &str| NewNasClient {
            site_id: library.id,
            name: String::new(),
            address: address.parse().unwrap(),
            secret: SharedSecret::generate(),
            vendor: "generic".into(),
            require_message_authenticator: true,
        };
        let nas = store.create_nas_client_audited(&new("192.0.2.1"), &audit("nas.create")).await.unwrap();
        let other = store.create_nas_client_audited(&new("192.0.2.2"), &audit("nas.create")).await.unwrap();
        let settings = NasSettings {
            name: "Ground floor".into(),
            address: "192.0.2.0/28".parse().unwrap(),
            vendor: "MikroTik".into(),
            require_message_authenticator: false,
        };

        let elsewhere = store.update_site_nas_client(pool.id, nas.id, &settings, &audit("nas.update")).await;
        assert!(matches!(elsewhere, Err(Error::NotFound { .. })), "{elsewhere:?}");
        let edited = store.update_site_nas_client(library.id, nas.id, &settings, &audit("nas.update")).await.unwrap();
        assert_eq!((edited.name.as_str(), edited.vendor.as_str()), ("Ground floor", "mikrotik"));
        assert_eq!(edited.address.to_string(), "192.0.2.0/28");
        assert!(!edited.require_message_authenticator);
        assert_eq!(edited.secret, nas.secret, "the secret stays");
        let clash = NasSettings { address: other.address, ..settings.clone() };
        let taken = store.update_site_nas_client(library.id, nas.id, &clash, &audit("nas.update")).await;
        assert!(matches!(taken, Err(Error::AlreadyExists { .. })), "{taken:?}");
        assert_eq!(store.site_nas_client(library.id, nas.id).await.unwrap().address, settings.address);

        let secret = SharedSecret::generate();
        let elsewhere = store.set_site_nas_secret(pool.id, nas.id, &secret, &audit("nas.secret")).await;
        assert!(matches!(elsewhere, Err(Error::NotFound { .. })), "{elsewhere:?}");
        store.set_site_nas_secret(library.id, nas.id, &secret, &audit("nas.secret")).await.unwrap();
        assert_eq!(store.site_nas_client(library.id, nas.id).await.unwrap().secret, secret);
        let missing = store.site_nas_client(pool.id, nas.id).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })), "{missing:?}");
        let logged = actions(store).await;
        assert_eq!(logged.iter().filter(|a| *a == "nas.update").count(), 1, "{logged:?}");
        assert_eq!(logged.iter().filter(|a| *a == "nas.secret").count(), 1, "{logged:?}");
    }

    async fn a_guest_added_by_an_administrator_is_audited_with_its_id(store) {
        let library = site(store).await;
        let new = NewGuest {
            username: "ann".into(),
            password: "sunshine".into(),
            expires_at: Some(4_000_000_000),
            device: MacAddress::parse("aa:bb:cc:dd:ee:ff"),
        };
        let guest = store.add_guest_audited(library.id, &new, |g| NewAuditEntry {
            object_id: g.id.to_string(),
            ..audit("guest.create")
        }).await.unwrap();
        assert_eq!(guest.mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        let entry = &store.recent_audit(1).await.unwrap()[0];
        assert_eq!((entry.action.as_str(), entry.object_id.clone()), ("guest.create", guest.id.to_string()));

        let again = store.add_guest_audited(library.id, &new, |_| audit("guest.create")).await;
        assert!(matches!(again, Err(Error::AlreadyExists { .. })), "{again:?}");
        let empty = NewGuest { password: String::new(), ..new };
        let refused = store.add_guest_audited(library.id, &empty, |_| audit("guest.create")).await;
        assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");
        assert_eq!(actions(store).await.iter().filter(|a| *a == "guest.create").count(), 1);
        assert!(format!("{empty:?}").contains("***"));
    }

    async fn a_device_is_read_back_only_at_its_site(store) {
        let library = site(store).await;
        let pool = store.create_site_with(&fields("Pool"), &audit("x")).await.unwrap();
        let mac = MacAddress::parse("aa:bb:cc:dd:ee:ff").unwrap();
        let device = store
            .remember_device(library.id, mac, std::time::Duration::from_secs(3600))
            .await
            .unwrap();
        assert_eq!(store.site_device(library.id, device.id).await.unwrap(), device);
        let elsewhere = store.site_device(pool.id, device.id).await;
        assert!(matches!(elsewhere, Err(Error::NotFound { .. })), "{elsewhere:?}");
    }

    async fn branding_and_captive_settings_commit_with_their_audit_entries(store) {
        let library = site(store).await;
        let mut update = BrandingUpdate {
            display_name: "Library Wi-Fi".into(),
            colour_primary: "#0b3d5c".into(),
            colour_background: "#ffffff".into(),
            terms: "Be kind.".into(),
            privacy: "We keep little.".into(),
            logo: LogoChange::Keep,
        };
        let published = store.publish_branding_audited(library.id, &update, None, &audit("branding.publish"))
            .await.unwrap();
        assert_eq!(published.version, 1);
        update.colour_primary = "#eeeeee".into();
        let faint = store.publish_branding_audited(library.id, &update, None, &audit("branding.publish")).await;
        assert!(matches!(faint, Err(Error::Invalid { what: "colours", .. })), "{faint:?}");

        let mut settings = store.captive_settings(library.id).await.unwrap();
        settings.uam_secret = Some("uam-secret".into());
        settings.handoff_hosts = vec!["ap.council.example".into()];
        store.set_captive_settings_audited(library.id, &settings, &audit("captive.update")).await.unwrap();
        assert_eq!(store.captive_settings(library.id).await.unwrap(), settings);
        let bad = CaptiveSettings { terms_session_secs: 0, ..settings };
        let refused = store.set_captive_settings_audited(library.id, &bad, &audit("captive.update")).await;
        assert!(matches!(refused, Err(Error::Invalid { .. })), "{refused:?}");

        let logged = actions(store).await;
        assert_eq!(logged.iter().filter(|a| *a == "branding.publish").count(), 1, "{logged:?}");
        assert_eq!(logged.iter().filter(|a| *a == "captive.update").count(), 1, "{logged:?}");
    }
}
