//! Web sessions of the portal: an opaque key in a cookie, its data in the database.
//! Only a SHA-256 digest of the key is stored, so a copy of the table opens no session.

use std::fmt;

use crate::{Error, Store, TokenSecret, UserId, now, with_pool};

/// The secret key of a web session, as carried in its cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey(TokenSecret);

impl SessionKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(TokenSecret::generate())
    }

    /// Wraps a key received in a cookie.
    pub fn from_cookie(raw: &str) -> Self {
        Self(TokenSecret::from_link(raw))
    }

    /// The key text to put in the cookie.
    pub fn reveal(&self) -> &str {
        self.0.reveal()
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(***)")
    }
}

/// A stored session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The signed-in user, if any.
    pub user_id: Option<UserId>,
    /// The portal's serialised session data.
    pub data: Vec<u8>,
    /// When the session stops working, in Unix seconds.
    pub expires_at: i64,
}

impl Store {
    /// Writes a session, replacing what was stored under the same key.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the session cannot be written.
    pub async fn save_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
    ) -> Result<(), Error> {
        let sql = "INSERT INTO web_sessions (id, data, expires_at, user_id) \
                   VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (id) DO UPDATE SET data = excluded.data, \
                   expires_at = excluded.expires_at, user_id = excluded.user_id";
        with_pool!(self, pool => sqlx::query(sql)
            .bind(key.0.digest())
            .bind(&record.data)
            .bind(record.expires_at)
            .bind(record.user_id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// The unexpired session stored under `key`, if any.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn load_session(&self, key: &SessionKey) -> Result<Option<SessionRecord>, Error> {
        let sql = "SELECT user_id, data, expires_at FROM web_sessions \
                   WHERE id = $1 AND expires_at > $2";
        let row: Option<(Option<UserId>, Vec<u8>, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(key.0.digest())
            .bind(now())
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(user_id, data, expires_at)| SessionRecord {
            user_id,
            data,
            expires_at,
        }))
    }

    /// Ends the session stored under `key`.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn delete_session(&self, key: &SessionKey) -> Result<(), Error> {
        let sql = "DELETE FROM web_sessions WHERE id = $1";
        with_pool!(self, pool => sqlx::query(sql).bind(key.0.digest()).execute(pool).await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of `user`, as after a password change.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn delete_sessions_of(&self, user: UserId) -> Result<u64, Error> {
        let sql = "DELETE FROM web_sessions WHERE user_id = $1";
        Ok(
            with_pool!(self, pool => sqlx::query(sql).bind(user).execute(pool).await
            .map(|done| done.rows_affected()))?,
        )
    }

    /// Deletes expired sessions and returns how many went.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn purge_expired_sessions(&self) -> Result<u64, Error> {
        let sql = "DELETE FROM web_sessions WHERE expires_at <= $1";
        Ok(
            with_pool!(self, pool => sqlx::query(sql).bind(now()).execute(pool).await
            .map(|done| done.rows_affected()))?,
        )
    }
}
