//! Hosting plans: the quota a tenant gets, and its price.

use crate::{BeginWrite, Error, PlanId, Store, now, trusted, with_pool};

/// A plan as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Plan {
    /// Row id.
    pub id: PlanId,
    /// Short unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Monthly price in pence; 0 for free plans.
    pub price_pence: i64,
    /// CPU quota in millicores.
    pub cpu_millis: i64,
    /// Memory quota in MiB.
    pub memory_mib: i64,
    /// Storage quota in GiB.
    pub storage_gib: i64,
    /// Most pods at once.
    pub max_pods: i64,
    /// Most applications installed.
    pub max_apps: i64,
}

/// The editable fields of a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanFields {
    /// Short unique name.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Monthly price in pence.
    pub price_pence: i64,
    /// CPU quota in millicores.
    pub cpu_millis: i64,
    /// Memory quota in MiB.
    pub memory_mib: i64,
    /// Storage quota in GiB.
    pub storage_gib: i64,
    /// Most pods at once.
    pub max_pods: i64,
    /// Most applications installed.
    pub max_apps: i64,
}

const PLAN_COLUMNS: &str =
    "id, slug, name, price_pence, cpu_millis, memory_mib, storage_gib, max_pods, max_apps";

impl Store {
    /// Every plan, cheapest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn plans(&self) -> Result<Vec<Plan>, Error> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans ORDER BY price_pence, id");
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql)).fetch_all(pool).await)?)
    }

    /// Plan `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such plan.
    pub async fn plan(&self, id: PlanId) -> Result<Plan, Error> {
        let sql = format!("SELECT {PLAN_COLUMNS} FROM plans WHERE id = $1");
        let plan = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        plan.ok_or(Error::NotFound { what: "plan" })
    }

    /// Adds a plan, writing `audit` in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when the slug is taken.
    pub async fn create_plan(
        &self,
        fields: &PlanFields,
        audit: &crate::NewAuditEntry,
    ) -> Result<Plan, Error> {
        let sql = format!(
            "INSERT INTO plans (slug, name, price_pence, cpu_millis, memory_mib, storage_gib, \
             max_pods, max_apps, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {PLAN_COLUMNS}"
        );
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let plan: Plan = sqlx::query_as(trusted(sql))
                .bind(&fields.slug)
                .bind(&fields.name)
                .bind(fields.price_pence)
                .bind(fields.cpu_millis)
                .bind(fields.memory_mib)
                .bind(fields.storage_gib)
                .bind(fields.max_pods)
                .bind(fields.max_apps)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("plan"))?;
            crate::audit::insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            plan
        }))
    }

    /// Changes plan `id`, writing `audit` in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such plan, [`Error::AlreadyExists`] when the
    /// new slug is taken.
    pub async fn update_plan(
        &self,
        id: PlanId,
        fields: &PlanFields,
        audit: &crate::NewAuditEntry,
    ) -> Result<Plan, Error> {
        let sql = format!(
            "UPDATE plans SET slug = $1, name = $2, price_pence = $3, cpu_millis = $4, \
             memory_mib = $5, storage_gib = $6, max_pods = $7, max_apps = $8 WHERE id = $9 \
             RETURNING {PLAN_COLUMNS}"
        );
        Ok(with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let plan: Option<Plan> = sqlx::query_as(trusted(sql))
                .bind(&fields.slug)
                .bind(&fields.name)
                .bind(fields.price_pence)
                .bind(fields.cpu_millis)
                .bind(fields.memory_mib)
                .bind(fields.storage_gib)
                .bind(fields.max_pods)
                .bind(fields.max_apps)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::unique("plan"))?;
            let plan = plan.ok_or(Error::NotFound { what: "plan" })?;
            crate::audit::insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            plan
        }))
    }
}
