//! One-time account links: creating the first council administrator, and choosing a
//! password for an account an administrator made with `commons admin create`.

use std::collections::BTreeMap;

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
};
use commons_store::{Store, TokenPurpose, TokenSecret, TokenSubject};
use minijinja::context;
use serde::Deserialize;
use url::Url;

use crate::{AppState, Error, forms::looks_like_email, page::Visitor, password};

/// How long the first-administrator link printed at start-up stays valid.
const FIRST_ADMIN_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// When no council administrator exists, prints one line with a fresh one-time link to
/// create the first; earlier links stop working so only the newest printed one is live.
///
/// # Errors
///
/// [`Error::StoreFailed`] when the database cannot be asked or written.
pub(crate) async fn announce_first_admin(store: &Store, public_url: &Url) -> Result<(), Error> {
    if store.count_council_admins().await? > 0 {
        return Ok(());
    }
    store.revoke_tokens(TokenPurpose::FirstAdmin).await?;
    let purpose = TokenPurpose::FirstAdmin;
    let token = store
        .issue_token(purpose, TokenSubject::default(), FIRST_ADMIN_LINK_TTL)
        .await?;
    let link = public_url.join(&format!("setup/{}", token.reveal()))?;
    println!("No administrator yet. Create the first one at {link} (one use, 24 hours)");
    Ok(())
}

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup/{token}", get(setup_show).post(setup_submit))
}

async fn home(State(state): State<AppState>, visitor: Visitor) -> Result<Response, Error> {
    visitor.page(&state, "home.html", context! {})
}

/// Which kind of account link a token is.
enum Link {
    FirstAdmin,
    SignIn { email: String },
}

async fn identify(state: &AppState, secret: &TokenSecret) -> Result<Option<Link>, Error> {
    match state
        .store
        .peek_token(secret, TokenPurpose::FirstAdmin)
        .await
    {
        Ok(_) => return Ok(Some(Link::FirstAdmin)),
        Err(commons_store::Error::NotFound { .. }) => {}
        Err(err) => return Err(err.into()),
    }
    let token = match state.store.peek_token(secret, TokenPurpose::SignIn).await {
        Ok(token) => token,
        Err(commons_store::Error::NotFound { .. }) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let Some(user_id) = token.user_id else {
        return Ok(None);
    };
    let user = state.store.user(user_id).await?;
    Ok(Some(Link::SignIn { email: user.email }))
}

fn link_gone(state: &AppState) -> Result<Response, Error> {
    let page = state.templates.render(
        "message.html",
        context! {
            title => "This link no longer works",
            message => "It has been used already or has expired. Ask a council administrator \
                        for a new one.",
        },
    )?;
    Ok((StatusCode::NOT_FOUND, Html(page)).into_response())
}

async fn setup_show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    let secret = TokenSecret::from_link(&token);
    let Some(link) = identify(&state, &secret).await? else {
        return link_gone(&state);
    };
    render_form(&state, &link, None, &BTreeMap::new(), StatusCode::OK)
}

fn render_form(
    state: &AppState,
    link: &Link,
    typed_email: Option<&str>,
    errors: &BTreeMap<&str, &str>,
    status: StatusCode,
) -> Result<Response, Error> {
    let (first_admin, email) = match link {
        Link::FirstAdmin => (true, typed_email),
        Link::SignIn { email } => (false, Some(email.as_str())),
    };
    let page = state.templates.render(
        "setup.html",
        context! {
            first_admin, email, errors, min_password => password::MIN_PASSWORD_CHARS,
        },
    )?;
    Ok((status, Html(page)).into_response())
}

/// The fields of the account form.
#[derive(Deserialize)]
struct SetupForm {
    #[serde(default)]
    email: String,
    password: String,
    confirm: String,
}

/// Checks the form and returns each bad field with what to do about it.
fn validate(form: &SetupForm, needs_email: bool) -> BTreeMap<&'static str, &'static str> {
    let mut errors = BTreeMap::new();
    let email = form.email.trim();
    if needs_email && !looks_like_email(email) {
        errors.insert("email", "Enter an email address like name@example.org.");
    }
    let chars = form.password.chars().count();
    if chars < password::MIN_PASSWORD_CHARS {
        errors.insert("password", "Use at least 12 characters.");
    } else if chars > 1024 {
        errors.insert("password", "Use at most 1024 characters.");
    }
    if form.confirm != form.password {
        errors.insert(
            "confirm",
            "The two passwords are different. Type the same one twice.",
        );
    }
    errors
}

// The token in the path is the capability: a forged cross-site post cannot know it, so
// this form needs no separate CSRF token.
async fn setup_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<SetupForm>,
) -> Result<Response, Error> {
    let secret = TokenSecret::from_link(&token);
    let Some(link) = identify(&state, &secret).await? else {
        return link_gone(&state);
    };

    let mut errors = validate(&form, matches!(link, Link::FirstAdmin));
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render_form(&state, &link, Some(form.email.trim()), &errors, status);
    }

    let hash = password::hash(form.password).await?;
    let user = match link {
        Link::FirstAdmin => {
            match state
                .store
                .create_first_admin(&secret, form.email.trim(), &hash)
                .await
            {
                Err(commons_store::Error::AlreadyExists { .. }) => {
                    errors.insert(
                        "email",
                        "An account with this email address already exists.",
                    );
                    let status = StatusCode::UNPROCESSABLE_ENTITY;
                    return render_form(&state, &link, Some(form.email.trim()), &errors, status);
                }
                Err(commons_store::Error::NotFound { .. }) => return link_gone(&state),
                other => other?,
            }
        }
        Link::SignIn { .. } => {
            match state
                .store
                .set_password_with_token(&secret, TokenPurpose::SignIn, &hash)
                .await
            {
                Err(commons_store::Error::NotFound { .. }) => return link_gone(&state),
                other => other?,
            }
        }
    };
    tracing::info!(user = %user.id, "account link used");

    let page = state.templates.render(
        "message.html",
        context! {
            title => "Your account is ready",
            message => format!("{} can now sign in as a council administrator.", user.email),
        },
    )?;
    Ok(Html(page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(email: &str, password: &str, confirm: &str) -> SetupForm {
        SetupForm {
            email: email.into(),
            password: password.into(),
            confirm: confirm.into(),
        }
    }

    #[test]
    fn each_bad_field_gets_its_own_message() {
        let errors = validate(&form("not-an-email", "short", "other"), true);
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["confirm", "email", "password"]
        );
        assert!(
            validate(
                &form("a@council.example", "long enough pass", "long enough pass"),
                true
            )
            .is_empty()
        );
        assert!(validate(&form("", "long enough pass", "long enough pass"), false).is_empty());
    }
}
