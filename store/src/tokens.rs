//! One-time links: first administrator, sign-in, password reset, email verification and
//! invitations. Only a SHA-256 digest of each token is stored.

use std::{fmt, time::Duration};

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{
    BeginWrite, Error, OrgId, Store, User, UserId, now, trusted, users::normalise_email, with_pool,
};

/// What a one-time token allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Create the first council administrator of a new installation.
    FirstAdmin,
    /// Set a password for an account made by an administrator, then sign in.
    SignIn,
    /// Choose a new password.
    PasswordReset,
    /// Confirm an email address.
    VerifyEmail,
    /// Join an organisation.
    Invitation,
}

impl TokenPurpose {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::FirstAdmin => "first_admin",
            Self::SignIn => "sign_in",
            Self::PasswordReset => "password_reset",
            Self::VerifyEmail => "verify_email",
            Self::Invitation => "invitation",
        }
    }
}

/// The secret part of a one-time link. Shown once, to the person it is for.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl TokenSecret {
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex(&bytes))
    }

    /// Wraps a token received in a link.
    pub fn from_link(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The token text to put in a link.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub(crate) fn digest(&self) -> String {
        hex(&Sha256::digest(self.0.as_bytes()))
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(***)")
    }
}

/// Lower-case hexadecimal of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A valid, unused one-time token.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OneTimeToken {
    /// The account it acts on, if any.
    pub user_id: Option<UserId>,
    /// The organisation it concerns, if any.
    pub org_id: Option<OrgId>,
    /// The address it was sent to, if any.
    pub email: Option<String>,
    /// For invitations: the role offered.
    pub role: Option<String>,
    /// When it stops working.
    pub expires_at: i64,
}

const TOKEN_COLUMNS: &str = "user_id, org_id, email, role, expires_at";

/// Details recorded with a new token.
#[derive(Clone, Debug, Default)]
pub struct TokenSubject {
    /// The account it acts on.
    pub user_id: Option<UserId>,
    /// The organisation it concerns.
    pub org_id: Option<OrgId>,
    /// The address it is sent to.
    pub email: Option<String>,
    /// For invitations: the role offered.
    pub role: Option<String>,
}

impl Store {
    /// Issues a token for `purpose`, valid for `ttl`.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the token cannot be stored.
    pub async fn issue_token(
        &self,
        purpose: TokenPurpose,
        subject: TokenSubject,
        ttl: Duration,
    ) -> Result<TokenSecret, Error> {
        let secret = TokenSecret::generate();
        let created = now();
        let expires = created.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let sql = "INSERT INTO one_time_tokens \
                   (token_hash, purpose, user_id, org_id, email, role, expires_at, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(secret.digest())
            .bind(purpose.as_str())
            .bind(subject.user_id)
            .bind(subject.org_id)
            .bind(subject.email.as_deref().map(normalise_email))
            .bind(subject.role)
            .bind(expires)
            .bind(created)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(secret)
    }

    /// Looks a token up without using it, to decide what page to show.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the token is unknown, used, expired or for another purpose.
    pub async fn peek_token(
        &self,
        secret: &TokenSecret,
        purpose: TokenPurpose,
    ) -> Result<OneTimeToken, Error> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM one_time_tokens \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
        );
        let token = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(secret.digest())
            .bind(purpose.as_str())
            .bind(now())
            .fetch_optional(pool)
            .await)?;
        token.ok_or(Error::NotFound { what: "link" })
    }

    /// Invalidates every unused token of `purpose`, so only the next one issued works.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn revoke_tokens(&self, purpose: TokenPurpose) -> Result<u64, Error> {
        let sql = "UPDATE one_time_tokens SET used_at = $1 WHERE purpose = $2 AND used_at IS NULL";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(now())
            .bind(purpose.as_str())
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done)
    }

    /// Uses a first-administrator token: creates the administrator with `password_hash`.
    ///
    /// # Guarantees
    ///
    /// One transaction: the token is spent if and only if the account is created, and a
    /// token can be spent once.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for a bad token, [`Error::AlreadyExists`] for a taken email.
    pub async fn create_first_admin(
        &self,
        secret: &TokenSecret,
        email: &str,
        password_hash: &str,
    ) -> Result<User, Error> {
        let spend = "UPDATE one_time_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
                     AND expires_at > $1";
        let insert = "INSERT INTO users \
                      (email, password_hash, council_admin, email_verified_at, created_at) \
                      VALUES ($1, $2, TRUE, $3, $3) RETURNING id";
        let id: UserId = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            let spent = sqlx::query(spend)
                .bind(at)
                .bind(secret.digest())
                .bind(TokenPurpose::FirstAdmin.as_str())
                .execute(&mut *tx)
                .await?;
            if spent.rows_affected() != 1 {
                return Err(Error::NotFound { what: "link" });
            }
            let id = sqlx::query_scalar(insert)
                .bind(normalise_email(email))
                .bind(password_hash)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("user"))?;
            tx.commit().await?;
            id
        });
        self.user(id).await
    }

    /// Uses a sign-in or password-reset token: sets the password of its user.
    ///
    /// # Guarantees
    ///
    /// One transaction: the token is spent if and only if the password changes.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the token is unknown, used, expired or not for `purpose`.
    pub async fn set_password_with_token(
        &self,
        secret: &TokenSecret,
        purpose: TokenPurpose,
        password_hash: &str,
    ) -> Result<User, Error> {
        let spend = "UPDATE one_time_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
                     AND expires_at > $1 AND user_id IS NOT NULL RETURNING user_id";
        let update = "UPDATE users SET password_hash = $1, \
                      email_verified_at = COALESCE(email_verified_at, $2) WHERE id = $3";
        let id: UserId = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            let id: Option<UserId> = sqlx::query_scalar(spend)
                .bind(at)
                .bind(secret.digest())
                .bind(purpose.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else {
                return Err(Error::NotFound { what: "link" });
            };
            sqlx::query(update).bind(password_hash).bind(at).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            id
        });
        self.user(id).await
    }

    /// Uses an email-verification token: marks its user's address as confirmed.
    ///
    /// # Guarantees
    ///
    /// One transaction; a token confirms once.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the token is unknown, used or expired.
    pub async fn verify_email_with_token(&self, secret: &TokenSecret) -> Result<User, Error> {
        let spend = "UPDATE one_time_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
                     AND expires_at > $1 AND user_id IS NOT NULL RETURNING user_id";
        let update = "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $1) \
                      WHERE id = $2";
        let id: UserId = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            let id: Option<UserId> = sqlx::query_scalar(spend)
                .bind(at)
                .bind(secret.digest())
                .bind(TokenPurpose::VerifyEmail.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else {
                return Err(Error::NotFound { what: "link" });
            };
            sqlx::query(update).bind(at).bind(id).execute(&mut *tx).await?;
            tx.commit().await?;
            id
        });
        self.user(id).await
    }
}
