//! Council administration of Wi-Fi: site settings, the listings of the admin pages, and
//! changes that commit together with their audit entry.

use super::{
    Device, GuestAccount, NasClient, NewNasClient, Voucher, WifiSite,
    devices::DEVICE_COLUMNS,
    guests::GUEST_COLUMNS,
    nas::{NAS_COLUMNS, NasRow},
    site_slug,
    sites::SITE_COLUMNS,
    vouchers::VOUCHER_COLUMNS,
};
use crate::{
    BeginWrite, Error, NasId, NewAuditEntry, SiteId, Store, audit::insert_audit, now, trusted,
    with_pool,
};

/// Seconds in a day: report buckets are UTC days.
const DAY: i64 = 86_400;

/// The settings of a site an administrator chooses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFields {
    /// Name shown to people; the slug is made from it when the site is created.
    pub name: String,
    /// How guests may sign up, comma-separated: `terms`, `email`, `voucher`.
    pub signup_modes: String,
    /// Longest session, in seconds.
    pub session_timeout_secs: i64,
    /// Idle time after which a session ends, in seconds.
    pub idle_timeout_secs: i64,
    /// How often the access point reports usage, in seconds (60 at least).
    pub interim_interval_secs: i64,
    /// Download limit, kbit/s.
    pub down_kbps: Option<i64>,
    /// Upload limit, kbit/s.
    pub up_kbps: Option<i64>,
    /// Days the authentication log of this site is kept.
    pub retention_days: i64,
}

/// One batch of vouchers, as the batch list shows it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct VoucherBatch {
    /// The batch name.
    pub batch: String,
    /// When it was issued, Unix seconds.
    pub created_at: i64,
    /// How many codes.
    pub count: i64,
    /// How many of them have been used at least once.
    pub used: i64,
    /// Devices per code.
    pub max_uses: i64,
    /// Time allowance from first use, seconds.
    pub duration_secs: Option<i64>,
    /// Data allowance, bytes.
    pub data_limit_bytes: Option<i64>,
}

/// Wi-Fi sign-ups of one site on one UTC day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteDailyCount {
    /// The site's name.
    pub site: String,
    /// The day's first second, in Unix seconds.
    pub day: i64,
    /// How many guest accounts were made.
    pub count: i64,
}

