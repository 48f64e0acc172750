//! Invitations to join an organisation: one-time tokens sent by email, accepted by an
//! existing account or by creating one.

use crate::{
    BeginWrite, Error, MemberRole, NewAuditEntry, OrgId, Store, TokenPurpose, TokenSecret, User,
    UserId, members::parse_role, now, users::normalise_email, with_pool,
};

/// An invitation not yet accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The address it was sent to.
    pub email: String,
    /// The role offered.
    pub role: MemberRole,
    /// When it stops working, in Unix seconds.
    pub expires_at: i64,
}

/// What accepting an invitation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The organisation joined.
    pub org_id: OrgId,
    /// The account that joined.
    pub user: User,
    /// The role it now holds.
    pub role: MemberRole,
}

const SPEND: &str = "UPDATE one_time_tokens SET used_at = $1 \
                     WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL \
                     AND expires_at > $1 AND org_id IS NOT NULL RETURNING org_id, email, role";

const JOIN: &str = "INSERT INTO memberships (org_id, user_id, role, created_at) \
                    VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, user_id) DO NOTHING";

impl Store {
    /// The unexpired, unused invitations of `org`, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn pending_invitations(&self, org: OrgId) -> Result<Vec<Invitation>, Error> {
        let sql = "SELECT email, role, expires_at FROM one_time_tokens \
                   WHERE org_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 \
                   ORDER BY created_at DESC";
        let rows: Vec<(Option<String>, Option<String>, i64)> = with_pool!(self, pool =>
            sqlx::query_as(sql)
                .bind(org)
                .bind(TokenPurpose::Invitation.as_str())
                .bind(now())
                .fetch_all(pool)
                .await)?;
        rows.into_iter()
            .map(|(email, role, expires_at)| {
                Ok(Invitation {
                    email: email.unwrap_or_default(),
                    role: parse_role(role.as_deref().unwrap_or("member"))?,
                    expires_at,
                })
            })
            .collect()
    }

    /// Issues an invitation to `email` to join `org` as `role`, valid for `ttl`.
    ///
    /// # Guarantees
    ///
    /// One transaction with `audit`.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the invitation cannot be stored.
    pub async fn issue_invitation(
        &self,
        org: OrgId,
        email: &str,
        role: MemberRole,
        ttl: std::time::Duration,
        audit: &NewAuditEntry,
    ) -> Result<TokenSecret, Error> {
        let secret = TokenSecret::generate();
        let created = now();
        let expires = created.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let sql = "INSERT INTO one_time_tokens \
                   (token_hash, purpose, org_id, email, role, expires_at, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(sql)
                .bind(secret.digest())
                .bind(TokenPurpose::Invitation.as_str())
                .bind(org)
                .bind(normalise_email(email))
                .bind(role.as_str())
                .bind(expires)
                .bind(created)
                .execute(&mut *tx)
                .await?;
            crate::audit::insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        Ok(secret)
    }

    /// Withdraws the unused invitations of `org` sent to `email`; returns how many.
    ///
    /// # Guarantees
    ///
    /// One transaction with `audit`, which is written only when something was withdrawn.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn revoke_invitations(
        &self,
        org: OrgId,
        email: &str,
        audit: &NewAuditEntry,
    ) -> Result<u64, Error> {
        let sql = "UPDATE one_time_tokens SET used_at = $1 \
                   WHERE org_id = $2 AND email = $3 AND purpose = $4 AND used_at IS NULL";
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let revoked = sqlx::query(sql)
                .bind(now())
                .bind(org)
                .bind(normalise_email(email))
                .bind(TokenPurpose::Invitation.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if revoked > 0 {
                crate::audit::insert_audit!(&mut *tx, audit)?;
            }
            tx.commit().await?;
            revoked
        }))
    }

    /// Accepts an invitation as the existing account `user`, whose address must be the
    /// one invited.
    ///
    /// # Guarantees
    ///
    /// One transaction: the token is spent if and only if the membership is made. A
    /// person already in the organisation keeps the role they had.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the token is unknown, used, expired, or for another address.
    pub async fn accept_invitation(
        &self,
        secret: &TokenSecret,
        user: &User,
    ) -> Result<Accepted, Error> {
        let (org_id, role) = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            let spent: Option<(OrgId, Option<String>, Option<String>)> = sqlx::query_as(SPEND)
                .bind(at)
                .bind(secret.digest())
                .bind(TokenPurpose::Invitation.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some((org_id, Some(email), role)) = spent else {
                return Err(Error::NotFound { what: "invitation" });
            };
            if email != user.email {
                return Err(Error::NotFound { what: "invitation" });
            }
            let role = parse_role(role.as_deref().unwrap_or("member"))?;
            sqlx::query(JOIN).bind(org_id).bind(user.id).bind(role.as_str()).bind(at)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            (org_id, role)
        });
        let role = self.membership(org_id, user.id).await?.unwrap_or(role);
        Ok(Accepted {
            org_id,
            user: user.clone(),
            role,
        })
    }

    /// Accepts an invitation by creating an account for the invited address, with its
    /// email confirmed (the link proved it) and `password_hash`.
    ///
    /// # Guarantees
    ///
    /// One transaction: token, account and membership all happen or none does.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] for a bad token, [`Error::AlreadyExists`] when the address
    /// already has an account (which should sign in and accept instead).
    pub async fn accept_invitation_as_new_user(
        &self,
        secret: &TokenSecret,
        display_name: &str,
        password_hash: &str,
    ) -> Result<Accepted, Error> {
        let insert = "INSERT INTO users \
                      (email, display_name, password_hash, email_verified_at, created_at) \
                      VALUES ($1, $2, $3, $4, $4) RETURNING id";
        let (org_id, user_id, role) = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            let spent: Option<(OrgId, Option<String>, Option<String>)> = sqlx::query_as(SPEND)
                .bind(at)
                .bind(secret.digest())
                .bind(TokenPurpose::Invitation.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            let Some((org_id, Some(email), role)) = spent else {
                return Err(Error::NotFound { what: "invitation" });
            };
            let role = parse_role(role.as_deref().unwrap_or("member"))?;
            let user_id: UserId = sqlx::query_scalar(insert)
                .bind(&email)
                .bind(display_name)
                .bind(password_hash)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("user"))?;
            sqlx::query(JOIN).bind(org_id).bind(user_id).bind(role.as_str()).bind(at)
                .execute(&mut *tx).await?;
            tx.commit().await?;
            (org_id, user_id, role)
        });
        Ok(Accepted {
            org_id,
            user: self.user(user_id).await?,
            role,
        })
    }
}
