//! Builders shared by the captive-portal store tests.

#![allow(dead_code, reason = "each test file uses a different subset")]
#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

use std::time::Duration;

use commons_store::{
    AccountingRecord, AccountingStatus, BrandingUpdate, GuestCredential, LogoChange, MacAddress,
    NasClient, NewNasClient, SharedSecret, SignUp, SignUpMode, Store, WifiSite,
};

/// A MAC address from text that surely parses.
pub(crate) fn mac(text: &str) -> MacAddress {
    MacAddress::parse(text).unwrap()
}

/// `n` days.
pub(crate) fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

/// A fresh site named "Central Library".
pub(crate) async fn library(store: &Store) -> WifiSite {
    store.create_site("Central Library").await.unwrap()
}

/// A NAS client of `site` at 127.0.0.N, N being the site's id.
pub(crate) async fn nas(store: &Store, site: &WifiSite) -> NasClient {
    let new = NewNasClient {
        site_id: site.id,
        name: String::new(),
        address: format!("127.0.0.{}", site.id).parse().unwrap(),
        secret: SharedSecret::new("a-long-enough-shared-secret").unwrap(),
        vendor: "generic".into(),
        require_message_authenticator: true,
    };
    store.create_nas_client(&new).await.unwrap()
}

/// A branding edit that passes every check.
pub(crate) fn branding(name: &str) -> BrandingUpdate {
    BrandingUpdate {
        display_name: name.into(),
        colour_primary: "#0B3D5C".into(),
        colour_background: "#ffffff".into(),
        terms: "Be kind.".into(),
        privacy: "We keep your MAC address for 30 days.".into(),
        logo: LogoChange::Keep,
    }
}

/// A PNG logo of `len` bytes (a real signature, padded).
pub(crate) fn png(len: usize) -> LogoChange {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(len, 0);
    LogoChange::Replace {
        mime: "image/png".into(),
        bytes,
    }
}

/// An email sign-up of `device` at `site`, remembering it for 30 days.
pub(crate) fn email_sign_up<'a>(site: &WifiSite, email: &'a str, device: MacAddress) -> SignUp<'a> {
    SignUp {
        site: site.id,
        mode: SignUpMode::Email,
        device: Some(device),
        email: Some(email),
        branding_version: 0,
        remember_for: Some(days(30)),
        access_for: Duration::from_secs(1800),
    }
}

/// Signs `email` up at `site` from `device`, remembering the device.
pub(crate) async fn signed_up(
    store: &Store,
    site: &WifiSite,
    email: &str,
    device: MacAddress,
) -> GuestCredential {
    store
        .captive_sign_up(&email_sign_up(site, email, device))
        .await
        .unwrap()
}

/// An accounting Start from `client` for `username` at `ip`, `ago` seconds ago.
pub(crate) fn session_start(
    client: &NasClient,
    id: &str,
    username: &str,
    ip: &str,
    class: Option<String>,
    ago: i64,
) -> AccountingRecord {
    AccountingRecord {
        nas_id: client.id,
        site_id: client.site_id,
        status: AccountingStatus::Start,
        session_id: id.into(),
        username: username.into(),
        calling_station_id: None,
        framed_ip: Some(ip.into()),
        class,
        at: commons_store::now() - ago,
        session_secs: 0,
        input_octets: 0,
        output_octets: 0,
        terminate_cause: None,
    }
}