impl Store {
    /// Every Wi-Fi site, by name.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn wifi_sites(&self) -> Result<Vec<WifiSite>, Error> {
        let sql = format!("SELECT {SITE_COLUMNS} FROM wifi_sites ORDER BY name, id");
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql)).fetch_all(pool).await)?)
    }

    /// Site `id`.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such site.
    pub async fn wifi_site(&self, id: SiteId) -> Result<WifiSite, Error> {
        let sql = format!("SELECT {SITE_COLUMNS} FROM wifi_sites WHERE id = $1");
        let site: Option<WifiSite> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        site.ok_or(Error::NotFound { what: "site" })
    }

    /// Creates a site with `fields`, writing `audit` in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when a site with the same slug exists;
    /// [`Error::Invalid`] for a name without letters or digits.
    pub async fn create_site_with(
        &self,
        fields: &SiteFields,
        audit: &NewAuditEntry,
    ) -> Result<WifiSite, Error> {
        let slug = site_slug(&fields.name);
        if slug.is_empty() {
            return Err(Error::Invalid {
                what: "site name",
                reason: "it needs at least one letter or digit".into(),
            });
        }
        let sql = format!(
            "INSERT INTO wifi_sites (slug, name, signup_modes, session_timeout_secs, \
             idle_timeout_secs, interim_interval_secs, down_kbps, up_kbps, retention_days, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             RETURNING {SITE_COLUMNS}"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let site: WifiSite = sqlx::query_as(trusted(sql))
                .bind(&slug)
                .bind(fields.name.trim())
                .bind(&fields.signup_modes)
                .bind(fields.session_timeout_secs)
                .bind(fields.idle_timeout_secs)
                .bind(fields.interim_interval_secs)
                .bind(fields.down_kbps)
                .bind(fields.up_kbps)
                .bind(fields.retention_days)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("site"))?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(site)
        })
    }

    /// Changes the settings of site `id` (its slug stays), writing `audit` in the same
    /// transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when there is no such site.
    pub async fn update_site(
        &self,
        id: SiteId,
        fields: &SiteFields,
        audit: &NewAuditEntry,
    ) -> Result<WifiSite, Error> {
        let sql = format!(
            "UPDATE wifi_sites SET name = $1, signup_modes = $2, session_timeout_secs = $3, \
             idle_timeout_secs = $4, interim_interval_secs = $5, down_kbps = $6, up_kbps = $7, \
             retention_days = $8 WHERE id = $9 RETURNING {SITE_COLUMNS}"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let site: Option<WifiSite> = sqlx::query_as(trusted(sql))
                .bind(fields.name.trim())
                .bind(&fields.signup_modes)
                .bind(fields.session_timeout_secs)
                .bind(fields.idle_timeout_secs)
                .bind(fields.interim_interval_secs)
                .bind(fields.down_kbps)
                .bind(fields.up_kbps)
                .bind(fields.retention_days)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let site = site.ok_or(Error::NotFound { what: "site" })?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(site)
        })
    }

    /// The NAS clients of site `site`, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked; [`Error::Invalid`] for
    /// a stored row that no longer parses.
    pub async fn site_nas_clients(&self, site: SiteId) -> Result<Vec<NasClient>, Error> {
        let sql = format!("SELECT {NAS_COLUMNS} FROM nas_clients WHERE site_id = $1 ORDER BY id");
        let rows: Vec<NasRow> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(site)
            .fetch_all(pool)
            .await)?;
        rows.into_iter().map(NasClient::try_from).collect()
    }

    /// Registers a NAS client like [`Store::create_nas_client`], writing `audit` in the
    /// same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] when another client has the same address.
    pub async fn create_nas_client_audited(
        &self,
        new: &NewNasClient,
        audit: &NewAuditEntry,
    ) -> Result<NasClient, Error> {
        let name = if new.name.trim().is_empty() {
            new.address.to_string()
        } else {
            new.name.trim().to_owned()
        };
        let sql = format!(
            "INSERT INTO nas_clients (site_id, name, address, secret, vendor, \
             require_message_authenticator, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {NAS_COLUMNS}"
        );
        let row: NasRow = with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: NasRow = sqlx::query_as(trusted(sql))
                .bind(new.site_id)
                .bind(&name)
                .bind(new.address.to_string())
                .bind(new.secret.expose())
                .bind(new.vendor.trim().to_lowercase())
                .bind(new.require_message_authenticator)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(Error::unique("NAS client with this address"))?;
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok::<_, Error>(row)
        })?;
        row.try_into()
    }

    /// Removes NAS client `id` of site `site`, writing `audit` in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such client.
    pub async fn delete_site_nas_client(
        &self,
        site: SiteId,
        id: NasId,
        audit: &NewAuditEntry,
    ) -> Result<(), Error> {
        let sql = "DELETE FROM nas_clients WHERE id = $1 AND site_id = $2";
        self.change_in_site(sql, "NAS client", site, id.0, None, audit)
            .await
    }

    /// The voucher batches of site `site`, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn voucher_batches(&self, site: SiteId) -> Result<Vec<VoucherBatch>, Error> {
        let sql = "SELECT batch, MIN(created_at) AS created_at, COUNT(*) AS count, \
                   SUM(CASE WHEN uses > 0 THEN 1 ELSE 0 END) AS used, \
                   MAX(max_uses) AS max_uses, MAX(duration_secs) AS duration_secs, \
                   MAX(data_limit_bytes) AS data_limit_bytes \
                   FROM vouchers WHERE site_id = $1 GROUP BY batch ORDER BY created_at DESC, batch";
        Ok(with_pool!(self, pool => sqlx::query_as(sql).bind(site).fetch_all(pool).await)?)
    }

    /// The vouchers of batch `batch` of site `site`, in the order they were issued.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such batch.
    pub async fn batch_vouchers(&self, site: SiteId, batch: &str) -> Result<Vec<Voucher>, Error> {
        let sql = format!(
            "SELECT {VOUCHER_COLUMNS} FROM vouchers WHERE site_id = $1 AND batch = $2 ORDER BY id"
        );
        let vouchers: Vec<Voucher> = with_pool!(self, pool => sqlx::query_as(trusted(sql))
            .bind(site)
            .bind(batch)
            .fetch_all(pool)
            .await)?;
        if vouchers.is_empty() {
            return Err(Error::NotFound {
                what: "voucher batch",
            });
        }
        Ok(vouchers)
    }

    /// The guest accounts of site `site`, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn site_guests(&self, site: SiteId) -> Result<Vec<GuestAccount>, Error> {
        let sql = format!(
            "SELECT {GUEST_COLUMNS} FROM guest_accounts WHERE site_id = $1 ORDER BY id DESC"
        );
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql)).bind(site).fetch_all(pool).await)?)
    }

    /// Removes guest account `id` of site `site`, writing `audit` in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such guest account.
    pub async fn delete_site_guest(
        &self,
        site: SiteId,
        id: i64,
        audit: &NewAuditEntry,
    ) -> Result<(), Error> {
        let sql = "DELETE FROM guest_accounts WHERE id = $1 AND site_id = $2";
        self.change_in_site(sql, "guest account", site, id, None, audit)
            .await
    }

    /// The remembered devices of site `site`, newest first.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn site_devices(&self, site: SiteId) -> Result<Vec<Device>, Error> {
        let sql =
            format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE site_id = $1 ORDER BY id DESC");
        Ok(with_pool!(self, pool => sqlx::query_as(trusted(sql)).bind(site).fetch_all(pool).await)?)
    }

    /// Forgets device `id` of site `site`, writing `audit` in the same transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such device.
    pub async fn delete_site_device(
        &self,
        site: SiteId,
        id: i64,
        audit: &NewAuditEntry,
    ) -> Result<(), Error> {
        let sql = "DELETE FROM devices WHERE id = $1 AND site_id = $2";
        self.change_in_site(sql, "device", site, id, None, audit)
            .await
    }

    /// Blocks or unblocks device `id` of site `site`, writing `audit` in the same
    /// transaction.
    ///
    /// # Errors
    ///
    /// [`Error::NotFound`] when the site has no such device.
    pub async fn block_site_device(
        &self,
        site: SiteId,
        id: i64,
        blocked: bool,
        audit: &NewAuditEntry,
    ) -> Result<(), Error> {
        let sql = "UPDATE devices SET blocked = $3 WHERE id = $1 AND site_id = $2";
        self.change_in_site(sql, "device", site, id, Some(blocked), audit)
            .await
    }

    /// Runs `sql` on row `id` of `site` (with `flag` as `$3` when given) and writes
    /// `audit`, in one transaction; `NotFound` names `what` when no row changed.
    async fn change_in_site(
        &self,
        sql: &'static str,
        what: &'static str,
        site: SiteId,
        id: i64,
        flag: Option<bool>,
        audit: &NewAuditEntry,
    ) -> Result<(), Error> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut query = sqlx::query(sql).bind(id).bind(site);
            if let Some(flag) = flag {
                query = query.bind(flag);
            }
            let done = query.execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Err(Error::NotFound { what });
            }
            insert_audit!(&mut *tx, audit)?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Wi-Fi sign-ups (guest accounts made) per site and UTC day over the last `days`
    /// days, by day then site name; days without any are left out.
    ///
    /// # Errors
    ///
    /// [`Error::QueryFailed`] when the database cannot be asked.
    pub async fn wifi_signups_per_day(&self, days: i64) -> Result<Vec<SiteDailyCount>, Error> {
        let sql = "SELECT s.name, g.created_at / 86400 AS day, COUNT(*) \
                   FROM guest_accounts g JOIN wifi_sites s ON s.id = g.site_id \
                   WHERE g.created_at >= $1 GROUP BY s.name, g.created_at / 86400 \
                   ORDER BY day, s.name";
        let since = (now() / DAY - days.saturating_sub(1)) * DAY;
        let rows: Vec<(String, i64, i64)> = with_pool!(self, pool => sqlx::query_as(sql)
            .bind(since)
            .fetch_all(pool)
            .await)?;
        Ok(rows
            .into_iter()
            .map(|(site, day, count)| SiteDailyCount {
                site,
                day: day * DAY,
                count,
            })
            .collect())
    }
}
