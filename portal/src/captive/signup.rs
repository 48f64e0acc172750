//! The sign-up forms: terms only, an emailed 6-digit code, a printed voucher. Each checks
//! what every form needs (limits, way offered, terms accepted and current), signs the
//! person up in one store transaction, and hands them back to the access point.

use std::{net::IpAddr, sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use commons_store::{CodeCheck, SignUp, SignUpMode, Voucher, normalise_voucher_code, now};
use minijinja::context;

use super::{
    cache::SiteView,
    csrf,
    fields::{Fields, Typed, landing_query},
    handoff::{self, Access},
    landing,
    pages::{self, Extras},
    refusal::{Reason, Refusal},
    vendor::AccessPoint,
};
use crate::{AppState, Error, client_ip::ClientIp, forms::looks_like_email, mail};

/// How long an emailed code works.
const CODE_TTL: Duration = Duration::from_secs(10 * 60);

/// The longest voucher code looked up; printed codes are far shorter.
const MAX_VOUCHER_LEN: usize = 64;

const DAY_SECS: u64 = 24 * 60 * 60;

/// A sign-up form that passed the checks every form shares.
struct Submission {
    view: Arc<SiteView>,
    ap: Option<AccessPoint>,
    fields: Fields,
    typed: Typed,
    /// The person asked to be remembered, and the site and device allow it.
    remember: bool,
    ip: IpAddr,
    headers: HeaderMap,
}

impl Submission {
    /// Reads a form for `mode` and runs the shared checks; a refusal comes back as the
    /// page to answer with.
    async fn read(
        state: &AppState,
        slug: &str,
        mode: SignUpMode,
        ip: IpAddr,
        headers: HeaderMap,
        body: &[u8],
    ) -> Result<Self, Response> {
        let view = match pages::site(state, slug).await {
            Ok(Some(view)) => view,
            Ok(None) => return Err(pages::no_such_site(state)),
            Err(err) => return Err(err.into_response()),
        };
        let fields = Fields::parse(body);
        let typed = Typed::from_fields(&fields, mode.as_str());
        let mut submission = Self {
            view,
            ap: None,
            fields,
            typed,
            remember: false,
            ip,
            headers,
        };
        submission.ap = match AccessPoint::from_form(&submission.fields.0) {
            Ok(ap) => ap,
            Err(err) => {
                let refusal = Refusal::new(
                    Reason::BadParameters,
                    StatusCode::BAD_REQUEST,
                    format!(
                        "The form lost the Wi-Fi's details on the way ({err}). Disconnect from \
                         the Wi-Fi and connect again, or sign up below to get a user name and \
                         password to type in."
                    ),
                );
                return Err(submission.refuse(state, &refusal));
            }
        };
        if let Err(refusal) = submission.check(state, mode) {
            return Err(submission.refuse(state, &refusal));
        }
        submission.remember = submission.fields.ticked("remember")
            && submission.view.remembers()
            && submission.device().is_some();
        Ok(submission)
    }

    fn check(&mut self, state: &AppState, mode: SignUpMode) -> Result<(), Refusal> {
        state.captive.limits.sign_up(self.device(), self.ip)?;
        if !self.view.modes.contains(&mode) {
            return Err(Refusal::new(
                Reason::ModeNotOffered,
                StatusCode::NOT_FOUND,
                "This Wi-Fi does not offer that way of joining. Use one of the ways below.",
            ));
        }
        let shown = self.fields.text("branding_version").parse::<i64>().ok();
        if shown != Some(self.view.branding.version) {
            self.typed.accept = false;
            return Err(Refusal::new(
                Reason::TermsChanged,
                StatusCode::CONFLICT,
                "The terms of use changed while this page was open. Read them again, then \
                 tick the box to accept them.",
            ));
        }
        if !self.fields.ticked("accept") {
            return Err(Refusal::field(
                Reason::TermsNotAccepted,
                accept_field(mode),
                "Tick the box to accept the terms of use; you cannot join without accepting \
                 them.",
            ));
        }
        Ok(())
    }

    fn device(&self) -> Option<commons_store::MacAddress> {
        self.ap.as_ref().and_then(AccessPoint::device)
    }

    /// The landing page again with `refusal`, what was typed kept.
    fn refuse(&self, state: &AppState, refusal: &Refusal) -> Response {
        landing::render(
            state,
            &self.view,
            self.ap.as_ref(),
            &self.headers,
            Some(refusal),
            &self.typed,
        )
        .unwrap_or_else(IntoResponse::into_response)
    }

    /// Signs the person up in one transaction and hands them back with the credential.
    async fn sign_up(
        &self,
        state: &AppState,
        mode: SignUpMode,
        email: Option<&str>,
        access_secs: i64,
    ) -> Result<Response, Error> {
        let remember_days = u64::try_from(self.view.settings.remember_days).unwrap_or(0);
        let sign_up = SignUp {
            site: self.view.site.id,
            mode,
            device: self.device(),
            email,
            branding_version: self.view.branding.version,
            remember_for: self
                .remember
                .then(|| Duration::from_secs(remember_days * DAY_SECS)),
            access_for: Duration::from_secs(access_secs.unsigned_abs().max(1)),
        };
        let credential = state.store.captive_sign_up(&sign_up).await?;
        count_sign_up(&self.view, mode);
        let access = Access {
            username: credential.username,
            password: credential.password,
            session_secs: access_secs.max(1),
            bound: sign_up.device.is_some(),
            bytes: None,
        };
        handoff::respond(state, &self.view, self.ap.as_ref(), &self.headers, &access).await
    }
}

fn accept_field(mode: SignUpMode) -> &'static str {
    match mode {
        SignUpMode::Terms => "terms-accept",
        SignUpMode::Email => "email-accept",
        SignUpMode::Voucher => "voucher-accept",
    }
}

