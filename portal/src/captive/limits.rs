//! Abuse controls of the captive forms: in-memory rate limits per device, per client
//! address and per email address, and the voucher lockout counted in the store.

use std::{net::IpAddr, num::NonZeroU32, time::Duration};

use axum::http::StatusCode;
use commons_store::{MacAddress, Store};
use governor::{Quota, RateLimiter, clock::Clock, state::keyed::DefaultKeyedStateStore};

use super::refusal::{Reason, Refusal, wait_text};
use crate::Error;

/// The window of the email-code and voucher limits.
const QUARTER_HOUR: Duration = Duration::from_secs(15 * 60);

/// The same window as rate events count it.
const QUARTER_HOUR_SECS: i64 = 15 * 60;

/// How often people may try, per device, address and email. The defaults suit one busy
/// site behind one public address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptiveLimits {
    /// Sign-up forms one device (by MAC address) may send per minute.
    pub signups_per_mac: u32,
    /// Sign-up forms one client IP address may send per minute.
    pub signups_per_ip: u32,
    /// Codes that may be sent to one email address per 15 minutes.
    pub codes_per_email: u32,
    /// Wrong voucher codes one device or one address may type in 15 minutes; after that
    /// it is locked out until the oldest of them is 15 minutes old.
    pub voucher_attempts: u32,
}

impl Default for CaptiveLimits {
    fn default() -> Self {
        Self {
            signups_per_mac: 10,
            signups_per_ip: 60,
            codes_per_email: 3,
            voucher_attempts: 5,
        }
    }
}

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, governor::clock::DefaultClock>;

/// The in-memory limiters of one portal process.
pub(crate) struct Limits {
    per_mac: Keyed<MacAddress>,
    per_ip: Keyed<IpAddr>,
    per_email: Keyed<String>,
    voucher_attempts: i64,
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

/// `n` per `window`, all of them usable at once.
fn quota(n: u32, window: Duration) -> Quota {
    let n = at_least_one(n);
    let every = window / n.get();
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(n))
        .allow_burst(n)
}

impl Limits {
    /// Limiters with the configured limits.
    pub(crate) fn new(limits: &CaptiveLimits) -> Self {
        let minute = Duration::from_secs(60);
        Self {
            per_mac: RateLimiter::dashmap(quota(limits.signups_per_mac, minute)),
            per_ip: RateLimiter::dashmap(quota(limits.signups_per_ip, minute)),
            per_email: RateLimiter::dashmap(quota(limits.codes_per_email, QUARTER_HOUR)),
            voucher_attempts: i64::from(at_least_one(limits.voucher_attempts).get()),
        }
    }

