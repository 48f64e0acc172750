//! Personal API tokens: bearer credentials for `/api/v1`, stored as SHA-256 digests.

use serde::{Deserialize, Serialize};

use crate::{Error, Store, TokenSecret, User, UserId, now, with_pool};

/// The prefix of every API token, so a leaked one is recognisable in a scan.
pub const API_TOKEN_PREFIX: &str = "cmns_";

/// Identifies a personal API token.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(transparent)]
#[serde(transparent)]
pub struct ApiTokenId(pub i64);

impl std::fmt::Display for ApiTokenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A token as listed to its owner; the secret itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    /// Row id.
    pub id: ApiTokenId,
    /// What its owner called it.
    pub name: String,
    /// When it was made, in Unix seconds.
    pub created_at: i64,
    /// When it was last presented.
    pub last_used_at: Option<i64>,
}

fn digest_of(raw: &str) -> String {
    TokenSecret::from_link(raw).digest()
}

impl Store {
    /// Makes a token for `user` and returns it with its secret, which is shown once.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the token cannot be stored.
    pub async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
    ) -> Result<(ApiToken, TokenSecret), Error> {
        let secret = TokenSecret::from_link(&format!(
            "{API_TOKEN_PREFIX}{}",
            TokenSecret::generate().reveal()
        ));
        let sql = "INSERT INTO api_tokens (user_id, name, token_hash, created_at) \
                   VALUES ($1, $2, $3, $4) RETURNING id, name, created_at, last_used_at";
        let token = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(user)
            .bind(name)
            .bind(digest_of(secret.reveal()))
            .bind(now())
            .fetch_one(pool)
            .await)?;
        Ok((token, secret))
    }

    /// The live tokens of `user`, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn api_tokens_of(&self, user: UserId) -> Result<Vec<ApiToken>, Error> {
        let sql = "SELECT id, name, created_at, last_used_at FROM api_tokens \
                   WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(user).fetch_all(pool).await)?)
    }

    /// Revokes token `id` of `user`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when `user` has no such live token.
    pub async fn revoke_api_token(&self, user: UserId, id: ApiTokenId) -> Result<(), Error> {
        let sql = "UPDATE api_tokens SET revoked_at = $1 \
                   WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(now())
            .bind(id)
            .bind(user)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound { what: "API token" });
        }
        Ok(())
    }

    /// The enabled user a presented token belongs to, noting its use.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for an unknown or revoked token, or a disabled user.
    pub async fn user_for_api_token(&self, raw: &str) -> Result<User, Error> {
        let sql = "UPDATE api_tokens SET last_used_at = $1 \
                   WHERE token_hash = $2 AND revoked_at IS NULL RETURNING user_id";
        let user: Option<UserId> = with_pool!(self, pool => sqlx::query_scalar(sql)
            .bind(now())
            .bind(digest_of(raw))
            .fetch_optional(pool)
            .await)?;
        let user = self
            .user(user.ok_or(Error::NotFound { what: "API token" })?)
            .await?;
        if user.disabled {
            return Err(Error::NotFound { what: "API token" });
        }
        Ok(user)
    }
}