fn count_sign_up(view: &SiteView, mode: SignUpMode) {
    metrics::counter!(
        "captive_signups_total",
        "site" => view.site.slug.clone(),
        "mode" => mode.as_str(),
    )
    .increment(1);
}

/// Unwraps a submission or answers with its refusal.
macro_rules! submission {
    ($read:expr) => {
        match $read.await {
            Ok(submission) => submission,
            Err(response) => return Ok(response),
        }
    };
}

/// `POST /wifi/{site}/terms`: accept the terms, get a limited session.
pub(super) async fn terms(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let mode = SignUpMode::Terms;
    let submission = submission!(Submission::read(&state, &slug, mode, ip, headers, &body));
    let secs = submission.view.settings.terms_session_secs;
    submission.sign_up(&state, mode, None, secs).await
}

/// `POST /wifi/{site}/email`: send a code to an email address, then ask for it.
pub(super) async fn email(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let mode = SignUpMode::Email;
    let submission = submission!(Submission::read(&state, &slug, mode, ip, headers, &body));
    let email = submission.fields.text("email");
    if !looks_like_email(email) {
        let refusal = Refusal::field(
            Reason::InvalidInput,
            "email",
            "Enter your email address, like name@example.org.",
        );
        return Ok(submission.refuse(&state, &refusal));
    }
    if let Err(refusal) = state.captive.limits.code(email, "email") {
        return Ok(submission.refuse(&state, &refusal));
    }

    let view = &submission.view;
    let code = state
        .store
        .create_email_code(view.site.id, email, submission.device(), CODE_TTL)
        .await?;
    let body = format!(
        "Your code for the Wi-Fi at {name} is {code}\n\nType it into the Wi-Fi page within 10 \
         minutes. If you did not ask for it, you can ignore this email.\n",
        name = view.branding.display_name
    );
    let subject = format!("Your Wi-Fi code: {code}");
    mail::send(&state, email, &subject, body).await?;
    metrics::counter!("captive_codes_sent_total", "site" => view.site.slug.clone()).increment(1);
    code_page(&state, &submission, None)
}

