//! The sign-up forms: terms only, an emailed 6-digit code, a printed voucher. Each checks
//! what every form needs (limits, way offered, terms accepted and current), signs the
//! person up in one store transaction, and hands them back to the access point.

mod email;
mod voucher;

use std::{net::IpAddr, sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Request, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use commons_store::{SignUp, SignUpMode};

pub(super) use self::{
    email::{email, verify},
    voucher::voucher,
};
use super::{
    cache::SiteView,
    csrf::MAX_FORM_BYTES,
    fields::{Fields, Typed},
    handoff::{self, Access},
    landing, pages,
    refusal::{Reason, Refusal},
    vendor::AccessPoint,
};
use crate::{AppState, Error, client_ip::ClientIp, forms::email_problem};

/// Seconds in a day, the unit of remembering devices.
const DAY_SECS: u64 = 24 * 60 * 60;

/// A captive form as posted: the site it went to, who sent it, and its body (already read,
/// and its size bounded, by the anti-forgery check).
pub(super) struct Posted {
    slug: String,
    ip: IpAddr,
    headers: HeaderMap,
    body: Bytes,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(slug) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let ClientIp(ip) = ClientIp::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let body = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
        Ok(Self {
            slug,
            ip,
            headers: parts.headers,
            body,
        })
    }
}

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
    /// Reads a form for `mode` and runs the shared checks (an email form's address
    /// included); a refusal comes back as the page to answer with.
    async fn read(state: &AppState, posted: Posted, mode: SignUpMode) -> Result<Self, Response> {
        let view = match pages::site(state, &posted.slug).await {
            Ok(Some(view)) => view,
            Ok(None) => return Err(pages::no_such_site(state)),
            Err(err) => return Err(err.into_response()),
        };
        let fields = Fields::parse(&posted.body);
        let typed = Typed::from_fields(&fields, mode.as_str());
        let mut submission = Self {
            view,
            ap: None,
            fields,
            typed,
            remember: false,
            ip: posted.ip,
            headers: posted.headers,
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
        if mode == SignUpMode::Email
            && let Some(problem) = email_problem(self.fields.text("email"))
        {
            return Err(Refusal::field(
                Reason::InvalidInput,
                "email",
                format!("{problem} Enter your email address, like name@example.org."),
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
use submission;

/// `POST /wifi/{site}/terms`: accept the terms, get a limited session.
pub(super) async fn terms(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Error> {
    let mode = SignUpMode::Terms;
    let submission = submission!(Submission::read(&state, posted, mode));
    let secs = submission.view.settings.terms_session_secs;
    submission.sign_up(&state, mode, None, secs).await
}
