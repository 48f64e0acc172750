//! Organisation sign-up (the organisation and its first owner) and email verification.

use std::time::Duration;

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use commons_store::{
    NewOrganisation, NewOwner, OrgKind, TokenPurpose, TokenSecret, TokenSubject, User, UserId,
};
use minijinja::context;
use serde::Deserialize;

use crate::{
    AppState, Error,
    forms::{self, FieldErrors},
    mail,
    page::{Visitor, message},
    password,
};

/// How long an email-verification link works.
const VERIFY_TTL: Duration = Duration::from_secs(3 * 24 * 60 * 60);

/// The kinds of organisation that may sign up (the council's own is made by the council).
const SIGN_UP_KINDS: [OrgKind; 4] = [
    OrgKind::Voluntary,
    OrgKind::Charity,
    OrgKind::Partner,
    OrgKind::Commercial,
];

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-up", get(signup_show).post(signup_submit))
        .route("/verify-email/{token}", get(verify_email))
}

async fn signup_show(State(state): State<AppState>, visitor: Visitor) -> Result<Response, Error> {
    let ctx = context! { errors => FieldErrors::new(), form => SignupForm::default() };
    visitor.page(&state, "sign_up.html", ctx)
}

/// The fields of the sign-up form.
#[derive(Clone, Default, Deserialize, serde::Serialize)]
pub(crate) struct SignupForm {
    #[serde(default)]
    pub(crate) org_name: String,
    #[serde(default)]
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) charity_number: String,
    #[serde(default)]
    pub(crate) your_name: String,
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default, skip_serializing)]
    pub(crate) password: String,
    #[serde(default, skip_serializing)]
    pub(crate) confirm: String,
}

/// Checks the form; returns the organisation kind when every field is good.
pub(crate) fn validate(form: &SignupForm) -> Result<OrgKind, FieldErrors> {
    let mut errors = FieldErrors::new();
    forms::text(
        &mut errors,
        "org_name",
        &form.org_name,
        "the organisation's name",
        100,
    );
    let kind = form
        .kind
        .parse::<OrgKind>()
        .ok()
        .filter(|k| SIGN_UP_KINDS.contains(k));
    if kind.is_none() {
        errors.insert("kind", "Choose what sort of organisation it is.".into());
    }
    let number = form.charity_number.trim();
    if kind == Some(OrgKind::Charity) && !(5..=12).contains(&number.len()) {
        errors.insert(
            "charity_number",
            "Enter the registered charity number, like 1234567.".into(),
        );
    } else if !number.chars().all(|c| c.is_ascii_alphanumeric()) {
        errors.insert("charity_number", "Use only letters and digits.".into());
    }
    forms::text(&mut errors, "your_name", &form.your_name, "your name", 100);
    forms::email(&mut errors, "email", &form.email);
    forms::new_password(&mut errors, &form.password, &form.confirm);
    match kind {
        Some(kind) if errors.is_empty() => Ok(kind),
        _ => Err(errors),
    }
}

async fn signup_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<SignupForm>,
) -> Result<Response, Error> {
    let again = |errors: FieldErrors| {
        let ctx = context! { errors, form => form.clone() };
        visitor.page_with(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            "sign_up.html",
            ctx,
        )
    };
    let kind = match validate(&form) {
        Ok(kind) => kind,
        Err(errors) => return again(errors),
    };

    let owner = NewOwner {
        email: form.email.trim().to_owned(),
        display_name: form.your_name.trim().to_owned(),
        password_hash: password::hash(form.password.clone()).await?,
    };
    let charity_number = Some(form.charity_number.trim().to_owned())
        .filter(|n| kind == OrgKind::Charity && !n.is_empty());
    let (org, user_id) = match register(&state, &form, kind, charity_number, &owner).await {
        Err(Error::StoreFailed(commons_store::Error::AlreadyExists { what: "user" })) => {
            let text = "An account with this email address already exists. Sign in, or reset \
                        your password.";
            return again(FieldErrors::from([("email", text.to_owned())]));
        }
        other => other?,
    };
    tracing::info!(org = %org.id, kind = %kind, "organisation signed up");

    send_verification(&state, user_id, &owner.email).await?;
    visitor.session.sign_in(user_id);
    visitor.session.flash(format!(
        "{} is registered. We have sent a link to {} to confirm your email address; the \
         council reviews the organisation once it is confirmed.",
        org.name, owner.email
    ));
    Ok(Redirect::to(&format!("/orgs/{}", org.id)).into_response())
}

/// Registers the organisation under the first free slug made from its name.
async fn register(
    state: &AppState,
    form: &SignupForm,
    kind: OrgKind,
    charity_number: Option<String>,
    owner: &NewOwner,
) -> Result<(commons_store::Organisation, UserId), Error> {
    let base = forms::slugify(&form.org_name);
    let mut attempt = 1;
    loop {
        let slug = if attempt == 1 {
            base.clone()
        } else {
            format!("{base}-{attempt}")
        };
        let new = NewOrganisation {
            slug,
            name: form.org_name.trim().to_owned(),
            kind,
            charity_number: charity_number.clone(),
        };
        match state.store.register_organisation(&new, owner).await {
            Err(commons_store::Error::AlreadyExists {
                what: "organisation",
            }) if attempt < 50 => {
                attempt += 1;
            }
            other => return Ok(other?),
        }
    }
}

/// Emails a link that confirms `email` for `user`.
pub(crate) async fn send_verification(
    state: &AppState,
    user: UserId,
    email: &str,
) -> Result<(), Error> {
    let subject = TokenSubject {
        user_id: Some(user),
        ..TokenSubject::default()
    };
    let token = state
        .store
        .issue_token(TokenPurpose::VerifyEmail, subject, VERIFY_TTL)
        .await?;
    let link = state.link(&format!("verify-email/{}", token.reveal()))?;
    let body = format!(
        "Welcome to Commons.\n\nConfirm your email address by opening this link (it works \
         once, for three days):\n{link}\n"
    );
    mail::send(state, email, "Confirm your email address", body).await
}

async fn verify_email(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let secret = TokenSecret::from_link(&token);
    let user: User = match state.store.verify_email_with_token(&secret).await {
        Err(commons_store::Error::NotFound { .. }) => {
            let ctx = message(
                "This link no longer works",
                "It has been used already or has expired. If your address is not confirmed \
                 yet, sign in to get a new link.",
            );
            return visitor.page_with(&state, StatusCode::NOT_FOUND, "message.html", ctx);
        }
        other => other?,
    };
    tracing::info!(user = %user.id, "email address confirmed");
    let text = format!(
        "Thank you: {} is confirmed. The council will review your organisation and email you.",
        user.email
    );
    visitor.page(
        &state,
        "message.html",
        message("Email address confirmed", &text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, number: &str) -> SignupForm {
        SignupForm {
            org_name: "Friends of the Park".into(),
            kind: kind.into(),
            charity_number: number.into(),
            your_name: "Ann".into(),
            email: "ann@example.org".into(),
            password: "long enough pass".into(),
            confirm: "long enough pass".into(),
        }
    }

    #[test]
    fn a_charity_needs_its_number_and_the_council_kind_cannot_sign_up() {
        assert_eq!(validate(&form("voluntary", "")), Ok(OrgKind::Voluntary));
        assert_eq!(validate(&form("charity", "1234567")), Ok(OrgKind::Charity));
        let errors = validate(&form("charity", "")).unwrap_err();
        assert!(errors.contains_key("charity_number"));
        let errors = validate(&form("council", "")).unwrap_err();
        assert!(errors.contains_key("kind"));
    }
}
