//! Signing up with an email address: a 6-digit code sent through the outbox, then typed
//! in within 10 minutes and 5 attempts.

use std::time::Duration;

use axum::{extract::State, http::StatusCode, response::Response};
use commons_store::{CodeCheck, SignUpMode};
use minijinja::context;

use super::{Posted, Submission, submission};
use crate::{
    AppState, Error,
    captive::{
        pages::FormPage,
        refusal::{Reason, Refusal},
    },
    mail,
};

/// How long an emailed code works.
const CODE_TTL: Duration = Duration::from_secs(10 * 60);

/// `POST /wifi/{site}/email`: send a code to an email address, then ask for it.
pub(crate) async fn email(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Error> {
    let mode = SignUpMode::Email;
    let submission = submission!(Submission::read(&state, posted, mode));
    let email = submission.fields.text("email");
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
pub(crate) async fn verify(
    State(state): State<AppState>,
    posted: Posted,
) -> Result<Response, Error> {
    let mode = SignUpMode::Email;
    let submission = submission!(Submission::read(&state, posted, mode));
    let email = submission.fields.text("email");
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
    let mut typed = submission.typed.clone();
    typed.email = submission.fields.text("email").to_owned();
    typed.remember = submission.remember;
    let ctx = context! { code_minutes => CODE_TTL.as_secs() / 60, typed };
    let page = FormPage {
        view: &submission.view,
        ap: submission.ap.as_ref(),
        headers: &submission.headers,
        refusal,
    };
    page.render(state, "captive_code.html", ctx)
}
