//! People who sign in to the portal, including council administrators.

use crate::{Error, Store, UserId, now, trusted, with_pool};

/// A person with a portal account.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// Sign-in address, stored lower-cased.
    pub email: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// Whether this person administers the whole service for the council.
    pub council_admin: bool,
    /// When the email address was confirmed, if it was.
    pub email_verified_at: Option<i64>,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// When the account was made.
    pub created_at: i64,
}

const USER_COLUMNS: &str =
    "id, email, display_name, council_admin, email_verified_at, disabled, created_at";

/// Normalises an email address for storage and lookup.
pub(crate) fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Store {
    /// Creates a user without a password; one is set through a one-time link.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when the email address is taken.
    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        council_admin: bool,
    ) -> Result<User, Error> {
        let sql = format!(
            "INSERT INTO users (email, display_name, council_admin, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
        );
        with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(normalise_email(email))
            .bind(display_name)
            .bind(council_admin)
            .bind(now())
            .fetch_one(pool)
            .await)
        .map_err(Error::unique("user"))
    }

    /// Finds a user by email address, in any letter case.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let user = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(normalise_email(email))
            .fetch_optional(pool)
            .await)?;
        Ok(user)
    }

    /// Finds a user by id.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such user.
    pub async fn user(&self, id: UserId) -> Result<User, Error> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let user = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        user.ok_or(Error::NotFound { what: "user" })
    }

    /// How many enabled council administrators exist.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn count_council_admins(&self) -> Result<i64, Error> {
        let sql = "SELECT COUNT(*) FROM users WHERE council_admin AND NOT disabled";
        Ok(with_pool!(self, pool => sqlx::query_scalar(sql).fetch_one(pool).await)?)
    }

    /// Makes an existing user a council administrator.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such user.
    pub async fn promote_to_council_admin(&self, id: UserId) -> Result<(), Error> {
        let sql = "UPDATE users SET council_admin = TRUE WHERE id = $1";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound { what: "user" });
        }
        Ok(())
    }

    /// The stored password hash of an enabled user, for verifying a sign-in.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn password_hash(&self, email: &str) -> Result<Option<(UserId, String)>, Error> {
        let sql = "SELECT id, password_hash FROM users \
                   WHERE email = $1 AND NOT disabled AND password_hash IS NOT NULL";
        let row: Option<(UserId, String)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(normalise_email(email))
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }
}
