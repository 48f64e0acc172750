//! Organisations (voluntary groups, charities, partners) and their members.

use std::{fmt, str::FromStr};

use crate::{BeginWrite, Error, OrgId, PlanId, Store, UserId, now, trusted, with_pool};

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),* }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            /// The stored and displayed spelling.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)*
                    other => Err(format!(
                        "unknown {} {other:?}; expected one of: {}",
                        stringify!($name),
                        [$($text),*].join(", ")
                    )),
                }
            }
        }
    };
}

text_enum! {
    /// What sort of body an organisation is.
    OrgKind {
        /// An unincorporated voluntary or community group.
        Voluntary = "voluntary",
        /// A registered charity.
        Charity = "charity",
        /// A public-sector partner such as the NHS or police.
        Partner = "partner",
        /// The council itself.
        Council = "council",
        /// A business.
        Commercial = "commercial",
    }
}

text_enum! {
    /// Where an organisation is in its life with the council.
    OrgStatus {
        /// Waiting for council approval.
        Pending = "pending",
        /// Approved: hosting may run.
        Approved = "approved",
        /// Refused, with a reason.
        Rejected = "rejected",
        /// Stopped by the council; data kept.
        Suspended = "suspended",
    }
}

text_enum! {
    /// A member's role in an organisation.
    MemberRole {
        /// Full control, including billing and other owners.
        Owner = "owner",
        /// Manages members and applications.
        Admin = "admin",
        /// Uses the organisation's applications.
        Member = "member",
    }
}

/// An organisation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    /// Row id.
    pub id: OrgId,
    /// Short unique name used in URLs and Kubernetes object names.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Sort of body.
    pub kind: OrgKind,
    /// Charity Commission number, for charities.
    pub charity_number: Option<String>,
    /// Approval state.
    pub status: OrgStatus,
    /// Why it was rejected or suspended.
    pub status_reason: Option<String>,
    /// Its hosting plan, once chosen.
    pub plan_id: Option<PlanId>,
    /// When it signed up.
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: OrgId,
    slug: String,
    name: String,
    kind: String,
    charity_number: Option<String>,
    status: String,
    status_reason: Option<String>,
    plan_id: Option<PlanId>,
    created_at: i64,
}

impl TryFrom<OrgRow> for Organisation {
    type Error = Error;

    fn try_from(row: OrgRow) -> Result<Self, Error> {
        let corrupt = |reason: String| Error::QueryFailed(sqlx::Error::Decode(reason.into()));
        Ok(Self {
            id: row.id,
            slug: row.slug,
            name: row.name,
            kind: row.kind.parse().map_err(corrupt)?,
            charity_number: row.charity_number,
            status: row.status.parse().map_err(corrupt)?,
            status_reason: row.status_reason,
            plan_id: row.plan_id,
            created_at: row.created_at,
        })
    }
}

const ORG_COLUMNS: &str =
    "id, slug, name, kind, charity_number, status, status_reason, plan_id, created_at";

/// What is needed to register an organisation.
#[derive(Clone, Debug)]
pub struct NewOrganisation {
    /// Short unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Sort of body.
    pub kind: OrgKind,
    /// Charity number, for charities.
    pub charity_number: Option<String>,
}

impl Store {
    /// Registers an organisation, pending approval, with `owner` as its first owner.
    ///
    /// # Guarantees
    ///
    /// One transaction: the organisation never exists without an owner.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when the slug is taken.
    pub async fn create_organisation(
        &self,
        new: &NewOrganisation,
        owner: UserId,
    ) -> Result<Organisation, Error> {
        let insert = format!(
            "INSERT INTO organisations (slug, name, kind, charity_number, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {ORG_COLUMNS}"
        );
        let member = "INSERT INTO memberships (org_id, user_id, role, created_at) \
                      VALUES ($1, $2, 'owner', $3)";
        let row: OrgRow = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            let row: OrgRow = sqlx::query_as(trusted(insert))
                .bind(&new.slug)
                .bind(&new.name)
                .bind(new.kind.as_str())
                .bind(&new.charity_number)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("organisation"))?;
            sqlx::query(member).bind(row.id).bind(owner).bind(at).execute(&mut *tx).await?;
            tx.commit().await?;
            row
        });
        row.try_into()
    }

    /// An organisation by id.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such organisation.
    pub async fn organisation(&self, id: OrgId) -> Result<Organisation, Error> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
        let row: Option<OrgRow> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.ok_or(Error::NotFound {
            what: "organisation",
        })?
        .try_into()
    }

    /// The organisations `user` belongs to, with the role held in each.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn organisations_of(
        &self,
        user: UserId,
    ) -> Result<Vec<(Organisation, MemberRole)>, Error> {
        let sql = "SELECT o.id, o.slug, o.name, o.kind, o.charity_number, o.status, \
                   o.status_reason, o.plan_id, o.created_at, m.role \
                   FROM organisations o JOIN memberships m ON m.org_id = o.id \
                   WHERE m.user_id = $1 ORDER BY o.name";
        let rows: Vec<(OrgRow, String)> = with_pool!(self, pool => {
            use sqlx::Row;
            let rows = sqlx::query(sql).bind(user).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push((sqlx::FromRow::from_row(row)?, row.try_get("role")?));
            }
            out
        });
        rows.into_iter()
            .map(|(org, role)| {
                let role = role
                    .parse()
                    .map_err(|e: String| Error::QueryFailed(sqlx::Error::Decode(e.into())))?;
                Ok((org.try_into()?, role))
            })
            .collect()
    }

    /// Sets an organisation's approval state and the reason shown for it.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such organisation.
    pub async fn set_organisation_status(
        &self,
        id: OrgId,
        status: OrgStatus,
        reason: Option<&str>,
    ) -> Result<Organisation, Error> {
        let sql = "UPDATE organisations SET status = $1, status_reason = $2, updated_at = $3 \
                   WHERE id = $4";
        let done = with_pool!(self, pool => sqlx::query(sql)
            .bind(status.as_str())
            .bind(reason)
            .bind(now())
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        if done == 0 {
            return Err(Error::NotFound {
                what: "organisation",
            });
        }
        self.organisation(id).await
    }
}

