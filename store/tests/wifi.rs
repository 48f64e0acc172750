//! Wi-Fi data in the store, each test on fresh SQLite and PostgreSQL databases.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

use std::time::Duration;

use commons_store::{
    AccountingRecord, AccountingStatus, AuthResult, Error, MacAddress, NewAuthLogEntry,
    NewNasClient, NewVouchers, Redemption, SharedSecret, Store, WifiSite,
};

fn mac(text: &str) -> MacAddress {
    MacAddress::parse(text).unwrap()
}

fn day() -> Duration {
    Duration::from_secs(86_400)
}

async fn library(store: &Store) -> WifiSite {
    store.create_site("Central Library").await.unwrap()
}

fn nas(site: &WifiSite, address: &str) -> NewNasClient {
    NewNasClient {
        site_id: site.id,
        name: String::new(),
        address: address.parse().unwrap(),
        secret: SharedSecret::new("a-long-enough-shared-secret").unwrap(),
        vendor: "Mikrotik".into(),
        require_message_authenticator: true,
    }
}

fn log_entry(site: &WifiSite, at: i64) -> NewAuthLogEntry {
    NewAuthLogEntry {
        at,
        nas_id: None,
        site_id: Some(site.id),
        username: "ann".into(),
        mac: None,
        result: AuthResult::Reject,
        reason: "bad_credentials".into(),
    }
}

