//! `commons guest export` and `commons guest erase` on a real data directory.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

mod support;

use std::{process::Output, time::Duration};

use commons_store::{DatabaseUrl, MacAddress, SignUp, SignUpMode, Store, StoreOptions};
use support::{commons, data_dir, data_dir_arg, run_bounded};

const WITHIN: Duration = Duration::from_secs(30);

async fn open(dir: &std::path::Path) -> Store {
    let url = DatabaseUrl::sqlite_in(dir).unwrap();
    let store = Store::connect(&StoreOptions::new(url)).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// Signs `email` up at the site from `device`, remembering the device.
async fn sign_up(store: &Store, email: &str, device: &str) -> String {
    let site = store.site_named("Central Library").await.unwrap();
    let sign_up = SignUp {
        site: site.id,
        mode: SignUpMode::Email,
        device: MacAddress::parse(device),
        email: Some(email),
        branding_version: 0,
        remember_for: Some(Duration::from_secs(86_400)),
        access_for: Duration::from_secs(3_600),
    };
    store.captive_sign_up(&sign_up).await.unwrap().password
}

/// Runs `commons guest <action> --email <email>` off the async workers and returns its
/// output.
async fn guest(dir: &std::path::Path, action: &'static str, email: &'static str) -> Output {
    let dir_arg = data_dir_arg(dir);
    tokio::task::spawn_blocking(move || {
        run_bounded(
            commons()
                .args(["guest", action, "--email", email])
                .arg(dir_arg),
            WITHIN,
        )
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_is_exported_then_erased_and_both_are_audited() {
    let dir = data_dir();
    let store = open(dir.path()).await;
    store.create_site("Central Library").await.unwrap();
    let password = sign_up(&store, "ann@example.org", "aa:bb:cc:dd:ee:01").await;
    sign_up(&store, "bob@example.org", "aa:bb:cc:dd:ee:02").await;

    let export = guest(dir.path(), "export", "Ann@Example.org").await;
    assert!(export.status.success(), "{export:?}");
    let stdout = String::from_utf8(export.stdout).unwrap();
    assert!(!stdout.contains(&password), "no password in {stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["email"], "ann@example.org");
    assert_eq!(json["guest_accounts"].as_array().unwrap().len(), 1);
    assert_eq!(json["consents"][0]["mode"], "email");
    assert_eq!(json["devices"][0]["mac"], "aa:bb:cc:dd:ee:01");

    let erase = guest(dir.path(), "erase", "ann@example.org").await;
    assert!(erase.status.success(), "{erase:?}");
    let stdout = String::from_utf8(erase.stdout).unwrap();
    assert!(
        stdout.starts_with("erased 3 record(s) about ann@example.org"),
        "{stdout}"
    );
    let left = store.export_guest("ann@example.org").await.unwrap();
    assert!(left.guest_accounts.is_empty() && left.devices.is_empty());
    assert_eq!(
        store
            .export_guest("bob@example.org")
            .await
            .unwrap()
            .guest_accounts
            .len(),
        1
    );

    let audit = store.recent_audit(10).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["guest.erase", "guest.export"]);
    assert!(
        audit[0]
            .after_json
            .as_deref()
            .unwrap()
            .contains("\"guest_accounts\":1")
    );

    let refused = guest(dir.path(), "erase", " ").await;
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--email: invalid email address"));
    store.close().await;
}
