//! `commons site modes` on a real data directory.

mod support;

use std::{process::Output, time::Duration};

use commons_store::{DatabaseUrl, SignUpMode, Store, StoreOptions};
use support::{commons, data_dir, data_dir_arg, run_bounded};

const WITHIN: Duration = Duration::from_secs(30);

/// Runs `commons site <args>` on the data directory `dir`.
fn site(dir: &std::path::Path, args: &[&str]) -> Output {
    run_bounded(
        commons().arg("site").args(args).arg(data_dir_arg(dir)),
        WITHIN,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_modes_are_chosen_from_the_command_line_and_audited() {
    let dir = data_dir();
    let added = site(dir.path(), &["add", "Central Library"]);
    assert!(added.status.success(), "{added:?}");

    let set = site(
        dir.path(),
        &["modes", "central-library", "voucher,email,voucher"],
    );
    assert!(set.status.success(), "{set:?}");
    assert_eq!(
        String::from_utf8(set.stdout).unwrap().trim(),
        "site central-library now offers: voucher,email"
    );

    let url = DatabaseUrl::sqlite_in(dir.path()).unwrap();
    let store = Store::connect(&StoreOptions::new(url)).await.unwrap();
    let stored = store.site_named("central-library").await.unwrap();
    assert_eq!(stored.modes(), [SignUpMode::Voucher, SignUpMode::Email]);
    let audit = store.recent_audit(10).await.unwrap();
    assert!(
        audit.iter().any(|entry| entry.action == "site.update"),
        "{audit:?}"
    );

    let refused = site(dir.path(), &["modes", "central-library", "terms,wifi"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(
        stderr.contains("\"wifi\" is not one of terms, email, voucher"),
        "{stderr}"
    );
    let unchanged = store.site_named("central-library").await.unwrap();
    assert_eq!(unchanged.signup_modes, "voucher,email");
}
