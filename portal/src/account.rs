//! The signed-in person's own settings: personal API tokens for `/api/v1`.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::ApiTokenId;
use minijinja::context;
use serde::Deserialize;

use crate::{
    AppState, Error,
    forms::{self, FieldErrors},
    page::SignedIn,
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(tokens_list).post(tokens_create))
        .route("/account/tokens/{id}/revoke", post(tokens_revoke))
}

async fn tokens_page(
    state: &AppState,
    me: &SignedIn,
    new_secret: Option<String>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let tokens: Vec<_> = state
        .store
        .api_tokens_of(me.user.id)
        .await?
        .into_iter()
        .map(|t| context! { id => t.id.0, name => t.name, created_at => t.created_at, last_used_at => t.last_used_at })
        .collect();
    let ctx = context! { tokens, new_secret, errors };
    me.page_with(state, status, "tokens.html", ctx)
}

async fn tokens_list(State(state): State<AppState>, me: SignedIn) -> Result<Response, Error> {
    tokens_page(&state, &me, None, FieldErrors::new(), StatusCode::OK).await
}

/// The field of the new-token form.
#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn tokens_create(
    State(state): State<AppState>,
    me: SignedIn,
    Form(form): Form<TokenForm>,
) -> Result<Response, Error> {
    let mut errors = FieldErrors::new();
    forms::text(&mut errors, "name", &form.name, "a name for the token", 100);
    if !errors.is_empty() {
        return tokens_page(&state, &me, None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let (token, secret) = state
        .store
        .create_api_token(me.user.id, form.name.trim())
        .await?;
    tracing::info!(user = %me.user.id, token = %token.id, "API token created");
    // Shown on this response only; the store keeps a digest.
    tokens_page(
        &state,
        &me,
        Some(secret.reveal().to_owned()),
        errors,
        StatusCode::OK,
    )
    .await
}

async fn tokens_revoke(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<ApiTokenId>,
) -> Result<Response, Error> {
    state.store.revoke_api_token(me.user.id, id).await?;
    Ok(me.redirect_with("/account/tokens", "Token revoked."))
}
