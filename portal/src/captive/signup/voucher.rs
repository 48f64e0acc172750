//! Signing up with a printed voucher: checked here, handed on as the credential, and
//! spent by the RADIUS server; wrong codes count towards a lockout.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::Response};
use commons_store::{SignUp, SignUpMode, Voucher, normalise_voucher_code, now};

use super::{DAY_SECS, Posted, Submission, count_sign_up, submission};
use crate::{
    AppState, Error,
    captive::{
        handoff::{self, Access},
        refusal::{Reason, Refusal},
    },
};

/// The longest voucher code looked up; printed codes are far shorter.
const MAX_VOUCHER_LEN: usize = 64;

/// `POST /wifi/{site}/voucher`: a printed code. It is checked here and spent by the
/// RADIUS server when the access point logs the person in with it.
pub(crate) async fn voucher(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Error> {
    let mode = SignUpMode::Voucher;
    let submission = submission!(Submission::read(&state, posted, mode));
    let limits = &state.captive.limits;
    let (device, ip) = (submission.device(), submission.ip);
    if limits.voucher_locked_out(&state.store, device, ip).await? {
        let refusal = Refusal {
            status: StatusCode::TOO_MANY_REQUESTS,
            ..Refusal::field(
                Reason::VoucherLockedOut,
                "voucher-code",
                "Too many wrong voucher codes have been typed on this device or network. Wait \
                 15 minutes and try again, or ask the staff here for help.",
            )
        };
        return Ok(submission.refuse(&state, &refusal));
    }
    let code = normalise_voucher_code(submission.fields.text("code"));
    if code.is_empty() {
        let refusal = Refusal::field(
            Reason::InvalidInput,
            "voucher-code",
            "Enter the code printed on your voucher.",
        );
        return Ok(submission.refuse(&state, &refusal));
    }

    let site = submission.view.site.id;
    let found = if code.len() <= MAX_VOUCHER_LEN {
        state.store.voucher(&code).await?
    } else {
        None
    };
    let Some(voucher) = found.filter(|voucher| voucher.site_id == site) else {
        let left = limits.voucher_failed(&state.store, device, ip).await?;
        let message = if left == 0 {
            "We do not recognise that code, and too many wrong codes have been typed. Wait 15 \
             minutes and try again, or ask the staff here for help."
                .to_owned()
        } else {
            format!(
                "We do not recognise that code. Check it against your voucher and type it \
                 again; you can try {left} more time{}.",
                if left == 1 { "" } else { "s" }
            )
        };
        let refusal = Refusal::field(Reason::VoucherWrong, "voucher-code", message);
        return Ok(submission.refuse(&state, &refusal));
    };
    let time_left = match usable(&voucher, device.is_some(), now()) {
        Ok(left) => left,
        Err(message) => {
            let refusal = Refusal::field(Reason::VoucherUnusable, "voucher-code", message);
            return Ok(submission.refuse(&state, &refusal));
        }
    };
    voucher_sign_up(&state, &submission, &voucher, time_left).await
}

/// Records the consent of a voucher sign-up and hands the voucher code itself back as
/// the credential, so that the RADIUS server spends a use and enforces its allowances.
async fn voucher_sign_up(
    state: &AppState,
    submission: &Submission,
    voucher: &Voucher,
    time_left: Option<i64>,
) -> Result<Response, Error> {
    let view = &submission.view;
    let session_secs = time_left.map_or(view.site.session_timeout_secs, |left| {
        left.min(view.site.session_timeout_secs)
    });
    // A remembered device joins later without the voucher, so it is remembered only while
    // the voucher would still work, and never for a voucher with a data allowance, which
    // the device's own sign-in could not enforce.
    let remember_secs = u64::try_from(view.settings.remember_days)
        .unwrap_or(0)
        .saturating_mul(DAY_SECS);
    let remember_for = (submission.remember && voucher.data_limit_bytes.is_none()).then(|| {
        let left = time_left.map_or(remember_secs, |left| left.unsigned_abs());
        Duration::from_secs(remember_secs.min(left))
    });
    let sign_up = SignUp {
        site: view.site.id,
        mode: SignUpMode::Voucher,
        device: submission.device(),
        email: None,
        branding_version: view.branding.version,
        remember_for: remember_for.filter(|ttl| !ttl.is_zero()),
        access_for: Duration::ZERO,
    };
    state.store.record_voucher_sign_up(&sign_up).await?;
    count_sign_up(view, SignUpMode::Voucher);
    let access = Access {
        username: voucher.code.clone(),
        password: voucher.code.clone(),
        session_secs: session_secs.max(1),
        bound: false,
        bytes: voucher
            .data_limit_bytes
            .map(|limit| (limit - voucher.bytes_used).max(0)),
    };
    let ap = submission.ap.as_ref();
    handoff::respond(state, view, ap, &submission.headers, &access).await
}

/// Whether `voucher` can still get someone online at `at`; `Ok` holds the seconds of
/// time left when the voucher's time is limited.
///
/// A voucher whose uses are all spent is let through when the device is known: the
/// RADIUS server accepts it again for a device that already redeemed it, and refuses it
/// for any other.
fn usable(voucher: &Voucher, device_known: bool, at: i64) -> Result<Option<i64>, String> {
    let ask = "Ask the staff here for a new one.";
    if voucher.expires_at.is_some_and(|expires| expires <= at) {
        return Err(format!("This voucher has expired. {ask}"));
    }
    let from_duration = voucher
        .duration_secs
        .map(|duration| voucher.first_used_at.unwrap_or(at).saturating_add(duration) - at);
    if from_duration.is_some_and(|left| left <= 0) {
        return Err(format!("This voucher's time has been used up. {ask}"));
    }
    if voucher
        .data_limit_bytes
        .is_some_and(|limit| voucher.bytes_used >= limit)
    {
        return Err(format!(
            "This voucher's data allowance has been used up. {ask}"
        ));
    }
    if voucher.uses >= voucher.max_uses && !device_known {
        return Err(format!(
            "This voucher has been used on as many devices as it allows. {ask}"
        ));
    }
    let until_expiry = voucher.expires_at.map(|expires| expires - at);
    Ok(match (from_duration, until_expiry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

#[cfg(test)]
mod tests {
    use commons_store::SiteId;

    use super::*;

    fn voucher() -> Voucher {
        Voucher {
            id: 1,
            site_id: SiteId(1),
            code: "ABCD234567".into(),
            batch: "b".into(),
            max_uses: 2,
            uses: 0,
            duration_secs: None,
            data_limit_bytes: None,
            bytes_used: 0,
            first_used_at: None,
            expires_at: None,
        }
    }

    #[test]
    fn an_unlimited_voucher_is_usable_without_a_time_limit() {
        assert_eq!(usable(&voucher(), false, 1_000), Ok(None));
    }

    #[test]
    fn time_left_is_the_sooner_of_allowance_and_expiry() {
        let v = Voucher {
            duration_secs: Some(3_600),
            first_used_at: Some(1_000),
            expires_at: Some(2_000),
            ..voucher()
        };
        assert_eq!(usable(&v, false, 1_500), Ok(Some(500)));
        let fresh = Voucher {
            duration_secs: Some(600),
            ..voucher()
        };
        assert_eq!(usable(&fresh, false, 1_500), Ok(Some(600)));
    }

    #[test]
    fn spent_vouchers_are_refused_with_the_reason() {
        let expired = Voucher {
            expires_at: Some(10),
            ..voucher()
        };
        assert!(usable(&expired, true, 10).unwrap_err().contains("expired"));
        let timed_out = Voucher {
            duration_secs: Some(60),
            first_used_at: Some(0),
            ..voucher()
        };
        assert!(usable(&timed_out, true, 61).unwrap_err().contains("time"));
        let data = Voucher {
            data_limit_bytes: Some(100),
            bytes_used: 100,
            ..voucher()
        };
        assert!(usable(&data, true, 0).unwrap_err().contains("data"));
        let used = Voucher {
            uses: 2,
            ..voucher()
        };
        assert!(usable(&used, false, 0).unwrap_err().contains("devices"));
        assert_eq!(
            usable(&used, true, 0),
            Ok(None),
            "a known device may be one that redeemed it"
        );
    }
}