/// The first person of a newly registered organisation.
#[derive(Clone, Debug)]
pub struct NewOwner {
    /// Sign-in address.
    pub email: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// argon2id hash of the chosen password.
    pub password_hash: String,
}

impl Store {
    /// Registers an organisation together with a new account as its owner, as the public
    /// sign-up does. The account's email address is not yet confirmed.
    ///
    /// # Guarantees
    ///
    /// One transaction: account, organisation and ownership all exist, or none does.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] with `what` `"user"` when the address has an account, or
    /// `"organisation"` when the slug is taken.
    pub async fn register_organisation(
        &self,
        new: &NewOrganisation,
        owner: &NewOwner,
    ) -> Result<(Organisation, UserId), Error> {
        let user = "INSERT INTO users (email, display_name, password_hash, created_at) \
                    VALUES ($1, $2, $3, $4) RETURNING id";
        let insert = format!(
            "INSERT INTO organisations (slug, name, kind, charity_number, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {ORG_COLUMNS}"
        );
        let member = "INSERT INTO memberships (org_id, user_id, role, created_at) \
                      VALUES ($1, $2, 'owner', $3)";
        let (row, user_id): (OrgRow, UserId) = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let at = now();
            let user_id: UserId = sqlx::query_scalar(user)
                .bind(crate::users::normalise_email(&owner.email))
                .bind(&owner.display_name)
                .bind(&owner.password_hash)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("user"))?;
            let row: OrgRow = sqlx::query_as(trusted(insert))
                .bind(&new.slug)
                .bind(&new.name)
                .bind(new.kind.as_str())
                .bind(&new.charity_number)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("organisation"))?;
            sqlx::query(member).bind(row.id).bind(user_id).bind(at).execute(&mut *tx).await?;
            tx.commit().await?;
            (row, user_id)
        });
        Ok((row.try_into()?, user_id))
    }

    /// Organisation `id` with the role `user` holds in it: the one read that every
    /// organisation page starts from, so that a non-member finds nothing.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such organisation or `user` is not a member.
    pub async fn organisation_for_member(
        &self,
        id: OrgId,
        user: UserId,
    ) -> Result<(Organisation, MemberRole), Error> {
        let sql = format!(
            "SELECT {ORG_COLUMNS} FROM organisations o WHERE id = $1 AND EXISTS \
             (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.user_id = $2)"
        );
        let row: Option<OrgRow> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(id)
            .bind(user)
            .fetch_optional(pool)
            .await)?;
        let org: Organisation = row
            .ok_or(Error::NotFound {
                what: "organisation",
            })?
            .try_into()?;
        let role = self.membership(id, user).await?.ok_or(Error::NotFound {
            what: "organisation",
        })?;
        Ok((org, role))
    }

    /// Every organisation, or those in `status`, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn organisations(
        &self,
        status: Option<OrgStatus>,
    ) -> Result<Vec<Organisation>, Error> {
        let sql = format!(
            "SELECT {ORG_COLUMNS} FROM organisations \
             WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC"
        );
        let rows: Vec<OrgRow> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(status.map(OrgStatus::as_str))
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Records a council decision: sets the approval state, its reason and (when given)
    /// the plan, together with `audit`.
    ///
    /// # Guarantees
    ///
    /// One transaction: the change and its audit entry are both stored or neither is.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such organisation.
    pub async fn decide_organisation(
        &self,
        id: OrgId,
        status: OrgStatus,
        reason: Option<&str>,
        plan: Option<PlanId>,
        audit: &crate::NewAuditEntry,
    ) -> Result<Organisation, Error> {
        let sql = "UPDATE organisations SET status = $1, status_reason = $2, \
                   plan_id = COALESCE($3, plan_id), updated_at = $4 WHERE id = $5";
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(sql)
                .bind(status.as_str())
                .bind(reason)
                .bind(plan)
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(Error::NotFound { what: "organisation" });
            }
            crate::audit::insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
        });
        self.organisation(id).await
    }
}
