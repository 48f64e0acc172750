//! The captive portal's web side: each Wi-Fi site's landing page, sign-up by terms,
//! emailed code or voucher, the hand-off back to the access point, the RFC 8908 API and
//! the operating systems' connectivity probes.

mod api;
mod cache;
pub(crate) mod csrf;
mod fields;
mod handoff;
mod landing;
mod limits;
mod pages;
mod refusal;
mod signup;
mod theme;
pub(crate) mod unifi;
#[cfg_attr(
    not(test),
    allow(
        dead_code,
        reason = "the pages do not use the client address and original URL an access point \
                  reports: the connection's own address is the one to trust"
    )
)]
pub(crate) mod vendor;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    routing::{get, post},
};
use tokio_util::sync::CancellationToken;

use crate::AppState;

pub use limits::CaptiveLimits;

/// How long a UniFi controller may take to authorise a guest.
const UNIFI_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the in-memory limiters and the site cache drop what they no longer need.
const TIDY_EVERY: Duration = Duration::from_secs(60);

/// The captive portal's in-memory state, shared by every request of the process.
pub(crate) struct Captive {
    /// Rate limits and the voucher lockout.
    pub(crate) limits: limits::Limits,
    /// Sites, their settings and branding, for a few seconds.
    pub(crate) sites: cache::SiteCache,
    /// Talks to UniFi controllers.
    pub(crate) unifi: unifi::UnifiClient,
}

impl Captive {
    /// The state for `limits`.
    pub(crate) fn new(limits: &CaptiveLimits) -> Self {
        Self {
            limits: limits::Limits::new(limits),
            sites: cache::SiteCache::default(),
            unifi: unifi::UnifiClient::new(UNIFI_TIMEOUT),
        }
    }
}

/// The captive routes. Every unsafe request to them must pass [`csrf::layer`], which the
/// portal's router applies to every request.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/wifi/{site}", get(landing::show))
        .route("/wifi/{site}/terms", get(pages::terms).post(signup::terms))
        .route("/wifi/{site}/privacy", get(pages::privacy))
        .route("/wifi/{site}/about", get(pages::about))
        .route("/wifi/{site}/online", get(pages::online))
        .route("/wifi/{site}/logo/{version}", get(pages::logo))
        .route("/wifi/{site}/api", get(api::captive_json))
        .route("/wifi/{site}/email", post(signup::email))
        .route("/wifi/{site}/email/verify", post(signup::verify))
        .route("/wifi/{site}/voucher", post(signup::voucher))
        .route("/guest/s/{unifi_site}", get(landing::show_unifi))
        .route("/guest/s/{unifi_site}/", get(landing::show_unifi))
        .route("/generate_204", get(api::generate_204))
        .route("/hotspot-detect.html", get(api::hotspot_detect))
}

/// A length of time as people say it, rounded up to the minute: "30 minutes", "1 hour
/// and 30 minutes", "2 days".
pub(crate) fn duration_text(secs: i64) -> String {
    let minutes = secs.max(1).saturating_add(59) / 60;
    let units = [
        (minutes / 1440, "day"),
        (minutes % 1440 / 60, "hour"),
        (minutes % 60, "minute"),
    ];
    let parts: Vec<String> = units
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    parts.join(" and ")
}

/// Every minute, until `shutdown`: forgets rate-limit keys that have recovered and
/// cached sites that have expired.
pub(crate) async fn tidy(captive: Arc<Captive>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(TIDY_EVERY);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        captive.limits.forget_recovered();
        captive.sites.prune();
    }
}

#[cfg(test)]
mod tests {
    use super::duration_text;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(1800), "30 minutes");
        assert_eq!(duration_text(5400), "1 hour and 30 minutes");
        assert_eq!(duration_text(86_400), "1 day");
        assert_eq!(duration_text(1), "1 minute");
        assert_eq!(duration_text(3_601), "1 hour and 1 minute");
    }
}