commons_store::store_tests! {
    async fn sites_are_found_by_slug_or_name(store) {
        let site = library(store).await;
        assert_eq!(site.slug, "central-library");
        assert_eq!(store.site_named("central-library").await.unwrap(), site);
        assert_eq!(store.site_named("CENTRAL LIBRARY").await.unwrap(), site);
        let again = store.create_site("central library").await.unwrap_err();
        assert!(matches!(again, Error::AlreadyExists { .. }), "{again:?}");
        assert!(matches!(store.site_named("pool").await, Err(Error::NotFound { .. })));
    }

    async fn nas_clients_round_trip_with_their_network(store) {
        let site = library(store).await;
        let made = store.create_nas_client(&nas(&site, "10.0.0.7/24")).await.unwrap();
        assert_eq!(made.address.to_string(), "10.0.0.0/24");
        assert_eq!(made.vendor, "mikrotik");
        assert_eq!(made.name, "10.0.0.0/24");
        let all = store.nas_clients().await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].secret.expose(), "a-long-enough-shared-secret");
        let clash = store.create_nas_client(&nas(&site, "10.0.0.0/24")).await.unwrap_err();
        assert!(matches!(clash, Error::AlreadyExists { .. }), "{clash:?}");
        store.delete_nas_client(made.id).await.unwrap();
        assert!(store.nas_clients().await.unwrap().is_empty());
    }

    async fn issued_guest_credentials_are_bound_to_their_device(store) {
        let site = library(store).await;
        let phone = mac("AA-BB-CC-DD-EE-01");
        let credential = store.issue_guest_credential(site.id, phone, day()).await.unwrap();
        let guest = store.guest(site.id, &credential.username).await.unwrap().unwrap();
        assert_eq!(guest.password(), credential.password);
        assert_eq!(guest.device(), Some(phone));
        assert_eq!(guest.expires_at, Some(credential.expires_at));
        assert!(!format!("{guest:?}").contains(&credential.password));
        assert!(store.guest(site.id, "nobody").await.unwrap().is_none());
    }

    async fn over_long_guest_passwords_are_refused(store) {
        let site = library(store).await;
        let long = "p".repeat(129);
        let err = store.add_guest(site.id, "ann", &long, None, None).await.unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err:?}");
        store.add_guest(site.id, "ann", &"p".repeat(128), None, None).await.unwrap();
    }

    async fn a_guest_cannot_take_a_voucher_code_as_its_name(store) {
        let site = library(store).await;
        let batch = NewVouchers { count: 1, max_uses: 1, duration: None, data_limit_bytes: None, valid_for: None };
        let code = store.issue_vouchers(site.id, &batch).await.unwrap().remove(0).code;
        let spelt = code.to_lowercase();
        let err = store.add_guest(site.id, &spelt, "sunshine123", None, None).await.unwrap_err();
        assert!(err.to_string().contains("voucher code"), "{err}");
        assert!(store.guest(site.id, &spelt).await.unwrap().is_none());
        store.add_guest(site.id, "ann", "sunshine123", None, None).await.unwrap();
    }

    async fn remembering_a_device_twice_renews_it_and_keeps_a_block(store) {
        let site = library(store).await;
        let laptop = mac("aabb.ccdd.ee02");
        let first = store.remember_device(site.id, laptop, day()).await.unwrap();
        store.set_device_blocked(site.id, laptop, true).await.unwrap();
        let second = store.remember_device(site.id, laptop, 2 * day()).await.unwrap();
        assert_eq!(first.id, second.id);
        assert!(second.blocked);
        assert!(second.expires_at > first.expires_at);
        let found = store.device(site.id, mac("aa:bb:cc:dd:ee:02")).await.unwrap().unwrap();
        assert_eq!(found, second);
    }

    async fn a_voucher_spends_one_use_per_device(store) {
        let site = library(store).await;
        let batch = NewVouchers {
            count: 3,
            max_uses: 2,
            duration: Some(Duration::from_secs(3600)),
            data_limit_bytes: Some(1_000_000),
            valid_for: None,
        };
        let vouchers = store.issue_vouchers(site.id, &batch).await.unwrap();
        assert_eq!(vouchers.len(), 3);
        let voucher = &vouchers[0];
        assert_eq!(voucher.code.len(), 10);
        let typed = voucher.code.to_lowercase();
        assert_eq!(store.voucher(&typed).await.unwrap().unwrap().id, voucher.id);

        let one = mac("aa:bb:cc:dd:ee:01");
        let two = mac("aa:bb:cc:dd:ee:02");
        let three = mac("aa:bb:cc:dd:ee:03");
        let spent = store.redeem_voucher(voucher.id, Some(one)).await.unwrap();
        assert!(matches!(&spent, Redemption::Spent(v) if v.uses == 1 && v.first_used_at.is_some()));
        let back = store.redeem_voucher(voucher.id, Some(one)).await.unwrap();
        assert!(matches!(&back, Redemption::Returning(v) if v.uses == 1), "{back:?}");
        assert!(matches!(store.redeem_voucher(voucher.id, Some(two)).await.unwrap(), Redemption::Spent(_)));
        assert_eq!(store.redeem_voucher(voucher.id, Some(three)).await.unwrap(), Redemption::Exhausted);
        assert_eq!(store.redeem_voucher(voucher.id, None).await.unwrap(), Redemption::Exhausted);
        store.add_voucher_usage(voucher.id, 400).await.unwrap();
        assert_eq!(store.voucher(&voucher.code).await.unwrap().unwrap().bytes_used, 400);
    }

    async fn auth_log_is_purged_after_each_sites_retention(store) {
        let site = library(store).await;
        let short = store.create_site("Park Cafe").await.unwrap();
        store.set_site_retention(short.id, 1).await.unwrap();
        let now = commons_store::now();
        let ten_days_ago = now - 10 * 86_400;
        store
            .record_auth(&[log_entry(&site, ten_days_ago), log_entry(&short, ten_days_ago), log_entry(&short, now)])
            .await
            .unwrap();
        assert_eq!(store.purge_auth_log(now).await.unwrap(), 1);
        assert_eq!(store.purge_auth_log(now).await.unwrap(), 0);
        let left = store.recent_auth_log(10).await.unwrap();
        assert_eq!(left.len(), 2);
        assert_eq!(left[0].result, "reject");
        assert_eq!(store.purge_auth_log(now + 40 * 86_400).await.unwrap(), 2);

        let many: Vec<_> = (0..250).map(|_| log_entry(&site, now)).collect();
        store.record_auth(&many).await.unwrap();
        assert_eq!(store.recent_auth_log(1000).await.unwrap().len(), 250);
    }

    async fn accounting_sessions_are_purged_after_the_sites_retention(store) {
        let site = library(store).await;
        let client = store.create_nas_client(&nas(&site, "127.0.0.1")).await.unwrap();
        let now = commons_store::now();
        let session = |id: &str, status, at| AccountingRecord {
            nas_id: client.id,
            site_id: site.id,
            status,
            session_id: id.into(),
            username: "ann".into(),
            calling_station_id: Some("02-00-00-00-00-01".into()),
            framed_ip: None,
            class: None,
            at,
            session_secs: 60,
            input_octets: 0,
            output_octets: 0,
            terminate_cause: None,
        };
        let long_ago = now - 40 * 86_400;
        store.record_accounting(&session("old", AccountingStatus::Start, long_ago)).await.unwrap();
        store.record_accounting(&session("old", AccountingStatus::Stop, long_ago)).await.unwrap();
        store.record_accounting(&session("new", AccountingStatus::Start, now)).await.unwrap();
        assert_eq!(store.purge_auth_log(now).await.unwrap(), 1, "only the 40-day-old session");
        assert_eq!(store.open_sessions(client.id).await.unwrap(), 1);
        assert_eq!(store.purge_auth_log(now + 31 * 86_400).await.unwrap(), 1);
        assert_eq!(store.open_sessions(client.id).await.unwrap(), 0);
    }

    async fn plan_limits_take_the_place_of_site_limits(store) {
        let site = library(store).await;
        store.set_site_bandwidth(site.id, Some(2048), Some(512)).await.unwrap();
        let policies = store.site_policies().await.unwrap();
        assert_eq!(policies.len(), 1);
        assert_eq!((policies[0].down_kbps, policies[0].up_kbps), (Some(2048), Some(512)));
        assert_eq!(policies[0].session_timeout_secs, site.session_timeout_secs);
    }

    async fn accounting_is_idempotent_and_adds_voucher_usage(store) {
        let site = library(store).await;
        let client = store.create_nas_client(&nas(&site, "127.0.0.1")).await.unwrap();
        let batch = NewVouchers { count: 1, max_uses: 1, duration: None, data_limit_bytes: Some(10_000), valid_for: None };
        let voucher = store.issue_vouchers(site.id, &batch).await.unwrap().remove(0);
        let record = |status, octets: i64| AccountingRecord {
            nas_id: client.id,
            site_id: site.id,
            status,
            session_id: "s-1".into(),
            username: voucher.code.clone(),
            calling_station_id: Some("02-00-00-00-00-01".into()),
            framed_ip: None,
            class: Some(format!("commons:site={}:voucher={}", site.id, voucher.id)),
            at: commons_store::now(),
            session_secs: 60,
            input_octets: octets,
            output_octets: octets,
            terminate_cause: None,
        };
        store.record_accounting(&record(AccountingStatus::Start, 0)).await.unwrap();
        store.record_accounting(&record(AccountingStatus::Interim, 1000)).await.unwrap();
        store.record_accounting(&record(AccountingStatus::Interim, 1000)).await.unwrap();
        assert_eq!(store.open_sessions(client.id).await.unwrap(), 1);
        assert_eq!(store.voucher(&voucher.code).await.unwrap().unwrap().bytes_used, 2000);
        store.record_accounting(&record(AccountingStatus::Stop, 3000)).await.unwrap();
        assert_eq!(store.voucher(&voucher.code).await.unwrap().unwrap().bytes_used, 6000);
        assert_eq!(store.open_sessions(client.id).await.unwrap(), 0);

        let mut other = record(AccountingStatus::Start, 0);
        other.session_id = "s-2".into();
        store.record_accounting(&other).await.unwrap();
        assert_eq!(store.open_sessions(client.id).await.unwrap(), 1);
        store.record_accounting(&record(AccountingStatus::NasRestart, 0)).await.unwrap();
        assert_eq!(store.open_sessions(client.id).await.unwrap(), 0);
    }

    async fn concurrent_accounting_and_redemptions_all_commit(store) {
        let site = library(store).await;
        let client = store.create_nas_client(&nas(&site, "127.0.0.1")).await.unwrap();
        let batch = NewVouchers { count: 1, max_uses: 8, duration: None, data_limit_bytes: None, valid_for: None };
        let voucher = store.issue_vouchers(site.id, &batch).await.unwrap().remove(0).id;
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..16u8 {
            let record = AccountingRecord {
                nas_id: client.id,
                site_id: site.id,
                status: AccountingStatus::Start,
                session_id: format!("s-{n}"),
                username: "ann".into(),
                calling_station_id: None,
                framed_ip: None,
                class: None,
                at: commons_store::now(),
                session_secs: 0,
                input_octets: 0,
                output_octets: 0,
                terminate_cause: None,
            };
            let accounting = store.clone();
            tasks.spawn(async move { accounting.record_accounting(&record).await.map(|()| None) });
            let redeeming = store.clone();
            let device = mac(&format!("02:00:00:00:00:{n:02x}"));
            tasks.spawn(async move { redeeming.redeem_voucher(voucher, Some(device)).await.map(Some) });
        }
        let mut spent = 0;
        while let Some(done) = tasks.join_next().await {
            if let Some(Redemption::Spent(_)) = done.unwrap().unwrap() {
                spent += 1;
            }
        }
        assert_eq!(spent, 8);
        assert_eq!(store.open_sessions(client.id).await.unwrap(), 16);
    }
}
