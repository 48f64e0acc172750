//! Memberships of organisations, with the rule that an organisation always keeps an owner.

use crate::{BeginWrite, Error, MemberRole, NewAuditEntry, OrgId, Store, UserId, now, with_pool};

/// A person in an organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    /// Their account.
    pub user_id: UserId,
    /// Their sign-in address.
    pub email: String,
    /// Their name.
    pub display_name: String,
    /// What they may do in the organisation.
    pub role: MemberRole,
    /// When they joined, in Unix seconds.
    pub joined_at: i64,
}

/// What became of a change to a membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberChange {
    /// The change was made.
    Done,
    /// The person is not a member of that organisation; nothing changed.
    NotMember,
    /// The change would leave the organisation without an owner; nothing changed.
    LastOwner,
}

pub(crate) fn parse_role(role: &str) -> Result<MemberRole, Error> {
    role.parse()
        .map_err(|reason: String| Error::QueryFailed(sqlx::Error::Decode(reason.into())))
}

impl Store {
    /// The members of `org`, owners first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn members(&self, org: OrgId) -> Result<Vec<Member>, Error> {
        let sql = "SELECT u.id, u.email, u.display_name, m.role, m.created_at \
                   FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 \
                   ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, \
                   u.email";
        let rows: Vec<(UserId, String, String, String, i64)> = with_pool!(self, pool =>
            sqlx::query_as(sql).bind(org).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|(user_id, email, display_name, role, joined_at)| {
                Ok(Member {
                    user_id,
                    email,
                    display_name,
                    role: parse_role(&role)?,
                    joined_at,
                })
            })
            .collect()
    }

    /// The role `user` holds in `org`, if they are a member.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn membership(&self, org: OrgId, user: UserId) -> Result<Option<MemberRole>, Error> {
        let sql = "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
        let role: Option<String> = with_pool!(self, pool => sqlx::query_scalar(sql)
            .bind(org)
            .bind(user)
            .fetch_optional(pool)
            .await)?;
        role.as_deref().map(parse_role).transpose()
    }

    /// Gives `user` a `role` in `org`, or changes the role they hold.
    ///
    /// # Guarantees
    ///
    /// One transaction, serialised per organisation, with `audit` written in it: the
    /// change (and its entry) is undone when it would leave `org` without an owner.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn set_member_role(
        &self,
        org: OrgId,
        user: UserId,
        role: MemberRole,
        audit: &NewAuditEntry,
    ) -> Result<MemberChange, Error> {
        self.change_membership(org, user, Some(role), audit).await
    }

    /// Removes `user` from `org`, as when they leave or are removed.
    ///
    /// # Guarantees
    ///
    /// As [`Store::set_member_role`]: the last owner cannot be removed.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be changed.
    pub async fn remove_member(
        &self,
        org: OrgId,
        user: UserId,
        audit: &NewAuditEntry,
    ) -> Result<MemberChange, Error> {
        self.change_membership(org, user, None, audit).await
    }

    /// Sets the role of `user` in `org` (`None` removes them) under the owner rule.
    async fn change_membership(
        &self,
        org: OrgId,
        user: UserId,
        role: Option<MemberRole>,
        audit: &NewAuditEntry,
    ) -> Result<MemberChange, Error> {
        // Touching the organisation row first takes its lock (PostgreSQL) or the write
        // lock (SQLite), so two owners removing each other cannot both succeed.
        let lock = "UPDATE organisations SET updated_at = $1 WHERE id = $2";
        let update = "UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3";
        let delete = "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2";
        let owners = "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(lock).bind(now()).bind(org).execute(&mut *tx).await?;
            let changed = match role {
                Some(role) => sqlx::query(update).bind(role.as_str()).bind(org).bind(user),
                None => sqlx::query(delete).bind(org).bind(user),
            }
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(MemberChange::NotMember);
            }
            let left: i64 = sqlx::query_scalar(owners).bind(org).fetch_one(&mut *tx).await?;
            if left == 0 {
                tx.rollback().await?;
                return Ok(MemberChange::LastOwner);
            }
            crate::audit::insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        Ok(MemberChange::Done)
    }
}
