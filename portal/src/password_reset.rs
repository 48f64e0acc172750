//! Password reset by email: a one-time link valid for an hour, with a limit on requests.

use std::time::Duration;

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use commons_store::{TokenPurpose, TokenSecret, TokenSubject};
use minijinja::context;
use serde::Deserialize;

use crate::{
    AppState, Error,
    forms::{self, FieldErrors},
    mail,
    page::{Visitor, message},
    password,
};

/// How long a reset link works.
const LINK_TTL: Duration = Duration::from_secs(60 * 60);

/// Reset emails allowed per address per hour.
const MAX_REQUESTS_PER_HOUR: i64 = 3;

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/password-reset",
            get(reset_request_show).post(reset_request_submit),
        )
        .route(
            "/password-reset/{token}",
            get(reset_show).post(reset_submit),
        )
}

async fn reset_request_show(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, Error> {
    visitor.page(
        &state,
        "reset_request.html",
        context! { errors => FieldErrors::new() },
    )
}

/// The field of the reset request form.
#[derive(Deserialize)]
struct RequestForm {
    #[serde(default)]
    email: String,
}

async fn reset_request_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<RequestForm>,
) -> Result<Response, Error> {
    let email = form.email.trim().to_lowercase();
    let mut errors = FieldErrors::new();
    forms::email(&mut errors, "email", &email);
    if !errors.is_empty() {
        let ctx = context! { errors, email };
        return visitor.page_with(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reset_request.html",
            ctx,
        );
    }

    // Counted whether or not an account exists, so the limit reveals nothing.
    let bucket = format!("reset:{email}");
    if state.store.count_rate_events(&bucket, 60 * 60).await? >= MAX_REQUESTS_PER_HOUR {
        errors.insert(
            "email",
            "Too many reset emails for this address. Wait an hour.".into(),
        );
        let ctx = context! { errors, email };
        return visitor.page_with(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            "reset_request.html",
            ctx,
        );
    }
    state.store.record_rate_event(&bucket).await?;

    if let Some(user) = state
        .store
        .user_by_email(&email)
        .await?
        .filter(|u| !u.disabled)
    {
        let subject = TokenSubject {
            user_id: Some(user.id),
            ..TokenSubject::default()
        };
        let token = state
            .store
            .issue_token(TokenPurpose::PasswordReset, subject, LINK_TTL)
            .await?;
        let link = state.link(&format!("password-reset/{}", token.reveal()))?;
        let body = format!(
            "Someone asked to reset the password of your Commons account.\n\n\
             Choose a new password here (the link works once, for one hour):\n{link}\n\n\
             If it was not you, ignore this email; your password stays as it is.\n"
        );
        mail::send(&state, &user.email, "Reset your Commons password", body).await?;
    }
    let text = format!(
        "If {email} has an account, we have sent it a link to choose a new password. \
         The link works for one hour."
    );
    visitor.page(&state, "message.html", message("Check your email", &text))
}

fn link_gone(state: &AppState, visitor: &Visitor) -> Result<Response, Error> {
    let ctx = message(
        "This link no longer works",
        "It has been used already or has expired. Ask for a new one from the sign-in page.",
    );
    visitor.page_with(state, StatusCode::NOT_FOUND, "message.html", ctx)
}

async fn reset_show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let secret = TokenSecret::from_link(&token);
    match state
        .store
        .peek_token(&secret, TokenPurpose::PasswordReset)
        .await
    {
        Ok(_) => visitor.page(
            &state,
            "reset_password.html",
            context! { errors => FieldErrors::new() },
        ),
        Err(commons_store::Error::NotFound { .. }) => link_gone(&state, &visitor),
        Err(err) => Err(err.into()),
    }
}

/// The fields of the new-password form.
#[derive(Deserialize)]
struct NewPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn reset_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> Result<Response, Error> {
    let secret = TokenSecret::from_link(&token);
    if let Err(commons_store::Error::NotFound { .. }) = state
        .store
        .peek_token(&secret, TokenPurpose::PasswordReset)
        .await
    {
        return link_gone(&state, &visitor);
    }
    let mut errors = FieldErrors::new();
    forms::new_password(&mut errors, &form.password, &form.confirm);
    if !errors.is_empty() {
        let ctx = context! { errors };
        return visitor.page_with(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reset_password.html",
            ctx,
        );
    }

    let hash = password::hash(form.password).await?;
    let user = match state
        .store
        .set_password_with_token(&secret, TokenPurpose::PasswordReset, &hash)
        .await
    {
        Err(commons_store::Error::NotFound { .. }) => return link_gone(&state, &visitor),
        other => other?,
    };
    // Whoever knew the old password is signed out everywhere.
    state.store.delete_sessions_of(user.id).await?;
    state
        .store
        .clear_rate_events(&format!("sign_in:{}", user.email))
        .await?;
    tracing::info!(user = %user.id, "password reset");
    visitor.session.end();
    let ctx = message(
        "Password changed",
        "Your new password is set. You can now sign in.",
    );
    visitor.page(&state, "message.html", ctx)
}