    /// Counts one captive form from `device` at `ip`.
    ///
    /// # Errors
    ///
    /// A 429 [`Refusal`] saying how long to wait when either has sent too many.
    pub(crate) fn sign_up(&self, device: Option<MacAddress>, ip: IpAddr) -> Result<(), Refusal> {
        if let Some(mac) = device
            && let Err(until) = self.per_mac.check_key(&mac)
        {
            let wait = until.wait_time_from(self.per_mac.clock().now());
            return Err(Refusal::new(
                Reason::RateLimitedMac,
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "This device has sent too many forms in a short time. Wait {} and try \
                     again.",
                    wait_text(wait)
                ),
            ));
        }
        if let Err(until) = self.per_ip.check_key(&ip.to_canonical()) {
            let wait = until.wait_time_from(self.per_ip.clock().now());
            return Err(Refusal::new(
                Reason::RateLimitedIp,
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many forms have come from your network address in a short time. \
                     Wait {} and try again.",
                    wait_text(wait)
                ),
            ));
        }
        Ok(())
    }

    /// Counts one code sent to `email`.
    ///
    /// # Errors
    ///
    /// A 429 [`Refusal`] on the email field when the address has had its share.
    pub(crate) fn code(&self, email: &str, field: &'static str) -> Result<(), Refusal> {
        let key = email.trim().to_lowercase();
        self.per_email.check_key(&key).map_err(|until| {
            let wait = until.wait_time_from(self.per_email.clock().now());
            Refusal {
                status: StatusCode::TOO_MANY_REQUESTS,
                ..Refusal::field(
                    Reason::RateLimitedEmail,
                    field,
                    format!(
                        "We have already sent several codes to this address. Use the newest \
                         code you received, or wait {} and ask for another.",
                        wait_text(wait)
                    ),
                )
            }
        })
    }

    /// Forgets keys whose limits have fully recovered, so memory does not grow with every
    /// device ever seen.
    pub(crate) fn forget_recovered(&self) {
        self.per_mac.retain_recent();
        self.per_ip.retain_recent();
        self.per_email.retain_recent();
    }

    /// Whether `device` or `ip` has typed too many wrong voucher codes lately.
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when the failures cannot be counted.
    pub(crate) async fn voucher_locked_out(
        &self,
        store: &Store,
        device: Option<MacAddress>,
        ip: IpAddr,
    ) -> Result<bool, Error> {
        for bucket in voucher_buckets(device, ip) {
            let failures = store.count_rate_events(&bucket, QUARTER_HOUR_SECS).await?;
            if failures >= self.voucher_attempts {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Records one wrong voucher code from `device` at `ip`; returns how many more wrong
    /// codes the stricter of the two may type before the lockout.
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when the failure cannot be recorded.
    pub(crate) async fn voucher_failed(
        &self,
        store: &Store,
        device: Option<MacAddress>,
        ip: IpAddr,
    ) -> Result<i64, Error> {
        let mut left = self.voucher_attempts;
        for bucket in voucher_buckets(device, ip) {
            store.record_rate_event(&bucket).await?;
            let failures = store.count_rate_events(&bucket, QUARTER_HOUR_SECS).await?;
            left = left.min(self.voucher_attempts - failures);
        }
        Ok(left.max(0))
    }
}

/// The rate-event buckets of wrong voucher codes: one per device, one per address.
fn voucher_buckets(device: Option<MacAddress>, ip: IpAddr) -> Vec<String> {
    let mut buckets = vec![format!("captive-voucher-ip:{}", ip.to_canonical())];
    if let Some(mac) = device {
        buckets.push(format!("captive-voucher-mac:{mac}"));
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(mac: u32, ip: u32, email: u32) -> Limits {
        Limits::new(&CaptiveLimits {
            signups_per_mac: mac,
            signups_per_ip: ip,
            codes_per_email: email,
            voucher_attempts: 5,
        })
    }

    #[test]
    fn a_device_gets_its_burst_then_is_told_to_wait() {
        let limits = limits(2, 100, 3);
        let mac = MacAddress::parse("aa:bb:cc:dd:ee:ff");
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limits.sign_up(mac, ip).is_ok());
        assert!(limits.sign_up(mac, ip).is_ok());
        let refusal = limits.sign_up(mac, ip).unwrap_err();
        assert_eq!(refusal.reason, Reason::RateLimitedMac);
        assert_eq!(refusal.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(refusal.message.contains("Wait 30 seconds"), "{refusal:?}");
        let other = MacAddress::parse("aa:bb:cc:dd:ee:00");
        assert!(
            limits.sign_up(other, ip).is_ok(),
            "another device is not held up"
        );
    }

    #[test]
    fn an_address_is_limited_across_devices() {
        let limits = limits(100, 2, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(limits.sign_up(None, ip).is_ok());
        assert!(
            limits
                .sign_up(MacAddress::parse("aabbccddeeff"), ip)
                .is_ok()
        );
        let refusal = limits.sign_up(None, ip).unwrap_err();
        assert_eq!(refusal.reason, Reason::RateLimitedIp);
    }

    #[test]
    fn codes_per_email_ignore_case_and_spaces() {
        let limits = limits(100, 100, 2);
        assert!(limits.code("Ann@Example.org", "email").is_ok());
        assert!(limits.code(" ann@example.org", "email").is_ok());
        let refusal = limits.code("ann@example.org", "email").unwrap_err();
        assert_eq!(refusal.reason, Reason::RateLimitedEmail);
        assert_eq!(refusal.field, Some("email"));
        assert!(refusal.message.contains("8 minutes"), "{refusal:?}");
    }
}