/// `POST /wifi/{site}/email/verify`: the code from the email; right, and the person is
/// signed up.
pub(super) async fn verify(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let mode = SignUpMode::Email;
    let submission = submission!(Submission::read(&state, &slug, mode, ip, headers, &body));
    let email = submission.fields.text("email");
    if !looks_like_email(email) {
        let refusal = Refusal::field(
            Reason::InvalidInput,
            "email",
            "Enter your email address again, like name@example.org, to get a new code.",
        );
        return Ok(submission.refuse(&state, &refusal));
    }
    let code: String = submission
        .fields
        .text("code")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        let refusal = Refusal::field(
            Reason::InvalidInput,
            "code",
            "Enter the 6-digit code from the email, like 123456.",
        );
        return code_page(&state, &submission, Some(&refusal));
    }

    let site = submission.view.site.id;
    let refusal = match state.store.check_email_code(site, email, &code).await? {
        CodeCheck::Accepted => {
            let secs = submission.view.site.session_timeout_secs;
            return submission.sign_up(&state, mode, Some(email), secs).await;
        }
        CodeCheck::Wrong { attempts_left: 0 } => code_refusal(
            Reason::CodeWrong,
            StatusCode::UNPROCESSABLE_ENTITY,
            "That code is not right, and it has now been tried too often to work. Ask for a \
             new code below.",
        ),
        CodeCheck::Wrong { attempts_left } => code_refusal(
            Reason::CodeWrong,
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "That code is not right. Check the newest email and type its code again; you \
                 can try {attempts_left} more time{}.",
                if attempts_left == 1 { "" } else { "s" }
            ),
        ),
        CodeCheck::Expired => code_refusal(
            Reason::CodeExpired,
            StatusCode::UNPROCESSABLE_ENTITY,
            "That code has expired: codes work for 10 minutes. Ask for a new code below.",
        ),
        CodeCheck::TooManyAttempts => code_refusal(
            Reason::CodeAttemptsUsed,
            StatusCode::TOO_MANY_REQUESTS,
            "That code has been tried too many times, so it no longer works. Ask for a new \
             code below.",
        ),
        CodeCheck::NoCode => code_refusal(
            Reason::CodeMissing,
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is no code waiting for this address, or it has been used. Ask for a new \
             code below.",
        ),
    };
    code_page(&state, &submission, Some(&refusal))
}

fn code_refusal(reason: Reason, status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        ..Refusal::field(reason, "code", message)
    }
}

/// The page asking for the emailed code, with `refusal` when the last one was not right.
fn code_page(
    state: &AppState,
    submission: &Submission,
    refusal: Option<&Refusal>,
) -> Result<Response, Error> {
    let view = &submission.view;
    let ap = submission.ap.as_ref();
    let (csrf, cookie) = csrf::token(&submission.headers, state.secure_cookies);
    let carried = ap.map(AccessPoint::carried_fields).unwrap_or_default();
    let status = refusal.map_or(StatusCode::OK, |refusal| refusal.status);
    if let Some(refusal) = refusal {
        refusal.count();
    }
    let mut typed = submission.typed.clone();
    typed.email = submission.fields.text("email").to_owned();
    typed.remember = submission.remember;
    let ctx = context! {
        csrf,
        carried => &carried,
        branding_version => view.branding.version,
        code_minutes => CODE_TTL.as_secs() / 60,
        refusal => refusal.map(landing::shown),
        typed,
    };
    let extras = Extras {
        cookie,
        hands_off: ap.is_some(),
        no_store: true,
        back_query: landing_query(&carried),
    };
    pages::respond(state, view, "captive_code.html", status, ctx, extras)
}

/// `POST /wifi/{site}/voucher`: a printed code. It is checked here and spent by the
/// RADIUS server when the access point logs the person in with it.
pub(super) async fn voucher(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Error> {
    let mode = SignUpMode::Voucher;
    let submission = submission!(Submission::read(&state, &slug, mode, ip, headers, &body));
    let limits = &state.captive.limits;
    let device = submission.device();
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
    // Limitation: the store records a consent only together with a guest credential. The
    // voucher is the credential handed on here, so that credential is issued already at
    // the end of its one-second life and is purged with other expired guest accounts.
    let sign_up = SignUp {
        site: view.site.id,
        mode: SignUpMode::Voucher,
        device: submission.device(),
        email: None,
        branding_version: view.branding.version,
        remember_for: remember_for.filter(|ttl| !ttl.is_zero()),
        access_for: Duration::from_secs(1),
    };
    state.store.captive_sign_up(&sign_up).await?;
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
