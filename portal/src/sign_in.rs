//! Signing in with email and password, with a limit on wrong attempts, and signing out.

use axum::{
    Form, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use minijinja::context;
use serde::Deserialize;

use crate::{AppState, Error, forms::FieldErrors, page::Visitor, password};

/// Wrong passwords allowed for one address within [`WINDOW_SECS`].
pub(crate) const MAX_FAILURES: i64 = 5;

/// The window over which wrong passwords are counted.
const WINDOW_SECS: i64 = 15 * 60;

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in_show).post(sign_in_submit))
        .route("/sign-out", post(sign_out))
}

async fn sign_in_show(State(state): State<AppState>, visitor: Visitor) -> Result<Response, Error> {
    if visitor.user.is_some() {
        return Ok(Redirect::to("/orgs").into_response());
    }
    visitor.page(
        &state,
        "sign_in.html",
        context! { errors => FieldErrors::new() },
    )
}

/// The fields of the sign-in form.
#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

// Limitation: attempts are counted per address only, not per client address too: behind
// the council's reverse proxy the client address needs a trusted forwarding header, which
// is not configured yet. Someone guessing can so lock an address out for 15 minutes; the
// owner can still reset the password.
fn bucket(email: &str) -> String {
    format!("sign_in:{}", email.trim().to_lowercase())
}

async fn sign_in_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    Form(form): Form<SignInForm>,
) -> Result<Response, Error> {
    let bucket = bucket(&form.email);
    let refuse = |status, message: &str| {
        let errors = FieldErrors::from([("form", message.to_owned())]);
        let ctx = context! { errors, email => form.email.trim() };
        visitor.page_with(&state, status, "sign_in.html", ctx)
    };
    if state.store.count_rate_events(&bucket, WINDOW_SECS).await? >= MAX_FAILURES {
        tracing::warn!("sign-in refused: too many wrong passwords");
        let message = "Too many wrong passwords for this address. Wait 15 minutes, or reset \
                       your password.";
        return refuse(StatusCode::TOO_MANY_REQUESTS, message);
    }

    let stored = state.store.password_hash(&form.email).await?;
    let verified = match stored {
        Some((id, hash)) => password::verify(form.password.clone(), hash)
            .await
            .then_some(id),
        None => {
            // Spend the same time on unknown addresses, so timing does not reveal accounts.
            let _ = password::hash(form.password.clone()).await;
            None
        }
    };
    let Some(user_id) = verified else {
        state.store.record_rate_event(&bucket).await?;
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "The email address or password is wrong.",
        );
    };

    state.store.clear_rate_events(&bucket).await?;
    visitor.session.sign_in(user_id);
    tracing::info!(user = %user_id, "signed in");
    Ok(Redirect::to("/orgs").into_response())
}

async fn sign_out(visitor: Visitor) -> Response {
    visitor.session.end();
    Redirect::to("/").into_response()
}
