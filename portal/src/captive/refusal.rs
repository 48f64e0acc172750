//! Why the captive portal said no: a status, a plain message that says what to do next,
//! the field it belongs to, and a bounded reason for the refusals metric.

use std::time::Duration;

use axum::http::StatusCode;

/// The reasons a captive form can be refused; each is one value of the `reason` label of
/// `captive_refusals_total`, so the label set stays bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Too many forms from one device.
    RateLimitedMac,
    /// Too many forms from one client address.
    RateLimitedIp,
    /// Too many codes sent to one email address.
    RateLimitedEmail,
    /// The anti-forgery cookie and field did not match.
    Forged,
    /// The form's body was larger than any captive form.
    TooLarge,
    /// The access point's parameters could not be used.
    BadParameters,
    /// A field was missing or malformed.
    InvalidInput,
    /// The terms were not accepted.
    TermsNotAccepted,
    /// The terms changed after the page was shown.
    TermsChanged,
    /// The site does not offer the way of signing up that was used.
    ModeNotOffered,
    /// A wrong email code.
    CodeWrong,
    /// An email code past its time.
    CodeExpired,
    /// An email code tried too often.
    CodeAttemptsUsed,
    /// No code was sent to that address.
    CodeMissing,
    /// A voucher code that does not exist at the site.
    VoucherWrong,
    /// A voucher that exists but can no longer be used.
    VoucherUnusable,
    /// Too many wrong voucher codes from one device or address.
    VoucherLockedOut,
    /// The access point or its controller could not be told.
    HandOffFailed,
}

impl Reason {
    /// The metric label.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::RateLimitedMac => "rate_limited_mac",
            Self::RateLimitedIp => "rate_limited_ip",
            Self::RateLimitedEmail => "rate_limited_email",
            Self::Forged => "forged",
            Self::TooLarge => "too_large",
            Self::BadParameters => "bad_parameters",
            Self::InvalidInput => "invalid_input",
            Self::TermsNotAccepted => "terms_not_accepted",
            Self::TermsChanged => "terms_changed",
            Self::ModeNotOffered => "mode_not_offered",
            Self::CodeWrong => "code_wrong",
            Self::CodeExpired => "code_expired",
            Self::CodeAttemptsUsed => "code_attempts_used",
            Self::CodeMissing => "code_missing",
            Self::VoucherWrong => "voucher_wrong",
            Self::VoucherUnusable => "voucher_unusable",
            Self::VoucherLockedOut => "voucher_locked_out",
            Self::HandOffFailed => "hand_off_failed",
        }
    }

    /// Counts one refusal for this reason in `captive_refusals_total`.
    pub(crate) fn count(self) {
        metrics::counter!("captive_refusals_total", "reason" => self.as_str()).increment(1);
    }
}

/// A refused form: shown again with `message` at the top (and next to `field`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// Why, for the metric.
    pub(crate) reason: Reason,
    /// The HTTP status of the page.
    pub(crate) status: StatusCode,
    /// What went wrong and what to do next, in a sentence or two.
    pub(crate) message: String,
    /// The id of the field the message is about, if one.
    pub(crate) field: Option<&'static str>,
}

impl Refusal {
    /// A refusal not tied to one field.
    pub(crate) fn new(reason: Reason, status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            reason,
            status,
            message: message.into(),
            field: None,
        }
    }

    /// A bad field (422).
    pub(crate) fn field(reason: Reason, field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field),
            ..Self::new(reason, StatusCode::UNPROCESSABLE_ENTITY, message)
        }
    }

    /// Counts the refusal in `captive_refusals_total`.
    pub(crate) fn count(&self) {
        self.reason.count();
    }
}

/// A wait as people say it: "40 seconds", "1 minute", "12 minutes".
pub(crate) fn wait_text(wait: Duration) -> String {
    let secs = u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1);
    if secs < 90 {
        return format!("{secs} second{}", if secs == 1 { "" } else { "s" });
    }
    let minutes = secs.div_ceil(60);
    format!("{minutes} minutes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait_text(Duration::from_millis(10)), "1 second");
        assert_eq!(wait_text(Duration::from_millis(39_100)), "40 seconds");
        assert_eq!(wait_text(Duration::from_secs(301)), "6 minutes");
    }
}
