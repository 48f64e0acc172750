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

use crate::{AppState, Error, client_ip::ClientIp, forms::FieldErrors, page::Visitor, password};

/// Wrong passwords allowed for one email address within [`WINDOW_SECS`].
pub(crate) const MAX_FAILURES: i64 = 5;

/// Wrong passwords allowed from one client address, whatever email addresses they name,
/// within [`WINDOW_SECS`]: enough for a household or an office sharing one address to
/// mistype, too few to try a list of accounts.
pub(crate) const MAX_CLIENT_FAILURES: i64 = 20;

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

// Limitation: someone guessing can lock an email address out for 15 minutes; its owner
// can still reset the password.
fn bucket(email: &str) -> String {
    format!("sign_in:{}", email.trim().to_lowercase())
}

/// The bucket of wrong passwords from one client address (behind the configured trusted
/// proxies, the address they forwarded).
fn client_bucket(client: ClientIp) -> String {
    format!("sign_in_client:{}", client.0)
}

async fn sign_in_submit(
    State(state): State<AppState>,
    visitor: Visitor,
    client: ClientIp,
    Form(form): Form<SignInForm>,
) -> Result<Response, Error> {
    let bucket = bucket(&form.email);
    let client_bucket = client_bucket(client);
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
    let from_client = state
        .store
        .count_rate_events(&client_bucket, WINDOW_SECS)
        .await?;
    if from_client >= MAX_CLIENT_FAILURES {
        tracing::warn!(client = %client.0, "sign-in refused: too many wrong passwords from one client");
        let message = "Too many wrong passwords from your network. Wait 15 minutes, or reset \
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
        state.store.record_rate_event(&client_bucket).await?;
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
